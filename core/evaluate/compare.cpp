#include "core/common/clock.h"
#include "core/evaluate/compare.h"

#include "core/baseline/baseline_eval.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kizu::learn {

namespace fs = std::filesystem;

std::string modelMethodId(const fs::path& modelFile)
{
    return sha256File(modelFile);
}

std::string baselineMethodId(const baseline::BaselineParams& params)
{
    // The same id as the inspection results record (BaselineClassifier).
    return "baseline:" + sha256Hex(params.toJson().dump()).substr(0, 16);
}

MethodScores scoreModel(const fs::path& modelFile, const std::vector<LabeledPath>& items,
                        const std::string& dataHash, const ProgressFn& progress,
                        const CancelToken* cancel)
{
    MethodScores out;
    out.kind = "model";
    out.file = modelFile.string();
    out.id = modelMethodId(modelFile);
    out.dataHash = dataHash;
    auto model = Model::load(modelFile);
    out.name = model.info().arch + " @" + std::to_string(model.info().inputSize) + " (" +
               modelFile.filename().string() + ")";
    out.threshold = model.info().threshold;
    const double t0 = monotonicSeconds();
    auto r = evaluate(model, items, progress, cancel);
    const double seconds = monotonicSeconds() - t0;
    out.cancelled = r.cancelled;
    if (r.cancelled) return out;
    out.scores.reserve(r.images.size());
    for (const auto& im : r.images)
        out.scores.push_back(im.score);
    out.msPerImage = items.empty() ? 0 : 1000.0 * seconds / double(items.size());
    return out;
}

MethodScores scoreBaseline(const baseline::BaselineParams& params,
                           const std::vector<LabeledPath>& items, const std::string& dataHash,
                           const ProgressFn& progress, const CancelToken* cancel)
{
    MethodScores out;
    out.kind = "baseline";
    out.id = baselineMethodId(params);
    out.name = "baseline";
    out.dataHash = dataHash;
    out.threshold = params.scoreThreshold;
    std::vector<baseline::LabeledImage> images;
    images.reserve(items.size());
    for (const auto& it : items)
        images.push_back({it.path.string(), it.label == kNg, it.group, it.roi});
    auto r = baseline::evaluate(images, params, progress, cancel);
    out.cancelled = r.cancelled;
    if (r.cancelled) return out;
    for (const auto& it : r.items)
        if (!it.error.empty())
            throw IoError("The baseline could not read " + it.path + ": " + it.error +
                          ". Remove the image from the test set or replace the file.");
    out.scores.reserve(r.items.size());
    for (const auto& it : r.items)
        out.scores.push_back(float(it.score));
    out.msPerImage = items.empty() ? 0 : 1000.0 * r.seconds / double(items.size());
    return out;
}

fs::path cacheFile(const fs::path& cacheDir, const std::string& methodId,
                   const std::string& dataHash)
{
    std::string safe = methodId;
    for (char& c : safe)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    return cacheDir / (safe.substr(0, 40) + "_" + dataHash.substr(0, 16) + ".json");
}

