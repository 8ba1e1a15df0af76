// After a training run: the model against chance and against the classical baseline on the
// run's held-out images (defaults.h: Assessment).
#include "core/evaluate/compare.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/defaults.h"
#include "core/learn/train_run.h"
#include "core/project/project_store.h"

#include <nlohmann/json.hpp>

#include <tuple>

namespace kizu::learn {

ProjectBaseline projectBaseline(const project::ProjectStore& store)
{
    ProjectBaseline b;
    try {
        if (auto saved = store.meta("baseline_params"); saved && !saved->empty()) {
            b.params = baseline::BaselineParams::fromJson(nlohmann::json::parse(*saved));
            b.tuned = !(b.params == baseline::BaselineParams{});
        }
    } catch (const std::exception&) {
        b = {}; // damaged parameters: the defaults, not tuned
    }
    return b;
}

std::string describeImages(const std::vector<LabeledPath>& items, const std::string& source)
{
    const auto [ok, ng] = classCounts(items);
    return std::to_string(items.size()) + " " + source + " (" + std::to_string(ok) + " OK, " +
           std::to_string(ng) + " NG)";
}

Assessment assessModel(const Model& model, const std::vector<LabeledPath>& heldOut,
                       const std::string& source, const ProjectBaseline* base,
                       const ProgressFn& progress, const CancelToken* cancel, bool* cancelled)
{
    if (cancelled) *cancelled = false;
    Assessment a;
    std::tie(a.nOk, a.nNg) = classCounts(heldOut);
    a.images = describeImages(heldOut, source);
    auto tagged = [&progress](const char* stage) {
        return ProgressFn([&progress, stage](const Progress& p) {
            Progress q = p;
            q.stage = stage;
            report(progress, q);
        });
    };
    if (a.nOk > 0 && a.nNg > 0) {
        auto ev = evaluate(model, heldOut, tagged("check-model"), cancel);
        if (ev.cancelled) {
            if (cancelled) *cancelled = true;
            return a;
        }
        a.modelAuc = ev.metrics.auc;
        a.modelBalanced = ev.metrics.balancedAccuracy;
        if (base) {
            auto s = scoreBaseline(base->params, heldOut, {}, tagged("check-baseline"), cancel);
            if (s.cancelled) {
                if (cancelled) *cancelled = true;
                return a;
            }
            std::vector<int> labels;
            labels.reserve(heldOut.size());
            for (const auto& it : heldOut)
                labels.push_back(it.label);
            const auto m = metricsAt(s, labels, s.threshold);
            a.hasBaseline = true;
            a.baselineTuned = base->tuned;
            a.baselineAuc = m.metrics.auc;
            a.baselineBalanced = m.metrics.balancedAccuracy;
        }
    }
    judge(a);
    return a;
}

} // namespace kizu::learn
