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
#include <vector>

namespace kizu::learn {

// CG defects transplanted onto the OK training photos (issue 20, cg::transplantDefect): a share
// of every batch is made of transplants, rendered on the data-loading thread while the
// previous step trains (no files), each from (the photo, seed, index) alone. With transplants
// on, the NG threshold is chosen on held-out data (see chooseThreshold in TrainConfig).
struct TransplantConfig {
    double ratio = 0;         // of each batch, in [0, 1); 0: off (defaultRoute().transplantRatio)
    std::string params;       // a CG preset name or a parameters file; empty: the default preset
    double defectScale = 1.0; // cg::TransplantOptions::defectScale
    double pxPerMm = 0;       // the photos' scale (of the images as the trainer holds them);
                              // 0: estimated from each photo's grinding marks
    bool enabled() const { return ratio > 0; }
};

// Transplant indices at or above this are never used in training; the held-out threshold set
// takes its transplants from there.
inline constexpr std::uint64_t kHeldOutTransplantBase = std::uint64_t(1) << 63;

struct TrainConfig {
    std::string arch = "squeezenet1_1";
    int inputSize = 224; // the square side, or with keepAspect the long side
    // "classifier" or "defect_map" (ModelInfo::head). A defect-map network is trained on a
    // canvas of the data's aspect (keepAspect) with augmentCanvas, which keeps defects in view.
    std::string head = "classifier";
    bool keepAspect = false;
    // Defect-map networks: the pixel loss (BCE + Dice) against the masks where they are known
    // (CG renders, transplants; an OK photo is defect-free everywhere), and for an NG photo
    // without a mask a loss on the map's maximum. Off: the image loss alone (for ablations).
    bool masks = true;
    double pixelLossWeight = 1.0;
    // Defect-map networks: the gradient's global norm is clipped to this (0: off). Without it,
    // ImageNet features on real photos blew the loss up within 3 steps at the default rate.
    double gradClipNorm = 2.0;
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
    bool resume = false; // continue from `checkpoint` when it exists
    // Pick the NG threshold after training, maximising balanced accuracy. Without transplants:
    // on the (unaugmented) training data, ties nearest 0.5. With transplants: on held-out data
    // the network was not fitted to: every OK training photo under fresh augmentations, held-out
    // transplants (indices from kHeldOutTransplantBase) onto them, and the real NG photos; ties
    // take the midpoint of the best range. ModelInfo::thresholdRule records which rule was used.
    bool chooseThreshold = true;
    std::int64_t thresholdSamples = 512; // samples used for that from an endless source
    TransplantConfig transplant;
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
    std::string trainMetrics; // JSON of metrics on the threshold's images at the chosen threshold
    std::int64_t transplantImages = 0; // transplanted NG images trained on (this session)
};

// The size the trainer's source should hold images at (FileSource's cacheSize): room for the
// crops (a classifier's random-resized crop, a defect-map network's zoom) above the input size.
int trainCacheSize(const TrainConfig& config);

// Total steps that config's budget means for a source of dataSize images (0: endless).
std::int64_t plannedSteps(const TrainConfig& config, std::int64_t dataSize);
// The learning rate at a step (0-based) of totalSteps.
double learningRate(const TrainConfig& config, std::int64_t step, std::int64_t totalSteps);

// The slots of one training batch: which source image fills each slot, or which OK photo
// receives which transplant, and the seed of its augmentation. The first slots follow the
// usual (balanced) sampling, the last ones are transplants: floor(ratio * batch * (step + 1))
// - floor(ratio * batch * step) of them, so every batch holds its share (rounded down or up)
// and the run as a whole exactly `ratio`. A function of (config, labels, step) only.
struct BatchSlot {
    bool transplant = false;
    std::int64_t sourceIndex = 0;      // the image, or for a transplant the OK photo
    std::uint64_t transplantIndex = 0; // cg::transplantDefect's index (a counter from 0)
    std::uint64_t augmentSeed = 0;
};
std::vector<BatchSlot> batchSlots(const TrainConfig& config, const SampleSource& data,
                                  std::int64_t step);

// One batch as the trainer builds it (augmented, at the input size, BGR 8-bit), with the
// labels and which slots are transplants: for tests and for showing what the network sees.
struct TrainingBatch {
    std::vector<cv::Mat> images;
    std::vector<int> labels;
    std::vector<bool> transplanted;
    // Defect-map training only (else empty): each image's mask (CV_8U 0/255, its size) and
    // whether it is known.
    std::vector<cv::Mat> masks;
    std::vector<bool> maskKnown;
};
TrainingBatch trainingBatch(const TrainConfig& config, SampleSource& data, std::int64_t step);

// The threshold rule with transplants: the threshold of best balanced accuracy, ties broken by
// the midpoint of the best thresholds (0.5 when a class is missing).
double chooseThresholdMidpoint(const std::vector<float>& scores, const std::vector<int>& labels);

// Trains. Data loading and augmentation of the next batch overlap the current step on one
// helper thread owned by this call (an implementation detail of data loading; it ends before
// train() returns). A cancelled run writes its checkpoint (when one is configured) and returns
// with cancelled set. Throws InvalidArgument, IoError, FormatError.
TrainResult train(const TrainConfig& config, SampleSource& data,
                  const TrainProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::learn
