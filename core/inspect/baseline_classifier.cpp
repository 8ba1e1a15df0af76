#include "core/inspect/baseline_classifier.h"

#include "core/common/sha256.h"

#include <opencv2/imgproc.hpp>

namespace kizu::inspect {

BaselineClassifier::BaselineClassifier(baseline::BaselineParams params)
    : m_params(std::move(params))
{
    m_params.validate();
    m_id = "baseline:" + sha256Hex(m_params.toJson().dump()).substr(0, 16);
}

Verdict BaselineClassifier::classify(const cv::Mat& bgr)
{
    auto r = baseline::runBaseline(bgr, m_params);
    return {r.ng, r.score, m_params.scoreThreshold};
}

cv::Mat BaselineClassifier::heatmap(const cv::Mat& bgr)
{
    auto r = baseline::runBaseline(bgr, m_params, true);
    cv::Mat heat = cv::Mat::zeros(r.mask.size(), CV_32F);
    if (!r.labels.empty())
        for (const auto& b : r.blobs)
            if (b.defect) heat.setTo(1.0f, r.labels == b.label);
    cv::Mat out;
    cv::resize(heat, out, bgr.size(), 0, 0, cv::INTER_NEAREST);
    cv::GaussianBlur(out, out, cv::Size(0, 0), 3);
    double mx = 0;
    cv::minMaxLoc(out, nullptr, &mx);
    if (mx > 0) out /= mx;
    return out;
}

} // namespace kizu::inspect
