// The few-shot sweep (the study's Table 1) as one synchronous core call: for every shots-per-
// class value x initialisation x seed, draw the shots from the train split, fine-tune (or tune
// the classical baseline), measure on the test split, and add the row to OUT/results.csv.
// Finished rows are never redone, so a stopped sweep resumes where it stopped. `kizu-cli
// experiment` and the Compare page's "Accuracy vs shots" tab are its two callers.
#pragma once

#include "core/common/progress.h"
#include "core/experiment/experiment.h"
#include "core/learn/dataset.h"
#include "core/learn/trainer.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kizu::learn {

// The sweep's choices; the defaults are the Train page's route (core/learn/defaults.h).
struct SweepOptions {
    std::string arch;
    int size = 0;
    // The network of the inits scratch, imagenet and cg (and their +transplant): the classifier
    // at a square size by default (the reference routes); "defect_map" with keepAspect for the
    // ablations of issue 21. The init "station" always trains defaultRoute() as it is.
    std::string head = "classifier";
    bool keepAspect = false;
    bool randAugment = true; // false: crops and flips only
    std::int64_t steps = 0;
    int batch = 0;
    int threads = 0; // 0: LibTorch's setting as it is
    std::string device = "cpu";
    std::string shots = "max:64"; // experiment::parseShots
    std::vector<std::string> inits{"scratch", "imagenet", "cg", "baseline"};
    std::vector<std::uint64_t> seeds{1, 2, 3};
    std::string imagenetWeights; // empty: torchvision's file found in $KIZU_WEIGHTS_DIR
    std::string cgModel;         // empty: the shipped CG-pretrained model of arch
    std::string baselineStart;   // baseline parameters file to tune from; empty: defaults
    int baselineTrials = 40;
    // For the inits "X+transplant": the share of each batch made of CG defect transplants onto
    // the OK photos of the run's shots (defaultRoute().transplantRatioWhenOn), and their CG
    // parameters (empty: defaultRoute().transplantParams). Plain inits train without them.
    double transplant = 0.25;
    std::string transplantParams;
    // The photos' scale for the transplants, px per mm of the surface (0: each photo's estimate,
    // cg::estimatePxPerMm); part of the init's spec, so a sweep cannot mix scales.
    double transplantPxPerMm = 0;
    int shardIndex = 0, shardCount = 1;
    // The inits "patchcore" and "patchcore-TRUNK" (issue 22): fitted to the OK photos of the
    // run's shots alone (N OK photos at N shots; runs below 2 shots are left out: the threshold
    // needs a second photo). "patchcore" takes anomalyTrunk (empty: defaultRoute()'s);
    // "patchcore-imagenet", "-cg" and "-cgmap" name their trunk. 0: the route's input size and
    // coreset share.
    std::string anomalyTrunk;
    int anomalySize = 0;
    double anomalyCoreset = 0;
    std::string anomalyOkRule; // empty: the route's
};
// "patchcore" or "patchcore-TRUNK".
bool isPatchCoreInit(const std::string& init);
SweepOptions defaultSweepOptions();

// The images of a sweep: shots are drawn from train, every run is measured on test.
struct SweepData {
    std::vector<LabeledPath> train, test;
    std::string description; // "project /p", "folder /d"
};

// What each initialisation starts from ("scratch", "imagenet:FILE", "cg:FILE", the baseline's
// start; "X+transplant": X's start, then " +transplant R PARAMS"). Throws InvalidArgument for an
// unknown init or a missing weights file, saying what to give (the CLI turns these into usage
// errors).
std::map<std::string, std::string> sweepInitSpecs(const SweepOptions& options);

struct SweepPlan {
    std::filesystem::path out;
    std::vector<int> shots;
    std::vector<experiment::RunKey> runs;    // this shard's runs
    std::vector<experiment::RunKey> pending; // of those, the ones results.csv lacks
    std::int64_t trainOk = 0, trainNg = 0;
    std::map<std::string, std::string> initSpecs;
    std::string configJson; // OUT/experiment.json as written
    std::string title;      // of the table and the charts
};

// Checks the options and the data, refuses an OUT that holds a sweep with other settings
// (InvalidArgument: "other settings"), writes OUT/experiment.json and lists what is left to do.
SweepPlan planSweep(const std::filesystem::path& out, const SweepOptions& options,
                    const SweepData& data);

// The shots of a run: drawn from the train split with the run's seed, the same photos for
// every init of that seed and shot count (X and X+transplant included).
std::vector<LabeledPath> sweepShots(const SweepData& data, const experiment::RunKey& key);
// The training configuration of a network run (not "baseline"): the plan's start for the init,
// and for X+transplant the options' transplant ratio and parameters.
TrainConfig sweepTrainConfig(const SweepPlan& plan, const SweepOptions& options,
                             const experiment::RunKey& key);
struct PatchCoreConfig;
// The fit of a patchcore run (the plan's trunk, the options' input and coreset, the run's seed).
PatchCoreConfig sweepPatchCoreConfig(const SweepPlan& plan, const SweepOptions& options,
                                     const experiment::RunKey& key);

struct SweepProgress {
    std::size_t runsDone = 0, runsTotal = 0;         // of the plan's pending runs
    experiment::RunKey run;                          // the run in flight, or the one just finished
    std::int64_t step = 0, steps = 0;                // within it: training steps or tuner trials
    const experiment::RunResult* finished = nullptr; // set once per run, when it is written
    double elapsedSeconds = 0, etaSeconds = 0;
};
using SweepProgressFn = std::function<void(const SweepProgress&)>;

struct SweepResult {
    std::vector<experiment::RunResult> rows; // all of OUT/results.csv
    std::size_t done = 0;                    // runs finished by this call
    bool cancelled = false;                  // finished runs are kept; the same call resumes
};

// Runs the plan's pending runs in order. After each run: results.csv (atomically, reread first
// so that rows another process wrote stay), table.md and the charts. Cancellation is checked
// between runs and inside training and tuning; a cancelled run leaves no row.
SweepResult runSweep(const SweepPlan& plan, const SweepOptions& options, const SweepData& data,
                     const SweepProgressFn& progress = {}, const CancelToken* cancel = nullptr);

// Joins the results of shard folders into out (experiment.json, results.csv, table.md, charts).
// Throws InvalidArgument when a folder is no experiment or was run with other settings.
std::vector<experiment::RunResult> mergeSweeps(const std::vector<std::filesystem::path>& parts,
                                               const std::filesystem::path& out);

// table.md, accuracy_vs_shots.png and balanced_accuracy_vs_shots.png beside results.csv;
// title "" takes it from dir/experiment.json.
void writeSweepReport(const std::filesystem::path& dir,
                      const std::vector<experiment::RunResult>& rows, std::string title = {});

} // namespace kizu::learn
