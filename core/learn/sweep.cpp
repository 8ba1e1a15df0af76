#include "core/common/clock.h"
#include "core/learn/sweep.h"

#include "core/baseline/baseline_eval.h"
#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/paths.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/defaults.h"
#include "core/learn/model.h"
#include "core/learn/patchcore.h"
#include "core/learn/trainer.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace kizu::learn {

namespace fs = std::filesystem;
namespace ex = kizu::experiment;
using nlohmann::json;

namespace {
std::string titleOf(const json& cfg)
{
    std::ostringstream o;
    o << cfg.value("arch", std::string("?")) << " at " << cfg.value("size", 0) << " px, "
      << cfg.value("steps", 0) << " steps: test accuracy vs shots per class";
    return o.str();
}

json readConfig(const fs::path& dir)
{
    const fs::path file = dir / "experiment.json";
    std::error_code ec;
    if (!fs::exists(file, ec)) return json::object();
    json c = json::parse(readFile(file), nullptr, false);
    return c.is_discarded() ? json::object() : c;
}

// The settings every row of results.csv depends on: a resumed or merged sweep must match them.
// Joins a start and its transplant settings in the spec of an init X+transplant.
constexpr const char* kTransplantSpec = " +transplant ";
constexpr const char* kFixedSettings[] = {"arch",       "size",      "steps", "batch",
                                          "train_hash", "test_hash", "head",  "keep_aspect",
                                          "rand_augment"};
// A fixed setting as a folder records it; folders from before a setting existed ran with its
// default (the classifier at a square size, RandAugment on).
json fixedValue(const json& cfg, const char* key)
{
    if (cfg.is_object() && cfg.contains(key)) return cfg[key];
    const std::string k = key;
    if (k == "head") return "classifier";
    if (k == "keep_aspect") return false;
    if (k == "rand_augment") return true;
    return json();
}
} // namespace

bool isPatchCoreInit(const std::string& init)
{
    return init == "patchcore" || init.rfind("patchcore-", 0) == 0;
}

SweepOptions defaultSweepOptions()
{
    const DefaultRoute& route = defaultRoute();
    SweepOptions o;
    o.transplant = route.transplantRatioWhenOn;
    o.arch = route.arch;
    o.size = route.classifierInputSize;
    o.steps = route.steps;
    o.batch = route.batch;
    return o;
}

std::map<std::string, std::string> sweepInitSpecs(const SweepOptions& o)
{
    std::map<std::string, std::string> spec;
    for (const auto& i : o.inits) {
        if (ex::isTransplantInit(i)) {
            const std::string base = ex::baseInit(i);
            if (base == "station")
                throw InvalidArgument("init " + i +
                                      ": station already trains the Train page's route, with its "
                                      "own transplant setting; use station.");
            if (base == "baseline" || ex::isTransplantInit(base))
                throw InvalidArgument("Unknown initialisation '" + i +
                                      "': transplants go with a network's start (scratch, "
                                      "imagenet, cg or station), e.g. imagenet+transplant.");
            if (!(o.transplant > 0 && o.transplant < 1))
                throw InvalidArgument("init " + i +
                                      " needs a transplant ratio in (0, 1) (--transplant, e.g. "
                                      "0.5), not " + std::to_string(o.transplant) + ".");
            SweepOptions one = o;
            one.inits = {base};
            std::ostringstream r;
            r << sweepInitSpecs(one).at(base) << kTransplantSpec << o.transplant << " "
              << (o.transplantParams.empty() ? defaultRoute().transplantParams
                                             : o.transplantParams);
            if (o.transplantPxPerMm > 0) r << " px_per_mm " << o.transplantPxPerMm;
            spec[i] = r.str();
            continue;
        }
        if (isPatchCoreInit(i)) {
            const DefaultRoute& r = defaultRoute();
            const std::string trunk =
                i == "patchcore" ? (o.anomalyTrunk.empty() ? r.anomalyTrunk : o.anomalyTrunk)
                                 : i.substr(10);
            std::ostringstream st;
            st << anomalyTrunkInit(o.arch, trunk) << " patchcore " << o.arch << " trunk " << trunk
               << " aspect " << (o.anomalySize > 0 ? o.anomalySize : r.anomalyInputSize)
               << " coreset " << (o.anomalyCoreset > 0 ? o.anomalyCoreset : r.anomalyCoreset)
               << " max " << r.anomalyMaxMemory
               << " frr " << r.anomalyFalseReject << " rule "
               << (o.anomalyOkRule.empty() ? r.anomalyOkRule : o.anomalyOkRule) << " ok_only";
            spec[i] = st.str();
        } else if (i == "scratch") {
            spec[i] = "scratch";
        } else if (i == "station") {
            // What the Train page trains when the operator just presses Train: its network,
            // input, start, budget and transplants (the sweep's --model, --size, --steps and
            // --head do not apply to it).
            const DefaultRoute& r = defaultRoute();
            std::ostringstream st;
            st << defaultInit(r.arch, r.head).init << " route " << r.arch << " " << r.head << " "
               << (r.keepAspectFor(r.head) ? "aspect " : "square ") << r.inputSizeFor(r.head)
               << " steps " << r.steps
               << " batch " << r.batch
               << (r.head == "defect_map" && !r.mapRandAugment ? " no_randaugment" : "");
            if (r.transplantRatio > 0) st << kTransplantSpec << r.transplantRatio << " " << r.transplantParams;
            spec[i] = st.str();
        } else if (i == "imagenet") {
            const std::string f = !o.imagenetWeights.empty() ? o.imagenetWeights
                                                             : findImagenetWeights(o.arch).string();
            if (f.empty())
                throw InvalidArgument("init imagenet needs torchvision's ImageNet weights for " +
                                      o.arch +
                                      " (--imagenet FILE.pth); none was found in "
                                      "$KIZU_WEIGHTS_DIR or beside the source tree.");
            spec[i] = "imagenet:" + f;
        } else if (i == "cg") {
            const std::string f = !o.cgModel.empty() ? o.cgModel : defaultCgModel(o.arch).string();
            if (f.empty())
                throw InvalidArgument("init cg needs a CG-pretrained " + o.arch +
                                      " (--cg FILE): none is shipped; make one with kizu-cli "
                                      "pretrain.");
            spec[i] = "cg:" + f;
        } else if (i == "baseline") {
            spec[i] = !o.baselineStart.empty() ? o.baselineStart : "defaults";
        } else {
            throw InvalidArgument("Unknown initialisation '" + i +
                                  "': use station, scratch, imagenet, cg, baseline, patchcore "
                                  "(or patchcore-imagenet, -cg, -cgmap), or a "
                                  "network's start with transplants: X+transplant (e.g. "
                                  "imagenet+transplant).");
        }
    }
    return spec;
}

