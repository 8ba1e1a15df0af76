// Few-shot training of a Model: SGD with momentum, warm-up + cosine learning rate, label
// smoothing, balanced OK/NG sampling, seeded augmentation, atomic checkpoints and resume.
// Synchronous: reports progress through a callback and stops between steps when cancelled.
#pragma once

#include "core/common/progress.h"
#include "core/learn/augment.h"
#include "core/learn/dataset.h"
#include "core/learn/model.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kizu::learn {

struct TrainConfig {
    std::string arch = "squeezenet1_1";
    int inputSize = 224;
    std::string init = "scratch"; // see Model::create
    std::int64_t steps = 0;       // the budget: steps, or else epochs (passes over the data)
    double epochs = 0;
    int batch = 16;
    double lr = 0; // 0: 0.4 * batch / 1024 (the study's rule)
    double momentum = 0.9;
    double weightDecay = 2e-5;
    double labelSmoothing = 0.1;
    std::int64_t warmupSteps = -1; // -1: 5% of the steps
    bool balanced = true;          // half OK, half NG in every batch
    std::uint64_t seed = 0;
    AugmentConfig augment;
    int threads = 0;                       // 0: all cores
    std::string device = "cpu";            // or "cuda"
    std::filesystem::path checkpoint;      // empty: no checkpoints
    std::int64_t checkpointEverySteps = 0; // 0: only by time
    double checkpointEverySeconds = 60;
    bool resume = false;                 // continue from `checkpoint` when it exists
    bool chooseThreshold = true;         // pick the NG threshold on the (unaugmented) training data
    std::int64_t thresholdSamples = 512; // samples used for that from an endless source
    // For a validation curve: called on the training thread after every validateEverySteps
    // steps and after the last one, with the model as it stands (scored in inference mode; the
    // NG threshold is not chosen yet). Training goes on when it returns; an exception it throws
    // ends the run. Neither is part of the configuration's JSON (a resume may change them).
    std::int64_t validateEverySteps = 0;
    std::function<void(const Model& model, std::int64_t step)> validate;
};

std::string toJson(const TrainConfig& config);

struct TrainProgress {
    std::int64_t step = 0; // steps done
    std::int64_t totalSteps = 0;
    double loss = 0;            // of the last step
    double lr = 0;              // of the last step
    double imagesPerSecond = 0; // over the run so far (this session)
    std::string stage;          // "train", "threshold"
};
using TrainProgressFn = std::function<void(const TrainProgress&)>;

struct TrainResult {
    std::optional<Model> model; // set unless an error was thrown
    bool cancelled = false;
    std::int64_t steps = 0;            // total steps done, including resumed ones
    std::int64_t resumedFromStep = -1; // -1 when not resumed
    double finalLoss = 0;
    double imagesPerSecond = 0;
    double seconds = 0;
    std::string trainMetrics; // JSON of metrics on the training data at the chosen threshold
};

// Total steps that config's budget means for a source of dataSize images (0: endless).
std::int64_t plannedSteps(const TrainConfig& config, std::int64_t dataSize);
// The learning rate at a step (0-based) of totalSteps.
double learningRate(const TrainConfig& config, std::int64_t step, std::int64_t totalSteps);

// Trains. Data loading and augmentation of the next batch overlap the current step on one
// helper thread owned by this call (an implementation detail of data loading; it ends before
// train() returns). A cancelled run writes its checkpoint (when one is configured) and returns
// with cancelled set. Throws InvalidArgument, IoError, FormatError.
TrainResult train(const TrainConfig& config, SampleSource& data,
                  const TrainProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::learn
