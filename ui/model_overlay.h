// How the GUI names what a model draws over a photo and what kind of network it is (issue 21):
// a defect-map model's overlay is its defect map (the probability of a defect, 0 to 1, on an
// absolute colour scale); a classifier's is its class activation map of NG. One place, so the
// Train page, the model list, Compare and Inspect say the same.
#pragma once

#include <QString>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kizu::ui {

// "Defect map" or "Heatmap".
QString overlayName(bool defectMap);
// The caption above an overlay: "Defect map (probability of a defect, 0 to 1):" or
// "Model heatmap (class activation of NG):".
QString overlayCaption(bool defectMap);
// "defect map, 320 px long side" or "classifier, 128 px".
QString headText(const std::string& head, int inputSize, bool keepAspect);
// The same from a training configuration's JSON (TrainConfig; no "head" means a classifier).
QString headText(const nlohmann::json& config);
bool isDefectMapConfig(const nlohmann::json& config);

} // namespace kizu::ui
