// The training loop. Every random choice is a function of (seed, step, slot): which image fills
// a slot of a batch, its augmentation, and dropout. So a run resumed from a checkpoint takes the
// same path as one that never stopped, and ends with the same weights.
#include "core/learn/trainer.h"

#include "core/cg/cg_params.h"
#include "core/cg/cg_transplant.h"
#include "core/common/error.h"
#include "core/common/memory_budget.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/defaults.h"
#include "core/learn/internal/torch_model.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

namespace kizu::learn {
using nlohmann::json;

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kSaltSample = 0x5A3B1E, kSaltAugment = 0xA06, kSaltDropout = 0xD50;
constexpr std::uint64_t kTransplantAttempts = 8;
constexpr std::uint64_t kSaltTransplant = 0x7C6A, kSaltTransplantPhoto = 0x7C6B,
                        kSaltHeldOut = 0x4E1D;

// Which source image fills global slot g (= step * batch + i). Balanced: slots alternate
// OK/NG, and each class is walked through a fresh seeded permutation per pass.
class Sampler {
public:
    Sampler(const SampleSource& src, bool balanced, std::uint64_t seed) : m_seed(seed)
    {
        m_endless = src.size() == 0;
        if (m_endless) return;
        if (balanced) {
            for (std::int64_t i = 0; i < src.size(); ++i)
                m_classes[src.label(i) == kNg ? 1 : 0].push_back(i);
            if (m_classes[0].empty() || m_classes[1].empty())
                throw InvalidArgument(std::string("The training data has no ") +
                                      (m_classes[0].empty() ? "OK" : "NG") +
                                      " images; both classes are needed.");
            m_numClasses = 2;
        } else {
            for (std::int64_t i = 0; i < src.size(); ++i)
                m_classes[0].push_back(i);
            m_numClasses = 1;
        }
    }
    std::int64_t index(std::int64_t g)
    {
        if (m_endless) return g;
        const int c = int(g % m_numClasses);
        const std::int64_t k = g / m_numClasses;
        const auto& cls = m_classes[c];
        const std::int64_t n = std::int64_t(cls.size());
        const std::int64_t pass = k / n;
        if (m_pass[c] != pass || m_perm[c].empty()) {
            m_perm[c] = cls;
            for (std::size_t i = m_perm[c].size(); i > 1; --i) {
                auto j = mixSeed(mixSeed(m_seed ^ kSaltSample,
                                         std::uint64_t(c) * 1000003 + std::uint64_t(pass)),
                                 i) %
                         i;
                std::swap(m_perm[c][i - 1], m_perm[c][j]);
            }
            m_pass[c] = pass;
        }
        return m_perm[c][std::size_t(k % n)];
    }

private:
    std::uint64_t m_seed;
    bool m_endless = false;
    int m_numClasses = 1;
    std::vector<std::int64_t> m_classes[2];
    std::vector<std::int64_t> m_perm[2];
    std::int64_t m_pass[2] = {-1, -1};
};

// Walks a list through a fresh seeded permutation per pass (as Sampler does for a class).
class PermutedWalk {
public:
    PermutedWalk(std::vector<std::int64_t> items, std::uint64_t seed)
        : m_items(std::move(items)), m_seed(seed)
    {
    }
    bool empty() const { return m_items.empty(); }
    std::int64_t at(std::int64_t k)
    {
        const std::int64_t n = std::int64_t(m_items.size());
        const std::int64_t pass = k / n;
        if (pass != m_pass || m_perm.empty()) {
            m_perm = m_items;
            for (std::size_t i = m_perm.size(); i > 1; --i)
                std::swap(m_perm[i - 1],
                          m_perm[mixSeed(mixSeed(m_seed, std::uint64_t(pass)), i) % i]);
            m_pass = pass;
        }
        return m_perm[std::size_t(k % n)];
    }

private:
    std::vector<std::int64_t> m_items, m_perm;
    std::uint64_t m_seed;
    std::int64_t m_pass = -1;
};

// Transplants before a step: floor(ratio * batch * step), so the run holds exactly `ratio`.
std::int64_t transplantsBefore(const TrainConfig& c, std::int64_t step)
{
    if (!c.transplant.enabled()) return 0;
    return std::int64_t(std::floor(c.transplant.ratio * double(c.batch) * double(step) + 1e-9));
}

std::vector<std::int64_t> okPhotos(const SampleSource& data)
{
    std::vector<std::int64_t> ok;
    for (std::int64_t i = 0; i < data.size(); ++i)
        if (data.label(i) == kOk) ok.push_back(i);
    return ok;
}

void checkTransplant(const TrainConfig& c, const SampleSource& data)
{
    const auto& t = c.transplant;
    if (!(t.ratio >= 0 && t.ratio < 1))
        throw InvalidArgument("The transplant ratio must be in [0, 1) (0 = off, 0.5 = half of "
                              "each batch), not " +
                              std::to_string(t.ratio) + ".");
    if (!t.enabled()) return;
    if (!(t.defectScale > 0)) throw InvalidArgument("The transplant defect scale must be above 0.");
    if (t.pxPerMm < 0) throw InvalidArgument("The photos' px per mm must be above 0.");
    if (data.size() == 0)
        throw InvalidArgument("CG defect transplants need a finite set of OK photos to put them "
                              "on; this training source is an endless stream.");
}

// Which slots of a step are transplants and what fills the others.
class SlotPlanner {
public:
    SlotPlanner(const TrainConfig& c, const SampleSource& data)
        : m_cfg(c), m_sampler(data, c.balanced, c.seed),
          m_ok(c.transplant.enabled() ? okPhotos(data) : std::vector<std::int64_t>{},
               mixSeed(c.seed ^ kSaltTransplantPhoto, 1))
    {
        if (c.transplant.enabled() && m_ok.empty())
            throw InvalidArgument("CG defect transplants need OK photos to put them on; the "
                                  "training data has none.");
    }
    std::vector<BatchSlot> slots(std::int64_t step)
    {
        const std::int64_t b = m_cfg.batch;
        const std::int64_t t0 = transplantsBefore(m_cfg, step);
        const std::int64_t k = transplantsBefore(m_cfg, step + 1) - t0;
        // Without transplants r == g, the sampling of every earlier version.
        const std::int64_t r0 = step * b - t0;
        std::vector<BatchSlot> out(static_cast<std::size_t>(b));
        for (std::int64_t i = 0; i < b; ++i) {
            BatchSlot& s = out[std::size_t(i)];
            s.augmentSeed = mixSeed(m_cfg.seed ^ kSaltAugment, std::uint64_t(step * b + i));
            if (i < b - k) {
                s.sourceIndex = m_sampler.index(r0 + i);
            } else {
                const std::int64_t t = t0 + (i - (b - k));
                s.transplant = true;
                s.transplantIndex = std::uint64_t(t);
                s.sourceIndex = m_ok.at(t);
            }
        }
        return out;
    }

private:
    const TrainConfig& m_cfg;
    Sampler m_sampler;
    PermutedWalk m_ok;
};

// Renders transplants onto the source's photos; each photo is analysed once.
class Transplanter {
public:
    explicit Transplanter(const TrainConfig& c) : m_seed(mixSeed(c.seed ^ kSaltTransplant, 1))
    {
        const auto& t = c.transplant;
        const std::string spec = t.params.empty() ? defaultRoute().transplantParams : t.params;
        std::error_code ec;
        const auto presets = cg::presetNames();
        if (std::find(presets.begin(), presets.end(), spec) != presets.end()) {
            m_params = cg::loadPreset(spec);
        } else if (std::filesystem::is_regular_file(spec, ec)) {
            m_params = cg::loadParamsFile(spec);
        } else {
            std::string names;
            for (const auto& n : presets)
                names += (names.empty() ? "" : ", ") + n;
            throw InvalidArgument("Transplant parameters '" + spec + "' are neither a CG preset (" +
                                  names + ") nor a parameters file.");
        }
        m_options.defectScale = t.defectScale;
        if (t.pxPerMm > 0) m_options.pxPerMm = t.pxPerMm;
    }
    // A transplant onto OK photo `photoIndex` of `data`, at the size the trainer holds it. It is
    // made on the photo as the camera took it (data.original), where px per mm, the grinding
    // marks and the defect sizes mean what they say, and then scaled as the trainer's copy is;
    // a source without originals gets it on its training copy.
    struct Rendered {
        cv::Mat image, mask; // at the size of the trainer's copy of the photo
    };
    Rendered render(SampleSource& data, std::int64_t photoIndex, std::uint64_t index)
    {
        const cv::Mat small = data.get(photoIndex).image;
        cv::Mat photo;
        std::optional<cg::PhotoAnalysis> analysis;
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_originals.find(photoIndex); it != m_originals.end())
                photo = it->second;
            if (auto it = m_analysis.find(photoIndex); it != m_analysis.end())
                analysis = it->second;
        }
        if (photo.empty()) {
            photo = data.original(photoIndex);
            if (photo.empty()) photo = small;
            std::lock_guard lock(m_mutex);
            m_originals.emplace(photoIndex, photo);
        }
        if (!analysis) {
            analysis = cg::analyzePhoto(photo, m_options);
            std::lock_guard lock(m_mutex);
            m_analysis.emplace(photoIndex, *analysis);
        }
        // A sampled defect can be too small to show at the training size (a pit of a few um
        // on a photo of a few hundred px): the next draws take its place, the same ones on
        // every run (a training index stays below 2^63, a held-out one above).
        std::string why;
        for (std::uint64_t attempt = 0; attempt < kTransplantAttempts; ++attempt) {
            try {
                auto t = cg::transplantDefect(photo, m_params, m_seed, index + (attempt << 48),
                                              m_options, analysis);
                Rendered out{t.image, t.mask};
                if (out.image.size() != small.size()) {
                    cv::resize(out.image, out.image, small.size(), 0, 0, cv::INTER_AREA);
                    out.mask = resizeMask(out.mask, small.size());
                }
                return out;
            } catch (const InvalidArgument& e) {
                why = e.what();
            }
        }
        throw InvalidArgument(why + " (" + std::to_string(kTransplantAttempts) +
                              " draws failed; on photos of " + std::to_string(photo.cols) +
                              " px the defects are too small: give "
                              "--transplant-scale above 1, or --px-per-mm.)");
    }

