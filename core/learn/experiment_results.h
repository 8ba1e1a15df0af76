// The results of `kizu-cli experiment` (OUT/results.csv, one row per finished run) read back and
// aggregated over seeds: accuracy against shots per class, one series per initialisation, the
// classical baseline as its own series. What the Compare page's shots chart and reports draw.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kizu::learn {

struct ExperimentRun {
    std::string arch;
    int size = 0;
    std::string init; // scratch, imagenet, cg, baseline
    int shots = 0;    // per class
    std::uint64_t seed = 0;
    std::int64_t steps = 0;
    double accuracy = 0, balancedAccuracy = 0, ngPrecision = 0, ngRecall = 0, f1 = 0, auc = 0;
    double threshold = 0, trainSeconds = 0, evalSeconds = 0;
    std::int64_t testImages = 0;
};

// Reads results.csv by its header (column order free; extra columns ignored). Throws IoError
// when unreadable and FormatError naming the file, line and column for a missing column or a
// value that is not a number.
std::vector<ExperimentRun> readExperimentCsv(const std::filesystem::path& file);

struct ShotPoint {
    int shots = 0;
    int runs = 0; // seeds aggregated
    double mean = 0, std = 0, min = 0, max = 0;
};
struct ShotSeries {
    std::string name; // the init, with the arch and size when the file holds several
    bool baseline = false;
    std::vector<ShotPoint> points; // ascending shots
};

// metric: accuracy, balanced_accuracy, ng_precision, ng_recall, f1, auc. One series per
// (arch, size, init) in first-appearance order, the baseline last. Throws InvalidArgument for
// an unknown metric.
std::vector<ShotSeries> aggregateByShots(const std::vector<ExperimentRun>& runs,
                                         const std::string& metric = "accuracy");

// <project>/experiments/*/results.csv, sorted.
std::vector<std::filesystem::path> findExperimentResults(const std::filesystem::path& projectDir);

} // namespace kizu::learn
