// The baseline's tuner: a seeded random search with local refinement over the image stage
// (DoG, threshold, morphology) and, for each image stage tried, many blob rules, maximising
// balanced accuracy on labeled training images with the score threshold chosen there too.
#pragma once

#include "core/baseline/baseline.h"
#include "core/baseline/baseline_eval.h"
#include "core/common/progress.h"

#include <cstdint>
#include <vector>

namespace kizu::baseline {

struct TuneOptions {
    std::uint64_t seed = 1;
    int trials = 60;          // image-stage candidates; 0 = until the budget runs out
    double budgetSeconds = 0; // wall-clock limit; 0 = none (then trials must be > 0)
    int rulesPerTrial = 400;  // blob rules tried on each image stage's features
    BaselineParams start;     // evaluated first; its scale and grinding angle are kept
};

struct TuneReport {
    BaselineParams best;
    Metrics train;  // of best on the training images
    Metrics start;  // of TuneOptions::start, as given, on the training images
    int trials = 0; // image-stage candidates evaluated
    int rulesTried = 0;
    bool cancelled = false; // best is the best found so far
    bool budgetReached = false;
    double seconds = 0;
    std::vector<double> history; // best balanced accuracy after each trial
};

// Images already in memory (8-bit BGR or grey), resized by preScaled (1 = original size).
// Deterministic for a given seed and trial count (without a budget).
TuneReport tuneBaseline(const std::vector<cv::Mat>& images, const std::vector<bool>& ng,
                        const TuneOptions& options, double preScaled = 1.0,
                        const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

// Decodes the images once at the start parameters' scale, then tunes. Unreadable images throw.
TuneReport tuneBaseline(const std::vector<LabeledImage>& images, const TuneOptions& options,
                        const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::baseline
