#include "core/common/clock.h"
#include "core/learn/train_run.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/onnx_export.h"
#include "core/project/project_roi.h"
#include "core/project/project_scale.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <regex>
#include <set>

namespace kizu::learn {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
using Clock = std::chrono::steady_clock;

template <class T> T jsonValue(const json& j, const char* key, T fallback)
{
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? fallback : it->get<T>();
}

fs::path inProject(const project::ProjectStore& store, const std::string& rel)
{
    fs::path p(rel);
    return p.is_absolute() ? p : store.dir() / p;
}

// The smallest N for which models/run-N.* is free and no record names such a file.
std::string nextRunName(const project::ProjectStore& store)
{
    std::set<std::string> used;
    for (const auto& r : store.models())
        used.insert(fs::path(r.file).stem().string());
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(store.dir() / "models", ec))
        used.insert(e.path().stem().string().substr(0, e.path().stem().string().find('.')));
    for (int n = 1;; ++n) {
        const std::string name = "run-" + std::to_string(n);
        if (!used.count(name)) return name;
    }
}

void savePending(project::ProjectStore& store, const PendingRun& run)
{
    store.setMeta(kPendingRunKey, json{{"spec", toJson(run.spec)},
                                       {"file", run.file},
                                       {"checkpoint", run.checkpoint},
                                       {"curves", run.curves},
                                       {"started_at", run.startedAt}}
                                      .dump());
}

void saveCurves(const fs::path& file, const Curves& curves)
{
    writeFileAtomic(file, curves.toJson().dump());
}

