// CG defects on real photos (issue 20): a defect is rendered by the CG generator twice, on the
// same flat patch under the same sampled lights, material and camera, once with and once
// without the defect; the ratio of the two in linear light (the defect's shading change:
// grooves and pit walls lit or shadowed, cavities occluded, corroded pits darker) is applied to
// the photo, aligned with the photo's grinding direction and at its scale, with the photo's
// own texture smoothed away where the defect is deep, feathered at the edge and with the
// photo's own noise added back. Output: the new photo and the defect's mask.
//
// A transplant depends only on (the photo's pixels, seed, params, index, options): the same
// inputs give byte-identical images on every run and with any number of threads.
#pragma once

#include "core/cg/cg_params.h"
#include "core/imaging/roi.h"

#include <cstdint>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace kizu::cg {

// Bumped whenever a change alters the pixels of a transplant for the same inputs.
constexpr int kTransplantVersion = 1;

// What the transplant needs to know about a photo; measuring it costs a few milliseconds per
// megapixel, so a caller that uses one photo many times (training) analyses it once.
struct PhotoAnalysis {
    std::uint64_t hash = 0;   // of the pixels (size, type, bytes)
    double grindAngleDeg = 0; // direction of the grinding marks, deg in [0, 180), 0 along +x
    double coherence = 0;     // 0..1, how clearly the marks have one direction
    double markPeriodPx = 0;  // spacing of the marks, px (0 when no period was found)
    double pxPerMm = 0;       // scale used: the override, else the estimate (see estimatePxPerMm)
    bool pxPerMmEstimated = true;
    double noiseSigma = 0;    // the photo's pixel noise, 8-bit grey levels (robust estimate)
};

struct TransplantOptions {
    // Overrides of the estimates (a project setting, or the user's reading of the photo).
    std::optional<double> grindAngleDeg;
    std::optional<double> pxPerMm;
    // Where a defect may land: 8-bit, the photo's size, non-zero = allowed. Empty: the whole
    // photo. A defect never lands outside the photo or outside this region.
    cv::Mat roi;
    // The same as a region in fractions of the width and height (a project's region of
    // interest), for photos of any size; used when `roi` is empty.
    std::shared_ptr<const imaging::Roi> region;
    // Multiplies the defect's size in the photo (1 = physical size at pxPerMm).
    double defectScale = 1.0;
};

// The scale of a photo from its grinding marks: a ground surface's marks are about
// kTypicalMarkPeriodMm apart, so px per mm = markPeriodPx / kTypicalMarkPeriodMm, clamped to
// [kMinPxPerMm, kMaxPxPerMm]. A period over kMaxMarkPeriodPx is not grinding marks (marks that
// far apart would mean a tiny field of view) but larger structure, e.g. a thread's pitch; then,
// as without a measurable period, the photo is taken to show kDefaultFieldOfViewMm across its
// width. The project's px per mm setting overrides the estimate.
constexpr double kTypicalMarkPeriodMm = 0.03;
constexpr double kMaxMarkPeriodPx = 24;
constexpr double kDefaultFieldOfViewMm = 4.0;
constexpr double kMinPxPerMm = 20;
constexpr double kMaxPxPerMm = 2000;
double estimatePxPerMm(double markPeriodPx, int photoWidth);

// Measures a photo (8-bit grey, BGR or BGRA). InvalidArgument for an empty photo, another
// depth or channel count, or an roi of another size.
PhotoAnalysis analyzePhoto(const cv::Mat& photo, const TransplantOptions& options = {});

struct TransplantResult {
    cv::Mat image;          // same size, depth and channels as the photo
    cv::Mat mask;           // CV_8U, photo size: 255 where the defect is visible, 0 elsewhere
    cv::Rect region;        // the pixels that may differ from the photo (feathered edge included)
    nlohmann::json sampled; // kinds, sizes, position, lights, material, scale used
};

// One transplant. `params` chooses the defect kinds by their probabilities and their sizes,
// and the lights and material of the shading change (its camera is replaced: a straight view
// at the photo's scale). `analysis` must be analyzePhoto(photo, options) (pass it to avoid
// measuring again; std::nullopt measures here). When the photo (or region) is smaller than the
// defect, the defect is made smaller; a photo under 8x8 px, or a region with no room for even
// a small defect, throws InvalidArgument saying so.
TransplantResult transplantDefect(const cv::Mat& photo, const CgParams& params,
                                  std::uint64_t seed, std::uint64_t index,
                                  const TransplantOptions& options = {},
                                  const std::optional<PhotoAnalysis>& analysis = std::nullopt);

} // namespace kizu::cg
