// Benchmark of CG defect transplants (issue 20) onto BSData's OK photos at their native size
// (1130x460), on one thread: transplants per second (the photo measured beforehand, as a
// training loop that reuses its photos would do), analyzePhoto per photo, and, for scale, one
// training step of the default model on the same machine and thread count. Prints one JSON
// object; without BSData it prints {"skipped": reason} and exits 0.
//
//   bench_transplant [--data DIR] [--photos 16] [--count 32] [--runs 5] [--steps 5]
//                    [--batch 16] [--no-train]
//
// DIR: --data, else $KIZU_BSDATA_DIR, else $KIZU_BSDATA, else the configured default
// (/work/shared/data/bsdata on the team's machines).
#include "core/cg/cg_params.h"
#include "core/cg/cg_transplant.h"
#include "core/cg/cg_transplant_batch.h"
#include "core/learn/dataset.h"
#include "core/learn/model.h"
#include "core/learn/trainer.h"

#include "bench/bench_common.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace kizu::bench;

namespace {
// Process CPU time: on a shared machine the wall-clock rate depends on what else runs.
double cpuSeconds()
{
    return double(std::clock()) / CLOCKS_PER_SEC;
}

double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string dataDir(int argc, char** argv)
{
    for (const char* var : {"KIZU_BSDATA_DIR", "KIZU_BSDATA"})
        if (const char* v = std::getenv(var); v && *v) return arg(argc, argv, "--data", v);
    return arg(argc, argv, "--data", KIZU_BSDATA_DIR_DEFAULT);
}
} // namespace

int main(int argc, char** argv)
{
    const std::string data = dataDir(argc, argv);
    const int photoCount = std::stoi(arg(argc, argv, "--photos", "16"));
    const int count = std::stoi(arg(argc, argv, "--count", "32"));
    const int runs = std::stoi(arg(argc, argv, "--runs", "5"));
    const int steps = std::stoi(arg(argc, argv, "--steps", "5"));
    const int batch = std::stoi(arg(argc, argv, "--batch", "16"));
    const bool noTrain = flag(argc, argv, "--no-train");
    json out{{"benchmark", "transplant"}, {"data", data}};
    std::error_code ec;
    if (data.empty() || !fs::is_directory(fs::path(data) / "ok", ec)) {
        out["skipped"] = "BSData not found at '" + data +
                         "' (no ok/ folder): set KIZU_BSDATA_DIR or pass --data DIR";
        std::cerr << out["skipped"].get<std::string>() << "\n";
        std::cout << out.dump() << "\n";
        return 0;
    }

    cv::setNumThreads(1);
    kizu::learn::setTorchThreads(1);
    auto photos = kizu::cg::folderOkPhotos(data);
    // Spread over the folder: neighbours in a time-lapse series are near-duplicates.
    std::vector<kizu::cg::AnalysedPhoto> used;
    for (int i = 0; i < photoCount && i < int(photos.size()); ++i) {
        kizu::cg::AnalysedPhoto a;
        a.photo = photos[std::size_t(i) * photos.size() / std::size_t(photoCount)];
        a.image = kizu::cg::readTransplantPhoto(a.photo);
        used.push_back(std::move(a));
    }
    const kizu::cg::CgParams params = kizu::cg::loadPreset("default");
    out["photos"] = used.size();
    out["photoSize"] = {used[0].image.cols, used[0].image.rows};
    out["threads"] = 1;
    out["runs"] = runs;
    out["transplantsPerRun"] = count;
    out["loadAverageAtStart"] = loadAverage();

    // analyzePhoto per photo.
    std::vector<double> analyzeMs;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        for (auto& a : used)
            a.analysis = kizu::cg::analyzePhoto(a.image);
        analyzeMs.push_back(1000 * since(t0) / double(used.size()));
    }
    json estimates = json::array();
    for (const auto& a : used)
        estimates.push_back({{"photo", a.photo.name},
                             {"grindAngleDeg", a.analysis.grindAngleDeg},
                             {"pxPerMm", a.analysis.pxPerMm},
                             {"markPeriodPx", a.analysis.markPeriodPx}});

    // Transplants with the analysis given; one warm-up transplant first.
    kizu::cg::transplantDefect(used[0].image, params, 1, 0, {}, used[0].analysis);
    std::vector<double> rates, cpuMs;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        const double c0 = cpuSeconds();
        for (int i = 0; i < count; ++i) {
            const auto& a = used[std::size_t(i) % used.size()];
            kizu::cg::transplantDefect(a.image, params, std::uint64_t(r + 1), std::uint64_t(i), {},
                                       a.analysis);
        }
        rates.push_back(count / since(t0));
        cpuMs.push_back(1000 * (cpuSeconds() - c0) / count);
    }
    const double perSec = median(rates);
    out["analyzeMsPerPhoto"] = median(analyzeMs);
    out["analyzeMsRuns"] = analyzeMs;
    out["transplantsPerSec"] = perSec;
    out["transplantMs"] = 1000 / perSec;
    out["transplantRuns"] = rates;
    out["transplantCpuMs"] = median(cpuMs);
    out["transplantsPerSecIfIdle"] = 1000 / median(cpuMs);
    out["analyses"] = estimates;

    if (noTrain) {
        out["trainingStep"] = "not measured (--no-train): run bench_learn --mode train --threads 1";
    } else {
        // One training step of the default model (squeezenet1_1, 224 px, batch 16) on the same
        // data and one thread, as bench_learn measures it (decoding and augmentation included).
        std::vector<kizu::learn::LabeledPath> items = kizu::learn::listFolder(data);
        std::vector<double> stepMs;
        for (int r = 0; r < std::max(1, runs / 2); ++r) {
            kizu::learn::TrainConfig cfg;
            cfg.batch = batch;
            cfg.steps = steps + 1;
            cfg.seed = std::uint64_t(r);
            cfg.threads = 1;
            cfg.chooseThreshold = false;
            cfg.checkpointEverySeconds = 0;
            kizu::learn::FileSource src(items, int(cfg.inputSize * 1.15 + 0.5), "bench");
            Clock::time_point t1;
            kizu::learn::train(cfg, src, [&](const kizu::learn::TrainProgress& p) {
                if (p.step == 1) t1 = Clock::now();
            });
            stepMs.push_back(1000 * since(t1) / steps);
        }
        const double ms = median(stepMs);
        out["trainingStep"] = {
            {"model", "squeezenet1_1"}, {"inputSize", 224}, {"batch", batch}, {"threads", 1},
            {"msPerStep", ms},          {"runs", stepMs},   {"steps", steps}};
        // How many transplants cost as much as one step: with fewer than `batch` of them per
        // step, transplanting on the fly would slow training down by that fraction.
        out["transplantsPerTrainingStepTime"] = ms / (1000 / perSec);
        out["slowdownIfEveryImageOfABatchIsTransplanted"] = (batch * 1000 / perSec) / ms;
    }
    std::cout << out.dump() << "\n";
    return 0;
}