RunOutcome runPending(project::ProjectStore& store, const PendingRun& run, bool resume,
                      const RunCallbacks& cb, const CancelToken* cancel)
{
    const RunSpec& spec = run.spec;
    RunData data = prepareRunData(store.dir(), spec);
    const fs::path modelFile = inProject(store, run.file);
    const fs::path checkpoint = inProject(store, run.checkpoint);
    const fs::path curvesFile = inProject(store, run.curves);
    std::error_code ec;
    fs::create_directories(modelFile.parent_path(), ec);
    if (ec)
        throw IoError("Cannot create " + modelFile.parent_path().string() + ": " + ec.message() +
                      "; check the permissions of the project folder.");

    // The validation images are decoded once; a validation then only runs the network.
    TrainConfig cfg = spec.config;
    std::vector<cv::Mat> valImages;
    std::vector<int> valLabels;
    for (std::size_t i = 0; i < data.validation.size(); ++i) {
        if (isCancelled(cancel)) {
            RunOutcome out;
            out.cancelled = true;
            return out;
        }
        valImages.push_back(loadForInput(data.validation[i], cfg.inputSize, cfg.keepAspect));
        valLabels.push_back(data.validation[i].label);
        report(cb.stage, {std::int64_t(i + 1), std::int64_t(data.validation.size()), "prepare",
                          data.validation[i].path.filename().string()});
    }

    Curves curves;
    if (resume) curves = pendingRunCurves(store, run);
    FileSource source(data.train, trainCacheSize(cfg), {}, cfg.keepAspect);
    const std::int64_t total = plannedSteps(cfg, source.size());
    cfg.checkpoint = checkpoint;
    cfg.resume = resume;
    cfg.checkpointEverySteps = spec.checkpointEverySteps > 0
                                   ? spec.checkpointEverySteps
                                   : std::max<std::int64_t>(5, total / 10);
    cfg.checkpointEverySeconds = 30;
    auto lastSave = Clock::now();
    if (!valImages.empty() && spec.validationPoints > 0) {
        cfg.validateEverySteps = std::max<std::int64_t>(1, total / spec.validationPoints);
        cfg.validate = [&](const Model& model, std::int64_t step) {
            const auto scores = model.predict(valImages);
            const Metrics m = computeMetrics(scores, valLabels, 0.5);
            ValidationPoint p{step, m.accuracy, m.balancedAccuracy, m.auc};
            curves.validation.push_back(p);
            if (cb.validation) cb.validation(p);
            saveCurves(curvesFile, curves);
            lastSave = Clock::now();
        };
    }
    auto progress = [&](const TrainProgress& p) {
        if (p.stage == "train") {
            if (!curves.steps.empty() && curves.steps.back() >= p.step) curves.truncate(p.step - 1);
            curves.add(p);
            if (std::chrono::duration<double>(Clock::now() - lastSave).count() > 5) {
                saveCurves(curvesFile, curves);
                lastSave = Clock::now();
            }
        }
        if (cb.progress) cb.progress(p);
    };

    RunOutcome out;
    out.file = modelFile;
    out.result = train(cfg, source, progress, cancel);
    saveCurves(curvesFile, curves);
    out.curves = curves;
    if (out.result.cancelled) {
        out.cancelled = true;
        return out;
    }
    Model& model = *out.result.model;
    json metrics = json::parse(model.info().metrics.empty() ? "{}" : model.info().metrics);
    if (!data.test.empty()) {
        // The threshold stays the one chosen on the training images.
        auto ev = evaluate(model, data.test, cb.stage, cancel);
        if (ev.cancelled) {
            out.cancelled = true;
            return out;
        }
        metrics["test"] = toJson(ev.metrics, false);
        model.info().metrics = metrics.dump();
    }
    if (!data.validation.empty()) {
        // Validation images are held out from the shots (other groups), so this says how the
        // model does on photos it has not seen, next to chance and the baseline.
        const ProjectBaseline base = projectBaseline(store);
        bool stopped = false;
        out.assessment = assessModel(model, data.validation,
                                     data.validationSource == "test split"
                                         ? "test-split images"
                                         : data.validationSource,
                                     &base, cb.stage, cancel, &stopped);
        if (stopped) {
            out.cancelled = true;
            return out;
        }
        metrics["assessment"] = toJson(out.assessment);
        model.info().metrics = metrics.dump();
    }
    model.save(modelFile);

    const auto [nOk, nNg] = classCounts(data.train);
    json extra{
        {"shots", spec.shots},
        {"train_images", {{"ok", nOk}, {"ng", nNg}}},
        {"validation", {{"source", data.validationSource}, {"images", data.validation.size()}}},
        {"test_images", data.test.size()},
        {"steps", out.result.steps},
        {"seconds", out.result.seconds},
        {"images_per_s", out.result.imagesPerSecond},
        {"resumed_from_step", out.result.resumedFromStep}};
    json stored = metrics;
    stored["curves"] = curves.toJson();
    const std::string name = spec.name.empty() ? modelFile.stem().string() : spec.name;
    out.modelId = registerModel(store, model, run.file, name, extra, stored);
    out.name = name;
    out.metrics = metrics;
    store.setMeta(kPendingRunKey, "");
    fs::remove(checkpoint, ec);
    fs::remove(curvesFile, ec);
    return out;
}

} // namespace