private:
    std::uint64_t m_seed;
    cg::CgParams m_params;
    cg::TransplantOptions m_options;
    std::mutex m_mutex;
    std::map<std::int64_t, cg::PhotoAnalysis> m_analysis;
    std::map<std::int64_t, cv::Mat> m_originals; // the OK photos at full resolution
};

// Builds the augmented images of a step.
class BatchBuilder {
public:
    BatchBuilder(const TrainConfig& c, SampleSource& data)
        : m_cfg(c), m_data(data), m_planner(c, data)
    {
        if (c.transplant.enabled()) m_transplanter.emplace(c);
        if (c.head == "defect_map") {
            // One canvas for the run: the data's aspect (its first image), or a square.
            m_canvas = cv::Size(c.inputSize, c.inputSize);
            if (c.keepAspect) {
                const cv::Mat first = data.get(0).image;
                if (first.empty()) throw FormatError("Training sample 0 has no image.");
                m_canvas = canvasFor(first.size(), c.inputSize);
            }
        }
    }
    bool defectMap() const { return m_canvas.width > 0; }
    cv::Size canvas() const { return m_canvas; }
    // One training image as the network sees it. Classifiers: augment() to a square.
    // Defect-map networks: augmentCanvas() with the mask, which may relabel an NG crop OK.
    MaskedSample prepare(const cv::Mat& im, const cv::Mat& mask, int label,
                         std::uint64_t seed) const
    {
        if (!defectMap()) return {augment(im, m_cfg.inputSize, m_cfg.augment, seed), {}, false, label};
        return augmentCanvas(im, mask, label, m_canvas, m_cfg.augment, seed);
    }
    TrainingBatch build(std::int64_t step)
    {
        const bool endless = m_data.size() == 0;
        TrainingBatch b;
        for (const BatchSlot& slot : m_planner.slots(step)) {
            Sample s = m_data.get(slot.sourceIndex);
            if (s.image.empty())
                throw FormatError("Training sample " + std::to_string(slot.sourceIndex) +
                                  " has no image.");
            cv::Mat im = s.image, mask = s.mask;
            int label = endless ? s.label : m_data.label(slot.sourceIndex);
            if (slot.transplant) {
                auto t = m_transplanter->render(m_data, slot.sourceIndex, slot.transplantIndex);
                im = t.image;
                mask = t.mask;
                label = kNg;
            }
            MaskedSample m = prepare(im, mask, label, slot.augmentSeed);
            b.images.push_back(m.image);
            b.labels.push_back(m.label);
            b.transplanted.push_back(slot.transplant);
            if (defectMap()) {
                b.masks.push_back(m.mask);
                b.maskKnown.push_back(m.maskKnown);
            }
        }
        return b;
    }
    Transplanter* transplanter() { return m_transplanter ? &*m_transplanter : nullptr; }

private:
    const TrainConfig& m_cfg;
    SampleSource& m_data;
    SlotPlanner m_planner;
    std::optional<Transplanter> m_transplanter;
    cv::Size m_canvas{0, 0}; // defect-map training: the run's canvas
};

