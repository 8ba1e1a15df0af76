// The station's default training route: one definition for the Train page, `kizu-cli train`
// and `kizu-cli experiment`, so that pressing Train with the defaults gives the route with the
// best measured results in docs/results.md, and the GUI and the CLI agree. When a later
// measurement makes another route better, it changes here (and the reason text with it).
// No torch in this header.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kizu::learn {

struct DefaultRoute {
    std::string arch = "squeezenet1_1";
    int shots = 20; // per class, drawn from the train split
    std::uint64_t seed = 1;
    std::int64_t steps = 150;
    int batch = 16;
    // The network the station trains by default: the image classifier at 128 x 128 from
    // ImageNet weights. The defect-map route (issue 21) did not beat it on BSData's validation
    // split (docs/results.md, "Defect-map models"), so it is the other choice on the Train page
    // ("Network output") and `--head defect_map`, not the default.
    std::string head = "classifier";
    // The classifier's square input: 30 frames/s live on 2 cores (docs/results.md, live
    // inspection).
    int classifierInputSize = 128;
    // The defect-map route: the photo keeps its aspect, mapInputSize is the long side (1130 x 460
    // photos become 320 x 128, so a pit keeps about 3.5 times fewer pixels per side instead of
    // 9 times across when squashed to 128 x 128).
    bool mapKeepAspect = true;
    int mapInputSize = 320;
    int inputSizeFor(const std::string& h) const
    {
        return h == "defect_map" ? mapInputSize : classifierInputSize;
    }
    bool keepAspectFor(const std::string& h) const { return h == "defect_map" && mapKeepAspect; }
    bool augment = true;
    // RandAugment in fine-tuning a defect-map model: off (defect-safe crops and flips only).
    // On BSData's validation split it cost the CG defect-map start 9 points of balanced
    // accuracy at 16 shots (docs/results.md, issue 21). Classifiers keep it.
    bool mapRandAugment = false;
    int validationPerClass = 32;
    // CG defects transplanted onto the OK photos (issue 20), as a share of each batch. The one
    // place the station's default lives: 0 (off) until the sweep (`kizu-cli experiment --inits
    // imagenet,imagenet+transplant`) shows that it helps; the Train page's checkbox, `kizu-cli
    // train --transplant` and the sweep's plain inits all start from it.
    double transplantRatio = 0;
    // The ratio the Train page offers when the operator ticks the box, and the sweep's default:
    // the better of the two measured on BSData (at 0.5 most runs called every photo one class;
    // docs/results.md).
    double transplantRatioWhenOn = 0.25;
    // The CG parameters of the transplants: BSData's defects are pits.
    std::string transplantParams = "pitting";
    // From OK photos only (issue 22, PatchCore, core/learn/patchcore.h): the frozen trunk
    // ("imagenet", "cg": the CG classifier, "cgmap": the CG defect-map model), the input (the
    // long side, at the photo's aspect), the share of OK patches the memory keeps and the false-
    // reject rate the threshold aims at. Chosen on BSData's validation split (docs/results.md).
    std::string anomalyTrunk = "imagenet";
    int anomalyInputSize = 320;
    bool anomalyKeepAspect = true;
    // A quarter of the patches, at most 4096: on the validation split 0.25 gave 82.2 % mean
    // balanced accuracy over 2-32 OK photos against 78.8 % for 0.1 (mostly at 2 photos, where a
    // tenth leaves too little memory for the leave-one-out threshold), with the same AUC.
    double anomalyCoreset = 0.25;
    std::int64_t anomalyMaxMemory = 4096;
    double anomalyFalseReject = 0.01;
    // PatchCoreConfig::okRule: on the validation split "quantile" gave 79.6 % mean balanced
    // accuracy over 2-64 OK photos against 77.7 % for "max" and 77.5 % for "normal".
    std::string anomalyOkRule = "quantile";
};
const DefaultRoute& defaultRoute();

// The initialisation an architecture starts from by default.
struct DefaultInit {
    std::string kind; // "imagenet", "cg" or "scratch"
    std::string init; // as TrainConfig::init: "imagenet:FILE", "cg:FILE" or "scratch"
    // Why this one: the measured numbers behind the choice (docs/results.md), for the "Why?"
    // button and `kizu-cli train --help`.
    std::string reason;
    // Empty when the preferred start was available; otherwise what is missing and what to do.
    std::string fallbackNote;
};
// The measured order for arch (best first) among the starts at hand: a file that is not found
// is skipped, and fallbackNote says so.
// head "defect_map": the shipped CG defect-map weights first (defaultCgMapModel), then the
// classifier's order (the trunk of ImageNet or CG classifier weights).
DefaultInit defaultInit(const std::string& arch, const std::string& head = "classifier");
// The file of an anomaly model's frozen trunk: trunk "imagenet" (torchvision's file),
// "cg" (the shipped CG classifier) or "cgmap" (the shipped CG defect-map model), as an init
// ("imagenet:FILE", "cg:FILE"). Throws InvalidArgument naming what is missing and what to give.
std::string anomalyTrunkInit(const std::string& arch, const std::string& trunk);
// The measured preference order of starts for arch, best first (e.g. imagenet, scratch, cg).
std::vector<std::string> initPreference(const std::string& arch);

// How a trained model compares with chance and with the classical baseline on held-out images
// (the run's validation images): what the Train page shows after a run, what `kizu-cli train`
// prints, and what "Make active" checks before it asks for confirmation.
struct Assessment {
    std::string images; // which images, e.g. "64 held-out train images (32 OK, 32 NG)"
    std::int64_t nOk = 0, nNg = 0;
    double modelAuc = 0.5, modelBalanced = 0.5;
    bool hasBaseline = false;
    bool baselineTuned = false; // the project's tuned parameters (else the defaults)
    double baselineAuc = 0.5, baselineBalanced = 0.5;
    // "ok", "near_chance", "worse_than_baseline" or "unknown" (no held-out images of a class)
    std::string level = "unknown";
    std::string message; // one or two sentences for the operator
    bool warns() const { return level == "near_chance" || level == "worse_than_baseline"; }
};
// AUC below this, or balanced accuracy below kChanceBalanced, is "near or below chance".
inline constexpr double kChanceAuc = 0.65;
inline constexpr double kChanceBalanced = 0.6;
// Fills level and message from the numbers (the rule, in one place).
void judge(Assessment& a);
nlohmann::json toJson(const Assessment& a);
// Reads what toJson wrote (a model record's metrics "assessment"); lenient: missing fields keep
// their defaults, a non-object gives level "unknown".
Assessment assessmentFromJson(const nlohmann::json& j);

} // namespace kizu::learn