TrainConfig trainConfigFromJson(const json& j)
{
    if (!j.is_object()) throw FormatError("A training configuration must be a JSON object.");
    TrainConfig c;
    c.arch = jsonValue(j, "arch", c.arch);
    c.inputSize = jsonValue(j, "input_size", c.inputSize);
    c.init = jsonValue(j, "init", c.init);
    c.steps = jsonValue(j, "steps", c.steps);
    c.epochs = jsonValue(j, "epochs", c.epochs);
    c.batch = jsonValue(j, "batch", c.batch);
    c.lr = jsonValue(j, "lr", c.lr);
    c.momentum = jsonValue(j, "momentum", c.momentum);
    c.weightDecay = jsonValue(j, "weight_decay", c.weightDecay);
    c.labelSmoothing = jsonValue(j, "label_smoothing", c.labelSmoothing);
    c.warmupSteps = jsonValue(j, "warmup_steps", c.warmupSteps);
    c.balanced = jsonValue(j, "balanced", c.balanced);
    c.seed = jsonValue(j, "seed", c.seed);
    c.device = jsonValue(j, "device", c.device);
    c.head = jsonValue(j, "head", c.head);
    c.keepAspect = jsonValue(j, "keep_aspect", c.keepAspect);
    c.masks = jsonValue(j, "masks", c.masks);
    c.pixelLossWeight = jsonValue(j, "pixel_loss_weight", c.pixelLossWeight);
    c.gradClipNorm = jsonValue(j, "grad_clip_norm", c.gradClipNorm);
    if (auto it = j.find("transplant"); it != j.end() && it->is_object()) {
        const json& t = *it;
        auto& o = c.transplant;
        o.ratio = jsonValue(t, "ratio", o.ratio);
        o.params = jsonValue(t, "params", o.params);
        o.defectScale = jsonValue(t, "defect_scale", o.defectScale);
        o.pxPerMm = jsonValue(t, "px_per_mm", o.pxPerMm);
    }
    if (auto it = j.find("augment"); it != j.end() && it->is_object()) {
        const json& a = *it;
        auto& o = c.augment;
        o.randAugment = jsonValue(a, "rand_augment", o.randAugment);
        o.numOps = jsonValue(a, "num_ops", o.numOps);
        o.magnitude = jsonValue(a, "magnitude", o.magnitude);
        o.magnitudeStd = jsonValue(a, "magnitude_std", o.magnitudeStd);
        o.opProbability = jsonValue(a, "op_probability", o.opProbability);
        o.randomResizedCrop = jsonValue(a, "random_resized_crop", o.randomResizedCrop);
        if (auto s = a.find("crop_scale"); s != a.end() && s->is_array() && s->size() == 2) {
            o.cropScaleMin = (*s)[0].get<double>();
            o.cropScaleMax = (*s)[1].get<double>();
        }
        if (auto s = a.find("crop_ratio"); s != a.end() && s->is_array() && s->size() == 2) {
            o.cropRatioMin = (*s)[0].get<double>();
            o.cropRatioMax = (*s)[1].get<double>();
        }
        if (auto s = a.find("zoom"); s != a.end() && s->is_array() && s->size() == 2) {
            o.zoomMin = (*s)[0].get<double>();
            o.zoomMax = (*s)[1].get<double>();
        }
        o.ngSafeCropLoss = jsonValue(a, "ng_safe_crop_loss", o.ngSafeCropLoss);
        o.hflip = jsonValue(a, "hflip", o.hflip);
        o.vflip = jsonValue(a, "vflip", o.vflip);
    }
    return c;
}

json toJson(const RunSpec& s)
{
    return {{"config", json::parse(toJson(s.config))},
            {"shots", s.shots},
            {"name", s.name},
            {"validation_per_class", s.validationPerClass},
            {"validation_points", s.validationPoints},
            {"checkpoint_every_steps", s.checkpointEverySteps}};
}

RunSpec runSpecFromJson(const json& j)
{
    if (!j.is_object() || !j.contains("config"))
        throw FormatError("The saved training run has no configuration; discard it.");
    try {
        RunSpec s;
        s.config = trainConfigFromJson(j["config"]);
        s.shots = jsonValue(j, "shots", s.shots);
        s.name = jsonValue(j, "name", s.name);
        s.validationPerClass = jsonValue(j, "validation_per_class", s.validationPerClass);
        s.validationPoints = jsonValue(j, "validation_points", s.validationPoints);
        s.checkpointEverySteps = jsonValue(j, "checkpoint_every_steps", s.checkpointEverySteps);
        return s;
    } catch (const json::exception& e) {
        throw FormatError(std::string("The saved training run is unreadable (") + e.what() +
                          "); discard it.");
    }
}

RunData prepareRunData(const fs::path& projectDir, const RunSpec& spec)
{
    RunData d;
    const auto all = listProject(projectDir, "train");
    d.train = spec.shots > 0 ? drawShots(all, spec.shots, spec.config.seed) : all;
    const auto [ok, ng] = classCounts(d.train);
    if (ok == 0 || ng == 0)
        throw InvalidArgument(std::string("The train split has no ") + (ok == 0 ? "OK" : "NG") +
                              " images; label some (and assign the split) before training.");
    try {
        d.test = listProject(projectDir, "test");
    } catch (const InvalidArgument&) {
        d.test.clear(); // no test split: the model is registered without test metrics
    }
    if (spec.validationPerClass <= 0) return d;
    const auto rest = heldOutImages(all, d.train, spec.validationPerClass,
                                    spec.config.seed ^ kValidationSalt);
    const auto [rOk, rNg] = classCounts(rest);
    if (rOk > 0 && rNg > 0) {
        d.validation = rest;
        d.validationSource = "held-out train images";
    } else if (!d.test.empty()) {
        d.validation =
            drawShots(d.test, spec.validationPerClass, spec.config.seed ^ kValidationSalt);
        d.validationSource = "test split";
    }
    return d;
}

