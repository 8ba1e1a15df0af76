// kizu-cli train: few-shot training from a project's train split or ok/ and ng/ folders.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "app/cli/learn/learn_data.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/paths.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/defaults.h"
#include "core/learn/patchcore.h"
#include "core/learn/train_run.h"
#include "core/learn/trainer.h"
#include "core/project/project_scale.h"
#include "core/project/project_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace kizu::cli {
namespace {
using nlohmann::json;

// --method patchcore: from OK photos only (issue 22). No training loop: features of the OK
// photos into a memory bank, the threshold from the OK photos (leave-one-out).
int patchcoreCmd(Args& args)
{
    const learn::DefaultRoute& route = learn::defaultRoute();
    learn::PatchCoreConfig cfg;
    cfg.arch = args.value("--model", route.arch);
    const std::string trunk = args.value("--init", route.anomalyTrunk);
    cfg.inputSize = int(args.intValue("--size", route.anomalyInputSize));
    cfg.keepAspect = route.anomalyKeepAspect;
    if (args.flag("--square")) cfg.keepAspect = false;
    if (args.flag("--keep-aspect")) cfg.keepAspect = true;
    cfg.coresetFraction = args.doubleValue("--coreset", route.anomalyCoreset);
    cfg.maxMemory = args.intValue("--max-memory", route.anomalyMaxMemory);
    cfg.falseRejectRate = args.doubleValue("--false-reject-rate", route.anomalyFalseReject);
    cfg.okRule = args.value("--ok-rule", route.anomalyOkRule);
    cfg.seed = std::uint64_t(args.intValue("--seed", std::int64_t(route.seed)));
    cfg.device = args.value("--device", "cpu");
    const int threads = int(args.intValue("--threads", 0));
    const bool okOnly = args.flag("--ok-only");
    const std::string shotsText = args.value("--shots", "all");
    const std::string out = args.value("--out", "model.kizumodel");
    const bool withTest = args.flag("--test");
    const bool asJson = args.flag("--json");
    const bool quiet = args.flag("--quiet");
    const bool noRegister = args.flag("--no-register");
    const std::string name = args.value("--name", "");
    DataChoice data = chooseData(args, "train");
    args.finish();
    int shots = 0;
    if (shotsText != "all") {
        try {
            std::size_t used = 0;
            shots = std::stoi(shotsText, &used);
            if (used != shotsText.size() || shots < 1) throw std::invalid_argument("shots");
        } catch (const std::exception&) {
            throw UsageError{"--shots: give a number of OK photos (at least 2) or 'all'"};
        }
    }
    if (!(cfg.coresetFraction > 0 && cfg.coresetFraction <= 1))
        throw UsageError{"--coreset: the share of OK patches kept, in (0, 1] (e.g. 0.1)"};
    if (!(cfg.falseRejectRate > 0 && cfg.falseRejectRate < 0.5))
        throw UsageError{"--false-reject-rate: the share of OK parts that may be rejected, in "
                         "(0, 0.5) (e.g. 0.01)"};
    if (cfg.inputSize < 32) throw UsageError{"--size must be at least 32"};
    if (trunk == "imagenet" || trunk == "cg" || trunk == "cgmap") {
        try {
            cfg.init = learn::anomalyTrunkInit(cfg.arch, trunk);
        } catch (const InvalidArgument& e) {
            throw UsageError{e.what()};
        }
    } else {
        cfg.init = trunk;
    }
    if (threads > 0) learn::setTorchThreads(threads);

    std::vector<learn::LabeledPath> ok, ng;
    for (const auto& it : data.items)
        (it.label == learn::kOk ? ok : ng).push_back(it);
    if (shots > 0) ok = learn::drawShots(ok, shots, cfg.seed);
    auto items = ok;
    if (!okOnly) items.insert(items.end(), ng.begin(), ng.end());
    if (!quiet)
        std::fprintf(stderr,
                     "train: %s: PatchCore from %zu OK photos%s; %s trunk from %s at %d px%s, "
                     "memory %.0f %% of the patches\n",
                     data.description.c_str(), ok.size(),
                     okOnly || ng.empty() ? "" : (" (+" + std::to_string(ng.size()) +
                                                  " NG photos for the threshold)").c_str(),
                     cfg.arch.c_str(), cfg.init.c_str(), cfg.inputSize,
                     cfg.keepAspect ? " (long side)" : "", 100 * cfg.coresetFraction);
    double lastPrint = -1;
    auto progress = [&](const Progress& p) {
        if (quiet) return;
        const double now = monotonicSeconds();
        if (p.done < p.total && now - lastPrint < 1.0) return;
        lastPrint = now;
        std::fprintf(stderr, "train: %s %lld/%lld\n", p.stage.c_str(), (long long)p.done,
                     (long long)p.total);
    };
    auto fit = learn::fitPatchCore(cfg, items, okOnly, progress, &interruptToken());
    if (fit.cancelled) {
        std::fprintf(stderr, "train: interrupted; nothing written\n");
        return 130;
    }
    learn::Model& model = *fit.model;
    model.info().dataHash = learn::dataHash(items);
    json metrics = json::parse(model.info().metrics.empty() ? "{}" : model.info().metrics);
    if (withTest) {
        auto ev = learn::evaluate(model, data.testItems(), {}, &interruptToken());
        if (ev.cancelled) return 130;
        metrics["test"] = learn::toJson(ev.metrics, false);
        model.info().metrics = metrics.dump();
    }
    model.save(out);
    std::int64_t modelId = 0;
    if (!data.isFolder && !noRegister) {
        auto store = project::ProjectStore::open(data.dir);
        const auto file = std::filesystem::absolute(out).lexically_normal();
        modelId = learn::registerModel(
            store, model, file, name.empty() ? file.stem().string() : name,
            json{{"method", "patchcore"},
                 {"shots", shots},
                 {"ok_only", okOnly},
                 {"train_images", {{"ok", ok.size()}, {"ng", okOnly ? 0 : ng.size()}}},
                 {"bank_size", fit.bankSize},
                 {"seconds", fit.seconds}},
            metrics);
    }
    const auto bank = learn::memoryBank(model);
    json summary{{"model", out},
                 {"model_id", modelId},
                 {"method", "patchcore"},
                 {"arch", cfg.arch},
                 {"head", model.info().head},
                 {"init", cfg.init},
                 {"input_size", cfg.inputSize},
                 {"keep_aspect", cfg.keepAspect},
                 {"ok_images", fit.okImages},
                 {"ng_images", fit.ngImages},
                 {"patches", fit.patches},
                 {"bank_size", fit.bankSize},
                 {"feature_dim", fit.featureDim},
                 {"memory_bytes", bank.values.size() * sizeof(float)},
                 {"seconds", fit.seconds},
                 {"threshold", model.info().threshold},
                 {"threshold_rule", json::parse(model.info().thresholdRule)},
                 {"metrics", metrics}};
    if (asJson) {
        std::cout << jsonText(summary) << "\n";
    } else {
        std::cout << "Wrote " << out << ": PatchCore on " << cfg.arch << ", memory of "
                  << fit.bankSize << " patches from " << counted(fit.okImages, "OK photo")
                  << " (" << fit.seconds << " s), NG threshold " << model.info().threshold
                  << "\n";
        if (modelId)
            std::cout << "Registered as model " << modelId << " of the project ('kizu-cli model "
                      << "list'; activate with 'kizu-cli model activate " << modelId << "')\n";
        if (metrics.contains("test"))
            std::cout << "test: accuracy " << metrics["test"].value("accuracy", 0.0)
                      << ", balanced accuracy " << metrics["test"].value("balanced_accuracy", 0.0)
                      << ", AUC " << metrics["test"].value("auc", 0.0) << "\n";
    }
    return 0;
}

int trainCmd(Args& args)
{
    const std::string method = args.value("--method", "supervised");
    if (method == "patchcore") return patchcoreCmd(args);
    if (method != "supervised")
        throw UsageError{"--method: give supervised (a network trained on OK and NG photos) or "
                         "patchcore (from OK photos only), not '" + method + "'"};
    // The same defaults as the Train page (core/learn/defaults.h): the best measured route.
    const learn::DefaultRoute& route = learn::defaultRoute();
    learn::TrainConfig cfg;
    cfg.arch = args.value("--model", route.arch);
    const auto initArg = args.value("--init");
    cfg.head = args.value("--head", route.head);
    if (cfg.head != "classifier" && cfg.head != "defect_map")
        throw UsageError{"--head: give defect_map (a per-pixel defect map and the verdict from "
                         "it) or classifier, not '" + cfg.head + "'"};
    const bool mapHead = cfg.head == "defect_map";
    cfg.keepAspect = route.keepAspectFor(cfg.head);
    if (args.flag("--square")) cfg.keepAspect = false;
    if (args.flag("--keep-aspect")) cfg.keepAspect = true;
    if (args.flag("--no-masks")) cfg.masks = false;
    cfg.inputSize = int(args.intValue(
        "--size", route.inputSizeFor(cfg.head)));
    cfg.steps = args.intValue("--steps", 0);
    cfg.epochs = args.doubleValue("--epochs", 0);
    cfg.batch = int(args.intValue("--batch", route.batch));
    cfg.lr = args.doubleValue("--lr", 0);
    cfg.weightDecay = args.doubleValue("--weight-decay", cfg.weightDecay);
    cfg.labelSmoothing = args.doubleValue("--label-smoothing", cfg.labelSmoothing);
    cfg.warmupSteps = args.intValue("--warmup", -1);
    cfg.seed = std::uint64_t(args.intValue("--seed", std::int64_t(route.seed)));
    cfg.threads = int(args.intValue("--threads", 0));
    cfg.device = args.value("--device", "cpu");
    if (args.flag("--no-augment")) {
        cfg.augment.randAugment = false;
        cfg.augment.randomResizedCrop = false;
        cfg.augment.hflip = cfg.augment.vflip = false;
    }
    if (mapHead && !route.mapRandAugment) cfg.augment.randAugment = false;
    if (args.flag("--randaugment")) cfg.augment.randAugment = true;
    if (args.flag("--no-randaugment")) cfg.augment.randAugment = false;
    cfg.augment.magnitude = args.doubleValue("--magnitude", cfg.augment.magnitude);
    if (args.flag("--unbalanced")) cfg.balanced = false;
    const auto transplantText = args.value("--transplant");
    cfg.transplant.ratio = route.transplantRatio;
    if (transplantText) {
        try {
            std::size_t used = 0;
            cfg.transplant.ratio = std::stod(*transplantText, &used);
            if (used != transplantText->size()) throw std::invalid_argument("ratio");
        } catch (const std::exception&) {
            throw UsageError{"--transplant: give the share of each batch made of CG defect "
                             "transplants, a number in [0, 1) (e.g. 0.5), not '" +
                             *transplantText + "'"};
        }
    }
    cfg.transplant.params = args.value("--transplant-params", route.transplantParams);
    cfg.transplant.defectScale = args.doubleValue("--transplant-scale", 1.0);
    cfg.transplant.pxPerMm = args.doubleValue("--px-per-mm", 0);
    const std::string shotsText = args.value("--shots", std::to_string(route.shots));
    std::int64_t shots = 0; // 0: every image
    if (shotsText != "all") {
        try {
            std::size_t used = 0;
            shots = std::stoll(shotsText, &used);
            if (used != shotsText.size() || shots < 1) throw std::invalid_argument("shots");
        } catch (const std::exception&) {
            throw UsageError{"--shots: give a number of images per class (at least 1) or 'all'"};
        }
    }
    const std::string baselineParamsArg = args.value("--baseline-params", "");
    const bool noAssess = args.flag("--no-assess");
    const std::string out = args.value("--out", "model.kizumodel");
    const auto checkpointArg = args.value("--checkpoint");
    cfg.checkpoint = checkpointArg ? *checkpointArg : out + ".checkpoint";
    cfg.checkpointEverySteps = args.intValue("--checkpoint-every", 0);
    cfg.resume = args.flag("--resume");
    const bool withTest = args.flag("--test");
    const bool asJson = args.flag("--json");
    const bool quiet = args.flag("--quiet");
    const bool noRegister = args.flag("--no-register");
    const std::string name = args.value("--name", "");
    DataChoice data = chooseData(args, "train");
    args.finish();
    if (cfg.steps <= 0 && cfg.epochs <= 0) cfg.steps = route.steps;
    if (cfg.steps > 0 && cfg.epochs > 0) throw UsageError{"give --steps or --epochs, not both"};
    if (cfg.batch < 1) throw UsageError{"--batch must be at least 1"};
    if (cfg.inputSize < 32) throw UsageError{"--size must be at least 32"};
    if (!(cfg.transplant.ratio >= 0 && cfg.transplant.ratio < 1))
        throw UsageError{"--transplant: the share of each batch made of CG defect transplants "
                         "must be in [0, 1) (0 = off, e.g. 0.5), got " +
                         transplantText.value_or("?")};
    if (!(cfg.transplant.defectScale > 0))
        throw UsageError{"--transplant-scale must be above 0 (1 = the defects' physical size)"};
    if (cfg.transplant.pxPerMm < 0)
        throw UsageError{"--px-per-mm must be above 0 (leave it out to estimate it per photo)"};
    std::string initNote;
    if (initArg) {
        cfg.init = *initArg;
    } else {
        const auto d = learn::defaultInit(cfg.arch, cfg.head);
        cfg.init = d.init;
        initNote = d.fallbackNote;
    }
    if (cfg.init == "cg") { // shorthand: the shipped CG-pretrained weights of this architecture
        const auto shipped = mapHead ? defaultCgMapModel(cfg.arch) : defaultCgModel(cfg.arch);
        if (shipped.empty())
            throw UsageError{"--init cg: no CG-pretrained " + cfg.arch +
                             (mapHead ? " defect-map model" : "") + " is shipped; give "
                             "--init cg:FILE (make one with kizu-cli pretrain)"};
        cfg.init = "cg:" + shipped.string();
    }

    auto items = data.items;
    {
        // Drawing shots that take every image would only reorder them: keep the data's order.
        const auto [allOk, allNg] = learn::classCounts(items);
        if (shots > 0 && shots < std::max(allOk, allNg))
            items = learn::drawShots(items, int(shots), cfg.seed);
    }
    auto [nOk, nNg] = learn::classCounts(items);
    if (!quiet && !initNote.empty()) std::fprintf(stderr, "train: %s\n", initNote.c_str());
    if (!quiet)
        std::fprintf(stderr, "train: %s: %lld OK + %lld NG images; %s from %s at %d px, batch %d\n",
                     data.description.c_str(), (long long)nOk, (long long)nNg, cfg.arch.c_str(),
                     cfg.init.c_str(), cfg.inputSize, cfg.batch);
    if (!quiet && cfg.transplant.enabled())
        std::fprintf(stderr,
                     "train: %.0f %% of each batch: CG defects (%s) transplanted onto the %lld OK "
                     "photos\n",
                     100 * cfg.transplant.ratio, cfg.transplant.params.c_str(), (long long)nOk);
    // Transplants onto a project's photos at the project's scale, when set and not given.
    if (cfg.transplant.enabled() && cfg.transplant.pxPerMm <= 0 && !data.isFolder)
        if (const auto px = project::projectPxPerMm(project::ProjectStore::open(data.dir)))
            cfg.transplant.pxPerMm = *px;
    learn::FileSource source(items, learn::trainCacheSize(cfg), {}, cfg.keepAspect);

    double lastPrint = -1;
    auto progress = [&](const learn::TrainProgress& p) {
        if (quiet) return;
        const double now =
            monotonicSeconds();
        if (p.stage == "train" && p.step < p.totalSteps && now - lastPrint < 1.0) return;
        lastPrint = now;
        if (p.stage == "threshold")
            std::fprintf(stderr, "train: choosing the NG threshold on %s\n",
                         cfg.transplant.enabled()
                             ? "held-out data (fresh augmentations of the OK photos, held-out "
                               "transplants, the real NG photos)"
                             : "the training images");
        else
            std::fprintf(stderr, "train: step %lld/%lld loss %.4f lr %.5f %.1f img/s\n",
                         (long long)p.step, (long long)p.totalSteps, p.loss, p.lr,
                         p.imagesPerSecond);
    };
    auto result = learn::train(cfg, source, progress, &interruptToken());
    if (result.cancelled) {
        std::fprintf(stderr,
                     "train: interrupted after step %lld; checkpoint %s. Run the same command "
                     "with --resume to continue.\n",
                     (long long)result.steps, cfg.checkpoint.string().c_str());
        return 130;
    }
    learn::Model& model = *result.model;
    json metrics = json::parse(model.info().metrics.empty() ? "{}" : model.info().metrics);
    if (withTest) {
        // The threshold stays the one chosen on the training images.
        const auto test = data.testItems();
        auto ev = learn::evaluate(model, test, {}, &interruptToken());
        metrics["test"] = learn::toJson(ev.metrics, false);
        model.info().metrics = metrics.dump();
    }
    // As on the Train page: the model against chance and the baseline on held-out images
    // (other groups than the shots), else on the test split.
    learn::Assessment assessment;
    if (!noAssess) {
        auto heldOut = learn::heldOutImages(data.items, items, route.validationPerClass,
                                            cfg.seed ^ learn::kValidationSalt);
        std::string source = "held-out train images";
        const auto [hOk, hNg] = learn::classCounts(heldOut);
        if (hOk == 0 || hNg == 0) {
            heldOut.clear();
            try {
                heldOut = learn::drawShots(data.testItems(), route.validationPerClass,
                                           cfg.seed ^ learn::kValidationSalt);
                source = "test-split images";
            } catch (const InvalidArgument&) {
                // no test split either: the assessment says it could not check
            }
        }
        learn::ProjectBaseline base;
        if (!baselineParamsArg.empty()) {
            base.params = baseline::BaselineParams::load(baselineParamsArg);
            base.tuned = true;
        } else if (!data.isFolder) {
            base = learn::projectBaseline(project::ProjectStore::open(data.dir));
        }
        if (!quiet && !heldOut.empty())
            std::fprintf(stderr, "train: checking the model and the baseline on %s\n",
                         learn::describeImages(heldOut, source).c_str());
        bool stopped = false;
        assessment = learn::assessModel(model, heldOut, source, &base, {}, &interruptToken(),
                                        &stopped);
        if (stopped) {
            std::fprintf(stderr, "train: interrupted while checking the model; nothing written\n");
            return 130;
        }
        metrics["assessment"] = learn::toJson(assessment);
        model.info().metrics = metrics.dump();
    }
    model.save(out);
    if (!checkpointArg) {
        std::error_code ec;
        std::filesystem::remove(cfg.checkpoint, ec);
    }
    // A model trained on a project's images joins its model list (Train page, 'model list').
    std::int64_t modelId = 0;
    if (!data.isFolder && !noRegister) {
        auto store = project::ProjectStore::open(data.dir);
        const auto [tOk, tNg] = learn::classCounts(items);
        const auto file = std::filesystem::absolute(out).lexically_normal();
        modelId =
            learn::registerModel(store, model, file, name.empty() ? file.stem().string() : name,
                                 json{{"shots", shots},
                                      {"train_images", {{"ok", tOk}, {"ng", tNg}}},
                                      {"steps", result.steps},
                                      {"seconds", result.seconds},
                                      {"images_per_s", result.imagesPerSecond},
                                      {"resumed_from_step", result.resumedFromStep}},
                                 metrics);
    }
    json summary{{"model", out},
                 {"model_id", modelId},
                 {"arch", cfg.arch},
                 {"head", cfg.head},
                 {"keep_aspect", cfg.keepAspect},
                 {"steps", result.steps},
                 {"resumed_from_step", result.resumedFromStep},
                 {"final_loss", result.finalLoss},
                 {"images_per_s", result.imagesPerSecond},
                 {"seconds", result.seconds},
                 {"threshold", model.info().threshold},
                 {"weights_sha256", model.weightsHash()},
                 {"train_images", items.size()},
                 {"data_hash", model.info().dataHash},
                 {"transplant_ratio", cfg.transplant.ratio},
                 {"transplant_images", result.transplantImages},
                 {"seconds_per_step", // of the training loop, data preparation overlapped
                  result.imagesPerSecond > 0 ? cfg.batch / result.imagesPerSecond : 0.0},
                 {"threshold_rule", model.info().thresholdRule.empty()
                                        ? json()
                                        : json::parse(model.info().thresholdRule)},
                 {"metrics", metrics}};
    if (asJson) {
        std::cout << jsonText(summary) << "\n";
    } else {
        std::cout << "Wrote " << out << ": " << cfg.arch << ", " << counted(result.steps, "step")
                  << ", final loss " << result.finalLoss << ", NG threshold "
                  << model.info().threshold << "\n";
        if (modelId)
            std::cout << "Registered as model " << modelId << " of the project ('kizu-cli model "
                      << "list'; activate with 'kizu-cli model activate " << modelId << "')\n";
        for (auto& [k, v] : metrics.items()) {
            if (k == "assessment") continue;
            std::cout << k << ": accuracy " << v.value("accuracy", 0.0) << ", balanced accuracy "
                      << v.value("balanced_accuracy", 0.0) << ", AUC " << v.value("auc", 0.0)
                      << "\n";
        }
        if (!noAssess)
            std::cout << (assessment.warns() ? "WARNING: " : "Check: ") << assessment.message
                      << "\n";
    }
    return 0;
}

const Registrar reg{
    {"train", "train an OK/NG model (few-shot)",
     "Usage: kizu-cli [--project DIR] train [--split train] [OPTIONS]\n"
     "       kizu-cli train --data FOLDER [--split train] [OPTIONS]\n\n"
     "Trains on a project's train split, or on FOLDER/ok and FOLDER/ng (with a\n"
     "manifest.csv as in BSData, --split picks its train or test rows; default train).\n"
     "The NG threshold is chosen on the training images; --test then measures the\n"
     "test split with it. Ctrl+C stops after the step in flight and keeps a\n"
     "checkpoint; the same command with --resume continues (also after kill -9).\n\n"
     "Without options it trains what the Train page trains when you just press Train:\n"
     "the best measured route in docs/results.md (SqueezeNet 1.1 from ImageNet weights,\n"
     "20 photos per class, 150 steps of batch 16 at 128 px, seed 1; the defect-map route,\n"
     "--head defect_map, did not beat it on BSData's validation split). Afterwards the\n"
     "model is checked against chance and the classical baseline on held-out images\n"
     "(other groups than the shots), and a model near chance is reported as WARNING.\n\n"
     "Options:\n"
     "  --shots N|all        N images per class drawn with --seed (default 20); all: the\n"
     "                       whole split\n"
     "  --seed S             seed of every random choice (default 1)\n"
     "  --model ARCH         squeezenet1_1 (default), resnet18, resnet34, resnet50\n"
     "  --init INIT          default: the best measured start of --model at hand\n"
     "                       (squeezenet1_1: ImageNet, else scratch; resnet18: the shipped\n"
     "                       CG weights) | scratch | imagenet:FILE.pth | cg:FILE | cg (the\n"
     "                       shipped CG-pretrained weights of --model) |\n"
     "                       FILE.kizumodel (continue training a Kizu model)\n"
     "  --head H             classifier (default: an image classifier) | defect_map (a\n"
     "                       per-pixel defect map at stride 16 and the verdict from it,\n"
     "                       from the shipped CG defect-map weights; docs/defect_map.md)\n"
     "  --size PX            input size: the long side at the photos' aspect (defect_map,\n"
     "                       default 320) or the square side (classifier, default 128)\n"
     "  --square | --keep-aspect   squash to a square / keep the photos' aspect (the\n"
     "                       default of defect_map)\n"
     "  --no-masks           defect_map: image loss only (no pixel loss on transplant masks\n"
     "                       and OK photos, no map-maximum loss on NG photos)\n"
     "  --steps N | --epochs N   training budget (default 150 steps)\n"
     "  --batch B            batch size (default 16); --lr defaults to 0.4*B/1024\n"
     "  --lr X --weight-decay X --label-smoothing X --warmup STEPS --magnitude M\n"
     "  --no-augment         no crop, flips or RandAugment\n"
     "  --no-randaugment | --randaugment   crops and flips only (the defect_map default),\n"
     "                       or RandAugment on top (the classifier default)\n"
     "  --unbalanced         sample images uniformly instead of half OK, half NG\n"
     "  --transplant R       R of each batch (in [0, 1), e.g. 0.5; default 0 = off) are CG\n"
     "                       defects transplanted onto the OK training photos, rendered on\n"
     "                       the fly from --seed; the NG threshold is then chosen on held-out\n"
     "                       data (fresh augmentations of the OK photos, held-out transplants,\n"
     "                       the real NG photos) instead of the training images\n"
     "  --transplant-params NAME|FILE   CG preset or parameters file of the transplanted\n"
     "                       defects (default pitting; 'kizu-cli cg presets' lists them)\n"
     "  --transplant-scale X multiplies the defects' size (default 1: physical size)\n"
     "  --px-per-mm X        the photos' scale at the training resolution (default: estimated\n"
     "                       from each photo's grinding marks)\n"
     "  --out FILE           model file to write (default model.kizumodel)\n"
     "  --checkpoint FILE    checkpoint (default OUT.checkpoint, removed on success)\n"
     "  --checkpoint-every N also checkpoint every N steps (always every 60 s)\n"
     "  --resume             continue from the checkpoint when it exists\n"
     "  --test               evaluate the test split afterwards, store the metrics\n"
     "  --baseline-params F  the baseline to check against (default: the project's, or\n"
     "                       the default parameters)   --no-assess  skip the check\n"
     "  --name NAME          the model's name in the project's model list (default: the\n"
     "                       file name); a model trained on a project is registered there\n"
     "\nFrom OK photos only (--method patchcore; docs/patchcore.md):\n"
     "  --method M           supervised (default) | patchcore: a memory of the OK photos'\n"
     "                       patch features from a frozen trunk (PatchCore); an image's\n"
     "                       score is its most unusual patch. Needs no NG photo; the\n"
     "                       threshold comes from the OK photos (leave-one-out)\n"
     "  --init T             patchcore's trunk: imagenet (default) | cg | cgmap |\n"
     "                       imagenet:FILE | cg:FILE | FILE.kizumodel\n"
     "  --shots N|all        patchcore: N OK photos drawn with --seed (default all)\n"
     "  --ok-only            ignore labelled NG photos (else they refine the threshold)\n"
     "  --coreset F          share of the OK patches remembered (default 0.25)\n"
     "  --max-memory N       at most N patches remembered (default 4096; 0: no limit)\n"
     "  --false-reject-rate R   share of OK parts the threshold may reject (default 0.01)\n"
     "  --ok-rule max|quantile|normal   how the OK photos' scores give that threshold\n"
     "  --size PX            patchcore's input, the long side (default 320)\n"
     "  --no-register        do not add it to the project's model list\n"
     "  --device cpu|cuda    --threads N (default: all cores)\n"
     "  --json               print a JSON summary   --quiet   no progress lines\n\n"
     "Examples:\n"
     "  kizu-cli train --data ../shared/data/bsdata --shots 20 --seed 1 --steps 300 \\\n"
     "      --init imagenet:squeezenet1_1-imagenet.pth --out spindle.kizumodel --test\n"
     "  kizu-cli -p ~/kizu/spindles train --model resnet18 --epochs 30 --batch 32\n",
     trainCmd}};

} // namespace
} // namespace kizu::cli
