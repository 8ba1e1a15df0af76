// Training augmentation, OpenCV only: RandAugment equivalent to timm's
// "rand-m9-mstd0.5-inc1" (2 ops per image, magnitude 9 +- 0.5, increasing-severity ops),
// random resized crop and flips. Every random choice comes from an explicit seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::learn {

// timm's _RAND_INCREASING_TRANSFORMS, in timm's order.
enum class AugOp {
    AutoContrast,
    Equalize,
    Invert,
    Rotate,
    PosterizeIncreasing,
    SolarizeIncreasing,
    SolarizeAdd,
    ColorIncreasing,
    ContrastIncreasing,
    BrightnessIncreasing,
    SharpnessIncreasing,
    ShearX,
    ShearY,
    TranslateXRel,
    TranslateYRel,
};

std::string toString(AugOp op);
const std::vector<AugOp>& randAugmentOps();
// True for ops whose strength follows the magnitude (all but AutoContrast, Equalize, Invert).
bool hasMagnitude(AugOp op);

// Applies one op at a magnitude in [0, 10] to a BGR 8-bit image. negate flips the direction
// of signed ops (rotate, shear, translate, enhance). Magnitude 0 returns the image unchanged
// for every op that has a magnitude.
cv::Mat applyOp(const cv::Mat& bgr, AugOp op, double magnitude, bool negate = false);

struct AugmentConfig {
    bool randAugment = true;
    int numOps = 2;
    double magnitude = 9;
    double magnitudeStd = 0.5;
    double opProbability = 0.5; // timm applies each chosen op with probability 0.5
    bool randomResizedCrop = true;
    double cropScaleMin = 0.5; // area fraction; kept high so small defects stay in view
    double cropScaleMax = 1.0;
    double cropRatioMin = 3.0 / 4.0;
    double cropRatioMax = 4.0 / 3.0;
    bool hflip = true;
    bool vflip = true;
    // augmentCanvas only: a random zoom in [zoomMin, zoomMax] times the scale at which the image
    // covers the canvas (log-uniform), then a random crop of the canvas size.
    double zoomMin = 1.0;
    double zoomMax = 1.5;
    // A real NG image without a mask may lose at most this fraction of its width and of its
    // height to a crop (its defect is somewhere unknown); beyond that it is fitted inside the
    // canvas and the rest is padded (BORDER_REFLECT_101).
    double ngSafeCropLoss = 0.06;
};

// The full training augmentation of one image: crop, flips, RandAugment, resize to
// outSize x outSize. The same seed gives the same result.
cv::Mat augment(const cv::Mat& bgr, int outSize, const AugmentConfig& config, std::uint64_t seed);

// Defect-map training (issue 21): images keep their aspect ratio on a fixed canvas.
// The canvas for images of `image` size whose long side becomes longSide: the aspect is kept,
// each side rounded to a multiple of 16 (the networks' stride), at least 32.
cv::Size canvasFor(cv::Size image, int longSide);
// Resizes to canvasFor(image.size(), longSide) (INTER_AREA when shrinking, else INTER_LINEAR).
cv::Mat resizeToCanvas(const cv::Mat& image, int longSide);
// A mask (CV_8U, non-zero = defect) resized to `size` so that a defect of less than a pixel
// still shows: INTER_AREA, then every pixel > 0 becomes 255.
cv::Mat resizeMask(const cv::Mat& mask, cv::Size size);

struct MaskedSample {
    cv::Mat image;          // BGR 8-bit
    cv::Mat mask;           // CV_8U 0/255, the image's size; meaningful only when maskKnown
    bool maskKnown = false; // true: the mask says where the defect is (all 0: nowhere)
    int label = 0;          // kOk (0) or kNg (1), from core/learn/dataset.h
};

// One training sample on a canvas of exactly `canvas` size, from an image of any size and
// aspect, its mask (empty: unknown) and label. The same seed gives the same result.
// - maskKnown = a mask was given, or the label is OK (an OK image is defect-free everywhere).
// - Scale: the image covers the canvas, times a log-uniform zoom in [zoomMin, zoomMax] when
//   randomResizedCrop; then a random crop of the canvas size. A given mask's defect stays
//   inside the crop whenever it fits (else the crop is centred on it).
// - A real NG without a mask (its defect is somewhere unknown): no zoom, a crop that loses at
//   most ngSafeCropLoss of a side, else fitted inside the canvas and padded (BORDER_REFLECT_101);
//   no geometric RandAugment op (a translate could push the defect out).
// - Flips and RandAugment as augment() draws them; geometric ops move the mask with the image.
// - An NG with a mask comes out NG iff its output mask has a defect pixel left, else OK.
// - The output mask is all zero (not to be trusted) when !maskKnown.
// Throws InvalidArgument for an image that is not 8-bit, a mask that is not CV_8U of the
// image's size, a canvas under 16x16 or a label other than kOk/kNg.
MaskedSample augmentCanvas(const cv::Mat& bgr, const cv::Mat& mask, int label, cv::Size canvas,
                           const AugmentConfig& config, std::uint64_t seed);

// Deterministic 64-bit mixing of seeds and indices (splitmix64), shared by trainer and sampler.
std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b);

} // namespace kizu::learn