struct Batch {
    std::int64_t step = -1;
    torch::Tensor x, y;
    // Defect-map training: masks [N, 1, H, W] in {0, 1}, which are known [N], and which are NG
    // with no mask [N] (both float 0/1).
    torch::Tensor mask, known, ngNoMask;
    std::exception_ptr error;
};

// Builds batches step by step on one helper thread, at most two ahead of the consumer.
class Prefetcher {
public:
    Prefetcher(std::function<Batch(std::int64_t)> make, std::int64_t first, std::int64_t last)
        : m_make(std::move(make)), m_next(first), m_last(last)
    {
        m_thread = std::thread([this] { run(); });
    }
    ~Prefetcher()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    Batch take(std::int64_t step)
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_queue.empty(); });
        Batch b = std::move(m_queue.front());
        m_queue.pop_front();
        m_cv.notify_all();
        if (b.error) std::rethrow_exception(b.error);
        if (b.step != step) throw std::logic_error("prefetcher out of order");
        return b;
    }

private:
    void run()
    {
        for (std::int64_t s = m_next; s < m_last; ++s) {
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stop || m_queue.size() < 2; });
                if (m_stop) return;
            }
            Batch b;
            try {
                b = m_make(s);
            } catch (...) {
                b.step = s;
                b.error = std::current_exception();
            }
            const bool failed = bool(b.error);
            {
                std::lock_guard lock(m_mutex);
                m_queue.push_back(std::move(b));
            }
            m_cv.notify_all();
            if (failed) return;
        }
    }
    std::function<Batch(std::int64_t)> m_make;
    std::int64_t m_next, m_last;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<Batch> m_queue;
    bool m_stop = false;
};

