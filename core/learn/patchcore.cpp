// PatchCore: patch embeddings, greedy coreset, exact nearest-neighbour distances and the
// OK-only threshold. See patchcore.h.
#include "core/learn/patchcore.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/memory_budget.h"
#include "core/learn/internal/torch_model.h"
#include "core/learn/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kizu::learn {
using nlohmann::json;

namespace {
// Wider embeddings (ResNet-50: 512 + 1024) are averaged down to this many channels, as the
// reference implementation does; SqueezeNet (256 + 384) and ResNet-18/34 (128 + 256) keep theirs.
constexpr std::int64_t kMaxDim = 1024;
constexpr std::int64_t kQueryChunk = 2048;
constexpr int kBatch = 8;

// Patch embeddings [N, C, h, w] at stride 8: each level averaged over 3 x 3 neighbourhoods
// (local aggregation), the stride-16 level upsampled onto the stride-8 grid, both joined.
torch::Tensor embed(detail::Net& net, const torch::Tensor& x)
{
    auto [a, b] = net.patchFeatures(detail::prepareInput(x));
    a = a.contiguous();
    namespace F = torch::nn::functional;
    const auto pool = F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false);
    a = F::avg_pool2d(a, pool);
    b = F::avg_pool2d(b.contiguous(), pool);
    b = F::interpolate(b, F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{a.size(2), a.size(3)})
                              .mode(torch::kBilinear)
                              .align_corners(false));
    auto f = torch::cat({a, b}, 1);
    if (f.size(1) > kMaxDim) {
        const auto n = f.size(0), c = f.size(1), h = f.size(2), w = f.size(3);
        f = F::adaptive_avg_pool1d(f.permute({0, 2, 3, 1}).reshape({n * h * w, 1, c}),
                                   F::AdaptiveAvgPool1dFuncOptions(kMaxDim))
                .reshape({n, h, w, kMaxDim})
                .permute({0, 3, 1, 2});
    }
    return f.contiguous();
}

// [N, C, h, w] -> [N * h * w, C]
torch::Tensor rows(const torch::Tensor& f)
{
    return f.permute({0, 2, 3, 1}).reshape({-1, f.size(1)}).contiguous();
}

// Products with the memory run as 1 x 1 convolutions: LibTorch's convolutions use oneDNN, while
// its matrix products go to the system BLAS, which on a stock Debian is the reference one (100
// times slower: 0.9 s per frame instead of milliseconds, measured with perf).
torch::Tensor asKernel(const torch::Tensor& m)
{
    return m.reshape({m.size(0), m.size(1), 1, 1});
}

// Each patch's Euclidean distance to its nearest memory row, [N, h, w] for features [N, C, h, w];
// memory rows where exclude is true are skipped (exclude may be undefined).
torch::Tensor nearestMap(const torch::Tensor& f, const torch::Tensor& bank,
                         const torch::Tensor& bankSq, const torch::Tensor& exclude = {})
{
    const auto n = f.size(0), hw = f.size(2) * f.size(3), m = bank.size(0);
    // At most about 16 M distances at a time (64 MB).
    const auto step = std::max<std::int64_t>(1, (std::int64_t(1) << 24) / std::max<std::int64_t>(1, hw * m));
    const auto kernel = asKernel(bank);
    const auto sq = bankSq.view({1, m, 1, 1});
    std::vector<torch::Tensor> parts;
    for (std::int64_t i = 0; i < n; i += step) {
        auto fc = f.slice(0, i, std::min(n, i + step));
        auto d2 = torch::conv2d(fc, kernel).mul_(-2).add_(sq).add_(fc.pow(2).sum(1, true));
        if (exclude.defined())
            d2.masked_fill_(exclude.view({1, m, 1, 1}), std::numeric_limits<float>::infinity());
        parts.push_back(std::get<0>(d2.min(1)).clamp_min_(0).sqrt_());
    }
    return torch::cat(parts);
}

