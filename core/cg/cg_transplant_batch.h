// Batches of CG defect transplants onto real OK photos (issue 20): the one home of
// `kizu-cli cg transplant` and of CG Studio's "On your photos" strip. Files, resuming and
// sharding as in a CG batch (cg_batch.h): OUT/ng/tp_000123.png, OUT/masks/ng/tp_000123.png and
// the sidecar OUT/ng/tp_000123.json, written last; byte-identical for the same photos, seed,
// parameters and options. Into a project: imported labelled NG as source "transplant".
#pragma once

#include "core/cg/cg_batch.h"
#include "core/cg/cg_params.h"
#include "core/cg/cg_transplant.h"
#include "core/common/progress.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::project {
class ProjectStore;
}

namespace kizu::cg {

// The project source of transplanted images (CG renders are "cg").
inline constexpr const char* kTransplantSource = "transplant";
// File stems of a transplant batch: "tp_000123".
inline constexpr const char* kTransplantPrefix = "tp_";

// A photo that transplants land on.
struct TransplantPhoto {
    std::filesystem::path path; // the file to read
    std::string name;           // for people: the name in the folder, or the original file name
    std::string sha256;         // of the file's bytes
    std::int64_t imageId = 0;   // the project's image id; 0 for a folder's photo
    std::string group;          // the project's group of the photo (may be empty)
};

// A folder's OK photos: DIR/ok/ when it exists, else the images directly in DIR; sorted by
// name. IoError saying so when the folder is missing or holds no images.
std::vector<TransplantPhoto> folderOkPhotos(const std::filesystem::path& dir);

// A project's real OK photos, by id: label OK, not synthetic (source "cg" or "transplant"), and
// not in the test split (a transplant of a test photo in training would leak the test photo).
// The list may be empty.
std::vector<TransplantPhoto> projectOkPhotos(const project::ProjectStore& store);

// The transplant options a project asks for, starting from `base` (the caller's overrides).
// The one place where the project's settings become TransplantOptions: its photo scale
// (project::projectPxPerMm) and its region of interest (roi).
TransplantOptions projectTransplantOptions(const project::ProjectStore& store,
                                           TransplantOptions base = {});

// Which photo transplant i goes on: photos[order[i % order.size()]], order being a seeded
// permutation of 0..photoCount-1, so every photo is used once before any is used twice.
std::vector<std::size_t> transplantPhotoOrder(std::uint64_t seed, std::size_t photoCount);

// Reads a photo for a transplant (8-bit BGR; large photos are not scaled).
cv::Mat readTransplantPhoto(const TransplantPhoto& photo);

// A photo read and measured, ready for transplants.
struct AnalysedPhoto {
    TransplantPhoto photo;
    cv::Mat image;
    PhotoAnalysis analysis;
};

// The photos of transplants 0..n-1 of a batch with this seed, read and measured (in parallel,
// each distinct photo once): a preview of the batch's first n transplants. Empty when
// cancelled; throws as generateTransplantBatch does for a photo that cannot be read.
std::vector<AnalysedPhoto> loadFirstTransplantPhotos(const std::vector<TransplantPhoto>& photos,
                                                     std::uint64_t seed, std::size_t n,
                                                     const TransplantOptions& options = {},
                                                     const CancelToken* cancel = nullptr);

// Transplant i of the batch onto photos[i] (as loadFirstTransplantPhotos gives them), in
// parallel: the same pixels as the batch's files tp_00000i. Empty when cancelled.
std::vector<TransplantResult> transplantEach(const std::vector<AnalysedPhoto>& photos,
                                             const CgParams& params, std::uint64_t seed,
                                             const TransplantOptions& options = {},
                                             const CancelToken* cancel = nullptr);

// Writes the missing transplants of this shard into outDir (see the top of this file). The
// sidecar holds "kind": "transplant", the index and seed, the photo (name, path, sha256,
// pixel hash, size, image id), the analysis (grinding angle, px per mm, whether estimated or
// given), the sampled defect ("defect") and the changed region. outDir/cg_transplant.json
// records the settings and the photos; other settings in the same folder throw InvalidArgument.
// InvalidArgument for no photos or a count under 1. Progress stage "transplant".
BatchResult generateTransplantBatch(const std::vector<TransplantPhoto>& photos,
                                    const CgParams& params, std::uint64_t seed, std::int64_t count,
                                    const std::filesystem::path& outDir,
                                    const TransplantOptions& options = {}, Shard shard = {},
                                    const ProgressFn& progress = {},
                                    const CancelToken* cancel = nullptr);

struct ProjectTransplantResult {
    BatchResult render;           // cancelled also when the import was
    std::filesystem::path folder; // PROJECT/cg/transplant_s<seed>_n<count>_<hash>
    int photos = 0;               // OK photos used
    int imported = 0;             // transplants in the project (new or already there)
    int newImages = 0;            // of imported: stored by this run
    int groups = 0;               // groups of the transplants and their photos (see below)
};

// The folder of a transplant batch inside the project; the same settings and photos always
// give the same folder, so a cancelled run resumes there.
std::filesystem::path projectTransplantFolder(const std::filesystem::path& projectDir,
                                              const std::vector<TransplantPhoto>& photos,
                                              const CgParams& params, std::uint64_t seed,
                                              std::int64_t count, const TransplantOptions& options);

// Transplants onto the project's OK photos (projectOkPhotos), then imports them labelled NG,
// source "transplant", with no split, in the group of their source photo: the photo's own
// group, or when it has none a new one, "transplant-" and the first 12 hex digits of the
// photo's SHA-256, that the photo joins too (so no split separates them). Opens its own
// connection. InvalidArgument when the project has no OK photos to use. Progress stages
// "transplant", then "import"; cancelled during the transplants, nothing is imported.
ProjectTransplantResult generateTransplantsIntoProject(const std::filesystem::path& projectDir,
                                                       const CgParams& params, std::uint64_t seed,
                                                       std::int64_t count,
                                                       const TransplantOptions& options = {},
                                                       const ProgressFn& progress = {},
                                                       const CancelToken* cancel = nullptr);

// Draws the outline of the mask's non-zero region on a copy of the image (8-bit grey or BGR),
// in red (grey images become BGR), `thickness` px wide.
cv::Mat drawMaskOutline(const cv::Mat& image, const cv::Mat& mask, int thickness = 1);

// A contact sheet of photos and their transplants: one column per pair, rows "Photo",
// "Transplant", "Transplant + mask". Each cell is cellWidth wide and as high as the tallest
// photo's aspect needs; images are scaled to fit and centred. BGR.
cv::Mat transplantSheet(const std::vector<cv::Mat>& photos,
                        const std::vector<TransplantResult>& transplants, int cellWidth = 320);
// The size transplantSheet gives for these photos.
cv::Size transplantSheetSize(const std::vector<cv::Mat>& photos, int cellWidth = 320);

} // namespace kizu::cg
