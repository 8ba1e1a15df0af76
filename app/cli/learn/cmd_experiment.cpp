// kizu-cli experiment: the study's few-shot sweep (its Table 1) on the user's data. For every
// shots-per-class value x initialisation x seed: draw the shots from the train split, fine-tune,
// measure on the test split. Each finished run is one row of OUT/results.csv (rewritten
// atomically), so a stopped sweep continues where it stopped; --shard i/n runs every n-th run
// (array jobs) and `experiment merge` joins the pieces. The classical baseline joins as an
// "initialisation": tuned on the same shots, measured on the same test split.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "app/cli/learn/learn_data.h"
#include "core/baseline/baseline_eval.h"
#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/evaluate/evaluate.h"
#include "core/experiment/experiment.h"
#include "core/learn/defaults.h"
#include "core/learn/trainer.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

namespace kizu::cli {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;
namespace ex = kizu::experiment;

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string s; std::getline(ss, s, ',');)
        if (!s.empty()) out.push_back(s);
    return out;
}

// Writes results.csv's companions: table.md and accuracy_vs_shots.png.
void writeReport(const fs::path& dir, const std::vector<ex::RunResult>& rows, const std::string& title)
{
    if (rows.empty()) return;
    std::string md = "# " + title + "\n\nTest accuracy (%), mean ± sample standard deviation over "
                     "seeds (number of seeds).\n\n" + ex::markdownTable(rows, "accuracy") +
                     "\n\nBalanced accuracy (%):\n\n" + ex::markdownTable(rows, "balanced_accuracy") +
                     "\n\nAUC (%):\n\n" + ex::markdownTable(rows, "auc");
    writeFileAtomic(dir / "table.md", md);
    // Accuracy as the study reports it; balanced accuracy too, because on a test split with
    // few NG images accuracy mostly measures where the threshold fell.
    for (const char* metric : {"accuracy", "balanced_accuracy"}) {
        std::vector<uchar> png;
        std::string t = title;
        if (std::string(metric) != "accuracy")
            if (auto at = t.find("test accuracy"); at != std::string::npos)
                t.replace(at, 13, "balanced accuracy");
        cv::imencode(".png", ex::chart(rows, metric, t), png);
        writeFileAtomic(dir / (std::string(metric) + "_vs_shots.png"),
                        std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    }
}

std::string titleOf(const json& cfg)
{
    std::ostringstream o;
    o << cfg.value("arch", std::string("?")) << " at " << cfg.value("size", 0) << " px, "
      << cfg.value("steps", 0) << " steps: test accuracy vs shots per class";
    return o.str();
}

int runSweep(Args& args)
{
    // The Train page's and `kizu-cli train`'s defaults (core/learn/defaults.h).
    const learn::DefaultRoute& route = learn::defaultRoute();
    const std::string arch = args.value("--model", route.arch);
    const int size = int(args.intValue("--size", route.inputSize));
    const std::int64_t steps = args.intValue("--steps", route.steps);
    const int batch = int(args.intValue("--batch", route.batch));
    const int threads = int(args.intValue("--threads", 0));
    const std::string device = args.value("--device", "cpu");
    const std::string shotsText = args.value("--shots", "max:64");
    const auto inits = splitList(args.value("--inits", "scratch,imagenet,cg,baseline"));
    std::vector<std::uint64_t> seeds;
    for (const auto& s : splitList(args.value("--seeds", "1,2,3"))) {
        try {
            seeds.push_back(std::stoull(s));
        } catch (const std::exception&) {
            throw UsageError{"--seeds: '" + s + "' is not a number"};
        }
    }
    auto imagenet = args.value("--imagenet");
    auto cgFile = args.value("--cg");
    auto baselineStart = args.value("--baseline-start");
    const int baselineTrials = int(args.intValue("--baseline-trials", 40));
    const std::string shardText = args.value("--shard", "0/1");
    const auto outArg = args.value("--out");
    const bool quiet = args.flag("--quiet");
    DataChoice data = chooseData(args, "train");
    args.finish();
    if (!outArg) throw UsageError{"--out DIR is required (results.csv, table.md and the chart go there)"};
    if (seeds.empty()) throw UsageError{"--seeds: give at least one seed"};
    if (inits.empty()) throw UsageError{"--inits: give at least one of scratch,imagenet,cg,baseline"};
    const auto [shardIndex, shardCount] = ex::parseShard(shardText);
    const fs::path out = *outArg;

    // What each initialisation starts from.
    std::map<std::string, std::string> initSpec;
    for (const auto& i : inits) {
        if (i == "scratch") initSpec[i] = "scratch";
        else if (i == "station") {
            // What the Train page starts from when the operator just presses Train.
            initSpec[i] = learn::defaultInit(arch).init;
        } else if (i == "imagenet") {
            std::string f = imagenet ? *imagenet : findImagenetWeights(arch).string();
            if (f.empty())
                throw UsageError{"init imagenet needs --imagenet FILE.pth (torchvision's weights "
                                 "for " + arch + "; none was found in $KIZU_WEIGHTS_DIR)"};
            initSpec[i] = "imagenet:" + f;
        } else if (i == "cg") {
            std::string f = cgFile ? *cgFile : defaultCgModel(arch).string();
            if (f.empty())
                throw UsageError{"init cg needs --cg FILE: no CG-pretrained " + arch +
                                 " is shipped (make one with kizu-cli pretrain)"};
            initSpec[i] = "cg:" + f;
        } else if (i == "baseline") {
            initSpec[i] = baselineStart ? *baselineStart : "defaults";
        } else {
            throw UsageError{"--inits: unknown '" + i +
                             "' (station, scratch, imagenet, cg, baseline)"};
        }
    }

    const auto train = data.items;
    const auto test = data.testItems();
    if (test.empty()) throw InvalidArgument{"the test split of " + data.description + " is empty"};
    const auto [nOk, nNg] = learn::classCounts(train);
    const auto shots = ex::parseShots(shotsText, int(std::min(nOk, nNg)));
    const auto runs = ex::planRuns(shots, inits, seeds, shardIndex, shardCount);

    // The settings every row of results.csv depends on; a resumed sweep must match them.
    json cfg{{"arch", arch},
             {"size", size},
             {"steps", steps},
             {"batch", batch},
             {"device", device},
             {"train_hash", learn::dataHash(train)},
             {"test_hash", learn::dataHash(test)},
             {"data", data.description},
             {"inits", initSpec},
             {"baseline_trials", baselineTrials}};
    fs::create_directories(out);
    const fs::path cfgFile = out / "experiment.json";
    if (fs::exists(cfgFile)) {
        json old = json::parse(readFile(cfgFile), nullptr, false);
        for (const char* k : {"arch", "size", "steps", "batch", "train_hash", "test_hash"})
            if (old.is_discarded() || old.value(k, json()) != cfg[k])
                throw InvalidArgument{out.string() + " holds a sweep with other settings (" + k +
                                      " differs). Use another --out, or the same settings to "
                                      "continue it."};
        for (auto& [k, v] : initSpec)
            if (old["inits"].contains(k) && old["inits"][k] != v)
                throw InvalidArgument{out.string() + " holds a sweep whose init '" + k +
                                      "' started from " + old["inits"][k].dump() +
                                      ", not " + v + ". Use another --out."};
        for (auto& [k, v] : old["inits"].items())
            if (!cfg["inits"].contains(k)) cfg["inits"][k] = v;
    }
    writeFileAtomic(cfgFile, cfg.dump(2) + "\n");

    const fs::path csv = out / "results.csv";
    auto rows = ex::readResults(csv);
    std::vector<ex::RunKey> pending;
    for (const auto& k : runs)
        if (std::none_of(rows.begin(), rows.end(), [&](const ex::RunResult& r) { return r.key == k; }))
            pending.push_back(k);
    if (!quiet)
        std::fprintf(stderr,
                     "experiment: %s: %lld OK + %lld NG train, %zu test images; shots %s; "
                     "%zu runs in shard %d/%d, %zu done, %zu to go\n",
                     data.description.c_str(), (long long)nOk, (long long)nNg, test.size(),
                     shotsText.c_str(), runs.size(), shardIndex, shardCount,
                     runs.size() - pending.size(), pending.size());

    if (threads > 0) learn::setTorchThreads(threads);
    // Images are decoded once per process: training images at the trainer's cache size, the
    // test split at the input size (what the model sees), and for the baseline as files.
    const int cacheSize = int(std::lround(size * 1.15));
    std::map<std::string, cv::Mat> trainCache;
    std::vector<cv::Mat> testImages;
    std::vector<int> testLabels;
    std::vector<baseline::LabeledImage> testLabeled;
    for (const auto& t : test) testLabeled.push_back({t.path.string(), t.label == learn::kNg, t.group});

    const double started = now();
    int done = 0;
    for (const auto& key : pending) {
        if (interruptToken().cancelled()) break;
        const auto items = learn::drawShots(train, key.shots, key.seed);
        ex::RunResult r;
        r.arch = key.init == "baseline" ? "baseline" : arch;
        r.size = key.init == "baseline" ? 0 : size;
        r.key = key;
        r.testImages = std::int64_t(test.size());
        const double t0 = now();
        if (key.init == "baseline") {
            std::vector<baseline::LabeledImage> shotsLabeled;
            for (const auto& it : items)
                shotsLabeled.push_back({it.path.string(), it.label == learn::kNg, it.group});
            baseline::TuneOptions opt;
            opt.seed = key.seed;
            opt.trials = baselineTrials;
            if (baselineStart) opt.start = baseline::BaselineParams::load(*baselineStart);
            auto tuned = baseline::tuneBaseline(shotsLabeled, opt, {}, &interruptToken());
            if (tuned.cancelled) break;
            r.trainSeconds = now() - t0;
            const double t1 = now();
            auto ev = baseline::evaluate(testLabeled, tuned.best, {}, &interruptToken());
            if (ev.cancelled) break;
            r.evalSeconds = now() - t1;
            const auto& m = ev.metrics;
            r.steps = tuned.trials;
            r.accuracy = m.accuracy;
            r.balancedAccuracy = m.balancedAccuracy;
            r.ngPrecision = m.precision;
            r.ngRecall = m.recall;
            r.auc = m.auc;
            r.threshold = tuned.best.scoreThreshold;
        } else {
            learn::TrainConfig tc;
            tc.arch = arch;
            tc.inputSize = size;
            tc.init = initSpec.at(key.init);
            tc.steps = steps;
            tc.batch = batch;
            tc.seed = key.seed;
            tc.threads = threads;
            tc.device = device;
            for (const auto& it : items)
                if (!trainCache.count(it.path.string()))
                    trainCache[it.path.string()] = learn::loadSquare(it.path, cacheSize);
            learn::FunctionSource source(
                [&](std::int64_t i) {
                    const auto& it = items.at(std::size_t(i));
                    return learn::Sample{trainCache.at(it.path.string()), it.label};
                },
                learn::dataHash(items), std::int64_t(items.size()),
                [&](std::int64_t i) { return items.at(std::size_t(i)).label; });
            auto result = learn::train(tc, source, {}, &interruptToken());
            if (result.cancelled) break;
            r.trainSeconds = now() - t0;
            r.steps = result.steps;
            const double t1 = now();
            if (testImages.empty())
                for (const auto& t : test) {
                    testImages.push_back(learn::loadSquare(t.path, size));
                    testLabels.push_back(t.label);
                }
            std::vector<float> scores;
            for (std::size_t b = 0; b < testImages.size(); b += 32) {
                std::vector<cv::Mat> chunk(testImages.begin() + std::ptrdiff_t(b),
                                           testImages.begin() + std::ptrdiff_t(std::min(testImages.size(), b + 32)));
                auto s = result.model->predict(chunk);
                scores.insert(scores.end(), s.begin(), s.end());
            }
            r.evalSeconds = now() - t1;
            const auto m = learn::computeMetrics(scores, testLabels, result.model->info().threshold);
            r.accuracy = m.accuracy;
            r.balancedAccuracy = m.balancedAccuracy;
            r.ngPrecision = m.ngPrecision;
            r.ngRecall = m.ngRecall;
            r.auc = m.auc;
            r.threshold = m.threshold;
        }
        r.f1 = r.ngPrecision + r.ngRecall > 0
                   ? 2 * r.ngPrecision * r.ngRecall / (r.ngPrecision + r.ngRecall)
                   : 0;
        // Reread before writing: another process on the same folder (not recommended, but a
        // second shard pointed here by mistake) must not lose its rows.
        auto current = ex::readResults(csv);
        current.push_back(r);
        rows = ex::mergeResults({current});
        ex::writeResults(csv, rows);
        writeReport(out, rows, titleOf(cfg));
        ++done;
        if (!quiet) {
            const double elapsed = now() - started;
            const double eta = elapsed / done * double(pending.size() - std::size_t(done));
            std::fprintf(stderr,
                         "experiment: [%d/%zu] %-8s %3d shots seed %llu: accuracy %.4f, balanced "
                         "%.4f, AUC %.4f (train %.1f s, eval %.1f s); ETA %.0f min\n",
                         done, pending.size(), key.init.c_str(), key.shots,
                         (unsigned long long)key.seed, r.accuracy, r.balancedAccuracy, r.auc,
                         r.trainSeconds, r.evalSeconds, eta / 60);
        }
    }
    if (std::size_t(done) < pending.size()) {
        std::fprintf(stderr, "experiment: stopped after %d of %zu runs; the same command "
                     "continues with the rest.\n", done, pending.size());
        return 130;
    }
    writeReport(out, rows, titleOf(cfg));
    if (!quiet) std::cout << ex::markdownTable(rows, "accuracy");
    std::fprintf(stderr, "experiment: %zu runs in %s (%.1f min this session); table %s, chart %s\n",
                 rows.size(), csv.string().c_str(), (now() - started) / 60,
                 (out / "table.md").string().c_str(), (out / "accuracy_vs_shots.png").string().c_str());
    return 0;
}

int runMerge(Args& args)
{
    const auto outArg = args.value("--out");
    const auto parts = args.positionals();
    args.finish();
    if (!outArg) throw UsageError{"--out DIR is required"};
    if (parts.empty()) throw UsageError{"name the shard folders to merge"};
    std::vector<std::vector<ex::RunResult>> results;
    json cfg;
    for (const auto& p : parts) {
        const fs::path dir = p;
        if (!fs::exists(dir / "results.csv"))
            throw InvalidArgument{dir.string() + " has no results.csv (not an experiment folder?)"};
        json c = json::parse(readFile(dir / "experiment.json"), nullptr, false);
        if (c.is_discarded()) throw FormatError{(dir / "experiment.json").string() + " is damaged"};
        if (cfg.is_null()) cfg = c;
        for (const char* k : {"arch", "size", "steps", "batch", "train_hash", "test_hash"})
            if (c.value(k, json()) != cfg.value(k, json()))
                throw InvalidArgument{dir.string() + " was run with other settings (" + k +
                                      " differs from " + parts.front() + ")"};
        for (auto& [k, v] : c["inits"].items()) cfg["inits"][k] = v;
        results.push_back(ex::readResults(dir / "results.csv"));
    }
    auto rows = ex::mergeResults(results);
    const fs::path out = *outArg;
    fs::create_directories(out);
    writeFileAtomic(out / "experiment.json", cfg.dump(2) + "\n");
    ex::writeResults(out / "results.csv", rows);
    writeReport(out, rows, titleOf(cfg));
    std::cout << "Merged " << counted(std::int64_t(parts.size()), "part") << ", "
              << counted(std::int64_t(rows.size()), "run") << " into "
              << (out / "results.csv").string() << "\n"
              << ex::markdownTable(rows, "accuracy");
    return 0;
}

int runReport(Args& args)
{
    const std::string metric = args.value("--metric", "accuracy");
    const auto pos = args.positionals();
    args.finish();
    if (pos.size() != 1) throw UsageError{"experiment report needs one experiment folder"};
    const fs::path dir = pos[0];
    auto rows = ex::readResults(dir / "results.csv");
    if (rows.empty()) throw InvalidArgument{(dir / "results.csv").string() + " holds no runs"};
    json cfg = json::parse(fs::exists(dir / "experiment.json") ? readFile(dir / "experiment.json")
                                                                : std::string("{}"),
                           nullptr, false);
    writeReport(dir, rows, titleOf(cfg.is_discarded() ? json::object() : cfg));
    std::cout << ex::markdownTable(rows, metric);
    return 0;
}

int experimentCmd(Args& args)
{
    const std::string sub = args.takeFirst();
    if (sub == "run") return runSweep(args);
    if (sub == "merge") return runMerge(args);
    if (sub == "report") return runReport(args);
    if (sub.empty()) throw UsageError{"which subcommand: run, merge or report?"};
    throw UsageError{"unknown subcommand '" + sub + "' (run, merge, report)"};
}

const Registrar reg{
    {"experiment", "the study's few-shot sweep: shots x initialisation x seed",
     "Usage: kizu-cli experiment run (--data FOLDER | [--project DIR]) --out DIR [OPTIONS]\n"
     "       kizu-cli experiment merge SHARD_DIR... --out DIR\n"
     "       kizu-cli experiment report DIR [--metric accuracy|balanced_accuracy|auc|f1]\n\n"
     "run: for every shots-per-class value x initialisation x seed, draws the shots from\n"
     "the train split (with the seed), fine-tunes and measures on the test split. Each\n"
     "finished run is a row of DIR/results.csv; DIR/table.md (rows = shots, columns =\n"
     "initialisations, mean ± std over seeds, as the study's Table 1) and\n"
     "DIR/accuracy_vs_shots.png follow every run. Stopped (Ctrl+C, kill -9, a node lost)?\n"
     "Run the same command again: finished runs are kept, the rest is done.\n\n"
     "Options:\n"
     "  --shots LIST         1,2,4,... or max (powers of two up to the smaller class, and\n"
     "                       that count) or max:N (powers of two up to N; default max:64)\n"
     "  --inits LIST         scratch,imagenet,cg,baseline (default these four); baseline is\n"
     "                       the classical DoG/threshold/labeling method tuned on the same\n"
     "                       shots; station is the Train page's default start for --model\n"
     "  --seeds LIST         default 1,2,3\n"
     "  --imagenet FILE.pth  torchvision ImageNet weights (default: the one found in\n"
     "                       $KIZU_WEIGHTS_DIR or beside the source tree)\n"
     "  --cg FILE            CG-pretrained model (default: the shipped one for --model)\n"
     "  --baseline-start P.json --baseline-trials N (default 40)\n"
     "  --model ARCH --size PX (default squeezenet1_1, 128) --steps N (default 150)\n"
     "  --batch B (default 16) --threads N --device cpu|cuda\n"
     "  --shard i/n          only every n-th run starting at i (array jobs; one --out per shard,\n"
     "                       then merge)\n\n"
     "Examples:\n"
     "  kizu-cli experiment run --data ../shared/data/bsdata --out exp/bsdata \\\n"
     "      --imagenet squeezenet1_1-imagenet.pth --baseline-start resources/baseline/bsdata_start.json\n"
     "  # on 4 machines (Slurm: --shard $SLURM_ARRAY_TASK_ID/4), then:\n"
     "  kizu-cli experiment merge exp/shard0 exp/shard1 exp/shard2 exp/shard3 --out exp/all\n",
     experimentCmd}};

} // namespace
} // namespace kizu::cli
