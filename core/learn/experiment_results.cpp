#include "core/learn/experiment_results.h"

#include "core/common/csv.h"
#include "core/common/error.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

namespace kizu::learn {

namespace fs = std::filesystem;

std::vector<ExperimentRun> readExperimentCsv(const fs::path& file)
{
    std::ifstream in(file);
    if (!in)
        throw IoError("Cannot read the experiment results " + file.string() +
                      ". Check that the file exists (kizu-cli experiment writes OUT/results.csv).");
    std::string line;
    if (!std::getline(in, line))
        throw FormatError(file.string() + " is empty; expected the header of kizu-cli experiment's results.csv.");
    const auto header = splitCsvLine(line);
    auto col = [&](const std::string& name, bool required) -> int {
        auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) {
            if (required)
                throw FormatError(file.string() + ": column '" + name +
                                  "' is missing from the header; is this a results.csv of kizu-cli experiment?");
            return -1;
        }
        return int(it - header.begin());
    };
    const int cArch = col("arch", false), cSize = col("size", false), cInit = col("init", true),
              cShots = col("shots", true), cSeed = col("seed", false), cSteps = col("steps", false),
              cAcc = col("accuracy", true), cBal = col("balanced_accuracy", false),
              cPrec = col("ng_precision", false), cRec = col("ng_recall", false), cF1 = col("f1", false),
              cAuc = col("auc", false), cThr = col("threshold", false),
              cTrain = col("train_seconds", false), cEval = col("eval_seconds", false),
              cTest = col("test_images", false);
    std::vector<ExperimentRun> runs;
    int lineNo = 1;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.empty() || line == "\r") continue;
        const auto f = splitCsvLine(line);
        auto text = [&](int c) { return c >= 0 && c < int(f.size()) ? f[std::size_t(c)] : std::string(); };
        auto number = [&](int c, const char* name) -> double {
            const std::string t = text(c);
            if (c < 0 || t.empty()) return std::nan("");
            try {
                std::size_t used = 0;
                const double v = std::stod(t, &used);
                if (used != t.size()) throw std::invalid_argument(t);
                return v;
            } catch (const std::exception&) {
                throw FormatError(file.string() + ", line " + std::to_string(lineNo) + ": " + name +
                                  " is '" + t + "', not a number.");
            }
        };
        ExperimentRun r;
        r.arch = text(cArch);
        r.init = text(cInit);
        if (r.init.empty())
            throw FormatError(file.string() + ", line " + std::to_string(lineNo) + ": init is empty.");
        const double shots = number(cShots, "shots");
        if (!(shots >= 1))
            throw FormatError(file.string() + ", line " + std::to_string(lineNo) +
                              ": shots must be a positive number.");
        r.shots = int(shots);
        auto orZero = [](double v) { return std::isnan(v) ? 0.0 : v; };
        r.size = int(orZero(number(cSize, "size")));
        r.seed = std::uint64_t(orZero(number(cSeed, "seed")));
        r.steps = std::int64_t(orZero(number(cSteps, "steps")));
        r.accuracy = number(cAcc, "accuracy");
        if (std::isnan(r.accuracy))
            throw FormatError(file.string() + ", line " + std::to_string(lineNo) + ": accuracy is empty.");
        r.balancedAccuracy = orZero(number(cBal, "balanced_accuracy"));
        r.ngPrecision = orZero(number(cPrec, "ng_precision"));
        r.ngRecall = orZero(number(cRec, "ng_recall"));
        r.f1 = orZero(number(cF1, "f1"));
        r.auc = orZero(number(cAuc, "auc"));
        r.threshold = orZero(number(cThr, "threshold"));
        r.trainSeconds = orZero(number(cTrain, "train_seconds"));
        r.evalSeconds = orZero(number(cEval, "eval_seconds"));
        r.testImages = std::int64_t(orZero(number(cTest, "test_images")));
        runs.push_back(std::move(r));
    }
    return runs;
}

namespace {
double metricOf(const ExperimentRun& r, const std::string& metric)
{
    if (metric == "accuracy") return r.accuracy;
    if (metric == "balanced_accuracy") return r.balancedAccuracy;
    if (metric == "ng_precision") return r.ngPrecision;
    if (metric == "ng_recall") return r.ngRecall;
    if (metric == "f1") return r.f1;
    if (metric == "auc") return r.auc;
    throw InvalidArgument("Unknown metric '" + metric +
                          "'; use accuracy, balanced_accuracy, ng_precision, ng_recall, f1 or auc.");
}
} // namespace

std::vector<ShotSeries> aggregateByShots(const std::vector<ExperimentRun>& runs,
                                         const std::string& metric)
{
    if (!runs.empty()) metricOf(runs.front(), metric); // validates the name
    std::set<std::pair<std::string, int>> archs;
    for (const auto& r : runs)
        if (r.init != "baseline") archs.insert({r.arch, r.size});
    const bool several = archs.size() > 1;
    std::vector<std::string> order;
    std::map<std::string, std::map<int, std::vector<double>>> values;
    for (const auto& r : runs) {
        std::string key = r.init;
        if (several && r.init != "baseline")
            key = r.arch + " @" + std::to_string(r.size) + " " + r.init;
        if (!values.count(key)) order.push_back(key);
        values[key][r.shots].push_back(metricOf(r, metric));
    }
    std::stable_partition(order.begin(), order.end(), [](const std::string& k) { return k != "baseline"; });
    std::vector<ShotSeries> out;
    for (const auto& key : order) {
        ShotSeries s;
        s.name = key;
        s.baseline = key == "baseline";
        for (const auto& [shots, v] : values[key]) {
            ShotPoint p;
            p.shots = shots;
            p.runs = int(v.size());
            double sum = 0;
            for (double x : v) sum += x;
            p.mean = sum / double(v.size());
            double sq = 0;
            for (double x : v) sq += (x - p.mean) * (x - p.mean);
            p.std = v.size() > 1 ? std::sqrt(sq / double(v.size() - 1)) : 0.0;
            p.min = *std::min_element(v.begin(), v.end());
            p.max = *std::max_element(v.begin(), v.end());
            s.points.push_back(p);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<fs::path> findExperimentResults(const fs::path& projectDir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    const fs::path dir = projectDir / "experiments";
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const fs::path f = e.path() / "results.csv";
        if (e.is_directory(ec) && fs::exists(f, ec)) out.push_back(f);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace kizu::learn
