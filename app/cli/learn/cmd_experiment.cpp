// kizu-cli experiment: the study's few-shot sweep (its Table 1) on the user's data; argument
// parsing and messages only. The sweep itself (plan, runs, resume from OUT/results.csv, merge)
// is core's (core/learn/sweep.h), shared with the Compare page's Run sweep. --shard i/n runs
// every n-th run (array jobs) and `experiment merge` joins the pieces.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "app/cli/learn/learn_data.h"
#include "core/common/error.h"
#include "core/experiment/experiment.h"
#include "core/learn/sweep.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <tuple>

namespace kizu::cli {
namespace {
namespace fs = std::filesystem;
namespace ex = kizu::experiment;

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string s; std::getline(ss, s, ',');)
        if (!s.empty()) out.push_back(s);
    return out;
}

int runSweep(Args& args)
{
    // The Train page's and `kizu-cli train`'s defaults (core/learn/defaults.h).
    learn::SweepOptions o = learn::defaultSweepOptions();
    o.arch = args.value("--model", o.arch);
    o.head = args.value("--head", o.head);
    if (o.head != "classifier" && o.head != "defect_map")
        throw UsageError{"--head: give classifier or defect_map, not '" + o.head + "'"};
    o.keepAspect = o.head == "defect_map";
    if (args.flag("--square")) o.keepAspect = false;
    if (args.flag("--no-randaugment")) o.randAugment = false;
    o.size = int(args.intValue("--size", o.size));
    o.steps = args.intValue("--steps", o.steps);
    o.batch = int(args.intValue("--batch", o.batch));
    o.threads = int(args.intValue("--threads", 0));
    o.device = args.value("--device", "cpu");
    o.shots = args.value("--shots", o.shots);
    o.inits = splitList(args.value("--inits", "scratch,imagenet,cg,baseline"));
    o.seeds.clear();
    for (const auto& s : splitList(args.value("--seeds", "1,2,3"))) {
        try {
            o.seeds.push_back(std::stoull(s));
        } catch (const std::exception&) {
            throw UsageError{"--seeds: '" + s + "' is not a number"};
        }
    }
    o.imagenetWeights = args.value("--imagenet", "");
    o.cgModel = args.value("--cg", "");
    o.baselineStart = args.value("--baseline-start", "");
    o.baselineTrials = int(args.intValue("--baseline-trials", 40));
    const auto transplantText = args.value("--transplant");
    if (transplantText) {
        try {
            std::size_t used = 0;
            o.transplant = std::stod(*transplantText, &used);
            if (used != transplantText->size()) throw std::invalid_argument("ratio");
        } catch (const std::exception&) {
            throw UsageError{"--transplant: give the share of each batch made of CG defect "
                             "transplants, a number in (0, 1) (e.g. 0.5), not '" +
                             *transplantText + "'"};
        }
        if (!(o.transplant > 0 && o.transplant < 1))
            throw UsageError{"--transplant: the share of each batch made of CG defect "
                             "transplants must be in (0, 1) (e.g. 0.5), got " +
                             *transplantText};
    }
    o.transplantParams = args.value("--transplant-params", "");
    if (const auto px = args.value("--px-per-mm")) {
        try {
            std::size_t used = 0;
            o.transplantPxPerMm = std::stod(*px, &used);
            if (used != px->size() || !(o.transplantPxPerMm > 0))
                throw std::invalid_argument("scale");
        } catch (const std::exception&) {
            throw UsageError{"--px-per-mm: give the photos' scale, pixels per millimetre of the "
                             "surface, a number above 0 (e.g. 80), not '" +
                             *px + "'"};
        }
    }
    o.anomalyTrunk = args.value("--anomaly-trunk", "");
    o.anomalySize = int(args.intValue("--anomaly-size", 0));
    o.anomalyCoreset = args.doubleValue("--coreset", 0);
    o.anomalyOkRule = args.value("--anomaly-threshold", "");
    if (o.anomalyCoreset < 0 || o.anomalyCoreset > 1)
        throw UsageError{"--coreset: the share of OK patches PatchCore keeps, in (0, 1]"};
    const std::string shardText = args.value("--shard", "0/1");
    const auto outArg = args.value("--out");
    const bool quiet = args.flag("--quiet");
    DataChoice data = chooseData(args, "train");
    args.finish();
    if (!outArg)
        throw UsageError{"--out DIR is required (results.csv, table.md and the chart go there)"};
    if (o.seeds.empty()) throw UsageError{"--seeds: give at least one seed"};
    if (o.inits.empty())
        throw UsageError{"--inits: give at least one of scratch,imagenet,cg,baseline"};
    std::tie(o.shardIndex, o.shardCount) = ex::parseShard(shardText);
    try {
        (void)learn::sweepInitSpecs(o);
    } catch (const InvalidArgument& e) {
        throw UsageError{e.what()};
    }
    const fs::path out = *outArg;

    learn::SweepData sweepData{data.items, data.testItems(), data.description};
    const auto plan = learn::planSweep(out, o, sweepData);
    if (!quiet)
        std::fprintf(stderr,
                     "experiment: %s: %lld OK + %lld NG train, %zu test images; shots %s; "
                     "%zu runs in shard %d/%d, %zu done, %zu to go\n",
                     data.description.c_str(), (long long)plan.trainOk, (long long)plan.trainNg,
                     sweepData.test.size(), o.shots.c_str(), plan.runs.size(), o.shardIndex,
                     o.shardCount, plan.runs.size() - plan.pending.size(), plan.pending.size());

    const auto started = std::chrono::steady_clock::now();
    const auto result = learn::runSweep(
        plan, o, sweepData,
        [&](const learn::SweepProgress& p) {
            if (quiet || !p.finished) return;
            const auto& r = *p.finished;
            std::fprintf(stderr,
                         "experiment: [%zu/%zu] %-19s %3d shots seed %llu: accuracy %.4f, "
                         "balanced %.4f, AUC %.4f (train %.1f s, eval %.1f s); ETA %.0f min\n",
                         p.runsDone, p.runsTotal, r.key.init.c_str(), r.key.shots,
                         (unsigned long long)r.key.seed, r.accuracy, r.balancedAccuracy, r.auc,
                         r.trainSeconds, r.evalSeconds, p.etaSeconds / 60);
        },
        &interruptToken());
    if (result.done < plan.pending.size()) {
        std::fprintf(stderr,
                     "experiment: stopped after %zu of %zu runs; the same command "
                     "continues with the rest.\n",
                     result.done, plan.pending.size());
        return 130;
    }
    learn::writeSweepReport(out, result.rows, plan.title);
    if (!quiet) std::cout << ex::markdownTable(result.rows, "accuracy");
    const double minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60;
    std::fprintf(stderr, "experiment: %zu runs in %s (%.1f min this session); table %s, chart %s\n",
                 result.rows.size(), (out / "results.csv").string().c_str(), minutes,
                 (out / "table.md").string().c_str(),
                 (out / "accuracy_vs_shots.png").string().c_str());
    return 0;
}

