#include "core/learn/defaults.h"

#include "core/common/error.h"
#include "core/common/paths.h"

#include <cmath>
#include <cstdio>

namespace kizu::learn {
namespace {

std::string percent(double x)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", x);
    return buf;
}

// The measurements behind each architecture's order (docs/results.md, BSData test split,
// 3 seeds, the same shots for every start).
std::string reasonFor(const std::string& arch)
{
    if (arch == "squeezenet1_1")
        return "ImageNet weights are the best measured start for SqueezeNet 1.1 on BSData "
               "(docs/results.md, 3 seeds, 128 px): the best mean balanced accuracy at 5 of 7 "
               "shot counts (77.9 % at 1 photo per class, 78.0 % at 8, 81.3 % at 32; scratch "
               "70.8 / 63.5 / 67.2 %; the shipped CG weights 59.2 / 62.6 / 65.0 %). The CG "
               "weights did worse than scratch for this network (on the BSData demo, 4 shots "
               "and 20 steps from them gave AUC 0.38), so they are not the default. Scratch "
               "comes next when no ImageNet file is at hand.";
    if (arch == "resnet18")
        return "The shipped CG weights are the best measured start for ResNet-18 on BSData "
               "(docs/results.md, 3 seeds, 128 px): mean AUC above scratch at 6 of 7 shot "
               "counts (91.9 % against 79.9 % at 8 photos per class, balanced accuracy 83.5 "
               "against 70.3 %), and far fewer collapsed seeds. ImageNet ResNet-18 was not "
               "measured (its file is not available offline); it comes next, then scratch.";
    return "No start has been measured for " + arch +
           " on BSData yet. ImageNet weights beat scratch for SqueezeNet 1.1 "
           "(docs/results.md), so they come first when the file is at hand, then scratch.";
}

} // namespace

const DefaultRoute& defaultRoute()
{
    static const DefaultRoute route;
    return route;
}

std::vector<std::string> initPreference(const std::string& arch)
{
    if (arch == "squeezenet1_1") return {"imagenet", "scratch", "cg"};
    if (arch == "resnet18") return {"cg", "imagenet", "scratch"};
    return {"imagenet", "cg", "scratch"};
}

std::string anomalyTrunkInit(const std::string& arch, const std::string& trunk)
{
    if (trunk == "imagenet") {
        const auto f = findImagenetWeights(arch);
        if (f.empty())
            throw InvalidArgument("No ImageNet weights for " + arch + " (" + arch +
                                  "-imagenet.pth) were found in $KIZU_WEIGHTS_DIR or the models "
                                  "folder; give the trunk as --init imagenet:FILE.");
        return "imagenet:" + f.string();
    }
    if (trunk == "cg" || trunk == "cgmap") {
        const auto f = trunk == "cg" ? defaultCgModel(arch) : defaultCgMapModel(arch);
        if (f.empty())
            throw InvalidArgument("No CG-pretrained " + arch +
                                  (trunk == "cg" ? " classifier" : " defect-map model") +
                                  " is shipped; give the trunk as --init cg:FILE.");
        return "cg:" + f.string();
    }
    throw InvalidArgument("Unknown trunk '" + trunk + "': use imagenet, cg or cgmap.");
}

DefaultInit defaultInit(const std::string& arch, const std::string& head)
{
    if (head == "defect_map") {
        if (const auto f = defaultCgMapModel(arch); !f.empty()) {
            DefaultInit d;
            d.kind = "cg";
            d.init = "cg:" + f.string();
            d.reason = "CG-pretrained defect-map weights (ImageNet, then CG renders with their "
                       "defect masks as pixel supervision) are the station's start for defect-"
                       "map models; docs/results.md has the sweep and the ablation (issue 21).";
            return d;
        }
        DefaultInit d = defaultInit(arch, "classifier");
        d.fallbackNote = "No CG-pretrained defect-map " + arch +
                         " is shipped (models/" + arch +
                         "-cgmap.kizumodel); the defect map starts fresh on the trunk of " +
                         (d.kind == "scratch"    ? std::string("random weights")
                          : d.kind == "imagenet" ? std::string("ImageNet weights")
                                                 : std::string("CG classifier weights")) +
                         (d.fallbackNote.empty() ? "." : ". " + d.fallbackNote);
        return d;
    }
    DefaultInit d;
    d.reason = reasonFor(arch);
    const auto order = initPreference(arch);
    std::vector<std::string> missing;
    for (const auto& kind : order) {
        if (kind == "imagenet") {
            const auto f = findImagenetWeights(arch);
            if (f.empty()) {
                missing.push_back("no ImageNet weights file (" + arch +
                                  "-imagenet.pth) was found in $KIZU_WEIGHTS_DIR or the models "
                                  "folder");
                continue;
            }
            d.kind = kind;
            d.init = "imagenet:" + f.string();
        } else if (kind == "cg") {
            const auto f = defaultCgModel(arch);
            if (f.empty()) {
                missing.push_back("no CG-pretrained " + arch + " is shipped");
                continue;
            }
            d.kind = kind;
            d.init = "cg:" + f.string();
        } else {
            d.kind = d.init = "scratch";
        }
        break;
    }
    if (d.kind != order.front() && !missing.empty()) {
        std::string why;
        for (std::size_t i = 0; i < missing.size(); ++i)
            why += (i ? "; " : "") + missing[i];
        d.fallbackNote = "The best measured start is not at hand: " + why + ". Using " +
                         (d.kind == "scratch" ? std::string("scratch (random weights)") : d.kind) +
                         " instead" +
                         (order.front() == "imagenet"
                              ? "; put " + arch +
                                    "-imagenet.pth (torchvision's state dict) in "
                                    "$KIZU_WEIGHTS_DIR or pick it to get the better start."
                              : ".");
    }
    return d;
}