// The defect map's loss (issue 21), mean over the batch: where the mask is known, per-pixel
// BCE against it (a map cell is a defect when any pixel under it is) plus a soft Dice over the
// images that hold a defect; for an NG photo without a mask, BCE of the map's maximum against
// "defect somewhere" (Bozic et al.'s mixed supervision, in its simplest form).
torch::Tensor pixelLoss(const torch::Tensor& map, const torch::Tensor& mask,
                        const torch::Tensor& known, const torch::Tensor& ngNoMask)
{
    namespace F = torch::nn::functional;
    const auto n = map.size(0);
    auto target = std::get<0>(torch::adaptive_max_pool2d(mask, {map.size(2), map.size(3)}))
                      .flatten(1);
    auto logit = map.flatten(1);
    auto perImage =
        F::binary_cross_entropy_with_logits(logit, target,
                                            F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(
                                                torch::kNone))
            .mean(1);
    auto loss = (perImage * known).sum();
    auto p = torch::sigmoid(logit);
    auto hasDefect = (target.sum(1) > 0).to(torch::kFloat32) * known;
    auto dice = 1 - (2 * (p * target).sum(1) + 1) / (p.sum(1) + target.sum(1) + 1);
    loss = loss + (dice * hasDefect).sum();
    auto top = std::get<0>(logit.max(1));
    loss = loss + (F::softplus(-top) * ngNoMask).sum();
    return loss / double(n);
}

json configJson(const TrainConfig& c)
{
    const auto& a = c.augment;
    json j{{"arch", c.arch},
           {"input_size", c.inputSize},
           {"init", c.init},
           {"steps", c.steps},
           {"epochs", c.epochs},
           {"batch", c.batch},
           {"lr", c.lr},
           {"momentum", c.momentum},
           {"weight_decay", c.weightDecay},
           {"label_smoothing", c.labelSmoothing},
           {"warmup_steps", c.warmupSteps},
           {"balanced", c.balanced},
           {"seed", c.seed},
           {"device", c.device},
           {"augment",
            {{"rand_augment", a.randAugment},
             {"num_ops", a.numOps},
             {"magnitude", a.magnitude},
             {"magnitude_std", a.magnitudeStd},
             {"op_probability", a.opProbability},
             {"random_resized_crop", a.randomResizedCrop},
             {"crop_scale", {a.cropScaleMin, a.cropScaleMax}},
             {"crop_ratio", {a.cropRatioMin, a.cropRatioMax}},
             {"hflip", a.hflip},
             {"vflip", a.vflip}}}};
    if (c.head != "classifier") {
        j["head"] = c.head;
        j["keep_aspect"] = c.keepAspect;
        j["masks"] = c.masks;
        j["pixel_loss_weight"] = c.pixelLossWeight;
        j["grad_clip_norm"] = c.gradClipNorm;
        j["augment"]["zoom"] = {a.zoomMin, a.zoomMax};
        j["augment"]["ng_safe_crop_loss"] = a.ngSafeCropLoss;
    }
    // Only when on: a configuration without transplants reads as it did before them (its
    // checkpoints resume and its sweep rows keep their settings).
    if (c.transplant.enabled()) {
        const auto& t = c.transplant;
        j["transplant"] = {
            {"ratio", t.ratio},
            {"params", t.params.empty() ? defaultRoute().transplantParams : t.params},
            {"defect_scale", t.defectScale},
            {"px_per_mm", t.pxPerMm},
            {"version", cg::kTransplantVersion}};
    }
    return j;
}

