#include "ui/model_overlay.h"

#include <QCoreApplication>

#include <nlohmann/json.hpp>

namespace kizu::ui {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("kizu::ui::ModelOverlay", text);
}

// A key of the record's config, else of its training configuration (registerModel keeps the
// model's own configuration under "train_config"; older or hand-made records have it on top).
template <typename T> T recordValue(const nlohmann::json& config, const char* key, T fallback)
{
    if (!config.is_object()) return fallback;
    if (auto it = config.find(key); it != config.end() && !it->is_null()) return it->get<T>();
    if (auto tc = config.find("train_config"); tc != config.end() && tc->is_object())
        if (auto it = tc->find(key); it != tc->end() && !it->is_null()) return it->get<T>();
    return fallback;
}
} // namespace

Overlay overlayOf(const std::string& head)
{
    if (head == "defect_map") return Overlay::DefectMap;
    if (head == "anomaly") return Overlay::AnomalyMap;
    return Overlay::Heatmap;
}

QString overlayName(Overlay overlay)
{
    switch (overlay) {
    case Overlay::DefectMap:
        return tr("Defect map");
    case Overlay::AnomalyMap:
        return tr("Anomaly map");
    case Overlay::Heatmap:
        break;
    }
    return tr("Heatmap");
}

QString overlayName(bool defectMap)
{
    return overlayName(defectMap ? Overlay::DefectMap : Overlay::Heatmap);
}

QString overlayCaption(Overlay overlay)
{
    switch (overlay) {
    case Overlay::DefectMap:
        return tr("Defect map (probability of a defect, 0 to 1):");
    case Overlay::AnomalyMap:
        return tr("Anomaly map (how unlike the OK photos each place is; 0.5 is the threshold):");
    case Overlay::Heatmap:
        break;
    }
    return tr("Model heatmap (class activation of NG):");
}

QString overlayCaption(bool defectMap)
{
    return overlayCaption(defectMap ? Overlay::DefectMap : Overlay::Heatmap);
}

QString headText(const std::string& head, int inputSize, bool keepAspect)
{
    const QString kind = head == "defect_map" ? tr("defect map")
                         : head == "anomaly"  ? tr("anomaly map")
                                              : tr("classifier");
    return (keepAspect ? tr("%1, %2 px long side") : tr("%1, %2 px")).arg(kind).arg(inputSize);
}

std::string recordHead(const nlohmann::json& config)
{
    if (!config.is_object()) return "classifier";
    try {
        if (recordValue<std::string>(config, "method", {}) == "patchcore") return "anomaly";
        return recordValue<std::string>(config, "head", "classifier");
    } catch (const nlohmann::json::exception&) {
        return "classifier";
    }
}

bool isDefectMapConfig(const nlohmann::json& config)
{
    return recordHead(config) == "defect_map";
}

QString headText(const nlohmann::json& config)
{
    if (!config.is_object()) return QString();
    try {
        return headText(recordHead(config), recordValue<int>(config, "input_size", 0),
                        recordValue<bool>(config, "keep_aspect", false));
    } catch (const nlohmann::json::exception&) {
        return QString();
    }
}

} // namespace kizu::ui
