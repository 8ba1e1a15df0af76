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
    double zoomMin = 1.0;
    double zoomMax = 1.5;
    double ngSafeCropLoss = 0.06;
};

// The full training augmentation of one image: crop, flips, RandAugment, resize to
// outSize x outSize. The same seed gives the same result.
cv::Mat augment(const cv::Mat& bgr, int outSize, const AugmentConfig& config, std::uint64_t seed);

// Defect-map training (issue 21): images keep their aspect ratio on a fixed canvas.
// The canvas for images of `image` size whose long side becomes longSide: the aspect is kept,
// each side rounded to a multiple of 16 (the networks' stride), at least 32.
cv::Size canvasFor(cv::Size image, int longSide);
cv::Mat resizeToCanvas(const cv::Mat& image, int longSide);
cv::Mat resizeMask(const cv::Mat& mask, cv::Size size);
struct MaskedSample {
    cv::Mat image;
    cv::Mat mask;
    bool maskKnown = false;
    int label = 0;
};
MaskedSample augmentCanvas(const cv::Mat& bgr, const cv::Mat& mask, int label, cv::Size canvas,
                           const AugmentConfig& config, std::uint64_t seed);

// Deterministic 64-bit mixing of seeds and indices (splitmix64), shared by trainer and sampler.
std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b);

} // namespace kizu::learn