std::int64_t warmupOf(const TrainConfig& c, std::int64_t total)
{
    return c.warmupSteps >= 0 ? std::min(c.warmupSteps, total) : total / 20;
}

} // namespace

std::vector<BatchSlot> batchSlots(const TrainConfig& config, const SampleSource& data,
                                  std::int64_t step)
{
    checkTransplant(config, data);
    SlotPlanner planner(config, data);
    // The sampler's permutations depend on the pass only, so planning step s directly gives
    // what a run that went through every earlier step would.
    return planner.slots(step);
}

TrainingBatch trainingBatch(const TrainConfig& config, SampleSource& data, std::int64_t step)
{
    checkTransplant(config, data);
    BatchBuilder builder(config, data);
    return builder.build(step);
}

double chooseThresholdMidpoint(const std::vector<float>& scores, const std::vector<int>& labels)
{
    std::int64_t pos = 0, neg = 0;
    for (int l : labels)
        (l == kNg ? pos : neg)++;
    if (!pos || !neg || scores.size() != labels.size()) return 0.5;
    std::vector<float> s = scores;
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    std::vector<double> candidates{double(s.front()) - 1e-6};
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        candidates.push_back((double(s[i]) + s[i + 1]) / 2);
    candidates.push_back(double(s.back()) + 1e-6);
    auto balanced = [&](double t) {
        std::int64_t tp = 0, tn = 0;
        for (std::size_t i = 0; i < scores.size(); ++i) {
            const bool ng = scores[i] >= t;
            if (labels[i] == kNg && ng) ++tp;
            if (labels[i] != kNg && !ng) ++tn;
        }
        return (double(tp) / double(pos) + double(tn) / double(neg)) / 2;
    };
    std::vector<double> ba(candidates.size());
    double best = -1;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        best = std::max(best, ba[i] = balanced(candidates[i]));
    std::vector<double> tied;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (ba[i] >= best - 1e-12) tied.push_back(candidates[i]);
    // The middle of the best range; when the best thresholds are not one range, the middle one.
    const double mid = (tied.front() + tied.back()) / 2;
    return balanced(mid) >= best - 1e-12 ? mid : tied[tied.size() / 2];
}

std::string toJson(const TrainConfig& config)
{
    return configJson(config).dump();
}

int trainCacheSize(const TrainConfig& c)
{
    const double f =
        c.head == "defect_map" ? std::clamp(c.augment.zoomMax, 1.0, 2.0) : 1.15;
    return int(std::lround(c.inputSize * f));
}

std::int64_t plannedSteps(const TrainConfig& c, std::int64_t dataSize)
{
    if (c.batch < 1) throw InvalidArgument("The batch size must be at least 1.");
    if (c.steps > 0) return c.steps;
    if (c.epochs > 0) {
        if (dataSize <= 0)
            throw InvalidArgument("An endless sample source needs a budget in steps, not epochs.");
        return std::max<std::int64_t>(
            1, std::int64_t(std::ceil(c.epochs * double(dataSize) / c.batch)));
    }
    throw InvalidArgument("Give a training budget: a number of steps or of epochs.");
}

double learningRate(const TrainConfig& c, std::int64_t step, std::int64_t total)
{
    const double base = c.lr > 0 ? c.lr : 0.4 * c.batch / 1024.0;
    const std::int64_t warm = warmupOf(c, total);
    if (step < warm) return base * double(step + 1) / double(warm);
    const double t = total > warm ? double(step - warm) / double(total - warm) : 1.0;
    return 0.5 * base * (1.0 + std::cos(M_PI * t));
}