void Curves::add(const TrainProgress& p)
{
    steps.push_back(p.step);
    loss.push_back(p.loss);
    lr.push_back(p.lr);
}

void Curves::truncate(std::int64_t step)
{
    std::size_t n = 0;
    while (n < steps.size() && steps[n] <= step)
        ++n;
    steps.resize(n);
    loss.resize(n);
    lr.resize(n);
    // (erase/remove rather than std::erase_if: the fuzz build compiles core/learn as C++17)
    validation.erase(std::remove_if(validation.begin(), validation.end(),
                                    [&](const ValidationPoint& v) { return v.step > step; }),
                     validation.end());
}

json Curves::toJson() const
{
    json v = json::array();
    for (const auto& p : validation)
        v.push_back({p.step, p.accuracy, p.balancedAccuracy, p.auc});
    return {{"step", steps}, {"loss", loss}, {"lr", lr}, {"validation", v}};
}

Curves Curves::fromJson(const json& j)
{
    Curves c;
    if (!j.is_object()) return c;
    try {
        c.steps = jsonValue(j, "step", c.steps);
        c.loss = jsonValue(j, "loss", c.loss);
        c.lr = jsonValue(j, "lr", c.lr);
        const std::size_t n = std::min({c.steps.size(), c.loss.size(), c.lr.size()});
        c.steps.resize(n);
        c.loss.resize(n);
        c.lr.resize(n);
        if (auto it = j.find("validation"); it != j.end() && it->is_array())
            for (const auto& p : *it)
                if (p.is_array() && p.size() == 4)
                    c.validation.push_back({p[0].get<std::int64_t>(), p[1].get<double>(),
                                            p[2].get<double>(), p[3].get<double>()});
    } catch (const json::exception&) {
        return {};
    }
    return c;
}

std::optional<PendingRun> pendingRun(const project::ProjectStore& store)
{
    const auto text = store.meta(kPendingRunKey);
    if (!text || text->empty()) return std::nullopt;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object())
        throw FormatError("The project's unfinished training run is unreadable; discard it.");
    PendingRun r;
    r.spec = runSpecFromJson(j.value("spec", json()));
    r.file = j.value("file", "");
    r.checkpoint = j.value("checkpoint", "");
    r.curves = j.value("curves", "");
    r.startedAt = j.value("started_at", std::int64_t(0));
    if (r.file.empty() || r.checkpoint.empty())
        throw FormatError("The project's unfinished training run names no files; discard it.");
    return r;
}

std::int64_t pendingRunSteps(const project::ProjectStore& store, const PendingRun& run)
{
    const fs::path ck = inProject(store, run.checkpoint);
    std::error_code ec;
    if (!fs::exists(ck, ec)) return 0;
    return Model::load(ck).info().steps;
}

Curves pendingRunCurves(const project::ProjectStore& store, const PendingRun& run)
{
    if (run.curves.empty()) return {};
    const fs::path file = inProject(store, run.curves);
    std::error_code ec;
    if (!fs::exists(file, ec)) return {};
    try {
        return Curves::fromJson(json::parse(readFile(file), nullptr, false));
    } catch (const Error&) {
        return {};
    }
}

void discardPendingRun(project::ProjectStore& store)
{
    std::optional<PendingRun> run;
    try {
        run = pendingRun(store);
    } catch (const Error&) {
        // unreadable: forgetting it is all that can be done
    }
    store.setMeta(kPendingRunKey, "");
    if (!run) return;
    std::error_code ec;
    fs::remove(inProject(store, run->checkpoint), ec);
    if (!run->curves.empty()) fs::remove(inProject(store, run->curves), ec);
}

