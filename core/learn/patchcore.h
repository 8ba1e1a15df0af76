// Patch-memory anomaly detection (PatchCore, Roth et al. 2022) for the day a line has OK parts
// and no NG part yet: a frozen trunk's mid-level features, averaged over each 3 x 3
// neighbourhood, from the OK photos form a memory bank (thinned by greedy coreset selection);
// a new photo's anomaly map is each patch's distance to its nearest remembered patch, its score
// the map's maximum. The result is an ordinary Model of head "anomaly", so the inspection
// pipeline, Compare and the CLI use it like any other.
#pragma once

#include "core/common/progress.h"
#include "core/learn/dataset.h"
#include "core/learn/model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::learn {

struct PatchCoreConfig {
    std::string arch = "squeezenet1_1";
    // The frozen trunk: "imagenet:FILE", "cg:FILE" (a CG classifier or defect-map model) or a
    // Kizu model file. "scratch" is allowed for tests only: random features are poor.
    std::string init;
    int inputSize = 320;   // the long side with keepAspect, else the square side
    bool keepAspect = true;
    // Share of all OK patches the memory keeps (greedy k-centre coreset); 1 keeps them all.
    double coresetFraction = 0.25;
    // At most this many patches (0: no limit): the live cost grows with the memory, and beyond
    // about 30 photos a tenth of the patches measured as well as a quarter.
    std::int64_t maxMemory = 4096;
    int coresetProjection = 128; // random projection used while choosing the coreset
    // Threshold: the share of OK photos the model may reject, estimated leave-one-out on the
    // OK photos (each scored against the memory without its own patches).
    double falseRejectRate = 0.01;
    // How the OK scores give the distance at that rate: "quantile" (at most floor(rate * n)
    // photos above it: with under 100 photos, just above the highest), "normal" (mean + z * sd
    // of a normal fit) or "max" (the larger of the two).
    std::string okRule = "quantile";
    // With NG photos too: choose the threshold that maximises balanced accuracy on the
    // leave-one-out OK scores and the NG scores (ties: the middle of the best range).
    bool refineWithNg = true;
    std::uint64_t seed = 0;
    std::string device = "cpu";
};

std::string toJson(const PatchCoreConfig& config);

struct PatchCoreFit {
    std::optional<Model> model; // set unless cancelled
    bool cancelled = false;
    std::int64_t okImages = 0, ngImages = 0;
    std::int64_t patches = 0;  // OK patches seen
    std::int64_t bankSize = 0; // kept in the memory
    int featureDim = 0;
    std::vector<float> okScores; // leave-one-out scores of the OK photos (the model's scale)
    std::vector<float> ngScores; // of the NG photos given, if any
    double seconds = 0;
};

// Fits on OK photos (BGR, any size; at least two: one to remember while another sets the
// threshold) and optional NG photos (only to refine the threshold). Throws InvalidArgument with
// what to do when there are fewer than two OK photos or the options are out of range.
PatchCoreFit fitPatchCore(const PatchCoreConfig& config, const std::vector<cv::Mat>& ok,
                          const std::vector<cv::Mat>& ng = {}, const ProgressFn& progress = {},
                          const CancelToken* cancel = nullptr);
// The same from labeled files (decoded at the model's input; NG ones are left out when okOnly).
PatchCoreFit fitPatchCore(const PatchCoreConfig& config, const std::vector<LabeledPath>& items,
                          bool okOnly, const ProgressFn& progress = {},
                          const CancelToken* cancel = nullptr);

// An anomaly model's memory: [patches, feature dimension] as floats, row-major (for tests and
// the model list).
struct MemoryBank {
    std::int64_t rows = 0;
    int dim = 0;
    std::vector<float> values;
};
MemoryBank memoryBank(const Model& model);

} // namespace kizu::learn