TrainResult train(const TrainConfig& cfg, SampleSource& data, const TrainProgressFn& progress,
                  const CancelToken* cancel)
{
    const auto t0 = Clock::now();
    if (cfg.inputSize < 32 || cfg.inputSize > 4096)
        throw InvalidArgument("Input size must be between 32 and 4096 pixels.");
    if (cfg.batch >= 1) {
        // Activations kept for the backward pass: about 500 bytes per input pixel (measured:
        // SqueezeNet 1.1 and ResNet-18, batch 16 at 224 and 448 px).
        const double side = cfg.inputSize;
        checkMemoryBudget("Training with batch " + std::to_string(cfg.batch) + " at " +
                              std::to_string(cfg.inputSize) + " px",
                          500.0 * cfg.batch * side * side,
                          "batch x input size = " + std::to_string(cfg.batch) + " x " +
                              std::to_string(cfg.inputSize) + " px");
    }
    const std::int64_t total = plannedSteps(cfg, data.size());
    checkTransplant(cfg, data);
    setTorchThreads(cfg.threads);
    const std::string dataHash = data.hash();
    const json cfgJson = configJson(cfg);

    TrainResult result;
    std::int64_t start = 0;
    std::optional<Model> model;
    std::map<std::string, torch::Tensor> momentum;
    std::error_code ec;
    if (cfg.resume && !cfg.checkpoint.empty() && std::filesystem::exists(cfg.checkpoint, ec)) {
        auto impl = detail::loadModelFile(cfg.checkpoint);
        json ck = json::parse(impl->extraMeta.empty() ? "{}" : impl->extraMeta, nullptr, false);
        if (!ck.is_object() || !ck.contains("step"))
            throw FormatError(cfg.checkpoint.string() +
                              " is a model file, not a training checkpoint.");
        auto differs = [&](const char* what, const json& a, const json& b) {
            if (a != b)
                throw InvalidArgument("Checkpoint " + cfg.checkpoint.string() +
                                      " was made with another " + what + " (" + a.dump() +
                                      ", now " + b.dump() +
                                      "); resume with the same settings or delete the checkpoint.");
        };
        differs("training configuration", ck.value("config", json()), cfgJson);
        differs("training data", ck.value("data_hash", json()), json(dataHash));
        differs("budget", ck.value("total_steps", json()), json(total));
        start = ck["step"].get<std::int64_t>();
        for (auto& [k, v] : impl->extra)
            if (k.rfind("optim.", 0) == 0) momentum[k.substr(6)] = v.clone();
        impl->extra.clear();
        impl->extraMeta.clear();
        model.emplace(impl);
        result.resumedFromStep = start;
    } else {
        ModelInfo info;
        info.arch = cfg.arch;
        info.inputSize = cfg.inputSize;
        info.head = cfg.head;
        info.keepAspect = cfg.keepAspect;
        model.emplace(Model::create(info, cfg.init, cfg.seed));
    }
    Model& mdl = *model;
    mdl.setDevice(cfg.device);
    auto& impl = *mdl.impl();
    auto& net = *impl.net;
    const torch::Device device = impl.device;
    impl.info.trainConfig = cfgJson.dump();
    impl.info.dataHash = dataHash;
    for (auto& [k, v] : momentum)
        v = v.to(device);

    auto writeCheckpoint = [&](std::int64_t stepsDone) {
        if (cfg.checkpoint.empty()) return;
        Model::Impl ck = impl;
        ck.info.steps = stepsDone;
        for (auto& [k, v] : momentum)
            ck.extra["optim." + k] = v;
        ck.extraMeta = json{
            {"step", stepsDone},
            {"total_steps", total},
            {"config", cfgJson},
            {"data_hash",
             dataHash}}.dump();
        detail::saveModelFile(ck, cfg.checkpoint);
    };

    BatchBuilder builder(cfg, data);
    const bool endless = data.size() == 0;
    auto makeBatch = [&](std::int64_t step) {
        TrainingBatch tb = builder.build(step);
        Batch b;
        b.step = step;
        b.x = detail::toInputTensor(tb.images, impl.info);
        b.y = torch::tensor(std::vector<std::int64_t>(tb.labels.begin(), tb.labels.end()),
                            torch::kLong);
        if (builder.defectMap()) {
            const cv::Size cs = builder.canvas();
            const auto n = std::int64_t(tb.images.size());
            b.mask = torch::zeros({n, 1, cs.height, cs.width}, torch::kFloat32);
            std::vector<float> known(static_cast<std::size_t>(n)),
                ngNoMask(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) {
                const auto k = std::size_t(i);
                known[k] = tb.maskKnown[k] ? 1.f : 0.f;
                ngNoMask[k] = !tb.maskKnown[k] && tb.labels[k] == kNg ? 1.f : 0.f;
                if (!tb.maskKnown[k] || tb.masks[k].empty()) continue;
                cv::Mat m01;
                tb.masks[k].convertTo(m01, CV_32F, 1.0 / 255.0);
                std::memcpy(b.mask[i][0].data_ptr<float>(), m01.ptr<float>(),
                            sizeof(float) * std::size_t(cs.area()));
            }
            b.known = torch::tensor(known);
            b.ngNoMask = torch::tensor(ngNoMask);
        }
        return b;
    };

    auto params = net.named_parameters(true);
    detail::toChannelsLast(net);
    impl.inferenceNet.reset();
    net.train();
    std::int64_t done = start;
    double lastLoss = 0, lastLr = 0;
    auto lastCheckpoint = Clock::now();
    const auto loopStart = Clock::now();
    {
        Prefetcher prefetch(makeBatch, start, total);
        for (std::int64_t step = start; step < total; ++step) {
            if (isCancelled(cancel)) {
                result.cancelled = true;
                break;
            }
            Batch b = prefetch.take(step);
            torch::manual_seed(mixSeed(cfg.seed ^ kSaltDropout, std::uint64_t(step)) >> 1);
            const double lr = learningRate(cfg, step, total);
            try {
                for (auto& p : params)
                    p.value().mutable_grad() = torch::Tensor();
                torch::Tensor logits, map;
                if (builder.defectMap())
                    std::tie(logits, map) = net.forwardMap(detail::prepareInput(b.x.to(device)));
                else
                    logits = net.forward(detail::prepareInput(b.x.to(device)));
                auto loss = torch::nn::functional::cross_entropy(
                    logits, b.y.to(device),
                    torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
                        cfg.labelSmoothing));
                if (builder.defectMap() && cfg.masks)
                    loss = loss + cfg.pixelLossWeight *
                                      pixelLoss(map, b.mask.to(device), b.known.to(device),
                                                b.ngNoMask.to(device));
                loss.backward();
                if (builder.defectMap() && cfg.gradClipNorm > 0)
                    torch::nn::utils::clip_grad_norm_(net.parameters(), cfg.gradClipNorm);
                {
                    // SGD with momentum and weight decay, as torch.optim.SGD does it.
                    torch::NoGradGuard noGrad;
                    for (auto& p : params) {
                        auto& w = p.value();
                        if (!w.grad().defined()) continue;
                        auto d = w.grad();
                        if (cfg.weightDecay != 0) d = d.add(w, cfg.weightDecay);
                        if (cfg.momentum != 0) {
                            auto it = momentum.find(p.key());
                            if (it == momentum.end())
                                it = momentum.emplace(p.key(), d.clone()).first;
                            else
                                it->second.mul_(cfg.momentum).add_(d);
                            d = it->second;
                        }
                        w.add_(d, -lr);
                    }
                }
                lastLoss = loss.item<double>();
                lastLr = lr;
            } catch (const c10::Error& e) {
                std::string why = e.what_without_backtrace();
                if (why.size() > 300) why = why.substr(0, 300) + "...";
                throw InvalidArgument("Training failed at step " + std::to_string(step + 1) + ": " +
                                      why +
                                      (why.find("per channel") != std::string::npos
                                           ? " (batch 1 needs a larger --size for this model)"
                                           : ""));
            }
            done = step + 1;
            if (!std::isfinite(lastLoss))
                throw InvalidArgument("Training diverged (the loss is not a number) at step " +
                                      std::to_string(done) + "; lower the learning rate.");
            const double secs = std::chrono::duration<double>(Clock::now() - loopStart).count();
            TrainProgress p{done,
                            total,
                            lastLoss,
                            lastLr,
                            secs > 0 ? double(done - start) * cfg.batch / secs : 0,
                            "train"};
            if (progress) progress(p);
            if (cfg.validate && cfg.validateEverySteps > 0 &&
                (done % cfg.validateEverySteps == 0 || done == total)) {
                // predict() scores with an inference copy made from the current weights; the
                // training network (train mode, BatchNorm statistics) is left as it is.
                impl.inferenceNet.reset();
                cfg.validate(mdl, done);
                impl.inferenceNet.reset();
            }
            const bool dueSteps =
                cfg.checkpointEverySteps > 0 && done % cfg.checkpointEverySteps == 0;
            const bool dueTime =
                cfg.checkpointEverySeconds > 0 &&
                std::chrono::duration<double>(Clock::now() - lastCheckpoint).count() >=
                    cfg.checkpointEverySeconds;
            if (done < total && (dueSteps || dueTime)) {
                writeCheckpoint(done);
                lastCheckpoint = Clock::now();
            }
        }
    }
    const double loopSecs = std::chrono::duration<double>(Clock::now() - loopStart).count();
    result.imagesPerSecond = loopSecs > 0 ? double(done - start) * cfg.batch / loopSecs : 0;
    result.transplantImages = transplantsBefore(cfg, done) - transplantsBefore(cfg, start);
    net.eval();
    impl.inferenceNet.reset();
    impl.info.steps = done;
    writeCheckpoint(done);
    if (!result.cancelled && cfg.chooseThreshold) {
        if (progress)
            progress({done, total, lastLoss, lastLr, result.imagesPerSecond, "threshold"});
        std::vector<float> scores;
        std::vector<int> labels;
        std::vector<cv::Mat> ims;
        auto flush = [&] {
            auto s = mdl.predict(ims);
            scores.insert(scores.end(), s.begin(), s.end());
            ims.clear();
        };
        auto add = [&](cv::Mat im, int label) {
            ims.push_back(std::move(im));
            labels.push_back(label);
            if (ims.size() == 32) flush();
        };
        json rule;
        if (cfg.transplant.enabled()) {
            // Held-out data: the network was fitted to the training photos under the training
            // augmentations and to transplants 0, 1, 2, ...; here each OK photo comes under
            // fresh augmentations, with and without a transplant from the held-out indices.
            const auto ok = okPhotos(data);
            const std::int64_t copies = std::clamp<std::int64_t>(
                (64 + std::int64_t(ok.size()) - 1) / std::int64_t(ok.size()), 2, 16);
            std::int64_t nOk = 0, nTrans = 0, nNg = 0;
            for (std::size_t p = 0; p < ok.size() && !result.cancelled; ++p) {
                const cv::Mat photo = data.get(ok[p]).image;
                for (std::int64_t c = 0; c < copies; ++c) {
                    if (isCancelled(cancel)) {
                        result.cancelled = true;
                        break;
                    }
                    const std::uint64_t u = std::uint64_t(std::int64_t(p) * copies + c);
                    add(builder.prepare(photo, {}, kOk, mixSeed(cfg.seed ^ kSaltHeldOut, 2 * u))
                            .image,
                        kOk);
                    ++nOk;
                    auto t =
                        builder.transplanter()->render(data, ok[p], kHeldOutTransplantBase + u);
                    auto m = builder.prepare(t.image, t.mask, kNg,
                                             mixSeed(cfg.seed ^ kSaltHeldOut, 2 * u + 1));
                    add(m.image, m.label);
                    if (m.label == kNg) ++nTrans;
                }
            }
            for (std::int64_t i = 0; i < data.size() && !result.cancelled; ++i)
                if (data.label(i) == kNg) {
                    add(data.get(i).image, kNg);
                    ++nNg;
                }
            rule = {{"rule", "held_out_transplants"},
                    {"description",
                     "maximum balanced accuracy (ties: the midpoint of the best range) on held-out "
                     "data: the OK training photos under fresh augmentations, held-out CG defect "
                     "transplants onto them (indices from 2^63, never trained on), and the real "
                     "NG training photos"},
                    {"ok_images", nOk},
                    {"transplants", nTrans},
                    {"real_ng", nNg},
                    {"copies_per_ok_photo", copies}};
        } else {
            const std::int64_t n = endless ? cfg.thresholdSamples : data.size();
            for (std::int64_t i = 0; i < n; ++i) {
                if (isCancelled(cancel)) {
                    result.cancelled = true;
                    break;
                }
                Sample s = data.get(i);
                add(s.image, endless ? s.label : data.label(i));
            }
            rule = {{"rule", "training_images"},
                    {"description", "maximum balanced accuracy on the unaugmented training "
                                    "images (ties: nearest 0.5)"},
                    {"images", n}};
        }
        if (!result.cancelled) {
            if (!ims.empty()) flush();
            impl.info.threshold = cfg.transplant.enabled() ? chooseThresholdMidpoint(scores, labels)
                                                           : chooseThreshold(scores, labels);
            Metrics m = computeMetrics(scores, labels, impl.info.threshold);
            const char* key = cfg.transplant.enabled() ? "threshold_set" : "train";
            rule["balanced_accuracy"] = m.balancedAccuracy;
            impl.info.thresholdRule = rule.dump();
            result.trainMetrics = json{{key, toJson(m, false)}}.dump();
            impl.info.metrics = result.trainMetrics;
        }
    }
    result.steps = done;
    result.finalLoss = lastLoss;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    result.model = mdl;
    return result;
}

} // namespace kizu::learn