// Greedy k-centre selection (Sener & Savarese; PatchCore's coreset): start at a seeded random
// row, then repeatedly take the row farthest from everything chosen, on a seeded random
// projection of the features. Deterministic per seed.
std::vector<std::int64_t> greedyCoreset(const torch::Tensor& feats, std::int64_t k, int projection,
                                        std::uint64_t seed, const ProgressFn& progress,
                                        const CancelToken* cancel, bool& cancelled)
{
    const std::int64_t n = feats.size(0);
    std::vector<std::int64_t> chosen;
    if (k >= n) {
        chosen.resize(std::size_t(n));
        std::iota(chosen.begin(), chosen.end(), 0);
        return chosen;
    }
    auto gen = at::detail::createCPUGenerator(seed);
    torch::Tensor z = feats;
    if (projection > 0 && feats.size(1) > projection) {
        auto r = at::randn({projection, feats.size(1)}, gen, torch::TensorOptions(torch::kFloat32))
                     .div_(std::sqrt(double(projection)));
        // [1, C, n, 1] * [p, C, 1, 1] -> [1, p, n, 1]
        z = torch::conv2d(feats.t().reshape({1, feats.size(1), n, 1}), asKernel(r.to(feats.device())))
                .reshape({projection, n})
                .t();
    }
    // Column-major (one projected dimension after another), so that the distance update is a
    // plain loop over rows that the compiler vectorises.
    z = z.to(torch::kCPU).t().contiguous();
    const int dim = int(z.size(0));
    const float* zp = z.data_ptr<float>();
    std::vector<float> minD(std::size_t(n), std::numeric_limits<float>::infinity());
    std::vector<float> acc(static_cast<std::size_t>(n), 0.0f);
    std::int64_t next = std::int64_t(seed % std::uint64_t(n));
    chosen.reserve(std::size_t(k));
    for (std::int64_t i = 0; i < k; ++i) {
        chosen.push_back(next);
        std::fill(acc.begin(), acc.end(), 0.0f);
        float* a = acc.data();
        for (int j = 0; j < dim; ++j) {
            const float* col = zp + std::int64_t(j) * n;
            const float c = col[next];
            for (std::int64_t r = 0; r < n; ++r) {
                const float t = col[r] - c;
                a[r] += t * t;
            }
        }
        float best = -1;
        std::int64_t bestAt = 0;
        float* m = minD.data();
        for (std::int64_t r = 0; r < n; ++r) {
            if (a[r] < m[r]) m[r] = a[r];
            if (m[r] > best) {
                best = m[r];
                bestAt = r;
            }
        }
        next = bestAt;
        if (i % 256 == 0) {
            report(progress, {i, k, "coreset", {}});
            if (isCancelled(cancel)) {
                cancelled = true;
                return {};
            }
        }
    }
    return chosen;
}

double normalQuantile(double p)
{
    // Acklam's rational approximation is more than enough for a threshold margin.
    p = std::clamp(p, 1e-9, 1 - 1e-9);
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    const double lo = 0.02425;
    if (p < lo) {
        double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lo) return -normalQuantile(1 - p);
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

} // namespace

namespace detail {

torch::Tensor anomalyDistances(Model::Impl& impl, Net& net, const torch::Tensor& x)
{
    if (!impl.memory.defined() || impl.memory.size(0) == 0)
        throw InvalidArgument("This anomaly model has no memory of OK patches; fit it first.");
    auto f = embed(net, x);
    auto bank = impl.memory.to(f.device());
    return nearestMap(f, bank, bank.pow(2).sum(1));
}

torch::Tensor anomalyScores(const Model::Impl& impl, const torch::Tensor& distances)
{
    return 1 - torch::exp(-distances / impl.anomalyScale);
}

} // namespace detail

std::string toJson(const PatchCoreConfig& c)
{
    return json{{"method", "patchcore"},
                {"arch", c.arch},
                {"init", c.init},
                {"input_size", c.inputSize},
                {"keep_aspect", c.keepAspect},
                {"coreset_fraction", c.coresetFraction},
                {"coreset_projection", c.coresetProjection},
                {"max_memory", c.maxMemory},
                {"false_reject_rate", c.falseRejectRate},
                {"ok_rule", c.okRule},
                {"refine_with_ng", c.refineWithNg},
                {"seed", c.seed},
                {"device", c.device}}
        .dump();
}

