#include "core/learn/model_classifier.h"

#include "core/common/sha256.h"

namespace kizu::learn {

ModelClassifier::ModelClassifier(const std::filesystem::path& file)
    : m_model(Model::load(file)), m_sha(sha256File(file))
{
    m_name = m_model.info().arch + " @" + std::to_string(m_model.info().inputSize) + " (" +
             file.filename().string() + ")";
}

inspect::Verdict ModelClassifier::classify(const cv::Mat& bgr)
{
    const float score = m_model.predict(bgr);
    return {score >= m_model.info().threshold, score, m_model.info().threshold};
}

} // namespace kizu::learn