SweepPlan planSweep(const fs::path& out, const SweepOptions& o, const SweepData& data)
{
    if (o.seeds.empty()) throw InvalidArgument("A sweep needs at least one seed.");
    if (o.inits.empty())
        throw InvalidArgument(
            "A sweep needs at least one initialisation (scratch, imagenet, cg, baseline).");
    if (o.size <= 0 || o.steps <= 0 || o.batch <= 0)
        throw InvalidArgument("A sweep needs a positive input size, step count and batch.");
    if (data.test.empty())
        throw InvalidArgument("The test split of " + data.description +
                              " is empty: assign some images to the test split first.");
    SweepPlan plan;
    plan.out = out;
    plan.initSpecs = sweepInitSpecs(o);
    const auto [nOk, nNg] = classCounts(data.train);
    plan.trainOk = nOk;
    plan.trainNg = nNg;
    plan.shots = ex::parseShots(o.shots, int(std::min(nOk, nNg)));
    plan.runs = ex::planRuns(plan.shots, o.inits, o.seeds, o.shardIndex, o.shardCount);
    // PatchCore sets its threshold on OK photos it does not remember: at least two.
    plan.runs.erase(std::remove_if(plan.runs.begin(), plan.runs.end(),
                                   [](const ex::RunKey& k) {
                                       return isPatchCoreInit(k.init) && k.shots < 2;
                                   }),
                    plan.runs.end());

    json cfg{{"arch", o.arch},
             {"size", o.size},
             {"head", o.head},
             {"keep_aspect", o.keepAspect},
             {"rand_augment", o.randAugment},
             {"steps", o.steps},
             {"batch", o.batch},
             {"device", o.device},
             {"train_hash", dataHash(data.train)},
             {"test_hash", dataHash(data.test)},
             {"data", data.description},
             {"inits", plan.initSpecs},
             {"transplant", o.transplant},
             {"baseline_trials", o.baselineTrials}};
    fs::create_directories(out);
    const fs::path cfgFile = out / "experiment.json";
    if (fs::exists(cfgFile)) {
        json old = json::parse(readFile(cfgFile), nullptr, false);
        for (const char* k : kFixedSettings)
            if (old.is_discarded() || fixedValue(old, k) != cfg[k])
                throw InvalidArgument(out.string() + " holds a sweep with other settings (" + k +
                                      " differs). Use another folder, or the same settings to "
                                      "continue it.");
        for (auto& [k, v] : plan.initSpecs)
            if (old["inits"].contains(k) && old["inits"][k] != v)
                throw InvalidArgument(out.string() + " holds a sweep whose init '" + k +
                                      "' started from " + old["inits"][k].dump() + ", not " + v +
                                      ". Use another folder.");
        for (auto& [k, v] : old["inits"].items())
            if (!cfg["inits"].contains(k)) cfg["inits"][k] = v;
    }
    plan.configJson = cfg.dump(2) + "\n";
    writeFileAtomic(cfgFile, plan.configJson);
    plan.title = titleOf(cfg);

    const auto rows = ex::readResults(out / "results.csv");
    for (const auto& k : plan.runs)
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const ex::RunResult& r) { return r.key == k; }))
            plan.pending.push_back(k);
    return plan;
}