PatchCoreFit fitPatchCore(const PatchCoreConfig& cfg, const std::vector<cv::Mat>& ok,
                          const std::vector<cv::Mat>& ng, const ProgressFn& progress,
                          const CancelToken* cancel)
{
    if (ok.size() < 2)
        throw InvalidArgument(
            ok.empty()
                ? "From OK photos only needs OK photos: label at least two photos OK (better "
                  "16 or more) and fit again."
                : "From OK photos only needs at least two OK photos: one to remember while "
                  "another sets the threshold. Label more OK photos (better 16 or more).");
    for (const auto& im : ok)
        if (im.empty()) throw InvalidArgument("An OK photo could not be read (empty image).");
    if (!(cfg.coresetFraction > 0 && cfg.coresetFraction <= 1))
        throw InvalidArgument("The coreset fraction must be in (0, 1], e.g. 0.1.");
    if (!(cfg.falseRejectRate > 0 && cfg.falseRejectRate < 0.5))
        throw InvalidArgument("The false-reject rate must be in (0, 0.5), e.g. 0.01.");
    if (cfg.okRule != "max" && cfg.okRule != "quantile" && cfg.okRule != "normal")
        throw InvalidArgument("Unknown OK threshold rule '" + cfg.okRule +
                              "': use max, quantile or normal.");
    if (cfg.init.empty())
        throw InvalidArgument("From OK photos only needs a trunk: imagenet:FILE, cg:FILE or a "
                              "Kizu model file.");
    const double t0 = monotonicSeconds();
    PatchCoreFit out;
    ModelInfo info;
    info.arch = cfg.arch;
    info.head = "anomaly";
    info.inputSize = cfg.inputSize;
    info.keepAspect = cfg.keepAspect;
    info.trainConfig = toJson(cfg);
    Model model = Model::create(info, cfg.init, cfg.seed);
    model.setDevice(cfg.device);
    Model::Impl& impl = *model.impl();
    auto net = detail::inferenceNet(impl);
    c10::InferenceMode guard;

    // Embeddings of every OK photo, batched by canvas.
    std::vector<torch::Tensor> perImage;
    const std::int64_t total = std::int64_t(ok.size() + ng.size());
    auto embedAll = [&](const std::vector<cv::Mat>& images, std::int64_t offset) {
        std::vector<torch::Tensor> res;
        for (std::size_t i = 0; i < images.size();) {
            std::size_t end = i + 1;
            const cv::Size canvas = detail::inputCanvas(impl.info, images[i].size());
            const std::size_t chunk = detail::inferenceChunk(impl, canvas, std::size_t(kBatch));
            while (end < images.size() && end - i < chunk && !images[end].empty() &&
                   detail::inputCanvas(impl.info, images[end].size()) == canvas)
                ++end;
            std::vector<cv::Mat> part(images.begin() + long(i), images.begin() + long(end));
            auto f = embed(*net, detail::toInputTensor(part, impl.info).to(impl.device));
            for (std::int64_t j = 0; j < f.size(0); ++j)
                res.push_back(f.slice(0, j, j + 1));
            if (offset == 0 && i == 0) {
                // The memory bank before the coreset holds every OK patch, about three times
                // over while it is built (per photo, in rows, concatenated): checked once the
                // first photo's patches are known, before the rest are embedded.
                const double perImage = double(rows(res.front()).numel()) * sizeof(float);
                checkMemoryBudget("Fitting From OK photos on " + std::to_string(ok.size()) +
                                      " photos at " + std::to_string(cfg.inputSize) + " px",
                                  3.0 * perImage * double(ok.size() + ng.size()),
                                  "OK photos x input size = " + std::to_string(ok.size()) +
                                      " x " + std::to_string(cfg.inputSize) + " px");
            }
            i = end;
            report(progress, {offset + std::int64_t(i), total, "features", {}});
            if (isCancelled(cancel)) return false;
        }
        perImage = std::move(res);
        return true;
    };
    if (!embedAll(ok, 0)) {
        out.cancelled = true;
        return out;
    }
    const auto okEmb = perImage;
    std::vector<torch::Tensor> sources;
    std::vector<torch::Tensor> okRows;
    for (std::size_t i = 0; i < okEmb.size(); ++i) {
        okRows.push_back(rows(okEmb[i]));
        sources.push_back(torch::full({okRows.back().size(0)}, std::int64_t(i), torch::kLong));
    }
    auto all = torch::cat(okRows);
    okRows.clear();
    auto source = torch::cat(sources).to(all.device());
    out.patches = all.size(0);
    out.featureDim = int(all.size(1));
    std::int64_t k =
        std::max<std::int64_t>(1, std::llround(cfg.coresetFraction * double(out.patches)));
    if (cfg.maxMemory > 0) k = std::min(k, cfg.maxMemory);
    bool cancelled = false;
    auto idx = greedyCoreset(all, k, cfg.coresetProjection, cfg.seed, progress, cancel, cancelled);
    if (cancelled) {
        out.cancelled = true;
        return out;
    }
    auto index = torch::tensor(idx, torch::kLong).to(all.device());
    auto bank = all.index_select(0, index).contiguous();
    auto bankSource = source.index_select(0, index);
    auto bankSq = bank.pow(2).sum(1);
    out.bankSize = bank.size(0);

    // Leave-one-out: each OK photo against the memory without its own patches. A photo whose
    // patches are all the memory holds (two photos, a tiny coreset) is scored against all.
    std::vector<double> okDist;
    for (std::size_t i = 0; i < okEmb.size(); ++i) {
        auto mask = bankSource == std::int64_t(i);
        const bool all_ = mask.all().item<bool>();
        auto d = nearestMap(okEmb[i], bank, bankSq, all_ ? torch::Tensor() : mask);
        okDist.push_back(d.max().item<double>());
    }
    // The distance at the false-reject rate: the larger of the empirical quantile (at most
    // floor(rate * n) photos above it) and a normal fit's, so that a few photos do not put
    // it at their own maximum.
    std::vector<double> sorted = okDist;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    const auto allowed = std::size_t(std::floor(cfg.falseRejectRate * double(n)));
    const double empirical = sorted[n - 1 - std::min(allowed, n - 1)];
    const double mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(n);
    double var = 0;
    for (double v : sorted)
        var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / double(n - 1));
    const double fitted = mean + normalQuantile(1 - cfg.falseRejectRate) * sd;
    const double okThreshold =
        std::max(1e-12, cfg.okRule == "quantile" ? empirical * (1 + 1e-6)
                        : cfg.okRule == "normal" ? fitted
                                                 : std::max(empirical * (1 + 1e-6), fitted));
    impl.memory = bank.to(torch::kCPU).contiguous();
    impl.anomalyScale = okThreshold / std::log(2.0);
    auto toScore = [&](double d) { return float(1 - std::exp(-d / impl.anomalyScale)); };
    for (double d : okDist)
        out.okScores.push_back(toScore(d));
    out.okImages = std::int64_t(ok.size());

    double threshold = 0.5;
    json rule{{"rule", "ok_false_reject_rate"},
              {"ok_rule", cfg.okRule},
              {"false_reject_rate", cfg.falseRejectRate},
              {"ok_images", n},
              {"scores", "leave-one-out"},
              {"distance", okThreshold},
              {"empirical_distance", empirical},
              {"normal_fit_distance", fitted}};
    if (!ng.empty()) {
        std::vector<cv::Mat> ngOk;
        for (const auto& im : ng)
            if (!im.empty()) ngOk.push_back(im);
        if (!embedAll(ngOk, std::int64_t(ok.size()))) {
            out.cancelled = true;
            return out;
        }
        for (const auto& e : perImage)
            out.ngScores.push_back(toScore(nearestMap(e, bank, bankSq).max().item<double>()));
        out.ngImages = std::int64_t(out.ngScores.size());
        if (cfg.refineWithNg && !out.ngScores.empty()) {
            std::vector<float> s = out.okScores;
            std::vector<int> l(s.size(), kOk);
            s.insert(s.end(), out.ngScores.begin(), out.ngScores.end());
            l.insert(l.end(), out.ngScores.size(), kNg);
            threshold = chooseThresholdMidpoint(s, l);
            rule = json{{"rule", "balanced_accuracy_ok_loo_and_ng"},
                        {"ok_images", n},
                        {"ng_images", out.ngImages},
                        {"ok_only_threshold", 0.5},
                        {"false_reject_rate", cfg.falseRejectRate}};
        }
    }
    impl.info.threshold = threshold;
    impl.info.thresholdRule = rule.dump();
    impl.info.dataHash = "";
    impl.anomalyMeta = json{{"bank_size", out.bankSize},
                            {"patches", out.patches},
                            {"feature_dim", out.featureDim},
                            {"coreset_fraction", cfg.coresetFraction},
                            {"ok_images", out.okImages},
                            {"layers", cfg.arch == "squeezenet1_1"
                                           ? json::array({"features.7", "features.10"})
                                           : json::array({"layer2", "layer3"})},
                            {"aggregation", "avg 3x3"},
                            {"scale", impl.anomalyScale}}
                           .dump();
    out.seconds = monotonicSeconds() - t0;
    impl.info.metrics = json{{"fit_seconds", out.seconds},
                             {"bank_size", out.bankSize},
                             {"patches", out.patches},
                             {"ok_images", out.okImages},
                             {"ng_images", out.ngImages}}
                            .dump();
    report(progress, {total, total, "done", {}});
    out.model = model;
    return out;
}

PatchCoreFit fitPatchCore(const PatchCoreConfig& cfg, const std::vector<LabeledPath>& items,
                          bool okOnly, const ProgressFn& progress, const CancelToken* cancel)
{
    std::vector<cv::Mat> ok, ng;
    std::int64_t i = 0;
    for (const auto& it : items) {
        if (isCancelled(cancel)) {
            PatchCoreFit out;
            out.cancelled = true;
            return out;
        }
        if (it.label == kOk)
            ok.push_back(loadForInput(it, cfg.inputSize, cfg.keepAspect));
        else if (!okOnly)
            ng.push_back(loadForInput(it, cfg.inputSize, cfg.keepAspect));
        report(progress, {++i, std::int64_t(items.size()), "decode", it.path.filename().string()});
    }
    return fitPatchCore(cfg, ok, ng, progress, cancel);
}

MemoryBank memoryBank(const Model& model)
{
    MemoryBank b;
    const auto& m = model.impl()->memory;
    if (!m.defined()) return b;
    auto t = m.to(torch::kCPU).contiguous();
    b.rows = t.size(0);
    b.dim = int(t.size(1));
    b.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return b;
}

} // namespace kizu::learn
