// The classical baseline as an inspection method: NG when a blob passes the configured limits.
#pragma once

#include "core/baseline/baseline.h"
#include "core/inspect/classifier.h"

namespace kizu::inspect {

class BaselineClassifier : public Classifier {
public:
    explicit BaselineClassifier(baseline::BaselineParams params);
    Verdict classify(const cv::Mat& bgr) override;
    std::string id() const override { return m_id; }
    std::string name() const override { return "baseline"; }
    // The deciding blobs' mask, scaled to the frame.
    cv::Mat heatmap(const cv::Mat& bgr) override;

private:
    baseline::BaselineParams m_params;
    std::string m_id;
};

} // namespace kizu::inspect
