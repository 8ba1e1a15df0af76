// The CG presets of resources/presets/*.json, compiled in by core/CMakeLists.txt so that an
// installed binary needs no data path. Internal to core/cg.
#pragma once

#include <cstddef>

namespace kizu::cg::detail {

struct EmbeddedPreset {
    const char* name; // file name without .json
    const char* json;
};

extern const EmbeddedPreset kEmbeddedPresets[];
extern const std::size_t kEmbeddedPresetCount;

} // namespace kizu::cg::detail
