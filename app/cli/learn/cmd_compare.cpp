// kizu-cli compare: models and the classical baseline on the same test set, side by side (the
// Compare page's table, from the command line), with an optional HTML report.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/evaluate/compare.h"
#include "core/evaluate/compare_report.h"
#include "core/evaluate/scoring.h"
#include "core/project/project_store.h"

#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

namespace kizu::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> splitList(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

std::string isoNow()
{
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

int compareCmd(Args& args)
{
    std::vector<std::string> models;
    for (const auto& v : args.values("--models"))
        for (auto& m : splitList(v))
            models.push_back(m);
    for (const auto& v : args.values("--model"))
        models.push_back(v);
    const bool withBaseline = args.flag("--baseline");
    auto paramsFile = args.value("--baseline-params");
    auto reportFile = args.value("--report");
    auto cacheOpt = args.value("--cache");
    const bool noCache = args.flag("--no-cache");
    const bool asJson = args.flag("--json");
    const bool quiet = args.flag("--quiet");
    const int worst = int(args.intValue("--worst", 12));
    const int threads = int(args.intValue("--threads", 0));
    const auto dataArg = args.value("--data");
    const auto splitArg = args.value("--split");
    const std::string projectFolder = dataArg ? std::string() : projectDir(args);
    args.finish();
    if (models.empty() && !withBaseline)
        throw UsageError{
            "name at least one model (--models A.kizumodel,B.kizumodel) or --baseline"};
    for (const auto& m : models)
        if (!fs::exists(m)) throw IoError("Model file " + m + " not found.");

    // The test set as the Compare page chooses it (core/evaluate/scoring.h).
    const learn::TestSet data =
        dataArg ? learn::folderTestSet(*dataArg, splitArg.value_or(""))
                : learn::projectTestSet(projectFolder, splitArg.value_or("test"));
    baseline::BaselineParams params;
    std::string paramsFrom = "defaults";
    if (paramsFile) {
        params = baseline::BaselineParams::load(*paramsFile);
        paramsFrom = *paramsFile;
    } else if (!dataArg) {
        auto store = project::ProjectStore::open(projectFolder);
        if (auto saved = store.meta("baseline_params"); saved && !saved->empty()) {
            params = baseline::BaselineParams::fromJson(nlohmann::json::parse(*saved));
            paramsFrom = "the project's tuned parameters";
        }
    }
    learn::ScoringRequest request;
    for (const auto& m : models)
        request.models.push_back(m);
    request.baseline = withBaseline;
    request.baselineParams = params;
    if (cacheOpt)
        request.cacheDir = *cacheOpt;
    else if (!dataArg)
        request.cacheDir = fs::path(projectFolder) / "cache" / "eval";
    if (noCache) request.cacheDir.clear();

    learn::setTorchThreads(threads);
    const std::string& hash = data.imagesHash; // labels are not part of scores
    const std::vector<int>& labels = data.labels;

    // One progress bar per method scored; a cached method only says so.
    std::unique_ptr<StderrProgress> bar;
    std::string current;
    std::int64_t methodStart = 0; // progress counts images over all methods
    const auto n = std::int64_t(data.items.size());
    auto scored = learn::scoreTestSet(
        data, request,
        [&](const Progress& p) {
            if (p.stage != current) {
                if (bar) bar->finish();
                bar.reset();
                current = p.stage;
                methodStart = p.done;
            }
            if (p.item == "cache") {
                if (!quiet && !asJson)
                    std::fprintf(stderr, "compare: %s from the cache\n", p.stage.c_str());
                return;
            }
            if (!bar) bar = std::make_unique<StderrProgress>(p.stage, quiet || asJson);
            (*bar)(p.done - methodStart, n);
        },
        &interruptToken());
    if (bar) bar->finish();
    if (scored.cancelled) {
        std::fprintf(stderr, "compare: interrupted\n");
        return 130;
    }
    const std::vector<learn::MethodScores>& methods = scored.methods;

    std::vector<learn::ReportMethod> rows;
    std::vector<double> thresholds;
    for (const auto& m : methods) {
        rows.push_back({m.name, learn::metricsAt(m, labels, m.threshold), m.msPerImage});
        thresholds.push_back(m.threshold);
    }
    const auto verdicts = learn::imageVerdicts(methods, thresholds, labels);
    const auto errors = learn::filterVerdicts(verdicts, learn::ErrorFilter::Errors);

    if (reportFile) {
        learn::CompareReport report;
        report.data =
            data.description + " (" + counted(std::int64_t(data.items.size()), "image") + ")";
        report.createdAt = isoNow();
        report.methods = rows;
        std::unique_ptr<learn::Model> firstModel;
        if (!models.empty())
            firstModel = std::make_unique<learn::Model>(learn::Model::load(models.front()));
        for (int k = 0; k < int(errors.size()) && k < worst; ++k) {
            const auto& v = errors[std::size_t(k)];
            learn::ReportError e;
            e.path = data.items[v.index].path.string();
            e.label = v.label;
            e.predicted = v.predicted;
            for (const auto& m : methods)
                e.scores.push_back(m.scores[v.index]);
            cv::Mat im = cv::imread(e.path, cv::IMREAD_COLOR);
            if (!im.empty())
                e.imageUri = learn::jpegDataUri(
                    learn::annotatedImage(im, withBaseline ? &params : nullptr, firstModel.get()),
                    260);
            report.errors.push_back(std::move(e));
        }
        writeFileAtomic(*reportFile, learn::compareReportHtml(report));
    }

    if (asJson) {
        nlohmann::json j;
        j["data"] = data.description;
        j["images"] = data.items.size();
        j["data_hash"] = data.dataHash;
        j["images_hash"] = hash;
        auto arr = nlohmann::json::array();
        for (std::size_t k = 0; k < methods.size(); ++k) {
            auto mj = learn::toJson(rows[k].metrics.metrics, false);
            mj["name"] = methods[k].name;
            mj["kind"] = methods[k].kind;
            mj["id"] = methods[k].id;
            mj["file"] = methods[k].file;
            mj["f1"] = rows[k].metrics.f1;
            mj["ms_per_image"] = methods[k].msPerImage;
            mj["cached"] = methods[k].fromCache;
            arr.push_back(mj);
        }
        j["methods"] = arr;
        j["errors"] = errors.size();
        int disagree = 0;
        for (const auto& v : verdicts)
            disagree += v.disagree ? 1 : 0;
        j["disagreements"] = disagree;
        if (reportFile) j["report"] = *reportFile;
        std::cout << j.dump() << "\n";
        return 0;
    }
    const auto [ok, ng] = learn::classCounts(data.items);
    std::printf("Compare on %s: %zu images (%lld OK, %lld NG)\n", data.description.c_str(),
                data.items.size(), (long long)ok, (long long)ng);
    if (withBaseline) std::printf("Baseline parameters: %s\n", paramsFrom.c_str());
    std::printf("\n%-40s %9s %8s %8s %8s %8s %8s %8s %9s\n", "method", "threshold", "accuracy",
                "bal.acc", "NG rec", "NG prec", "F1", "AUC", "ms/image");
    for (const auto& r : rows) {
        const auto& m = r.metrics.metrics;
        std::printf("%-40s %9.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %9.1f\n",
                    r.name.substr(0, 40).c_str(), m.threshold, m.accuracy, m.balancedAccuracy,
                    m.ngRecall, m.ngPrecision, r.metrics.f1, m.auc, r.msPerImage);
    }
    std::printf("\nConfusion (true NG / missed NG / false NG / true OK):\n");
    for (const auto& r : rows) {
        const auto& m = r.metrics.metrics;
        std::printf("  %-40s %lld / %lld / %lld / %lld\n", r.name.substr(0, 40).c_str(),
                    (long long)m.tp, (long long)m.fn, (long long)m.fp, (long long)m.tn);
    }
    int disagree = 0;
    for (const auto& v : verdicts)
        disagree += v.disagree ? 1 : 0;
    std::printf("\n%zu images with an error, %d where the methods disagree.\n", errors.size(),
                disagree);
    if (reportFile) std::printf("Report: %s\n", reportFile->c_str());
    return 0;
}

const Registrar reg{
    {"compare", "models and the classical baseline side by side on one test set",
     "Usage: kizu-cli [--project DIR] compare --models A.kizumodel[,B...] [--baseline] [OPTIONS]\n"
     "       kizu-cli compare --data FOLDER --models A.kizumodel[,B...] [--baseline] [OPTIONS]\n\n"
     "Scores the test set (a project's split, by default test; or a folder with ok/ and ng/,\n"
     "or a BSData manifest.csv) with every model and, with --baseline, the classical\n"
     "baseline, and prints accuracy, balanced accuracy, NG recall and precision, F1, AUC and\n"
     "milliseconds per image at each method's own threshold, with the confusion matrices.\n"
     "Scores are cached per method and per the images' content in the project's\n"
     "cache/eval/, so a second run (or the Compare page) does not score the same images\n"
     "again, also after some were relabeled (labels change the metrics, not the scores).\n\n"
     "Options:\n"
     "  --models A,B        model files (or --model FILE, repeatable)\n"
     "  --baseline          include the classical baseline (the project's tuned parameters,\n"
     "                      else --baseline-params FILE, else the defaults)\n"
     "  --split S           train, test (default) or all\n"
     "  --report FILE       write an HTML report: table, ROC curves, worst errors\n"
     "  --worst N           errors shown in the report (12)\n"
     "  --cache DIR | --no-cache   where scores are cached (a folder run caches only with "
     "--cache)\n"
     "  --json  --threads N  --quiet\n\n"
     "Examples:\n"
     "  kizu-cli -p ~/kizu/spindles compare --models a.kizumodel,b.kizumodel --baseline\n"
     "  kizu-cli compare --data ../shared/data/bsdata --models a.kizumodel --baseline \\\n"
     "      --baseline-params tuned.json --report compare.html\n",
     compareCmd}};

} // namespace
} // namespace kizu::cli
