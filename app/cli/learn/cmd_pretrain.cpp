// kizu-cli pretrain: trains on an endless stream of fresh CG renders (no files written), as
// the study pretrained on CG before fine-tuning on a few photos; measures the result on a
// held-out set of renders (another seed) and stores that in the model file.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/cg/cg_generator.h"
#include "core/cg/cg_params.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/cg_source.h"
#include "core/learn/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

namespace kizu::cli {
namespace {
using nlohmann::json;

int pretrainCmd(Args& args)
{
    learn::TrainConfig cfg;
    cfg.arch = args.value("--model", cfg.arch);
    cfg.init = args.value("--init", cfg.init);
    cfg.head = args.value("--head", "defect_map");
    if (cfg.head != "classifier" && cfg.head != "defect_map")
        throw UsageError{"--head: give defect_map or classifier, not '" + cfg.head + "'"};
    // The renders' masks train the map (issue 21); --no-masks trains on the image label alone.
    cfg.masks = !args.flag("--no-masks");
    if (args.flag("--masks")) cfg.masks = true;
    cfg.inputSize = int(args.intValue("--size", 128));
    if (args.flag("--no-augment")) { // every render is new: augmentation matters less here
        cfg.augment.randAugment = cfg.augment.randomResizedCrop = false;
        cfg.augment.hflip = cfg.augment.vflip = false;
    }
    cfg.steps = args.intValue("--steps", 0);
    cfg.batch = int(args.intValue("--batch", 32));
    cfg.lr = args.doubleValue("--lr", 0);
    cfg.seed = std::uint64_t(args.intValue("--seed", 0));
    cfg.threads = int(args.intValue("--threads", 0));
    cfg.device = args.value("--device", "cpu");
    cfg.thresholdSamples = args.intValue("--threshold-samples", 256);
    const std::string preset = args.value("--preset", "default");
    const auto paramsFile = args.value("--params");
    const int valCount = int(args.intValue("--val", 256));
    const std::string out = args.value("--out", "cg-pretrained.kizumodel");
    const auto checkpointArg = args.value("--checkpoint");
    cfg.checkpoint = checkpointArg ? *checkpointArg : out + ".checkpoint";
    cfg.checkpointEverySteps = args.intValue("--checkpoint-every", 0);
    cfg.resume = args.flag("--resume");
    const std::int64_t stopAfter = args.intValue("--stop-after", 0);
    const bool quiet = args.flag("--quiet");
    const bool asJson = args.flag("--json");
    args.finish();
    if (cfg.steps <= 0) throw UsageError{"give a budget: --steps N"};
    if (cfg.batch < 1) throw UsageError{"--batch must be at least 1"};
    if (valCount < 2) throw UsageError{"--val must be at least 2"};

    cg::CgParams params = paramsFile ? cg::loadParamsFile(*paramsFile) : cg::loadPreset(preset);
    // Render at the training size (a little larger for the random crops): rendering is the
    // cost per image, so no pixel is made that training does not use.
    params.camera.imageSize = learn::trainCacheSize(cfg);
    learn::CgSampleSource source(params, cfg.seed);
    if (!quiet)
        std::fprintf(stderr, "pretrain: %s at %d px from %s on fresh CG renders (%s, seed %llu), "
                     "%lld steps of %d\n", cfg.arch.c_str(), cfg.inputSize, cfg.init.c_str(),
                     paramsFile ? paramsFile->c_str() : preset.c_str(),
                     (unsigned long long)cfg.seed, (long long)cfg.steps, cfg.batch);
    double lastPrint = -1;
    // One token for both ways of stopping: Ctrl+C / SIGTERM, and --stop-after.
    CancelToken stop;
    auto progress = [&](const learn::TrainProgress& p) {
        if (interruptToken().cancelled() || (stopAfter > 0 && p.stage == "train" && p.step >= stopAfter))
            stop.cancel();
        if (quiet) return;
        const double now = monotonicSeconds();
        if (p.stage == "train" && p.step < p.totalSteps && now - lastPrint < 2.0) return;
        lastPrint = now;
        std::fprintf(stderr, "pretrain: %s step %lld/%lld loss %.4f lr %.5f %.1f img/s\n",
                     p.stage.c_str(), (long long)p.step, (long long)p.totalSteps, p.loss, p.lr,
                     p.imagesPerSecond);
    };
    auto result = learn::train(cfg, source, progress, &stop);
    if (result.cancelled && stopAfter > 0 && result.steps >= stopAfter && !interruptToken().cancelled()) {
        std::fprintf(stderr, "pretrain: stopped after step %lld as asked (--stop-after); "
                     "checkpoint %s (use it as --init cg:FILE, or --resume to go on)\n",
                     (long long)result.steps, cfg.checkpoint.string().c_str());
        return 0;
    }
    if (result.cancelled) {
        std::fprintf(stderr, "pretrain: interrupted at step %lld; checkpoint %s. Run the same "
                     "command with --resume to continue.\n", (long long)result.steps,
                     cfg.checkpoint.string().c_str());
        return 130;
    }
    learn::Model& model = *result.model;
    // Held-out CG validation: renders of another seed, never seen in training.
    const std::uint64_t valSeed = cfg.seed + 1'000'003;
    cg::CgGenerator valGen(params, valSeed);
    std::vector<float> scores, pixelScores;
    std::vector<int> labels, pixelLabels;
    const bool mapModel = model.info().defectMap();
    for (int first = 0; first < valCount; first += 32) {
        const int n = std::min(32, valCount - first);
        auto batch = cg::renderRange(valGen, std::uint64_t(first), n);
        std::vector<cv::Mat> images;
        for (auto& s : batch) {
            images.push_back(s.image);
            labels.push_back(s.ng ? learn::kNg : learn::kOk);
            if (!mapModel) continue;
            // Pixel AUC: the map (at the render's size) against the render's mask, every
            // fourth pixel of every render (OK renders add their defect-free pixels).
            const cv::Mat map = model.heatmap(s.image);
            for (int y = 0; y < map.rows; y += 4)
                for (int x = 0; x < map.cols; x += 4) {
                    pixelScores.push_back(map.at<float>(y, x));
                    pixelLabels.push_back(s.mask.at<unsigned char>(y, x) ? learn::kNg : learn::kOk);
                }
        }
        auto sc = model.predict(images);
        scores.insert(scores.end(), sc.begin(), sc.end());
    }
    auto val = learn::computeMetrics(scores, labels, model.info().threshold);
    std::optional<double> pixelAuc;
    if (mapModel) pixelAuc = learn::computeMetrics(pixelScores, pixelLabels, 0.5).auc;
    json metrics = json::parse(model.info().metrics.empty() ? "{}" : model.info().metrics);
    metrics["cg_validation"] = learn::toJson(val, false);
    metrics["cg_validation"]["seed"] = valSeed;
    metrics["cg_validation"]["images"] = valCount;
    if (pixelAuc) metrics["cg_validation"]["pixel_auc"] = *pixelAuc;
    metrics["pretrain"] = {{"preset", paramsFile ? *paramsFile : preset},
                           {"head", cfg.head},
                           {"masks", cfg.head == "defect_map" && cfg.masks},
                           {"init", cfg.init},
                           {"seed", cfg.seed},
                           {"steps", result.steps},
                           {"images_seen", result.steps * cfg.batch},
                           {"seconds", result.seconds},
                           {"images_per_s", result.imagesPerSecond}};
    model.info().metrics = metrics.dump();
    model.save(out);
    if (!checkpointArg) {
        std::error_code ec;
        std::filesystem::remove(cfg.checkpoint, ec);
    }
    json summary{{"model", out},
                 {"arch", cfg.arch},
                 {"size", cfg.inputSize},
                 {"steps", result.steps},
                 {"images_seen", result.steps * cfg.batch},
                 {"seconds", result.seconds},
                 {"images_per_s", result.imagesPerSecond},
                 {"final_loss", result.finalLoss},
                 {"cg_validation_accuracy", val.accuracy},
                 {"cg_validation_auc", val.auc},
                 {"cg_validation_pixel_auc", pixelAuc ? json(*pixelAuc) : json()},
                 {"weights_sha256", model.weightsHash()}};
    if (asJson) std::cout << jsonText(summary) << "\n";
    else
        std::cout << "Wrote " << out << ": " << cfg.arch << " @" << cfg.inputSize << ", "
                  << counted(result.steps, "step") << " ("
                  << counted(result.steps * cfg.batch, "CG image") << "), CG validation accuracy "
                  << val.accuracy << ", AUC " << val.auc
                  << (pixelAuc ? ", pixel AUC " + std::to_string(*pixelAuc) : std::string())
                  << "\n";
    return 0;
}

const Registrar reg{{"pretrain", "pretrain a model on an endless stream of CG renders",
                     "Usage: kizu-cli pretrain --steps N [OPTIONS]\n\n"
                     "Trains on fresh CG renders made on the fly (nothing written to disk), then\n"
                     "measures accuracy on --val held-out renders of another seed and stores it in\n"
                     "the model file. Use the result as --init cg:FILE for kizu-cli train.\n"
                     "Ctrl+C (or kill -9) keeps a checkpoint; --resume continues from it.\n\n"
                     "Options:\n"
                     "  --model ARCH        squeezenet1_1 (default), resnet18, resnet34, resnet50\n"
                     "  --head H            defect_map (default: a per-pixel defect map trained on\n"
                     "                      the renders' masks, and the verdict from it) or\n"
                     "                      classifier (an image classifier, the study's)\n"
                     "  --masks | --no-masks   defect_map: pixel loss (BCE + Dice) against the\n"
                     "                      renders' masks with the image loss (default), or the\n"
                     "                      image loss alone; the pixel AUC on held-out renders is\n"
                     "                      measured and stored either way\n"
                     "  --size PX           input size (default 128)\n"
                     "  --no-augment        no crops, flips or RandAugment (every render is new)\n"
                     "  --batch B           batch size (default 32); --lr defaults to 0.4*B/1024\n"
                     "  --seed S            seed of the CG stream and of training (default 0)\n"
                     "  --preset NAME | --params FILE.json   CG parameters (default preset)\n"
                     "  --init INIT         scratch (default), imagenet:FILE.pth, or cg:FILE to go on\n"
                     "                      from a pretrained model (a curriculum's next stage)\n"
                     "  --val N             held-out CG renders for validation (default 256)\n"
                     "  --out FILE          (default cg-pretrained.kizumodel)\n"
                     "  --checkpoint FILE --checkpoint-every N --resume\n"
                     "  --stop-after N      stop after step N of the --steps schedule, keeping the\n"
                     "                      checkpoint (a stage of a longer schedule)\n"
                     "  --device cpu|cuda --threads N --json --quiet\n\n"
                     "Examples:\n"
                     "  kizu-cli pretrain --model squeezenet1_1 --size 128 --steps 2000 --batch 32 "
                     "--seed 1 --out squeezenet1_1-cg128.kizumodel\n"
                     "  # A network that stays at chance on the default preset from scratch\n"
                     "  # (ResNet-18 on a CPU): large defects first, then the default preset.\n"
                     "  kizu-cli pretrain --model resnet18 --steps 800 --seed 11 --preset "
                     "large_defects --out stage1.kizumodel\n"
                     "  kizu-cli pretrain --model resnet18 --steps 1200 --seed 12 --init "
                     "cg:stage1.kizumodel --out resnet18-cg128.kizumodel\n",
                     pretrainCmd}};

} // namespace
} // namespace kizu::cli
