// A training run in a project, as the Train page and `kizu-cli train --project` make it: the
// images it learns from (the train split, or N shots per class drawn with a seed), a held-out
// validation set for the live curve, the test split it is measured on, and the model record it
// leaves behind. An unfinished run is kept in the project so that it can be resumed after the
// application was closed or killed. Also the model list's actions shared by GUI and CLI.
#pragma once

#include "core/baseline/baseline.h"
#include "core/common/progress.h"
#include "core/learn/defaults.h"
#include "core/learn/patchcore.h"
#include "core/learn/trainer.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kizu::project {
class ProjectStore;
}

namespace kizu::learn {

// What the operator asked for. threads, checkpoint, resume and validate of config are set by
// runProjectTraining.
struct RunSpec {
    TrainConfig config;
    int shots = 0;    // images per class drawn from the train split with config.seed; 0: all
    std::string name; // the model's name; empty: the run's file name (run-N)
    int validationPerClass = 32; // held-out images per class for the validation curve (0: none)
    int validationPoints = 10;   // validations over the run
    std::int64_t checkpointEverySteps = 0; // 0: about every tenth of the run
};

nlohmann::json toJson(const RunSpec& spec);
// Throws FormatError when j is not a run specification.
RunSpec runSpecFromJson(const nlohmann::json& j);
// The inverse of toJson(TrainConfig) (trainer.h): the same JSON gives the same configuration.
TrainConfig trainConfigFromJson(const nlohmann::json& j);

// Mixed into the seed for drawing the validation images, so they differ from the shots' draw.
inline constexpr std::uint64_t kValidationSalt = 0x7A11D;

struct RunData {
    std::vector<LabeledPath> train, validation, test;
    std::string validationSource; // "held-out train images", "test split", or "" (none)
};
// The run's images from the project's splits. Validation: train-split images the shots left
// out, else (the whole split trains) the test split, at most validationPerClass per class,
// drawn with the seed; it only draws the curve, nothing is chosen on it. Throws
// InvalidArgument when the train split is empty or lacks a class.
RunData prepareRunData(const std::filesystem::path& projectDir, const RunSpec& spec);

struct ValidationPoint {
    std::int64_t step = 0;
    double accuracy = 0; // at threshold 0.5 (the final threshold is chosen after training)
    double balancedAccuracy = 0;
    double auc = 0.5;
};

// The curves kept with a model: loss and learning rate per step, validation points.
struct Curves {
    std::vector<std::int64_t> steps;
    std::vector<double> loss, lr;
    std::vector<ValidationPoint> validation;
    void add(const TrainProgress& p);
    // Drops everything after step (what a run resumed from that step will redo).
    void truncate(std::int64_t step);
    nlohmann::json toJson() const;
    static Curves fromJson(const nlohmann::json& j); // lenient: missing parts stay empty
};

// An unfinished run, kept in project meta kPendingRunKey while it trains.
struct PendingRun {
    RunSpec spec;
    std::string file;           // the model file to write, relative to the project folder
    std::string checkpoint;     // relative
    std::string curves;         // relative
    std::int64_t startedAt = 0; // unix ms
};
inline constexpr const char* kPendingRunKey = "train_in_progress";

std::optional<PendingRun> pendingRun(const project::ProjectStore& store);
// Steps done according to the pending run's checkpoint (0 when none was written yet), and the
// curves saved so far.
std::int64_t pendingRunSteps(const project::ProjectStore& store, const PendingRun& run);
Curves pendingRunCurves(const project::ProjectStore& store, const PendingRun& run);
// Forgets the pending run and removes its checkpoint and curves.
void discardPendingRun(project::ProjectStore& store);

struct RunCallbacks {
    TrainProgressFn progress; // every step, on the calling thread
    std::function<void(const ValidationPoint&)> validation;
    ProgressFn stage; // "prepare" (decoding validation images), "test" (measuring the test split)
};

struct RunOutcome {
    bool cancelled = false; // the run stays pending and can be resumed
    std::int64_t modelId = 0;
    std::filesystem::path file;
    std::string name;
    TrainResult result;
    Curves curves;
    nlohmann::json metrics; // {"train": ..., "test": ..., "assessment": ...} as in the record
    Assessment assessment;  // against chance and the baseline on the validation images
};

// The classical baseline as the project has it: the parameters last used on the Compare page
// (meta "baseline_params"), else the defaults; tuned = they differ from the defaults.
struct ProjectBaseline {
    baseline::BaselineParams params;
    bool tuned = false;
};
ProjectBaseline projectBaseline(const project::ProjectStore& store);
// "64 held-out train images (32 OK, 32 NG)"
std::string describeImages(const std::vector<LabeledPath>& items, const std::string& source);
// A trained model on held-out images (never its training shots): its AUC and balanced accuracy
// at its own threshold, the baseline's on the same images when base is given, and the verdict
// (judge() in defaults.h). source names the images for the message ("held-out train images").
Assessment assessModel(const Model& model, const std::vector<LabeledPath>& heldOut,
                       const std::string& source, const ProjectBaseline* base,
                       const ProgressFn& progress = {}, const CancelToken* cancel = nullptr,
                       bool* cancelled = nullptr);

// Starts a new run: a model file models/run-N.kizumodel, its checkpoint and curves beside it,
// the run recorded as pending until the model is registered. Refuses to start while another
// run is pending (resume or discard it first). Throws kizu::Error with what to do.
RunOutcome runProjectTraining(const std::filesystem::path& projectDir, const RunSpec& spec,
                              const RunCallbacks& callbacks = {},
                              const CancelToken* cancel = nullptr);
// Continues the pending run from its checkpoint (from the start when none was written).
RunOutcome resumeProjectTraining(const std::filesystem::path& projectDir,
                                 const RunCallbacks& callbacks = {},
                                 const CancelToken* cancel = nullptr);

// From OK photos only (issue 22): PatchCore fitted to the project's train split.
struct AnomalyRunSpec {
    PatchCoreConfig config;
    int shots = 0;       // OK photos drawn with config.seed; 0: every OK photo of the split
    bool okOnly = true;  // false: the split's NG photos refine the threshold
    std::string name;    // the model's name; empty: the file's (run-N)
    int validationPerClass = 32; // held-out images the model is checked on (when any)
};
nlohmann::json toJson(const AnomalyRunSpec& spec);
// Fits, measures on the test split, checks against chance and the baseline on held-out images
// (the OK photos it did not remember and the NG photos; none when the project has no NG yet),
// writes models/run-N.kizumodel and registers it. Needs no NG photo. A fit takes seconds, so
// nothing is kept for resuming: a cancelled fit leaves nothing behind.
RunOutcome runProjectPatchCore(const std::filesystem::path& projectDir, const AnomalyRunSpec& spec,
                               const ProgressFn& progress = {},
                               const CancelToken* cancel = nullptr);

// Records a model file in the project: its name, sha256 of the weights, architecture, config
// (the training configuration, data hash and init, plus extraConfig) and metrics. Returns the id.
std::int64_t registerModel(project::ProjectStore& store, const Model& model,
                           const std::filesystem::path& file, const std::string& name,
                           const nlohmann::json& extraConfig, const nlohmann::json& metrics);

// The model list's actions. Each throws InvalidArgument when no model has the id.
// Copies the model file to target (atomically); returns target.
std::filesystem::path exportModel(const project::ProjectStore& store, std::int64_t id,
                                  std::filesystem::path target);
// Writes the record's model as ONNX (exportOnnx, core/learn/onnx_export.h) to target, or into
// target/<model file name>.onnx when target is a folder; returns the file written. imageSize:
// the photos' size, which native-aspect models need (OnnxExportOptions); empty: the size most
// of the project's photos have, cut to the project's region of interest (what the model sees;
// the ROI itself is recorded in the file's metadata, the graph does not apply it).
std::filesystem::path exportModelOnnx(const project::ProjectStore& store, std::int64_t id,
                                      std::filesystem::path target, cv::Size imageSize = {});
// Removes the record; also its file when removeFile and the file lies in the project's
// models/ folder. When it was the active model, the station has none afterwards. Returns true
// when the active model was cleared.
bool deleteModel(project::ProjectStore& store, std::int64_t id, bool removeFile);
// Loads and verifies the record's file, then makes it the station's active model (meta
// "active_model", an absolute path). Throws FormatError/IoError when the file is bad.
std::filesystem::path activateModel(project::ProjectStore& store, std::int64_t id);
// The record whose file is the active model, if any.
std::optional<std::int64_t> activeModelId(const project::ProjectStore& store);

// Training speed of an architecture on this machine (images/s at that size and batch):
// a few steps on synthetic images after a warm-up step. Returns 0 when cancelled.
double measureTrainingSpeed(const std::string& arch, int inputSize, int batch, int threads = 0,
                            const CancelToken* cancel = nullptr);

} // namespace kizu::learn
