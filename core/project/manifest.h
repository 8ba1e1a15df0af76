// Split and label manifests: a CSV with a header naming at least `path` and `split` (and
// optionally `label` and `group`) columns, as BSData's manifest.csv. Images are matched by
// file name, so a manifest written for the original folders applies to imported copies.
#pragma once

#include "core/project/project_store.h"

#include <filesystem>

namespace kizu::project {

struct ManifestReport {
    std::int64_t rows = 0;
    std::int64_t matched = 0;   // rows whose image is in the project
    std::int64_t unmatched = 0; // rows without an image in the project
    std::int64_t labelChanges = 0;
};

// Sets each matched image's split (and label, when the CSV has that column and applyLabels is
// set). Throws FormatError naming the file and line for a malformed CSV.
ManifestReport applyManifest(ProjectStore& store, const std::filesystem::path& csv,
                             bool applyLabels, const std::string& user = {});

// The CG renders of a demo project made without photos (makeDemoProject): there they stand in
// for photos, so that a demo has a test split to compare models on; not synthetic by
// isSyntheticSource.
inline constexpr const char* kSourceDemoCg = "demo-cg";

struct DemoReport {
    std::string source; // "bsdata" or "cg"
    std::int64_t images = 0;
    bool cancelled = false; // stopped early: the project holds only part of the demo
};

// Creates a demo project in dir: the BSData photos when bsdataDir holds them (imported,
// grouped, labeled and split as its manifest says), else 160 labeled CG renders (source
// kSourceDemoCg: standing in for photos, they may be in the test split).
DemoReport makeDemoProject(const std::filesystem::path& dir,
                           const std::filesystem::path& bsdataDir,
                           const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::project
