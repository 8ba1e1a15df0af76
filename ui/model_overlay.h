// How the GUI names what a model draws over a photo and what kind of network it is (issues 21
// and 22): a defect-map model's overlay is its defect map (the probability of a defect, 0 to 1,
// on an absolute colour scale); an anomaly model's (PatchCore, from OK photos only) is its
// anomaly map (how unlike the remembered OK patches each place is, 0.5 at the threshold); a
// classifier's is its class activation map of NG. One place, so the Train page, the model list,
// Compare and Inspect say the same.
#pragma once

#include <QString>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kizu::ui {

enum class Overlay { Heatmap, DefectMap, AnomalyMap };
// From a model's head ("classifier", "defect_map", "anomaly").
Overlay overlayOf(const std::string& head);

// "Defect map", "Anomaly map" or "Heatmap".
QString overlayName(Overlay overlay);
QString overlayName(bool defectMap);
// The caption above an overlay: "Defect map (probability of a defect, 0 to 1):",
// "Anomaly map (unlike the OK photos; 0.5 is the threshold):" or "Model heatmap (class
// activation of NG):".
QString overlayCaption(Overlay overlay);
QString overlayCaption(bool defectMap);
// "defect map, 320 px long side", "anomaly map, 320 px long side" or "classifier, 128 px".
QString headText(const std::string& head, int inputSize, bool keepAspect);
// The same from a model record's config (kizu::learn::registerModel: the training configuration
// under "train_config", "method": "patchcore" for an anomaly model; no head means a classifier).
QString headText(const nlohmann::json& config);
// The head a model record's config describes: "classifier", "defect_map" or "anomaly".
std::string recordHead(const nlohmann::json& config);
bool isDefectMapConfig(const nlohmann::json& config);

} // namespace kizu::ui