std::optional<MethodScores> loadCachedScores(const fs::path& cacheDir, const std::string& methodId,
                                             const std::string& dataHash,
                                             const std::vector<LabeledPath>& items)
{
    const fs::path file = cacheFile(cacheDir, methodId, dataHash);
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    try {
        const auto j = nlohmann::json::parse(readFile(file));
        if (j.at("id").get<std::string>() != methodId ||
            j.at("data_hash").get<std::string>() != dataHash)
            return std::nullopt;
        const auto& paths = j.at("paths");
        const auto& scores = j.at("scores");
        if (paths.size() != items.size() || scores.size() != items.size()) return std::nullopt;
        for (std::size_t i = 0; i < items.size(); ++i)
            if (paths[i].get<std::string>() != items[i].path.string()) return std::nullopt;
        MethodScores m;
        m.id = methodId;
        m.dataHash = dataHash;
        m.name = j.at("name").get<std::string>();
        m.kind = j.at("kind").get<std::string>();
        m.file = j.value("file", std::string());
        m.threshold = j.at("threshold").get<double>();
        m.msPerImage = j.value("ms_per_image", 0.0);
        m.scores = scores.get<std::vector<float>>();
        m.fromCache = true;
        return m;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void saveCachedScores(const fs::path& cacheDir, const MethodScores& s,
                      const std::vector<LabeledPath>& items)
{
    if (s.cancelled) return;
    if (s.scores.size() != items.size())
        throw InvalidArgument("saveCachedScores: " + std::to_string(s.scores.size()) +
                              " scores for " + std::to_string(items.size()) + " images.");
    std::error_code ec;
    fs::create_directories(cacheDir, ec);
    if (ec)
        throw IoError("Cannot create the evaluation cache folder " + cacheDir.string() + ": " +
                      ec.message() + ". Check the project folder's permissions.");
    nlohmann::json j;
    j["id"] = s.id;
    j["data_hash"] = s.dataHash;
    j["name"] = s.name;
    j["kind"] = s.kind;
    j["file"] = s.file;
    j["threshold"] = s.threshold;
    j["ms_per_image"] = s.msPerImage;
    auto paths = nlohmann::json::array();
    for (const auto& it : items)
        paths.push_back(it.path.string());
    j["paths"] = std::move(paths);
    j["scores"] = s.scores;
    writeFileAtomic(cacheFile(cacheDir, s.id, s.dataHash), j.dump());
}

double f1Score(const Metrics& m)
{
    const double denom = double(2 * m.tp + m.fp + m.fn);
    return denom > 0 ? 2.0 * double(m.tp) / denom : 0.0;
}

MethodMetrics metricsAt(const MethodScores& scores, const std::vector<int>& labels,
                        double threshold)
{
    if (scores.scores.size() != labels.size())
        throw InvalidArgument("metricsAt: " + std::to_string(scores.scores.size()) +
                              " scores for " + std::to_string(labels.size()) + " labels.");
    MethodMetrics out;
    out.metrics = computeMetrics(scores.scores, labels, threshold);
    out.f1 = f1Score(out.metrics);
    return out;
}

RocPoint operatingPoint(const Metrics& m)
{
    const double ok = double(m.tn + m.fp), ng = double(m.tp + m.fn);
    return {m.threshold, ok > 0 ? double(m.fp) / ok : 0.0, ng > 0 ? double(m.tp) / ng : 0.0};
}

std::vector<ImageVerdicts> imageVerdicts(const std::vector<MethodScores>& methods,
                                         const std::vector<double>& thresholds,
                                         const std::vector<int>& labels)
{
    if (thresholds.size() != methods.size())
        throw InvalidArgument("imageVerdicts: one threshold per method is needed.");
    for (const auto& m : methods)
        if (m.scores.size() != labels.size())
            throw InvalidArgument("imageVerdicts: method " + m.name + " has " +
                                  std::to_string(m.scores.size()) + " scores for " +
                                  std::to_string(labels.size()) + " images.");
    std::vector<ImageVerdicts> out(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        auto& v = out[i];
        v.index = i;
        v.label = labels[i];
        for (std::size_t k = 0; k < methods.size(); ++k) {
            const double s = methods[k].scores[i], t = thresholds[k];
            const int p = s >= t ? kNg : kOk;
            v.predicted.push_back(p);
            if (p != v.label) {
                ++v.wrong;
                // Distance from the threshold relative to the score's room on that side, so
                // that probabilities (0..1) and baseline margins (0..) are comparable.
                const bool probability = methods[k].kind != "baseline";
                const double span = std::max(p == kNg && probability ? 1.0 - t : t, 1e-9);
                v.worst = std::max(v.worst, std::min(1.0, std::abs(s - t) / span));
            }
        }
        for (int p : v.predicted)
            if (p != v.predicted.front()) v.disagree = true;
    }
    return out;
}

std::vector<ImageVerdicts> filterVerdicts(const std::vector<ImageVerdicts>& all, ErrorFilter filter,
                                          int method)
{
    std::vector<ImageVerdicts> out;
    for (const auto& v : all) {
        bool keep = false;
        switch (filter) {
        case ErrorFilter::ErrorsOrDisagreements:
            keep = v.wrong > 0 || v.disagree;
            break;
        case ErrorFilter::Errors:
            keep = v.wrong > 0;
            break;
        case ErrorFilter::Disagreements:
            keep = v.disagree;
            break;
        case ErrorFilter::AllWrong:
            keep = !v.predicted.empty() && v.wrong == int(v.predicted.size());
            break;
        case ErrorFilter::All:
            keep = true;
            break;
        }
        if (keep && method >= 0 && method < int(v.predicted.size()))
            keep = v.predicted[std::size_t(method)] != v.label;
        if (keep) out.push_back(v);
    }
    std::stable_sort(out.begin(), out.end(), [](const ImageVerdicts& a, const ImageVerdicts& b) {
        if (a.wrong != b.wrong) return a.wrong > b.wrong;
        return a.worst > b.worst;
    });
    return out;
}

cv::Mat annotatedImage(const cv::Mat& bgr, const baseline::BaselineParams* params,
                       const Model* model, double heatAlpha)
{
    if (bgr.empty()) throw InvalidArgument("annotatedImage: the image is empty.");
    cv::Mat out = bgr.channels() == 3 ? bgr.clone() : cv::Mat();
    if (out.empty()) cv::cvtColor(bgr, out, cv::COLOR_GRAY2BGR);
    if (model) {
        cv::Mat heat = model->heatmap(out); // CV_32F in [0,1], image size
        cv::Mat u8, colour;
        heat.convertTo(u8, CV_8U, 255.0);
        cv::applyColorMap(u8, colour, cv::COLORMAP_JET);
        // Blend only where the model sees something, in proportion to how strongly.
        cv::Mat w;
        cv::multiply(heat, cv::Scalar::all(heatAlpha), w);
        cv::Mat w3;
        cv::merge(std::vector<cv::Mat>{w, w, w}, w3);
        cv::Mat a, b;
        out.convertTo(a, CV_32FC3);
        colour.convertTo(b, CV_32FC3);
        cv::Mat inv;
        cv::subtract(cv::Scalar::all(1.0), w3, inv);
        cv::Mat blended = a.mul(inv) + b.mul(w3);
        blended.convertTo(out, CV_8UC3);
    }
    if (params) {
        auto r = baseline::runBaseline(bgr, *params, true);
        baseline::OverlayOptions o;
        o.mask = false;
        o.blobs = true;
        out = baseline::renderOverlay(out, r, o);
    }
    return out;
}

} // namespace kizu::learn
