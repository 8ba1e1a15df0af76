// kizu-cli eval: measures a Kizu model on a test split (threshold from training).
#include "app/cli/commands.h"
#include "app/cli/learn/learn_data.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/evaluate/evaluate.h"

#include <cstdio>
#include <iostream>

namespace kizu::cli {
namespace {

int evalCmd(Args& args)
{
    auto modelPath = args.value("--model");
    if (!modelPath) throw UsageError{"--model FILE is required"};
    auto csv = args.value("--csv");
    const bool asJson = args.flag("--json");
    const bool quiet = args.flag("--quiet");
    const std::string device = args.value("--device", "cpu");
    const int threads = int(args.intValue("--threads", 0));
    DataChoice data = chooseData(args, "test");
    args.finish();

    learn::setTorchThreads(threads);
    auto model = learn::Model::load(*modelPath);
    model.setDevice(device);
    StderrProgress bar("eval", quiet || asJson);
    auto r = learn::evaluate(
        model, data.items, [&](const Progress& p) { bar(p.done, p.total); }, &interruptToken());
    bar.finish();
    if (r.cancelled) {
        std::fprintf(stderr, "eval: interrupted\n");
        return 130;
    }
    if (csv) writeFileAtomic(*csv, learn::scoresCsv(r.images));
    const auto& m = r.metrics;
    if (asJson) {
        auto j = learn::toJson(m);
        j["model"] = *modelPath;
        j["data"] = data.description;
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    std::printf("Model %s (%s, %d px) on %s\n", modelPath->c_str(), model.info().arch.c_str(),
                model.info().inputSize, data.description.c_str());
    std::printf("  images             %lld (%lld OK, %lld NG)\n", (long long)m.n,
                (long long)(m.tn + m.fp), (long long)(m.tp + m.fn));
    std::printf("  threshold          %.4f (chosen on training data)\n", m.threshold);
    std::printf("  accuracy           %.4f\n  balanced accuracy  %.4f\n", m.accuracy,
                m.balancedAccuracy);
    std::printf("  NG precision       %.4f\n  NG recall          %.4f\n  AUC                %.4f\n",
                m.ngPrecision, m.ngRecall, m.auc);
    std::printf("  confusion          true NG %lld, missed NG %lld, false NG %lld, true OK %lld\n",
                (long long)m.tp, (long long)m.fn, (long long)m.fp, (long long)m.tn);
    if (csv) std::printf("  per-image scores   %s\n", csv->c_str());
    return 0;
}

const Registrar reg{
    {"eval", "measure a model on a test split",
     "Usage: kizu-cli [--project DIR] eval --model FILE [--split test] [OPTIONS]\n"
     "       kizu-cli eval --model FILE --data FOLDER [--split test] [OPTIONS]\n\n"
     "Scores every image and reports accuracy, balanced accuracy, NG precision and\n"
     "recall, the confusion matrix and ROC AUC at the model's own threshold (chosen\n"
     "on its training data). With a BSData-style manifest.csv the test split is used\n"
     "by default; a folder without one is used whole.\n\n"
     "Options:\n"
     "  --csv FILE       write path,label,score,predicted for every image\n"
     "  --json           print all metrics and the ROC curve as JSON\n"
     "  --device cpu|cuda  --threads N  --quiet\n\n"
     "Examples:\n"
     "  kizu-cli eval --model spindle.kizumodel --data ../shared/data/bsdata --csv scores.csv\n"
     "  kizu-cli -p ~/kizu/spindles eval --model spindle.kizumodel --json\n",
     evalCmd}};

} // namespace
} // namespace kizu::cli
