// The few-shot experiment of the study (its Table 1): shots per class x initialisation x seed,
// each run fine-tuned and measured on the test split. This part has no torch: the plan of runs
// and its shards, the results file (CSV, one row per finished run, which is also what makes a
// sweep resumable), merging shards, the aggregate table in Markdown and the chart of accuracy
// against shots (PNG, drawn with OpenCV). kizu-cli experiment does the training.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::experiment {

// One cell of the sweep.
struct RunKey {
    // station, scratch, imagenet, cg, baseline, or a start with CG defect transplants mixed
    // into its batches: "X+transplant" (e.g. imagenet+transplant)
    std::string init;
    int shots = 0; // per class
    std::uint64_t seed = 0;
    bool operator==(const RunKey& o) const
    {
        return init == o.init && shots == o.shots && seed == o.seed;
    }
};

struct RunResult {
    std::string arch;
    int size = 0;
    RunKey key;
    std::int64_t steps = 0;
    double accuracy = 0, balancedAccuracy = 0, ngPrecision = 0, ngRecall = 0, f1 = 0, auc = 0;
    double threshold = 0;
    double trainSeconds = 0, evalSeconds = 0;
    std::int64_t testImages = 0;
    double transplant = 0; // share of each batch made of CG defect transplants (0: none)
};

// "X+transplant" -> true, and its start X.
inline constexpr const char* kTransplantSuffix = "+transplant";
bool isTransplantInit(const std::string& init);
std::string baseInit(const std::string& init);

// "arch,size,init,shots,seed,steps,accuracy,balanced_accuracy,ng_precision,ng_recall,f1,auc,
// threshold,train_seconds,eval_seconds,test_images,transplant" (a file without the last column,
// written before transplants existed, reads with transplant 0)
std::string csvHeader();
std::string toCsvRow(const RunResult& r);
// Reads a results file; a missing file is an empty list. A damaged last line (a run killed
// while the file was written by another program) is ignored; any other bad line throws
// FormatError naming the file and line.
std::vector<RunResult> readResults(const std::filesystem::path& csv);
// Writes the whole file atomically (rows sorted by init order, shots, seed).
void writeResults(const std::filesystem::path& csv, std::vector<RunResult> rows);

// Initialisations in the table's column order (X+transplant right after X); unknown ones
// follow in name order.
int initOrder(const std::string& init);

// Shots 1, 2, 4, ... up to maxShots, and maxShots itself when it is not a power of two.
std::vector<int> powerOfTwoShots(int maxShots);
// Parses "1,2,4,8" or "max" / "max:N" (powers of two up to N, as powerOfTwoShots).
std::vector<int> parseShots(const std::string& text, int available);

// All runs in a fixed order (shots, then seed, then init), then only those of shard i of n
// (round robin, so each shard gets a mix of cheap and expensive runs).
std::vector<RunKey> planRuns(const std::vector<int>& shots, const std::vector<std::string>& inits,
                             const std::vector<std::uint64_t>& seeds, int shardIndex = 0,
                             int shardCount = 1);
// Parses "i/n" (0 <= i < n). Throws InvalidArgument.
std::pair<int, int> parseShard(const std::string& text);

// Joins results files: the same run in two files must agree (else FormatError); duplicates
// are kept once.
std::vector<RunResult> mergeResults(const std::vector<std::vector<RunResult>>& parts);

struct Cell {
    int shots = 0;
    std::string init;
    int n = 0;
    double mean = 0, std = 0, min = 0, max = 0; // of the chosen metric over seeds
};
// metric: accuracy, balanced_accuracy, auc, f1, ng_recall, ng_precision.
double metricValue(const RunResult& r, const std::string& metric);
std::vector<Cell> aggregate(const std::vector<RunResult>& rows,
                            const std::string& metric = "accuracy");

// The study's Table 1: rows = shots per class, columns = initialisations, "mean ± std (n)" in
// percent, the best mean of each row in bold.
std::string markdownTable(const std::vector<RunResult>& rows,
                          const std::string& metric = "accuracy");
// Accuracy (percent) against shots per class on a log2 axis, one line per initialisation with
// min-max bars over seeds; BGR 8-bit image.
cv::Mat chart(const std::vector<RunResult>& rows, const std::string& metric = "accuracy",
              const std::string& title = {}, int width = 960, int height = 600);

} // namespace kizu::experiment
