// The files of a batch on disk, shared by CG batches and transplant batches: quick atomic
// writes, the sidecar that makes an image count as complete, stale temp files of a killed run,
// and the manifest that refuses to mix settings in one folder. Internal to core/cg.
#pragma once

#include "core/cg/cg_batch.h"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace kizu::cg::detail {

// Temp file + rename, without fsync (see cg_batch.cpp).
void writeQuick(const std::filesystem::path& target, const std::string& bytes);

struct BatchPaths {
    std::filesystem::path image, mask, sidecar;
};

// An image counts as complete when its sidecar exists and records the sizes the image and the
// mask have on disk.
bool isComplete(const BatchPaths& paths);

// Removes the temp files (".<prefix>000123.png.tmp<pid>_<n>") of this shard's indices that a
// killed run left in dir.
void removeStaleTemps(const std::filesystem::path& dir, Shard shard, const std::string& prefix);

// Writes outDir/fileName with the manifest, or checks that the one there is equal; throws
// InvalidArgument naming `what` when it differs, FormatError when it is damaged.
void checkManifest(const std::filesystem::path& outDir, const std::string& fileName,
                   const nlohmann::json& manifest, const std::string& what);

// Creates outDir/sub for each sub; IoError when it cannot.
void makeFolders(const std::filesystem::path& outDir, std::initializer_list<const char*> subs);

} // namespace kizu::cg::detail
