#include "core/evaluate/evaluate.h"

#include "core/common/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace kizu::learn {

Metrics computeMetrics(const std::vector<float>& scores, const std::vector<int>& labels,
                       double threshold)
{
    if (scores.size() != labels.size())
        throw InvalidArgument("computeMetrics: scores and labels differ in length.");
    Metrics m;
    m.threshold = threshold;
    m.n = std::int64_t(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool ng = scores[i] >= threshold;
        if (labels[i] == kNg)
            (ng ? m.tp : m.fn)++;
        else
            (ng ? m.fp : m.tn)++;
    }
    auto div = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    m.accuracy = div(double(m.tp + m.tn), double(m.n));
    m.ngRecall = div(double(m.tp), double(m.tp + m.fn));
    m.okRecall = div(double(m.tn), double(m.tn + m.fp));
    m.ngPrecision = div(double(m.tp), double(m.tp + m.fp));
    const std::int64_t pos = m.tp + m.fn, neg = m.tn + m.fp;
    m.balancedAccuracy =
        pos && neg ? (m.ngRecall + m.okRecall) / 2 : (pos ? m.ngRecall : m.okRecall);

    // ROC: sweep thresholds from high to low over the distinct scores.
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
    m.roc.push_back({std::numeric_limits<double>::infinity(), 0, 0});
    std::int64_t tp = 0, fp = 0;
    double auc = 0, lastFpr = 0, lastTpr = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        (labels[order[k]] == kNg ? tp : fp)++;
        if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
        const double fpr = div(double(fp), double(neg)), tpr = div(double(tp), double(pos));
        auc += (fpr - lastFpr) * (tpr + lastTpr) / 2;
        m.roc.push_back({scores[order[k]], fpr, tpr});
        lastFpr = fpr;
        lastTpr = tpr;
    }
    m.auc = pos && neg ? auc : 0.5;
    return m;
}

double chooseThreshold(const std::vector<float>& scores, const std::vector<int>& labels)
{
    std::int64_t pos = 0, neg = 0;
    for (int l : labels)
        (l == kNg ? pos : neg)++;
    if (!pos || !neg) return 0.5;
    std::vector<float> s = scores;
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    std::vector<double> candidates{0.5};
    candidates.push_back(double(s.front()) - 1e-6);
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        candidates.push_back((double(s[i]) + s[i + 1]) / 2);
    candidates.push_back(double(s.back()) + 1e-6);
    double best = 0.5, bestBa = -1;
    for (double t : candidates) {
        std::int64_t tp = 0, tn = 0;
        for (std::size_t i = 0; i < scores.size(); ++i) {
            const bool ng = scores[i] >= t;
            if (labels[i] == kNg && ng) ++tp;
            if (labels[i] != kNg && !ng) ++tn;
        }
        const double ba = (double(tp) / double(pos) + double(tn) / double(neg)) / 2;
        if (ba > bestBa + 1e-12 ||
            (std::abs(ba - bestBa) <= 1e-12 && std::abs(t - 0.5) < std::abs(best - 0.5))) {
            bestBa = ba;
            best = t;
        }
    }
    return best;
}

nlohmann::json toJson(const Metrics& m, bool withRoc)
{
    nlohmann::json j{{"threshold", m.threshold},
                     {"n", m.n},
                     {"accuracy", m.accuracy},
                     {"balanced_accuracy", m.balancedAccuracy},
                     {"ng_precision", m.ngPrecision},
                     {"ng_recall", m.ngRecall},
                     {"ok_recall", m.okRecall},
                     {"auc", m.auc},
                     {"confusion", {{"tp", m.tp}, {"fp", m.fp}, {"tn", m.tn}, {"fn", m.fn}}}};
    if (withRoc) {
        auto roc = nlohmann::json::array();
        for (const auto& p : m.roc)
            roc.push_back({{"threshold", std::isinf(p.threshold) ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(p.threshold)},
                           {"fpr", p.fpr},
                           {"tpr", p.tpr}});
        j["roc"] = roc;
    }
    return j;
}

EvalResult evaluate(const Model& model, const std::vector<LabeledPath>& items,
                    const ProgressFn& progress, const CancelToken* cancel, int batch)
{
    EvalResult r;
    if (items.empty()) throw InvalidArgument("There are no images to evaluate.");
    batch = std::max(1, batch);
    std::vector<float> scores;
    std::vector<int> labels;
    for (std::size_t i = 0; i < items.size(); i += std::size_t(batch)) {
        if (isCancelled(cancel)) {
            r.cancelled = true;
            break;
        }
        std::vector<cv::Mat> ims;
        const std::size_t end = std::min(items.size(), i + std::size_t(batch));
        for (std::size_t k = i; k < end; ++k)
            ims.push_back(loadSquare(items[k], model.info().inputSize));
        auto s = model.predict(ims);
        for (std::size_t k = i; k < end; ++k) {
            const float sc = s[k - i];
            scores.push_back(sc);
            labels.push_back(items[k].label);
            r.images.push_back({items[k].path.string(), items[k].label, sc,
                                sc >= model.info().threshold ? kNg : kOk});
        }
        report(progress, {std::int64_t(end), std::int64_t(items.size()), "evaluate",
                          items[end - 1].path.filename().string()});
    }
    r.metrics = computeMetrics(scores, labels, model.info().threshold);
    return r;
}

std::string scoresCsv(const std::vector<ImageScore>& images)
{
    std::ostringstream s;
    s << "path,label,score,predicted\n";
    for (const auto& im : images) {
        std::string p = im.path;
        if (p.find_first_of(",\"\n") != std::string::npos) {
            std::string q = "\"";
            for (char c : p)
                q += c == '"' ? std::string("\"\"") : std::string(1, c);
            p = q + "\"";
        }
        s << p << ',' << (im.label == kNg ? "ng" : "ok") << ',' << im.score << ','
          << (im.predicted == kNg ? "ng" : "ok") << '\n';
    }
    return s.str();
}

} // namespace kizu::learn
