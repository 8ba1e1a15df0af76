#include "core/learn/model_classifier.h"

#include "core/common/sha256.h"
#include "core/learn/augment.h"

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

cv::Size ModelClassifier::inputNeed(cv::Size view) const
{
    // The network's input canvas (detail::inputCanvas): what predict() resizes the view to.
    const ModelInfo& info = m_model.info();
    if (view.width < 1 || view.height < 1) return view;
    return info.keepAspect ? canvasFor(view, info.inputSize)
                           : cv::Size(info.inputSize, info.inputSize);
}

} // namespace kizu::learn
