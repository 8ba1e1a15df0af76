#include "core/baseline/baseline_tuner.h"

#include "core/common/error.h"
#include "core/imaging/image_io.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

namespace kizu::baseline {

namespace {

using Clock = std::chrono::steady_clock;

class Sampler {
public:
    explicit Sampler(std::uint64_t seed) : m_rng(seed) {}
    double uniform(double a, double b) { return a + (b - a) * unit(); }
    double logUniform(double a, double b) { return std::exp(uniform(std::log(a), std::log(b))); }
    bool chance(double p) { return unit() < p; }
    int pick(int n) { return std::min(n - 1, int(unit() * n)); }
    double jitter(double v, double rel) { return v * std::exp(rel * normal()); }

private:
    // Own transforms instead of std:: distributions, whose output differs between standard
    // libraries: the same seed gives the same search everywhere.
    double unit() { return double(m_rng() >> 11) * 0x1.0p-53; }
    double normal()
    {
        double u1 = std::max(unit(), 1e-300), u2 = unit();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    std::mt19937_64 m_rng;
};

void randomImageStage(Sampler& s, BaselineParams& p)
{
    static const Channel channels[] = {Channel::Gray, Channel::Gray, Channel::Blue, Channel::Green,
                                       Channel::Red};
    p.channel = channels[s.pick(5)];
    p.flattenSigma = s.chance(0.2) ? 0.0 : s.logUniform(10, 120);
    p.sigma1 = s.logUniform(0.7, 6);
    p.sigma2 = p.sigma1 * s.uniform(1.6, 6);
    double m = s.uniform(0, 1);
    p.thresholdMode = m < 0.5   ? ThresholdMode::Fixed
                      : m < 0.8 ? ThresholdMode::Adaptive
                                : ThresholdMode::Otsu;
    double q = s.uniform(0, 1);
    p.polarity = q < 0.6 ? Polarity::Dark : q < 0.85 ? Polarity::Both : Polarity::Bright;
    p.threshold = s.logUniform(2, 40);
    p.adaptiveK = s.uniform(2, 8);
    p.adaptiveBlock = s.logUniform(21, 201);
    p.openRadius = s.chance(0.7) ? 0 : 1;
    p.closeRadius = s.pick(3);
}

void perturbImageStage(Sampler& s, BaselineParams& p)
{
    if (s.chance(0.1)) p.channel = Channel(s.pick(4));
    if (s.chance(0.5))
        p.flattenSigma = p.flattenSigma > 0 ? std::clamp(s.jitter(p.flattenSigma, 0.3), 5.0, 200.0)
                                            : (s.chance(0.3) ? 40.0 : 0.0);
    if (s.chance(0.6)) p.sigma1 = std::clamp(s.jitter(p.sigma1, 0.25), 0.4, 12.0);
    if (s.chance(0.6)) p.sigma2 = s.jitter(p.sigma2, 0.25);
    p.sigma2 = std::clamp(p.sigma2, p.sigma1 * 1.2, 60.0);
    if (s.chance(0.08)) p.thresholdMode = ThresholdMode(s.pick(3));
    if (s.chance(0.08)) p.polarity = Polarity(s.pick(3));
    if (s.chance(0.6)) p.threshold = std::clamp(s.jitter(p.threshold, 0.25), 0.5, 120.0);
    if (s.chance(0.4)) p.adaptiveK = std::clamp(s.jitter(p.adaptiveK, 0.2), 0.5, 20.0);
    if (s.chance(0.3)) p.adaptiveBlock = std::clamp(s.jitter(p.adaptiveBlock, 0.3), 5.0, 400.0);
    if (s.chance(0.15)) p.openRadius = std::clamp(p.openRadius + (s.chance(0.5) ? 1 : -1), 0, 3);
    if (s.chance(0.15)) p.closeRadius = std::clamp(p.closeRadius + (s.chance(0.5) ? 1 : -1), 0, 4);
}

void randomRules(Sampler& s, BaselineParams& p)
{
    p.minArea = s.logUniform(4, 2000);
    p.maxArea = s.chance(0.6) ? 0.0 : p.minArea * s.logUniform(3, 100);
    p.minLength = s.chance(0.6) ? 0.0 : s.logUniform(3, 100);
    p.minElongation = s.chance(0.6) ? 1.0 : s.uniform(1, 4);
    p.maxElongation = s.chance(0.6) ? 0.0 : std::max(p.minElongation, s.logUniform(2, 15));
    p.minContrast = s.chance(0.2) ? 0.0 : s.logUniform(2, 60);
    p.minAngle = s.chance(0.6) ? 0.0 : s.uniform(5, 45);
    p.angleElongation = s.uniform(1.5, 5);
    p.marginX = s.uniform(0, 0.12);
    p.marginY = s.uniform(0, 0.1);
}

void perturbRules(Sampler& s, BaselineParams& p)
{
    if (s.chance(0.6)) p.minArea = std::clamp(s.jitter(p.minArea, 0.3), 1.0, 20000.0);
    if (s.chance(0.3))
        p.maxArea = p.maxArea > 0 ? (s.chance(0.2) ? 0.0 : s.jitter(p.maxArea, 0.3))
                                  : (s.chance(0.2) ? p.minArea * 20 : 0.0);
    if (p.maxArea > 0) p.maxArea = std::max(p.maxArea, p.minArea);
    if (s.chance(0.3))
        p.minLength = p.minLength > 0 ? (s.chance(0.2) ? 0.0 : s.jitter(p.minLength, 0.3))
                                      : (s.chance(0.2) ? 10.0 : 0.0);
    if (s.chance(0.3)) p.minElongation = std::clamp(s.jitter(p.minElongation, 0.15), 1.0, 20.0);
    if (s.chance(0.3))
        p.maxElongation = p.maxElongation > 0
                              ? (s.chance(0.2) ? 0.0 : s.jitter(p.maxElongation, 0.2))
                              : (s.chance(0.2) ? 6.0 : 0.0);
    if (p.maxElongation > 0) p.maxElongation = std::max(p.maxElongation, p.minElongation);
    if (s.chance(0.5))
        p.minContrast = p.minContrast > 0 ? std::clamp(s.jitter(p.minContrast, 0.25), 0.5, 200.0)
                                          : (s.chance(0.3) ? 10.0 : 0.0);
    if (s.chance(0.3))
        p.minAngle = p.minAngle > 0
                         ? (s.chance(0.2) ? 0.0 : std::clamp(s.jitter(p.minAngle, 0.3), 1.0, 89.0))
                         : (s.chance(0.3) ? 15.0 : 0.0);
    if (s.chance(0.2)) p.angleElongation = std::clamp(s.jitter(p.angleElongation, 0.2), 1.0, 20.0);
    if (s.chance(0.3)) p.marginX = std::clamp(p.marginX + 0.02 * s.uniform(-1, 1), 0.0, 0.3);
    if (s.chance(0.3)) p.marginY = std::clamp(p.marginY + 0.02 * s.uniform(-1, 1), 0.0, 0.3);
}

struct Candidate {
    BaselineParams params;
    double balanced = -1;
};

} // namespace

TuneReport tuneBaseline(const std::vector<cv::Mat>& images, const std::vector<bool>& ng,
                        const TuneOptions& options, double preScaled, const ProgressFn& progress,
                        const CancelToken* cancel)
{
    if (images.size() != ng.size())
        throw InvalidArgument("tune: the number of labels does not match the images");
    const auto nPos = std::count(ng.begin(), ng.end(), true);
    if (nPos == 0 || nPos == std::ptrdiff_t(ng.size()))
        throw InvalidArgument("tuning needs both OK and NG images in the training set (got " +
                              std::to_string(ng.size() - std::size_t(nPos)) + " OK, " +
                              std::to_string(nPos) + " NG)");
    if (options.trials < 0) throw InvalidArgument("tune: trials must be 0 or more");
    if (options.trials == 0 && !(options.budgetSeconds > 0))
        throw InvalidArgument("tune: give a number of trials or a time budget");
    if (options.rulesPerTrial < 1) throw InvalidArgument("tune: rulesPerTrial must be at least 1");
    options.start.validate();

    const auto t0 = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    const int n = int(images.size());
    Sampler sampler(options.seed);
    TuneReport rep;
    std::vector<BlobFeatures> feats(static_cast<std::size_t>(n));
    std::vector<double> scores(static_cast<std::size_t>(n));

    // Returns false when cancelled part-way.
    auto extractAll = [&](const BaselineParams& p, bool cancellable = true) {
        const int chunk = std::max(16, 8 * cv::getNumThreads());
        for (int start = 0; start < n; start += chunk) {
            if (cancellable && isCancelled(cancel)) return false;
            cv::parallel_for_(
                cv::Range(start, std::min(n, start + chunk)), [&](const cv::Range& r) {
                    for (int i = r.start; i < r.end; ++i)
                        feats[std::size_t(i)] = extractBlobs(images[std::size_t(i)], p, preScaled);
                });
        }
        return true;
    };
    auto scoreAll = [&](const BaselineParams& p) {
        for (int i = 0; i < n; ++i)
            scores[std::size_t(i)] =
                scoreBlobs(feats[std::size_t(i)].blobs, feats[std::size_t(i)].imageSize, p);
    };

    Candidate best;
    best.params = options.start;
    // Rules search on the features of one image stage; updates best.
    auto searchRules = [&](const BaselineParams& stage, bool keepStartRules) {
        Candidate local;
        local.params = stage;
        for (int r = 0; r < options.rulesPerTrial; ++r) {
            BaselineParams p = stage;
            if (r == 0) {
                // Start from the best rules so far (or the given ones on the first trial).
                if (!keepStartRules) {
                    BaselineParams b = best.params;
                    p.minArea = b.minArea;
                    p.maxArea = b.maxArea;
                    p.minLength = b.minLength;
                    p.minElongation = b.minElongation;
                    p.maxElongation = b.maxElongation;
                    p.minContrast = b.minContrast;
                    p.minAngle = b.minAngle;
                    p.angleElongation = b.angleElongation;
                    p.marginX = b.marginX;
                    p.marginY = b.marginY;
                }
            } else if (r % 2 == 1 || local.balanced < 0) {
                randomRules(sampler, p);
            } else {
                BaselineParams q = local.params;
                perturbRules(sampler, q);
                p = q;
            }
            scoreAll(p);
            double ba = 0;
            p.scoreThreshold = bestThreshold(ng, scores, &ba);
            ++rep.rulesTried;
            if (ba > local.balanced + 1e-12) {
                local.balanced = ba;
                local.params = p;
            }
        }
        if (local.balanced > best.balanced + 1e-12) best = local;
    };

    // The start parameters as given, for the report.
    if (!extractAll(options.start)) {
        rep.cancelled = true;
        rep.best = options.start;
        rep.seconds = elapsed();
        return rep;
    }
    scoreAll(options.start);
    rep.start = computeMetrics(ng, scores, options.start.scoreThreshold);
    searchRules(options.start, true);
    rep.trials = 1;
    rep.history.push_back(best.balanced);

    const int total = options.trials;
    for (int t = 1; total == 0 || t < total; ++t) {
        if (isCancelled(cancel)) {
            rep.cancelled = true;
            break;
        }
        if (options.budgetSeconds > 0 && elapsed() >= options.budgetSeconds) {
            rep.budgetReached = true;
            break;
        }
        // Explore first, then refine around the best: by trial count when one is given, by
        // time otherwise.
        double phase = total > 0 ? double(t) / total : elapsed() / options.budgetSeconds;
        BaselineParams stage = best.params;
        if (phase < 0.5 || sampler.chance(0.15))
            randomImageStage(sampler, stage);
        else
            perturbImageStage(sampler, stage);
        stage.scale = options.start.scale;
        stage.grindingAngle = options.start.grindingAngle;
        if (!(stage.sigma1 < stage.sigma2)) stage.sigma2 = stage.sigma1 * 1.5;
        try {
            stage.validate();
        } catch (const InvalidArgument&) {
            continue; // a sampled corner outside the valid ranges; draw again
        }
        if (!extractAll(stage)) {
            rep.cancelled = true;
            break;
        }
        searchRules(stage, false);
        ++rep.trials;
        rep.history.push_back(best.balanced);
        char buf[96];
        std::snprintf(buf, sizeof buf, "best balanced accuracy %.4f", best.balanced);
        report(progress, {t + 1, total, "tune", buf});
    }

    rep.best = best.params;
    rep.best.validate();
    // Metrics of the best on the training images (features recomputed: the cache holds the
    // last trial's).
    if (best.balanced >= 0) {
        extractAll(rep.best, false);
        scoreAll(rep.best);
        rep.train = computeMetrics(ng, scores, rep.best.scoreThreshold);
    }
    rep.seconds = elapsed();
    return rep;
}

TuneReport tuneBaseline(const std::vector<LabeledImage>& images, const TuneOptions& options,
                        const ProgressFn& progress, const CancelToken* cancel)
{
    options.start.validate();
    const double s = options.start.scale;
    std::vector<cv::Mat> mats(images.size());
    std::vector<bool> ng(images.size());
    std::vector<std::string> errors(images.size());
    const int n = int(images.size());
    const int chunk = std::max(16, 8 * cv::getNumThreads());
    for (int start = 0; start < n; start += chunk) {
        if (isCancelled(cancel)) {
            TuneReport rep;
            rep.cancelled = true;
            rep.best = options.start;
            return rep;
        }
        const int end = std::min(n, start + chunk);
        cv::parallel_for_(cv::Range(start, end), [&](const cv::Range& r) {
            for (int i = r.start; i < r.end; ++i) {
                try {
                    cv::Mat img = images[std::size_t(i)].load();
                    if (std::abs(s - 1.0) > 1e-6) {
                        // Exactly the resize extractBlobs does, so cached and direct runs agree.
                        cv::Size size(std::max(8, int(std::lround(img.cols * s))),
                                      std::max(8, int(std::lround(img.rows * s))));
                        cv::resize(img, mats[std::size_t(i)], size, 0, 0, cv::INTER_AREA);
                    } else {
                        mats[std::size_t(i)] = img;
                    }
                } catch (const Error& e) {
                    errors[std::size_t(i)] = e.what();
                }
            }
        });
        report(progress, {end, n, "decode", images[std::size_t(end - 1)].path});
    }
    for (int i = 0; i < n; ++i) {
        if (!errors[std::size_t(i)].empty())
            throw IoError("tune: cannot use " + images[std::size_t(i)].path + ": " +
                          errors[std::size_t(i)] + " (remove it from the training set)");
        ng[std::size_t(i)] = images[std::size_t(i)].ng;
    }
    return tuneBaseline(mats, ng, options, s, progress, cancel);
}

} // namespace kizu::baseline