RunOutcome runProjectTraining(const fs::path& projectDir, const RunSpec& spec,
                              const RunCallbacks& callbacks, const CancelToken* cancel)
{
    auto store = project::ProjectStore::open(projectDir);
    if (auto pending = pendingRun(store))
        throw InvalidArgument("The project has an unfinished training run (" + pending->file +
                              "); resume it or discard it before starting another.");
    plannedSteps(spec.config, 1); // a missing budget fails here, before anything is written
    prepareRunData(projectDir, spec);
    PendingRun run;
    run.spec = spec;
    // Transplants at the project's photo scale when it is set and the run gives none.
    auto& transplant = run.spec.config.transplant;
    if (transplant.enabled() && transplant.pxPerMm <= 0)
        if (const auto px = project::projectPxPerMm(store)) transplant.pxPerMm = *px;
    const std::string stem = nextRunName(store);
    run.file = "models/" + stem + ".kizumodel";
    run.checkpoint = "models/" + stem + ".checkpoint";
    run.curves = "models/" + stem + ".curves.json";
    run.startedAt = unixMs();
    savePending(store, run);
    return runPending(store, run, false, callbacks, cancel);
}

RunOutcome resumeProjectTraining(const fs::path& projectDir, const RunCallbacks& callbacks,
                                 const CancelToken* cancel)
{
    auto store = project::ProjectStore::open(projectDir);
    auto run = pendingRun(store);
    if (!run) throw InvalidArgument("The project has no unfinished training run to resume.");
    // A crash after the model was registered but before the run was cleared: it is done.
    for (const auto& r : store.models())
        if (r.file == run->file) {
            discardPendingRun(store);
            RunOutcome out;
            out.modelId = r.id;
            out.file = store.modelPath(r);
            out.name = r.name;
            return out;
        }
    return runPending(store, *run, true, callbacks, cancel);
}

json toJson(const AnomalyRunSpec& spec)
{
    return json{{"method", "patchcore"},
                {"config", json::parse(toJson(spec.config))},
                {"shots", spec.shots},
                {"ok_only", spec.okOnly},
                {"name", spec.name},
                {"validation_per_class", spec.validationPerClass}};
}

