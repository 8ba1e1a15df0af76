// The training loop. Every random choice is a function of (seed, step, slot): which image fills
// a slot of a batch, its augmentation, and dropout. So a run resumed from a checkpoint takes the
// same path as one that never stopped, and ends with the same weights.
#include "core/learn/trainer.h"

#include "core/common/error.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/internal/torch_model.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace kizu::learn {
using nlohmann::json;

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kSaltSample = 0x5A3B1E, kSaltAugment = 0xA06, kSaltDropout = 0xD50;

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

struct Batch {
    std::int64_t step = -1;
    torch::Tensor x, y;
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

json configJson(const TrainConfig& c)
{
    const auto& a = c.augment;
    return json{{"arch", c.arch},
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
}

std::int64_t warmupOf(const TrainConfig& c, std::int64_t total)
{
    return c.warmupSteps >= 0 ? std::min(c.warmupSteps, total) : total / 20;
}

} // namespace

std::string toJson(const TrainConfig& config)
{
    return configJson(config).dump();
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
    const std::int64_t total = plannedSteps(cfg, data.size());
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

    Sampler sampler(data, cfg.balanced, cfg.seed);
    const bool endless = data.size() == 0;
    auto makeBatch = [&](std::int64_t step) {
        Batch b;
        b.step = step;
        std::vector<cv::Mat> ims;
        std::vector<std::int64_t> labels;
        for (int i = 0; i < cfg.batch; ++i) {
            const std::int64_t g = step * cfg.batch + i;
            const std::int64_t idx = sampler.index(g);
            Sample s = data.get(idx);
            if (s.image.empty())
                throw FormatError("Training sample " + std::to_string(idx) + " has no image.");
            ims.push_back(augment(s.image, cfg.inputSize, cfg.augment,
                                  mixSeed(cfg.seed ^ kSaltAugment, std::uint64_t(g))));
            labels.push_back(endless ? s.label : data.label(idx));
        }
        b.x = detail::toInputTensor(ims, impl.info);
        b.y = torch::tensor(labels, torch::kLong);
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
                auto logits = net.forward(detail::prepareInput(b.x.to(device)));
                auto loss = torch::nn::functional::cross_entropy(
                    logits, b.y.to(device),
                    torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
                        cfg.labelSmoothing));
                loss.backward();
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
    net.eval();
    impl.inferenceNet.reset();
    impl.info.steps = done;
    writeCheckpoint(done);
    if (!result.cancelled && cfg.chooseThreshold) {
        if (progress)
            progress({done, total, lastLoss, lastLr, result.imagesPerSecond, "threshold"});
        const std::int64_t n = endless ? cfg.thresholdSamples : data.size();
        std::vector<float> scores;
        std::vector<int> labels;
        std::vector<cv::Mat> ims;
        auto flush = [&] {
            auto s = mdl.predict(ims);
            scores.insert(scores.end(), s.begin(), s.end());
            ims.clear();
        };
        for (std::int64_t i = 0; i < n; ++i) {
            if (isCancelled(cancel)) {
                result.cancelled = true;
                break;
            }
            Sample s = data.get(i);
            ims.push_back(s.image);
            labels.push_back(endless ? s.label : data.label(i));
            if (ims.size() == 32) flush();
        }
        if (!result.cancelled) {
            if (!ims.empty()) flush();
            impl.info.threshold = chooseThreshold(scores, labels);
            Metrics m = computeMetrics(scores, labels, impl.info.threshold);
            result.trainMetrics = json{{"train", toJson(m, false)}}.dump();
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
