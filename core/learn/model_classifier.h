// A Kizu model file as an inspection method: NG when the model's NG score reaches the
// threshold chosen on its training data. Its id is the model file's sha256, which every
// inspection result records.
#pragma once

#include "core/inspect/classifier.h"
#include "core/learn/model.h"

#include <filesystem>

namespace kizu::learn {

class ModelClassifier : public inspect::Classifier {
public:
    // Loads and verifies the file; throws FormatError/IoError naming it.
    explicit ModelClassifier(const std::filesystem::path& file);
    inspect::Verdict classify(const cv::Mat& bgr) override;
    std::string id() const override { return m_sha; }
    std::string name() const override { return m_name; }
    cv::Mat heatmap(const cv::Mat& bgr) override { return m_model.heatmap(bgr); }
    std::string runtime() const override { return m_model.inferencePath(); }
    cv::Size inputNeed(cv::Size view) const override;
    const Model& model() const { return m_model; }

private:
    Model m_model;
    std::string m_sha;
    std::string m_name;
};

} // namespace kizu::learn
