// The camera options shared by `kizu-cli camera grab` and `kizu-cli inspect` (docs/camera.md):
// one reader, so both commands spell and check them the same way.
#pragma once

#include "app/cli/commands.h"
#include "core/camera/frame_source.h"
#include "core/common/error.h"

#include <cmath>
#include <limits>

namespace kizu::cli {

// True for the words `--trigger VALUE` takes as a camera trigger (free, software, lineN); any
// other word after `--trigger` is left alone (the PLC handshake flag, docs/line.md).
inline bool isCameraTriggerWord(const std::string& word)
{
    try {
        camera::normaliseTrigger(word);
        return true;
    } catch (const kizu::InvalidArgument&) {
        return false;
    }
}

// --exposure-us, --gain-db, --fps, --pixel-format, --camera-trigger (or --trigger VALUE),
// --trigger-edge, --trigger-delay-us; the older --exposure and --gain still work.
inline camera::CameraSettings cameraSettingsFrom(Args& args)
{
    camera::CameraSettings s;
    auto read = [&](const char* name) -> std::optional<double> {
        std::optional<double> v;
        const double x = args.doubleValue(name, std::numeric_limits<double>::quiet_NaN());
        if (!std::isnan(x)) v = x;
        return v;
    };
    for (const char* name : {"--exposure-us", "--exposure"})
        if (auto v = read(name)) s.exposureUs = v;
    for (const char* name : {"--gain-db", "--gain"})
        if (auto v = read(name)) s.gain = v;
    s.frameRate = read("--fps");
    if (auto v = args.value("--pixel-format")) s.pixelFormat = *v;
    if (auto v = args.valueIf("--trigger", isCameraTriggerWord)) s.trigger = *v;
    if (auto v = args.value("--camera-trigger")) s.trigger = *v;
    if (auto v = args.value("--trigger-edge")) s.triggerEdge = *v;
    s.triggerDelayUs = read("--trigger-delay-us");
    try {
        if (s.trigger) s.trigger = camera::normaliseTrigger(*s.trigger);
        if (s.triggerEdge) s.triggerEdge = camera::normaliseTriggerEdge(*s.triggerEdge);
    } catch (const kizu::InvalidArgument& e) {
        throw UsageError{e.what()};
    }
    return s;
}

} // namespace kizu::cli
