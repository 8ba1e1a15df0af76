// The classical baseline every model is judged against: Difference of Gaussians, threshold,
// connected-component labeling and per-blob rules (after the pipeline of the BSData study).
// All lengths and areas in the parameters and results are in full-resolution image pixels.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace kizu::baseline {

enum class Channel { Gray, Blue, Green, Red };
enum class ThresholdMode { Fixed, Otsu, Adaptive };
enum class Polarity { Dark, Bright, Both };

std::string toString(Channel c);       // "gray", "blue", "green", "red"
std::string toString(ThresholdMode m); // "fixed", "otsu", "adaptive"
std::string toString(Polarity p);      // "dark", "bright", "both"
// Throw InvalidArgument naming the field and the accepted values.
Channel channelFromString(const std::string& s);
ThresholdMode thresholdModeFromString(const std::string& s);
Polarity polarityFromString(const std::string& s);

struct BaselineParams {
    // --- image stage ---
    double scale = 0.5; // processing scale (0 < scale <= 1); the image is resized first
    Channel channel = Channel::Gray; // which plane the pipeline looks at
    double flattenSigma = 40.0; // background flattening: divide by a blur of this sigma; 0 = off
    double sigma1 = 1.5;        // DoG inner sigma (px); response = G(sigma1) - G(sigma2)
    double sigma2 = 6.0;        // DoG outer sigma (px), > sigma1
    ThresholdMode thresholdMode = ThresholdMode::Fixed;
    Polarity polarity = Polarity::Dark; // dark defects (pits) give a positive "dark" response
    double threshold = 15.0;     // fixed level on the response (grey levels, on a mean of 128);
                                 // also the floor under the Otsu and adaptive levels
    double adaptiveK = 4.0;      // adaptive: level = K x local RMS of the response
    double adaptiveBlock = 61.0; // adaptive: side of the local window (px)
    int openRadius = 0;          // morphological opening radius (px at processing scale); 0 = off
    int closeRadius = 1;         // morphological closing radius (px at processing scale); 0 = off
    // --- blob rules: a blob is a defect when it passes every active limit ---
    double minArea = 60.0;      // px^2
    double maxArea = 0.0;       // px^2; 0 = no upper limit
    double minLength = 0.0;     // long side of the minimum-area rectangle (px); 0 = off
    double minElongation = 1.0; // length / width, >= 1
    double maxElongation = 0.0; // 0 = no upper limit
    double minContrast = 22.0;  // mean response inside the blob (grey levels); 0 = off
    double grindingAngle =
        0.0;               // direction of the grinding marks in the image (deg, 0 = horizontal)
    double minAngle = 0.0; // elongated blobs closer than this to the grinding direction
                           // are grinding marks, not defects (deg, 0..90; 0 = off)
    double angleElongation = 2.0; // minAngle applies to blobs at least this elongated
    double marginX = 0.03;        // ignore blobs centred within this fraction of the width
    double marginY = 0.0;         // ... and of the height, from the image border
    double scoreThreshold = 1.0;  // NG when the score reaches this (1 = exactly the limits)

    // Throws InvalidArgument naming the first bad field.
    void validate() const;
    nlohmann::json toJson() const;
    // Missing keys keep their defaults; unknown keys, wrong types and bad values throw
    // InvalidArgument naming the field.
    static BaselineParams fromJson(const nlohmann::json& j);
    static BaselineParams load(const std::string& file); // IoError / FormatError / InvalidArgument
    void save(const std::string& file) const;            // atomic write
    bool operator==(const BaselineParams&) const = default;
};

// What the GUI and the docs need to show one parameter: JSON key, range and help line.
struct ParamSpec {
    enum class Kind { Number, Integer, Choice };
    std::string key;
    std::string label;
    Kind kind = Kind::Number;
    double min = 0, max = 1, step = 0.1;
    int decimals = 2;
    std::vector<std::string> choices; // for Choice
    std::string help;
    bool imageStage = true; // false: a blob rule (cheap to change, no reprocessing)
};
const std::vector<ParamSpec>& paramSpecs();

struct Blob {
    int label = 0;         // component label in the mask
    double area = 0;       // px^2
    double length = 0;     // long side of the minimum-area rectangle, px
    double width = 0;      // short side, px
    double elongation = 1; // length / width
    double angle = 0;      // long axis relative to the grinding direction, deg in (-90, 90]
    double contrast = 0;   // mean response inside the blob
    double peak = 0;       // strongest response inside the blob
    cv::Point2d centroid;  // px
    cv::RotatedRect rect;  // minimum-area rectangle, px
    cv::Rect box;          // bounding box at processing scale (in BaselineResult::labels)
    double margin = 0;     // min over active limits of value/limit: >= 1 passes all limits
    bool ignored = false;  // inside the border margin or a grinding mark
    bool defect = false;   // margin >= scoreThreshold and not ignored
};

struct BaselineResult {
    bool ng = false;
    double score = 0;       // max blob margin, 0 without blobs; NG when >= scoreThreshold
    int decidingBlob = -1;  // index into blobs of the blob with the highest margin, -1 if none
    int componentCount = 0; // components before the per-image cap on analysed blobs
    std::vector<Blob> blobs;
    // Only with keepImages: at processing scale. dog: CV_32F signed response; response: CV_32F
    // response after polarity; mask: CV_8U binary (255 = foreground); labels: CV_32S.
    cv::Mat dog, response, mask, labels;
    double processScale = 1; // processing size / original size
    cv::Size imageSize;      // original size
};

// Blob features of one image for a given image stage; the rules are applied separately so
// that a tuner can try many rules on one set of features.
struct BlobFeatures {
    std::vector<Blob> blobs;
    int componentCount = 0;
    cv::Size imageSize;
};

// Runs the whole pipeline on an 8-bit BGR (or grey) image. Throws InvalidArgument on bad
// params or an empty image.
BaselineResult runBaseline(const cv::Mat& image, const BaselineParams& params,
                           bool keepImages = false);

// The image stage only: resize, flatten, DoG, threshold, morphology, labeling, features.
// `image` may be pre-resized: `preScaled` says by how much it already was (1 = original).
BlobFeatures extractBlobs(const cv::Mat& image, const BaselineParams& params,
                          double preScaled = 1.0, BaselineResult* keep = nullptr);
// The rule stage: fills margin/ignored/defect per blob and returns score, verdict and the
// deciding blob. Cheap.
void applyRules(std::vector<Blob>& blobs, cv::Size imageSize, const BaselineParams& params,
                BaselineResult& out);
double scoreBlobs(const std::vector<Blob>& blobs, cv::Size imageSize, const BaselineParams& params);

// A BGR picture for people: the image with optional overlays of the response (heat map),
// the mask (tint), blob outlines (defects green, ignored grey) and the deciding blob's
// rectangle in red. result must come from runBaseline(..., keepImages=true).
struct OverlayOptions {
    bool response = false;
    bool mask = true;
    bool blobs = true;
    double alpha = 0.5;
};
cv::Mat renderOverlay(const cv::Mat& image, const BaselineResult& result,
                      const OverlayOptions& options = {});

} // namespace kizu::baseline