RunOutcome runProjectPatchCore(const fs::path& projectDir, const AnomalyRunSpec& spec,
                               const ProgressFn& progress, const CancelToken* cancel)
{
    auto store = project::ProjectStore::open(projectDir);
    const auto all = listProject(projectDir, "train");
    std::vector<LabeledPath> okAll, ngAll;
    for (const auto& it : all)
        (it.label == kOk ? okAll : ngAll).push_back(it);
    if (okAll.size() < 2)
        throw InvalidArgument("From OK photos only needs at least two OK photos in the train "
                              "split (better 16 or more); it has " +
                              std::to_string(okAll.size()) + ". Label OK photos and assign them "
                              "to the train split.");
    std::vector<LabeledPath> train =
        spec.shots > 0 ? drawShots(okAll, spec.shots, spec.config.seed) : okAll;
    if (!spec.okOnly) train.insert(train.end(), ngAll.begin(), ngAll.end());
    RunData data;
    data.train = train;
    try {
        data.test = listProject(projectDir, "test");
    } catch (const InvalidArgument&) {
        data.test.clear(); // no test split yet (a new line): registered without test metrics
    }
    if (spec.validationPerClass > 0) {
        data.validation = heldOutImages(all, train, spec.validationPerClass,
                                        spec.config.seed ^ kValidationSalt);
        data.validationSource = "held-out train images";
        const auto [vOk, vNg] = classCounts(data.validation);
        if ((vOk == 0 || vNg == 0) && !data.test.empty()) {
            data.validation = drawShots(data.test, spec.validationPerClass,
                                        spec.config.seed ^ kValidationSalt);
            data.validationSource = "test split";
        }
    }
    const std::string stem = nextRunName(store);
    const std::string rel = "models/" + stem + ".kizumodel";
    const fs::path modelFile = inProject(store, rel);
    std::error_code ec;
    fs::create_directories(modelFile.parent_path(), ec);
    if (ec)
        throw IoError("Cannot create " + modelFile.parent_path().string() + ": " + ec.message() +
                      "; check the permissions of the project folder.");

    RunOutcome out;
    auto fit = fitPatchCore(spec.config, train, spec.okOnly, progress, cancel);
    if (fit.cancelled) {
        out.cancelled = true;
        return out;
    }
    Model& model = *fit.model;
    model.info().dataHash = dataHash(train);
    json metrics = json::parse(model.info().metrics.empty() ? "{}" : model.info().metrics);
    if (!data.test.empty()) {
        auto ev = evaluate(model, data.test, progress, cancel);
        if (ev.cancelled) {
            out.cancelled = true;
            return out;
        }
        metrics["test"] = toJson(ev.metrics, false);
    }
    if (!data.validation.empty()) {
        bool stopped = false;
        const ProjectBaseline base = projectBaseline(store);
        out.assessment = assessModel(model, data.validation,
                                     data.validationSource == "test split"
                                         ? "test-split images"
                                         : data.validationSource,
                                     &base, progress, cancel, &stopped);
        if (stopped) {
            out.cancelled = true;
            return out;
        }
        metrics["assessment"] = toJson(out.assessment);
    }
    model.info().metrics = metrics.dump();
    model.save(modelFile);
    const auto [nOk, nNg] = classCounts(train);
    json extra{{"method", "patchcore"},
               {"shots", spec.shots},
               {"ok_only", spec.okOnly},
               {"train_images", {{"ok", nOk}, {"ng", nNg}}},
               {"bank_size", fit.bankSize},
               {"patches", fit.patches},
               {"validation", {{"source", data.validationSource}, {"images", data.validation.size()}}},
               {"test_images", data.test.size()},
               {"seconds", fit.seconds}};
    const std::string name = spec.name.empty() ? stem : spec.name;
    out.modelId = registerModel(store, model, rel, name, extra, metrics);
    out.name = name;
    out.file = modelFile;
    out.metrics = metrics;
    out.result.seconds = fit.seconds;
    out.result.model = model;
    return out;
}

std::int64_t registerModel(project::ProjectStore& store, const Model& model, const fs::path& file,
                           const std::string& name, const json& extraConfig, const json& metrics)
{
    const auto& info = model.info();
    json config = json::object();
    config["train_config"] =
        json::parse(info.trainConfig.empty() ? "{}" : info.trainConfig, nullptr, false);
    config["init"] = info.init;
    config["input_size"] = info.inputSize;
    config["data_hash"] = info.dataHash;
    config["threshold"] = info.threshold;
    if (!info.thresholdRule.empty())
        config["threshold_rule"] = json::parse(info.thresholdRule, nullptr, false);
    config["parameters"] = model.parameterCount();
    if (extraConfig.is_object())
        for (const auto& [k, v] : extraConfig.items())
            config[k] = v;
    project::ModelRecord r;
    r.name = name;
    r.file = file.string();
    r.sha256 = model.weightsHash();
    r.arch = info.arch;
    r.config = config.dump();
    r.metrics = metrics.is_object() ? metrics.dump() : "{}";
    return store.addModel(r);
}

namespace {
project::ModelRecord recordOf(const project::ProjectStore& store, std::int64_t id)
{
    auto r = store.model(id);
    if (!r)
        throw InvalidArgument("No model with id " + std::to_string(id) +
                              " in this project; 'kizu-cli model list' shows them.");
    return *r;
}
} // namespace

fs::path exportModel(const project::ProjectStore& store, std::int64_t id, fs::path target)
{
    const auto r = recordOf(store, id);
    const fs::path src = store.modelPath(r);
    std::error_code ec;
    if (!fs::is_regular_file(src, ec))
        throw IoError("The model file " + src.string() + " is missing; it cannot be exported.");
    if (fs::is_directory(target, ec)) target /= src.filename();
    copyFileAtomic(src, target);
    return target;
}

