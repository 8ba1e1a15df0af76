// Deep models and the classical baseline judged side by side on the same images: per-method
// scores (cached per method and dataset hash under <project>/cache/eval/), metrics at any
// threshold, and the images where the methods err or disagree. Shared by the Compare page and
// `kizu-cli compare`. No torch in this header.
#pragma once

#include "core/baseline/baseline.h"
#include "core/common/progress.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/dataset.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kizu::learn {

// The scores one method gave to every image of a test set, in the test set's order.
struct MethodScores {
    std::string id;   // model file sha256, or "baseline:<hash of the parameters>"
    std::string name; // for people: "resnet18 @224 (m.kizumodel)", "baseline"
    std::string kind; // "model" or "baseline"
    std::string file; // the model file (empty for the baseline)
    std::string dataHash; // the scored images: imagesHash(), labels left out
    double threshold = 0.5; // the method's own operating point (training threshold / rules)
    double msPerImage = 0;  // wall time of scoring, including decoding
    std::vector<float> scores;
    bool fromCache = false;
    bool cancelled = false;
};

// Identifies a method for the cache: the model file's sha256, or the baseline parameters'.
std::string modelMethodId(const std::filesystem::path& modelFile);
std::string baselineMethodId(const baseline::BaselineParams& params);

// Scores every image with a model file (loaded here). Unreadable images throw, naming them.
MethodScores scoreModel(const std::filesystem::path& modelFile,
                        const std::vector<LabeledPath>& items, const std::string& dataHash,
                        const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);
// Scores every image with the baseline; the score is its blob margin, NG at scoreThreshold.
// An unreadable image throws, naming it (the same rule as for models, so rows stay aligned).
MethodScores scoreBaseline(const baseline::BaselineParams& params,
                           const std::vector<LabeledPath>& items, const std::string& dataHash,
                           const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

// The cache file of (method id, dataset hash) in cacheDir.
std::filesystem::path cacheFile(const std::filesystem::path& cacheDir, const std::string& methodId,
                                const std::string& dataHash);
// The cached scores when present and matching the items (same paths, same count); nullopt
// otherwise (a damaged cache file counts as absent: it is recomputed, not fatal).
std::optional<MethodScores> loadCachedScores(const std::filesystem::path& cacheDir,
                                             const std::string& methodId,
                                             const std::string& dataHash,
                                             const std::vector<LabeledPath>& items);
// Written atomically. Cancelled scores are never written.
void saveCachedScores(const std::filesystem::path& cacheDir, const MethodScores& scores,
                      const std::vector<LabeledPath>& items);

// The summary row of one method at a threshold.
struct MethodMetrics {
    Metrics metrics; // includes the ROC curve and AUC (threshold-free)
    double f1 = 0;   // of the NG class
};
MethodMetrics metricsAt(const MethodScores& scores, const std::vector<int>& labels,
                        double threshold);
double f1Score(const Metrics& m);
// The ROC point of a threshold (what the operating point on the chart shows).
RocPoint operatingPoint(const Metrics& m);

// One image of the test set as the methods see it.
struct ImageVerdicts {
    std::size_t index = 0; // into the test set
    int label = kOk;
    std::vector<int> predicted; // per method
    int wrong = 0;              // how many methods err on it
    bool disagree = false;      // the methods do not all say the same
    double worst = 0; // the largest distance, in threshold units, of a wrong score from its
                      // threshold: how confidently the worst method erred (for sorting)
};
// Per image, for methods at their thresholds; in test-set order.
std::vector<ImageVerdicts> imageVerdicts(const std::vector<MethodScores>& methods,
                                         const std::vector<double>& thresholds,
                                         const std::vector<int>& labels);

enum class ErrorFilter { ErrorsOrDisagreements, Errors, Disagreements, AllWrong, All };
// Filters (optionally to images some method errs on: method >= 0) and sorts worst first.
std::vector<ImageVerdicts> filterVerdicts(const std::vector<ImageVerdicts>& all, ErrorFilter filter,
                                          int method = -1);

// An image as the error browser and the report show it: the baseline's blobs (outlines;
// the deciding blob's rectangle in red) when params is given, and the model's class-activation
// heatmap of NG blended in (warm = where it sees NG) when model is given. BGR 8-bit.
cv::Mat annotatedImage(const cv::Mat& bgr, const baseline::BaselineParams* params,
                       const Model* model, double heatAlpha = 0.45);

} // namespace kizu::learn