int runMerge(Args& args)
{
    const auto outArg = args.value("--out");
    const auto parts = args.positionals();
    args.finish();
    if (!outArg) throw UsageError{"--out DIR is required"};
    if (parts.empty()) throw UsageError{"name the shard folders to merge"};
    std::vector<fs::path> dirs(parts.begin(), parts.end());
    const fs::path out = *outArg;
    const auto rows = learn::mergeSweeps(dirs, out);
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
    learn::writeSweepReport(dir, rows);
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
     "                       shots; station is exactly what the Train page trains when the\n"
     "                       operator just presses Train (its network, input, start, budget\n"
     "                       and transplants: --model, --size, --head, --steps do not apply)\n"
     "                       X+transplant (e.g. imagenet+transplant, cg+transplant): start X\n"
     "                       with CG defects transplanted onto the OK photos of the same\n"
     "                       shots in every batch (the threshold then chosen on held-out data)\n"
     "                       patchcore fits PatchCore (from OK photos only) to the N OK\n"
     "                       photos of the same shots (runs below 2 shots are left out);\n"
     "                       patchcore-imagenet, -cg, -cgmap name its frozen trunk\n"
     "  --anomaly-trunk T    patchcore's trunk: imagenet, cg or cgmap (default: the station's)\n"
     "  --anomaly-size PX    patchcore's input, the long side (default 320)\n"
     "  --coreset F          share of OK patches patchcore remembers (default 0.25,\n"
     "                       at most 4096)\n"
     "  --anomaly-threshold max|quantile|normal   patchcore's OK-only threshold rule\n"
     "  --transplant R       the share of each batch made of transplants in the X+transplant\n"
     "                       runs (default 0.25; recorded in results.csv's transplant column)\n"
     "  --transplant-params NAME|FILE   their CG preset or parameters (default pitting)\n"
     "  --px-per-mm X        the photos' scale for the transplants (default: each photo's\n"
     "                       estimate from its grinding marks or a 4 mm field of view)\n"
     "  --seeds LIST         default 1,2,3\n"
     "  --imagenet FILE.pth  torchvision ImageNet weights (default: the one found in\n"
     "                       $KIZU_WEIGHTS_DIR or beside the source tree)\n"
     "  --cg FILE            CG-pretrained model (default: the shipped one for --model)\n"
     "  --baseline-start P.json --baseline-trials N (default 40)\n"
     "  --model ARCH --size PX (default squeezenet1_1, 128) --steps N (default 150)\n"
     "  --head classifier|defect_map   the network of scratch, imagenet, cg (default\n"
     "                       classifier); defect_map keeps the photos' aspect (--size is the\n"
     "                       long side) unless --square\n"
     "  --no-randaugment     crops and flips only\n"
     "  --batch B (default 16) --threads N --device cpu|cuda\n"
     "  --shard i/n          only every n-th run starting at i (array jobs; one --out per shard,\n"
     "                       then merge)\n\n"
     "Examples:\n"
     "  kizu-cli experiment run --data ../shared/data/bsdata --out exp/bsdata \\\n"
     "      --imagenet squeezenet1_1-imagenet.pth --baseline-start "
     "resources/baseline/bsdata_start.json\n"
     "  # on 4 machines (Slurm: --shard $SLURM_ARRAY_TASK_ID/4), then:\n"
     "  kizu-cli experiment merge exp/shard0 exp/shard1 exp/shard2 exp/shard3 --out exp/all\n",
     experimentCmd}};

} // namespace
} // namespace kizu::cli