void writeSweepReport(const fs::path& dir, const std::vector<ex::RunResult>& rows,
                      std::string title)
{
    if (rows.empty()) return;
    if (title.empty()) title = titleOf(readConfig(dir));
    std::string md = "# " + title +
                     "\n\nTest accuracy (%), mean ± sample standard deviation over "
                     "seeds (number of seeds).\n\n" +
                     ex::markdownTable(rows, "accuracy") + "\n\nBalanced accuracy (%):\n\n" +
                     ex::markdownTable(rows, "balanced_accuracy") + "\n\nAUC (%):\n\n" +
                     ex::markdownTable(rows, "auc");
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

std::vector<LabeledPath> sweepShots(const SweepData& data, const ex::RunKey& key)
{
    return drawShots(data.train, key.shots, key.seed);
}

TrainConfig sweepTrainConfig(const SweepPlan& plan, const SweepOptions& o, const ex::RunKey& key)
{
    TrainConfig tc;
    const std::string spec = plan.initSpecs.at(key.init);
    if (key.init == "station") {
        const DefaultRoute& r = defaultRoute();
        tc.arch = r.arch;
        tc.head = r.head;
        tc.keepAspect = r.keepAspectFor(r.head);
        tc.inputSize = r.inputSizeFor(r.head);
        tc.init = spec.substr(0, spec.find(" route "));
        tc.steps = r.steps;
        tc.batch = r.batch;
        tc.seed = key.seed;
        tc.threads = o.threads;
        tc.device = o.device;
        if (r.head == "defect_map" && !r.mapRandAugment) tc.augment.randAugment = false;
        if (!r.augment) {
            tc.augment.randAugment = tc.augment.randomResizedCrop = false;
            tc.augment.hflip = tc.augment.vflip = false;
        }
        if (r.transplantRatio > 0) {
            tc.transplant.ratio = r.transplantRatio;
            tc.transplant.params = r.transplantParams;
            tc.transplant.pxPerMm = o.transplantPxPerMm;
        }
        return tc;
    }
    tc.arch = o.arch;
    tc.inputSize = o.size;
    tc.head = o.head;
    tc.keepAspect = o.keepAspect;
    tc.augment.randAugment = o.randAugment;
    // X+transplant starts from X's start; its spec adds the transplant settings.
    tc.init = ex::isTransplantInit(key.init) ? spec.substr(0, spec.rfind(kTransplantSpec)) : spec;
    tc.steps = o.steps;
    tc.batch = o.batch;
    tc.seed = key.seed;
    tc.threads = o.threads;
    tc.device = o.device;
    if (ex::isTransplantInit(key.init)) {
        tc.transplant.ratio = o.transplant;
        tc.transplant.params = o.transplantParams;
        tc.transplant.pxPerMm = o.transplantPxPerMm;
    }
    return tc;
}

PatchCoreConfig sweepPatchCoreConfig(const SweepPlan& plan, const SweepOptions& o,
                                     const ex::RunKey& key)
{
    const DefaultRoute& r = defaultRoute();
    PatchCoreConfig c;
    const std::string spec = plan.initSpecs.at(key.init);
    c.arch = o.arch;
    c.init = spec.substr(0, spec.find(" patchcore "));
    c.inputSize = o.anomalySize > 0 ? o.anomalySize : r.anomalyInputSize;
    c.keepAspect = r.anomalyKeepAspect;
    c.coresetFraction = o.anomalyCoreset > 0 ? o.anomalyCoreset : r.anomalyCoreset;
    c.maxMemory = r.anomalyMaxMemory;
    c.falseRejectRate = r.anomalyFalseReject;
    c.okRule = o.anomalyOkRule.empty() ? r.anomalyOkRule : o.anomalyOkRule;
    c.seed = key.seed;
    c.device = o.device;
    return c;
}

SweepResult runSweep(const SweepPlan& plan, const SweepOptions& o, const SweepData& data,
                     const SweepProgressFn& progress, const CancelToken* cancel)
{
    SweepResult out;
    const fs::path csv = plan.out / "results.csv";
    out.rows = ex::readResults(csv);
    if (o.threads > 0) setTorchThreads(o.threads);
    // Images are decoded once per call: training images at the trainer's cache size, the test
    // split at the input size (what the model sees), and for the baseline as files.
    // Keyed by (cache size, aspect): the init "station" may train at another input than the
    // others.
    std::map<std::string, cv::Mat> trainCache;
    std::map<std::string, std::vector<cv::Mat>> testImagesBy;
    std::vector<int> testLabels;
    for (const auto& t : data.test)
        testLabels.push_back(t.label);
    std::vector<baseline::LabeledImage> testLabeled;
    for (const auto& t : data.test)
        testLabeled.push_back({t.path.string(), t.label == kNg, t.group, t.roi});

    const double started = monotonicSeconds();
    SweepProgress status;
    status.runsTotal = plan.pending.size();
    auto tell = [&](std::int64_t step, std::int64_t steps) {
        if (!progress) return;
        status.step = step;
        status.steps = steps;
        status.elapsedSeconds = monotonicSeconds() - started;
        progress(status);
    };
    // A fitted or trained model on the test split, decoded once per input (size, aspect).
    auto measure = [&](const Model& model, ex::RunResult& r) {
        const double t1 = monotonicSeconds();
        const ModelInfo& info = model.info();
        auto& testImages = testImagesBy[std::to_string(info.inputSize) +
                                        (info.keepAspect ? " aspect" : " square")];
        if (testImages.empty())
            for (const auto& t : data.test)
                testImages.push_back(loadForInput(t, info.inputSize, info.keepAspect));
        const auto scores = model.predict(testImages);
        r.evalSeconds = monotonicSeconds() - t1;
        const auto m = computeMetrics(scores, testLabels, info.threshold);
        r.accuracy = m.accuracy;
        r.balancedAccuracy = m.balancedAccuracy;
        r.ngPrecision = m.ngPrecision;
        r.ngRecall = m.ngRecall;
        r.auc = m.auc;
        r.threshold = m.threshold;
    };
    for (const auto& key : plan.pending) {
        if (isCancelled(cancel)) {
            out.cancelled = true;
            break;
        }
        status.run = key;
        status.finished = nullptr;
        tell(0, 0);
        const auto items = sweepShots(data, key);
        ex::RunResult r;
        r.arch = key.init == "baseline" ? "baseline"
                 : key.init == "station"  ? defaultRoute().arch
                                          : o.arch;
        if (isPatchCoreInit(key.init)) r.size = sweepPatchCoreConfig(plan, o, key).inputSize;
        else r.size = key.init == "baseline" ? 0
                 : key.init == "station" ? defaultRoute().inputSizeFor(defaultRoute().head)
                                         : o.size;
        r.key = key;
        r.testImages = std::int64_t(data.test.size());
        const double t0 = monotonicSeconds();
        if (isPatchCoreInit(key.init)) {
            const PatchCoreConfig pc = sweepPatchCoreConfig(plan, o, key);
            const std::string sizeKey = std::to_string(pc.inputSize) +
                                        (pc.keepAspect ? " aspect" : " square");
            std::vector<cv::Mat> ok;
            for (const auto& it : items) {
                if (it.label != kOk) continue;
                const std::string ck = sizeKey + " " + it.path.string();
                if (!trainCache.count(ck))
                    trainCache[ck] = loadForInput(it, pc.inputSize, pc.keepAspect);
                ok.push_back(trainCache.at(ck));
            }
            auto fit = fitPatchCore(pc, ok, {}, [&](const Progress& p) { tell(p.done, p.total); },
                                    cancel);
            if (fit.cancelled) {
                out.cancelled = true;
                break;
            }
            r.trainSeconds = monotonicSeconds() - t0;
            r.steps = fit.bankSize;
            measure(*fit.model, r);
        } else if (key.init == "baseline") {
            std::vector<baseline::LabeledImage> shotsLabeled;
            for (const auto& it : items)
                shotsLabeled.push_back({it.path.string(), it.label == kNg, it.group, it.roi});
            baseline::TuneOptions opt;
            opt.seed = key.seed;
            opt.trials = o.baselineTrials;
            if (!o.baselineStart.empty())
                opt.start = baseline::BaselineParams::load(o.baselineStart);
            auto tuned = baseline::tuneBaseline(
                shotsLabeled, opt, [&](const Progress& p) { tell(p.done, p.total); }, cancel);
            if (tuned.cancelled) {
                out.cancelled = true;
                break;
            }
            r.trainSeconds = monotonicSeconds() - t0;
            const double t1 = monotonicSeconds();
            auto ev = baseline::evaluate(testLabeled, tuned.best, {}, cancel);
            if (ev.cancelled) {
                out.cancelled = true;
                break;
            }
            r.evalSeconds = monotonicSeconds() - t1;
            const auto& m = ev.metrics;
            r.steps = tuned.trials;
            r.accuracy = m.accuracy;
            r.balancedAccuracy = m.balancedAccuracy;
            r.ngPrecision = m.precision;
            r.ngRecall = m.recall;
            r.auc = m.auc;
            r.threshold = tuned.best.scoreThreshold;
        } else {
            const TrainConfig tc = sweepTrainConfig(plan, o, key);
            r.transplant = tc.transplant.ratio;
            const int cacheSize = trainCacheSize(tc);
            const std::string cacheKey =
                std::to_string(cacheSize) + (tc.keepAspect ? " aspect " : " square ");
            for (const auto& it : items)
                if (!trainCache.count(cacheKey + it.path.string()))
                    trainCache[cacheKey + it.path.string()] =
                        loadForInput(it, cacheSize, tc.keepAspect);
            FunctionSource source(
                [&](std::int64_t i) {
                    const auto& it = items.at(std::size_t(i));
                    return Sample{trainCache.at(cacheKey + it.path.string()), it.label};
                },
                dataHash(items), std::int64_t(items.size()),
                [&](std::int64_t i) { return items.at(std::size_t(i)).label; },
                // Transplants are made on the photos at full size (the trainer decodes each OK
                // photo once per run).
                [&](std::int64_t i) { return loadOriginal(items.at(std::size_t(i))); });
            auto result = train(
                tc, source, [&](const TrainProgress& p) { tell(p.step, p.totalSteps); }, cancel);
            if (result.cancelled) {
                out.cancelled = true;
                break;
            }
            r.trainSeconds = monotonicSeconds() - t0;
            r.steps = result.steps;
            measure(*result.model, r);
        }
        r.f1 = r.ngPrecision + r.ngRecall > 0
                   ? 2 * r.ngPrecision * r.ngRecall / (r.ngPrecision + r.ngRecall)
                   : 0;
        // Reread before writing: another process on the same folder (not recommended, but a
        // second shard pointed here by mistake) must not lose its rows.
        auto current = ex::readResults(csv);
        current.push_back(r);
        out.rows = ex::mergeResults({current});
        ex::writeResults(csv, out.rows);
        writeSweepReport(plan.out, out.rows, plan.title);
        ++out.done;
        status.runsDone = out.done;
        status.finished = &r;
        const double elapsed = monotonicSeconds() - started;
        status.etaSeconds = elapsed / double(out.done) * double(plan.pending.size() - out.done);
        tell(status.steps, status.steps);
        status.finished = nullptr;
    }
    return out;
}

std::vector<ex::RunResult> mergeSweeps(const std::vector<fs::path>& parts, const fs::path& out)
{
    if (parts.empty()) throw InvalidArgument("Name the shard folders to merge.");
    std::vector<std::vector<ex::RunResult>> results;
    json cfg;
    for (const auto& dir : parts) {
        if (!fs::exists(dir / "results.csv"))
            throw InvalidArgument(dir.string() + " has no results.csv (not an experiment folder?)");
        json c = json::parse(readFile(dir / "experiment.json"), nullptr, false);
        if (c.is_discarded()) throw FormatError((dir / "experiment.json").string() + " is damaged");
        if (cfg.is_null()) cfg = c;
        for (const char* k : kFixedSettings)
            if (fixedValue(c, k) != fixedValue(cfg, k))
                throw InvalidArgument(dir.string() + " was run with other settings (" + k +
                                      " differs from " + parts.front().string() + ")");
        for (auto& [k, v] : c["inits"].items())
            cfg["inits"][k] = v;
        results.push_back(ex::readResults(dir / "results.csv"));
    }
    auto rows = ex::mergeResults(results);
    fs::create_directories(out);
    writeFileAtomic(out / "experiment.json", cfg.dump(2) + "\n");
    ex::writeResults(out / "results.csv", rows);
    writeSweepReport(out, rows, titleOf(cfg));
    return rows;
}

} // namespace kizu::learn
