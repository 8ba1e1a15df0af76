// kizu-cli baseline: run, evaluate and tune the classical DoG/blob baseline.
#include "app/cli/commands.h"

#include "core/baseline/baseline.h"
#include "core/baseline/baseline_eval.h"
#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"
#include "core/project/project_roi.h"
#include "core/project/project_store.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using namespace kizu::baseline;

namespace kizu::cli {
namespace {

const char* kHelp = R"(Usage: kizu-cli baseline SUBCOMMAND [OPTIONS]

The classical baseline every model is judged against: Difference of Gaussians, threshold,
connected-component labeling and per-blob rules. Parameters are JSON files (see
resources/baseline/default.json; missing keys keep their defaults).

Subcommands:
  eval      Run the baseline on labeled images and print accuracy, balanced accuracy,
            NG precision/recall, the confusion matrix and the ROC AUC of the score.
              --params P.json        parameters (default: the built-in defaults)
              --data DIR             ok/ and ng/ folders, or a folder with manifest.csv
              --project DIR          or: the labeled images of a project (the default
                                     data source when --data is absent)
              --split train|test|all which split (manifest or project; default test)
              --csv FILE             per-image CSV: path,label,score,verdict and the
                                     deciding blob (index, area, length, width,
                                     elongation, angle, contrast, x, y)
              --json                 print the metrics as JSON on stdout
  tune      Search the parameters that maximise balanced accuracy on the training split
            (seeded random search with local refinement); reports train and test metrics.
              --data DIR | --project DIR  as for eval
              --split S              split to tune on (default train)
              --test-split S         split to report on (default test; 'none' to skip)
              --seed S               random seed (default 1)
              --trials N             image-stage candidates (default 60 without --budget)
              --budget SECONDS       stop after this long (not deterministic)
              --rules N              blob rules tried per candidate (default 400)
              --start P.json         starting parameters; their scale is kept
              --out P.json           where to write the chosen parameters (required)
              --json                 print the report as JSON on stdout
  run       Verdict and score for single images.
              --params P.json, IMAGE..., --overlay DIR (writes IMAGE_overlay.png)
  defaults  Print the default parameters as JSON.

Common options: --threads N (OpenCV threads; default all cores), --quiet (no progress).

Examples:
  kizu-cli baseline eval --params resources/baseline/bsdata_tuned.json \
      --data ../shared/data/bsdata --split test --csv test.csv
  kizu-cli --project line3 baseline eval --params tuned.json --split test --json
  kizu-cli baseline tune --data ../shared/data/bsdata --split train --seed 7 \
      --trials 120 --out tuned.json
  kizu-cli baseline run --params tuned.json --overlay /tmp/ov photo.jpg
)";

BaselineParams paramsFrom(Args& args)
{
    auto file = args.value("--params");
    return file ? BaselineParams::load(*file) : BaselineParams{};
}

void applyThreads(Args& args)
{
    auto t = args.intValue("--threads", 0);
    if (t < 0) throw UsageError{"--threads must be 0 (all cores) or more"};
    if (t > 0) cv::setNumThreads(int(t));
}

// Where labeled images come from: a folder (ok/ + ng/, or manifest.csv with splits) or a
// project's labeled images of a split.
struct DataSource {
    bool project = false;
    std::string dir;
    bool hasSplits() const { return project || fs::exists(fs::path(dir) / "manifest.csv"); }
};

std::vector<LabeledImage> loadSource(const DataSource& src, const std::string& split)
{
    if (!src.project) return loadLabeledFolder(src.dir, src.hasSplits() ? split : std::string());
    auto store = kizu::project::ProjectStore::open(src.dir);
    kizu::project::ImageFilter filter;
    if (split != "all") filter.split = kizu::project::splitFromString(split);
    std::vector<LabeledImage> out;
    std::shared_ptr<const kizu::imaging::Roi> roi;
    if (auto r = kizu::project::projectRoi(store))
        roi = std::make_shared<const kizu::imaging::Roi>(*r);
    for (const auto& rec : store.images(filter)) {
        if (rec.label == kizu::project::Label::Unlabeled) continue;
        out.push_back(
            {store.imagePath(rec).string(), rec.label == kizu::project::Label::Ng, rec.group, roi});
    }
    if (out.empty())
        throw kizu::InvalidArgument("project " + src.dir + " has no labeled images in split '" +
                                    split + "' (label images and assign a split first)");
    return out;
}

std::vector<LabeledImage> dataFrom(Args& args, const std::string& defaultSplit,
                                   DataSource* source = nullptr)
{
    DataSource src;
    if (auto data = args.value("--data")) {
        src.dir = *data;
    } else {
        src.project = true;
        src.dir = projectDir(args);
        if (!kizu::project::ProjectStore::isProject(src.dir))
            throw UsageError{"give --data DIR (ok/ and ng/ folders or a manifest.csv) or "
                             "--project DIR; '" +
                             src.dir + "' is not a project"};
    }
    auto splitOpt = args.value("--split");
    std::string split = splitOpt.value_or(defaultSplit);
    if (source) *source = src;
    if (splitOpt && split != "all" && !src.hasSplits())
        return loadLabeledFolder(src.dir, split); // explains that the folder has no splits
    return loadSource(src, split);
}

void printMetrics(const char* title, const Metrics& m)
{
    std::printf("%s: %d images\n", title, m.total());
    std::printf("  accuracy           %.4f\n", m.accuracy);
    std::printf("  balanced accuracy  %.4f\n", m.balancedAccuracy);
    std::printf("  NG precision       %.4f\n", m.precision);
    std::printf("  NG recall          %.4f\n", m.recall);
    std::printf("  ROC AUC            %.4f\n", m.auc);
    std::printf("  confusion          label NG: %d NG, %d OK | label OK: %d NG, %d OK\n", m.tp,
                m.fn, m.fp, m.tn);
}

int runEval(Args& args)
{
    applyThreads(args);
    BaselineParams params = paramsFrom(args);
    bool json = args.flag("--json");
    bool quiet = args.flag("--quiet");
    auto csv = args.value("--csv");
    auto images = dataFrom(args, "test");
    args.finish();
    if (!args.positionals().empty())
        throw UsageError{"unexpected argument '" + args.positionals().front() + "'"};

    StderrProgress bar("baseline eval", quiet);
    EvalReport rep =
        evaluate(images, params, [&](const kizu::Progress& p) { bar(p.done, p.total, p.item); });
    bar.finish();
    for (const auto& it : rep.items)
        if (!it.error.empty())
            std::fprintf(stderr, "skipped %s: %s\n", it.path.c_str(), it.error.c_str());
    if (csv) writeEvalCsv(rep, *csv);
    const double ips = rep.seconds > 0 ? double(rep.items.size()) / rep.seconds : 0;
    if (json) {
        nlohmann::json j = rep.metrics.toJson();
        j["failed"] = rep.failed;
        j["seconds"] = rep.seconds;
        j["imagesPerSecond"] = ips;
        j["params"] = params.toJson();
        std::cout << jsonText(j, 2) << "\n";
    } else {
        printMetrics("baseline", rep.metrics);
        std::printf("  time               %.2f s (%.0f images/s, decoding included)\n", rep.seconds,
                    ips);
        if (rep.failed) std::printf("  skipped            %d unreadable images\n", rep.failed);
        if (csv) std::printf("per-image CSV: %s\n", csv->c_str());
    }
    return rep.failed ? 1 : 0;
}

int runTune(Args& args)
{
    applyThreads(args);
    TuneOptions opt;
    if (auto s = args.value("--start")) opt.start = BaselineParams::load(*s);
    opt.seed = std::uint64_t(args.intValue("--seed", 1));
    opt.budgetSeconds = args.doubleValue("--budget", 0);
    opt.trials = int(args.intValue("--trials", opt.budgetSeconds > 0 ? 0 : 60));
    opt.rulesPerTrial = int(args.intValue("--rules", 400));
    bool json = args.flag("--json");
    bool quiet = args.flag("--quiet");
    auto out = args.value("--out");
    if (!out) throw UsageError{"--out P.json is required"};
    std::string testSplit = args.value("--test-split", "test");
    DataSource source;
    auto train = dataFrom(args, "train", &source);
    args.finish();
    if (opt.budgetSeconds < 0) throw UsageError{"--budget must be positive"};

    StderrProgress bar("baseline tune", quiet);
    std::string stage;
    kizu::CancelToken never;
    TuneReport rep = tuneBaseline(
        train, opt,
        [&](const kizu::Progress& p) {
            if (p.stage != stage) {
                bar.finish();
                bar = StderrProgress("baseline " + p.stage, quiet);
                stage = p.stage;
            }
            bar(p.done, p.total, p.item);
        },
        &never);
    bar.finish();

    std::optional<EvalReport> test;
    if (testSplit != "none" && source.hasSplits()) {
        auto testImages = loadSource(source, testSplit);
        StderrProgress tbar("baseline eval " + testSplit, quiet);
        test =
            evaluate(testImages, rep.best, [&](const kizu::Progress& p) { tbar(p.done, p.total); });
        tbar.finish();
    }

    nlohmann::json file = rep.best.toJson();
    nlohmann::json note = {{"seed", opt.seed},
                           {"trials", rep.trials},
                           {"rulesTried", rep.rulesTried},
                           {"seconds", rep.seconds},
                           {source.project ? "project" : "data", source.dir},
                           {"train", rep.train.toJson()}};
    if (test) note["test"] = test->metrics.toJson();
    file["_tuned"] = note;
    kizu::writeFileAtomic(*out, file.dump(2) + "\n");

    if (json) {
        nlohmann::json j = note;
        j["start"] = rep.start.toJson();
        j["params"] = rep.best.toJson();
        j["budgetReached"] = rep.budgetReached;
        std::cout << jsonText(j, 2) << "\n";
    } else {
        std::printf("tuned %d image stages x %d rules in %.1f s (seed %llu)%s\n", rep.trials,
                    opt.rulesPerTrial, rep.seconds, (unsigned long long)opt.seed,
                    rep.budgetReached ? ", time budget reached" : "");
        printMetrics("start parameters on train", rep.start);
        printMetrics("chosen parameters on train", rep.train);
        if (test) printMetrics(("chosen parameters on " + testSplit).c_str(), test->metrics);
        std::printf("chosen parameters written to %s:\n%s\n", out->c_str(),
                    rep.best.toJson().dump(2).c_str());
    }
    return 0;
}

int runSingle(Args& args)
{
    applyThreads(args);
    BaselineParams params = paramsFrom(args);
    auto overlay = args.value("--overlay");
    args.finish();
    auto files = args.positionals();
    if (files.empty()) throw UsageError{"give one or more image files"};
    if (overlay) fs::create_directories(*overlay);
    int ng = 0;
    for (const auto& f : files) {
        cv::Mat img = kizu::imaging::readImage(f);
        BaselineResult r = runBaseline(img, params, bool(overlay));
        ng += r.ng;
        std::printf("%s  %s  score %.3f", f.c_str(), r.ng ? "NG" : "OK", r.score);
        if (r.decidingBlob >= 0) {
            const Blob& b = r.blobs[std::size_t(r.decidingBlob)];
            std::printf("  blob %d at (%.0f,%.0f) area %.0f length %.1f width %.1f contrast %.1f",
                        r.decidingBlob, b.centroid.x, b.centroid.y, b.area, b.length, b.width,
                        b.contrast);
        }
        std::printf("\n");
        if (overlay) {
            cv::Mat ov = renderOverlay(img, r);
            fs::path target = fs::path(*overlay) / (fs::path(f).stem().string() + "_overlay.png");
            std::vector<uchar> bytes;
            cv::imencode(".png", ov, bytes);
            kizu::writeFileAtomic(target,
                                  std::string_view((const char*)bytes.data(), bytes.size()));
        }
    }
    return 0;
}

int run(Args& args)
{
    std::string sub = args.takeFirst();
    if (sub == "eval") return runEval(args);
    if (sub == "tune") return runTune(args);
    if (sub == "run") return runSingle(args);
    if (sub == "defaults") {
        args.finish();
        std::cout << jsonText(BaselineParams{}.toJson(), 2) << "\n";
        return 0;
    }
    if (sub.empty()) throw UsageError{"which subcommand: eval, tune, run or defaults?"};
    throw UsageError{"unknown subcommand '" + sub + "'"};
}

const Registrar reg({"baseline", "Classical DoG/blob baseline: eval, tune, run", kHelp, run});

} // namespace
} // namespace kizu::cli