void judge(Assessment& a)
{
    char buf[512];
    if (a.nOk == 0 && a.nNg == 0) {
        a.level = "unknown";
        a.message = "Not checked: every labeled photo was used for training and there is no "
                    "test split to check on (train on fewer shots, or assign a test split).";
        return;
    }
    if (a.nOk == 0 || a.nNg == 0) {
        a.level = "unknown";
        a.message = "Not checked: the held-out images lack " +
                    std::string(a.nOk == 0 ? "OK" : "NG") +
                    " photos (label more, or train on fewer shots to leave some out).";
        return;
    }
    std::snprintf(buf, sizeof buf, "On %s: AUC %s, balanced accuracy %s (chance: 0.50)",
                  a.images.c_str(), percent(a.modelAuc).c_str(),
                  percent(a.modelBalanced).c_str());
    std::string m = buf;
    if (a.hasBaseline) {
        std::snprintf(buf, sizeof buf, "; the classical baseline (%s) on the same images: AUC %s, "
                      "balanced accuracy %s",
                      a.baselineTuned ? "tuned parameters" : "default parameters, not tuned",
                      percent(a.baselineAuc).c_str(), percent(a.baselineBalanced).c_str());
        m += buf;
    }
    m += ".";
    if (a.modelAuc < kChanceAuc || a.modelBalanced < kChanceBalanced) {
        a.level = "near_chance";
        m += " This model is near or below chance: it would pass NG parts as OK. Do not use it "
             "on the line; train with more photos or steps, or another initialisation.";
    } else if (a.hasBaseline && a.modelAuc < a.baselineAuc &&
               a.modelBalanced < a.baselineBalanced) {
        a.level = "worse_than_baseline";
        m += " This model is worse than the classical baseline on these images; the baseline is "
             "the safer choice until a better model is trained.";
    } else {
        a.level = "ok";
        if (a.hasBaseline) m += " Better than chance and not worse than the baseline.";
    }
    a.message = m;
}

nlohmann::json toJson(const Assessment& a)
{
    nlohmann::json j{{"images", a.images},        {"ok", a.nOk},
                     {"ng", a.nNg},               {"auc", a.modelAuc},
                     {"balanced_accuracy", a.modelBalanced},
                     {"level", a.level},          {"message", a.message}};
    if (a.hasBaseline)
        j["baseline"] = {{"auc", a.baselineAuc},
                         {"balanced_accuracy", a.baselineBalanced},
                         {"tuned", a.baselineTuned}};
    return j;
}

Assessment assessmentFromJson(const nlohmann::json& j)
{
    Assessment a;
    if (!j.is_object()) return a;
    auto num = [](const nlohmann::json& o, const char* k, double fallback) {
        auto it = o.find(k);
        return it != o.end() && it->is_number() ? it->get<double>() : fallback;
    };
    auto str = [](const nlohmann::json& o, const char* k) {
        auto it = o.find(k);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    a.images = str(j, "images");
    a.nOk = std::int64_t(num(j, "ok", 0));
    a.nNg = std::int64_t(num(j, "ng", 0));
    a.modelAuc = num(j, "auc", 0.5);
    a.modelBalanced = num(j, "balanced_accuracy", 0.5);
    a.level = str(j, "level");
    if (a.level.empty()) a.level = "unknown";
    a.message = str(j, "message");
    if (auto b = j.find("baseline"); b != j.end() && b->is_object()) {
        a.hasBaseline = true;
        a.baselineAuc = num(*b, "auc", 0.5);
        a.baselineBalanced = num(*b, "balanced_accuracy", 0.5);
        auto t = b->find("tuned");
        a.baselineTuned = t != b->end() && t->is_boolean() && t->get<bool>();
    }
    return a;
}

} // namespace kizu::learn