fs::path exportModelOnnx(const project::ProjectStore& store, std::int64_t id, fs::path target,
                         cv::Size imageSize)
{
    const auto r = recordOf(store, id);
    const fs::path src = store.modelPath(r);
    std::error_code ec;
    if (!fs::is_regular_file(src, ec))
        throw IoError("The model file " + src.string() + " is missing; it cannot be exported.");
    if (fs::is_directory(target, ec)) target /= src.stem().string() + ".onnx";
    OnnxExportOptions options;
    options.imageSize = imageSize;
    const auto roi = project::projectRoi(store);
    if (roi && !roi->empty()) {
        options.metadata.emplace_back("roi", roi->toJson().dump());
        options.metadata.emplace_back(
            "roi_note", "the input is the photo cropped to the region's bounding box, the pixels "
                        "outside the region filled with the mean colour of those inside "
                        "(kizu::imaging::applyRoi), then resized");
    }
    if (options.imageSize.area() <= 0) {
        const cv::Size photo = project::referenceImageSize(store);
        options.imageSize = roi && !roi->empty() && photo.area() > 0
                                ? roi->boundingBox(photo).size()
                                : photo;
    }
    exportOnnx(Model::load(src), target, options);
    return target;
}

bool deleteModel(project::ProjectStore& store, std::int64_t id, bool removeFile)
{
    const auto r = recordOf(store, id);
    std::error_code ec;
    const fs::path file = fs::weakly_canonical(store.modelPath(r), ec);
    bool clearedActive = false;
    if (auto active = activeModelId(store); active && *active == id) {
        store.setMeta("active_model", "");
        clearedActive = true;
    }
    store.deleteModel(id);
    const fs::path models = fs::weakly_canonical(store.dir() / "models", ec);
    const auto rel = file.lexically_relative(models);
    if (removeFile && !rel.empty() && *rel.begin() != "..") fs::remove(file, ec);
    return clearedActive;
}

fs::path activateModel(project::ProjectStore& store, std::int64_t id)
{
    const auto r = recordOf(store, id);
    const fs::path file = fs::absolute(store.modelPath(r)).lexically_normal();
    Model::load(file); // refuses a damaged or foreign file before the station uses it
    store.setMeta("active_model", file.string());
    return file;
}

std::optional<std::int64_t> activeModelId(const project::ProjectStore& store)
{
    const auto active = store.meta("active_model");
    if (!active || active->empty()) return std::nullopt;
    std::error_code ec;
    const fs::path a = fs::weakly_canonical(*active, ec);
    for (const auto& r : store.models()) {
        const fs::path p = fs::weakly_canonical(store.modelPath(r), ec);
        if (p == a) return r.id;
    }
    return std::nullopt;
}

double measureTrainingSpeed(const std::string& arch, int inputSize, int batch, int threads,
                            const CancelToken* cancel)
{
    // Synthetic textures (seeded noise): decoding is not measured, only the network's step.
    FunctionSource source(
        [inputSize](std::int64_t i) {
            cv::Mat m(inputSize, inputSize, CV_8UC3);
            cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
            return Sample{m, int(i % 2)};
        },
        "speed-probe", 2 * std::int64_t(batch), [](std::int64_t i) { return int(i % 2); });
    TrainConfig cfg;
    cfg.arch = arch;
    cfg.inputSize = inputSize;
    cfg.batch = batch;
    cfg.steps = 4;
    cfg.threads = threads;
    cfg.chooseThreshold = false;
    cfg.augment.randAugment = false;
    Clock::time_point first;
    std::int64_t firstStep = 0;
    double speed = 0;
    train(
        cfg, source,
        [&](const TrainProgress& p) {
            if (p.stage != "train") return;
            if (p.step == 1) { // the first step warms up allocators and caches
                first = Clock::now();
                firstStep = 1;
            } else if (firstStep > 0) {
                const double s = std::chrono::duration<double>(Clock::now() - first).count();
                if (s > 0) speed = double(p.step - firstStep) * batch / s;
            }
        },
        cancel);
    return isCancelled(cancel) ? 0 : speed;
}

} // namespace kizu::learn
