#include "core/inspect/station_profile.h"

#include "core/common/error.h"

#include <nlohmann/json.hpp>

namespace kizu::inspect {
namespace {
// One key, one JSON object: the profile is written in one transaction, never half.
constexpr const char* kKey = "station.camera";
} // namespace

camera::CameraSettings loadCameraProfile(const project::ProjectStore& store)
{
    camera::CameraSettings s;
    const auto text = store.meta(kKey);
    if (!text || text->empty()) return s;
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return s; // unreadable: the camera keeps its own values
    auto number = [&](const char* k, std::optional<double>& out) {
        if (j.contains(k) && j[k].is_number()) out = j[k].get<double>();
    };
    auto text_ = [&](const char* k, std::optional<std::string>& out) {
        if (j.contains(k) && j[k].is_string()) out = j[k].get<std::string>();
    };
    number("exposure_us", s.exposureUs);
    number("gain", s.gain);
    number("fps", s.frameRate);
    text_("pixel_format", s.pixelFormat);
    text_("trigger", s.trigger);
    text_("trigger_edge", s.triggerEdge);
    number("trigger_delay_us", s.triggerDelayUs);
    return s;
}

void saveCameraProfile(project::ProjectStore& store, const camera::CameraSettings& in)
{
    camera::CameraSettings s = in;
    if (s.trigger) s.trigger = camera::normaliseTrigger(*s.trigger);
    if (s.triggerEdge) s.triggerEdge = camera::normaliseTriggerEdge(*s.triggerEdge);
    nlohmann::json j = nlohmann::json::object();
    if (s.exposureUs) j["exposure_us"] = *s.exposureUs;
    if (s.gain) j["gain"] = *s.gain;
    if (s.frameRate) j["fps"] = *s.frameRate;
    if (s.pixelFormat) j["pixel_format"] = *s.pixelFormat;
    if (s.trigger) j["trigger"] = *s.trigger;
    if (s.triggerEdge) j["trigger_edge"] = *s.triggerEdge;
    if (s.triggerDelayUs) j["trigger_delay_us"] = *s.triggerDelayUs;
    store.setMeta(kKey, j.dump());
}

camera::CameraSettings overlay(camera::CameraSettings base, const camera::CameraSettings& over)
{
    if (over.exposureUs) base.exposureUs = over.exposureUs;
    if (over.gain) base.gain = over.gain;
    if (over.frameRate) base.frameRate = over.frameRate;
    if (over.pixelFormat) base.pixelFormat = over.pixelFormat;
    if (over.trigger) base.trigger = over.trigger;
    if (over.triggerEdge) base.triggerEdge = over.triggerEdge;
    if (over.triggerDelayUs) base.triggerDelayUs = over.triggerDelayUs;
    return base;
}

} // namespace kizu::inspect
