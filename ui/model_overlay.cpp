#include "ui/model_overlay.h"

#include <QCoreApplication>

#include <nlohmann/json.hpp>

namespace kizu::ui {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("kizu::ui::ModelOverlay", text);
}
} // namespace

QString overlayName(bool defectMap)
{
    return defectMap ? tr("Defect map") : tr("Heatmap");
}

QString overlayCaption(bool defectMap)
{
    return defectMap ? tr("Defect map (probability of a defect, 0 to 1):")
                     : tr("Model heatmap (class activation of NG):");
}

QString headText(const std::string& head, int inputSize, bool keepAspect)
{
    const QString kind = head == "defect_map" ? tr("defect map") : tr("classifier");
    return (keepAspect ? tr("%1, %2 px long side") : tr("%1, %2 px")).arg(kind).arg(inputSize);
}

bool isDefectMapConfig(const nlohmann::json& config)
{
    return config.is_object() && config.value("head", std::string()) == "defect_map";
}

QString headText(const nlohmann::json& config)
{
    if (!config.is_object()) return QString();
    return headText(config.value("head", std::string("classifier")), config.value("input_size", 0),
                    config.value("keep_aspect", false));
}

} // namespace kizu::ui
