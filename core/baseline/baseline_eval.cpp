#include "core/baseline/baseline_eval.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"

#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace fs = std::filesystem;

namespace kizu::baseline {

namespace {

std::string lower(std::string s)
{
    for (auto& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> splitCsvLine(const std::string& line)
{
    // The manifests are plain (no quoted commas); quotes are stripped if present.
    std::vector<std::string> out;
    std::string cell;
    std::stringstream ss(line);
    while (std::getline(ss, cell, ',')) {
        if (!cell.empty() && cell.back() == '\r') cell.pop_back();
        if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
            cell = cell.substr(1, cell.size() - 2);
        out.push_back(cell);
    }
    return out;
}

std::string csvQuote(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace

cv::Mat LabeledImage::load() const
{
    cv::Mat img = imaging::readImage(path);
    return roi && !roi->empty() ? imaging::applyRoi(img, *roi) : img;
}

std::vector<LabeledImage> loadLabeledFolder(const fs::path& dir, const std::string& split)
{
    if (!fs::is_directory(dir))
        throw IoError("data folder " + dir.string() + " does not exist or is not a folder");
    const std::string want = lower(split);
    std::vector<LabeledImage> out;
    const fs::path manifest = dir / "manifest.csv";
    if (fs::exists(manifest)) {
        std::stringstream in(readFile(manifest));
        std::string line;
        std::getline(in, line);
        auto header = splitCsvLine(line);
        auto col = [&](const std::string& name) {
            auto it = std::find(header.begin(), header.end(), name);
            return it == header.end() ? -1 : int(it - header.begin());
        };
        int cPath = col("path"), cLabel = col("label"), cGroup = col("group"),
            cSplit = col("split");
        if (cPath < 0 || cLabel < 0)
            throw FormatError(manifest.string() + " needs the columns path and label");
        if (!want.empty() && want != "all" && cSplit < 0)
            throw FormatError(manifest.string() + " has no split column; use --split all");
        int lineNo = 1;
        while (std::getline(in, line)) {
            ++lineNo;
            if (line.empty() || line == "\r") continue;
            auto cells = splitCsvLine(line);
            int need = std::max({cPath, cLabel, cGroup, cSplit});
            if (int(cells.size()) <= need)
                throw FormatError(manifest.string() + " line " + std::to_string(lineNo) +
                                  " has too few columns");
            if (!want.empty() && want != "all" && lower(cells[std::size_t(cSplit)]) != want)
                continue;
            std::string label = lower(cells[std::size_t(cLabel)]);
            if (label != "ok" && label != "ng") continue; // unlabeled rows are not evaluated
            LabeledImage li;
            li.path = pathInsideFolder(dir, cells[std::size_t(cPath)],
                                       manifest.string() + " line " + std::to_string(lineNo))
                          .string();
            li.ng = label == "ng";
            if (cGroup >= 0) li.group = cells[std::size_t(cGroup)];
            out.push_back(std::move(li));
        }
        if (out.empty())
            throw InvalidArgument("no labeled images of split '" + split + "' in " +
                                  manifest.string() + " (splits are train and test)");
        return out;
    }
    if (!want.empty() && want != "all")
        throw InvalidArgument(dir.string() + " has no manifest.csv, so it has no '" + split +
                              "' split; point --data at a folder holding only that split's "
                              "ok/ and ng/ folders, or leave --split out");
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_directory()) continue;
        std::string name = lower(entry.path().filename().string());
        if (name != "ok" && name != "ng") continue;
        std::vector<std::string> files;
        for (const auto& f : fs::recursive_directory_iterator(entry.path()))
            if (f.is_regular_file() && imaging::hasImageExtension(f.path()))
                files.push_back(f.path().string());
        std::sort(files.begin(), files.end());
        for (auto& f : files)
            out.push_back({f, name == "ng", {}, {}});
    }
    if (out.empty())
        throw InvalidArgument("no images in " + dir.string() +
                              ": expected ok/ and ng/ folders or a manifest.csv");
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
}

nlohmann::json Metrics::toJson() const
{
    return {{"images", total()},
            {"accuracy", accuracy},
            {"balancedAccuracy", balancedAccuracy},
            {"precisionNg", precision},
            {"recallNg", recall},
            {"auc", auc},
            {"confusion", {{"tp", tp}, {"fp", fp}, {"tn", tn}, {"fn", fn}}}};
}

double rocAuc(const std::vector<bool>& ng, const std::vector<double>& score)
{
    // Mann-Whitney U with average ranks for ties.
    const std::size_t n = ng.size();
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return score[a] < score[b]; });
    double rankSumPos = 0;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && score[idx[j]] == score[idx[i]])
            ++j;
        double avgRank = (double(i) + double(j - 1)) / 2.0 + 1.0;
        for (std::size_t k = i; k < j; ++k)
            if (ng[idx[k]]) {
                rankSumPos += avgRank;
                ++pos;
            }
        i = j;
    }
    const std::size_t neg = n - pos;
    if (pos == 0 || neg == 0) return 0.5;
    return (rankSumPos - double(pos) * double(pos + 1) / 2.0) / (double(pos) * double(neg));
}

Metrics computeMetrics(const std::vector<bool>& ng, const std::vector<double>& score,
                       double threshold)
{
    Metrics m;
    for (std::size_t i = 0; i < ng.size(); ++i) {
        bool v = score[i] >= threshold;
        if (ng[i])
            (v ? m.tp : m.fn)++;
        else
            (v ? m.fp : m.tn)++;
    }
    const int n = m.total();
    m.accuracy = n ? double(m.tp + m.tn) / n : 0;
    double tpr = (m.tp + m.fn) ? double(m.tp) / (m.tp + m.fn) : 0;
    double tnr = (m.tn + m.fp) ? double(m.tn) / (m.tn + m.fp) : 0;
    m.balancedAccuracy = (tpr + tnr) / 2;
    m.precision = (m.tp + m.fp) ? double(m.tp) / (m.tp + m.fp) : 0;
    m.recall = tpr;
    m.auc = rocAuc(ng, score);
    return m;
}

double bestThreshold(const std::vector<bool>& ng, const std::vector<double>& score,
                     double* balancedAccuracy)
{
    const std::size_t n = ng.size();
    std::size_t pos = std::size_t(std::count(ng.begin(), ng.end(), true));
    std::size_t neg = n - pos;
    if (pos == 0 || neg == 0)
        throw InvalidArgument("choosing a threshold needs both OK and NG images");
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return score[a] < score[b]; });
    // Threshold below everything: all NG.
    std::size_t tpBelow = 0, tnBelow = 0; // counts of images below the threshold
    double best = 0.5;                    // all NG: tpr 1, tnr 0
    double bestT = score[idx[0]] > 0 ? score[idx[0]] / 2 : 1e-6;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && score[idx[j]] == score[idx[i]]) {
            if (ng[idx[j]])
                ++tpBelow;
            else
                ++tnBelow;
            ++j;
        }
        double tpr = double(pos - tpBelow) / double(pos);
        double tnr = double(tnBelow) / double(neg);
        double ba = (tpr + tnr) / 2;
        if (ba > best + 1e-12) {
            best = ba;
            bestT = j < n ? (score[idx[i]] + score[idx[j]]) / 2 : score[idx[i]] * 1.01 + 1e-6;
        }
        i = j;
    }
    if (balancedAccuracy) *balancedAccuracy = best;
    return std::max(bestT, 1e-6);
}

EvalReport evaluate(const std::vector<LabeledImage>& images, const BaselineParams& params,
                    const ProgressFn& progress, const CancelToken* cancel)
{
    params.validate();
    const auto t0 = std::chrono::steady_clock::now();
    EvalReport rep;
    rep.items.resize(images.size());
    const int n = int(images.size());
    const int chunk = std::max(8, 4 * cv::getNumThreads());
    for (int start = 0; start < n; start += chunk) {
        if (isCancelled(cancel)) {
            rep.cancelled = true;
            rep.items.resize(std::size_t(start));
            break;
        }
        const int end = std::min(n, start + chunk);
        cv::parallel_for_(cv::Range(start, end), [&](const cv::Range& r) {
            for (int i = r.start; i < r.end; ++i) {
                EvalItem& it = rep.items[std::size_t(i)];
                it.path = images[std::size_t(i)].path;
                it.ng = images[std::size_t(i)].ng;
                try {
                    cv::Mat img = images[std::size_t(i)].load();
                    BaselineResult res = runBaseline(img, params);
                    it.verdict = res.ng;
                    it.score = res.score;
                    it.decidingIndex = res.decidingBlob;
                    if (res.decidingBlob >= 0) {
                        it.hasBlob = true;
                        it.decidingBlob = res.blobs[std::size_t(res.decidingBlob)];
                    }
                } catch (const Error& e) {
                    it.error = e.what();
                } catch (const cv::Exception& e) {
                    it.error = std::string("OpenCV: ") + e.what();
                }
            }
        });
        report(progress, {end, n, "baseline", rep.items[std::size_t(end - 1)].path});
    }
    std::vector<bool> labels;
    std::vector<double> scores;
    for (const auto& it : rep.items) {
        if (!it.error.empty()) {
            ++rep.failed;
            continue;
        }
        labels.push_back(it.ng);
        scores.push_back(it.score);
    }
    rep.metrics = computeMetrics(labels, scores, params.scoreThreshold);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

void writeEvalCsv(const EvalReport& report, const fs::path& file)
{
    std::string out = "path,label,score,verdict,blob,area,length,width,elongation,angle,contrast,x,"
                      "y,error\n";
    char buf[256];
    for (const auto& it : report.items) {
        out += csvQuote(it.path) + "," + (it.ng ? "ng" : "ok") + ",";
        if (!it.error.empty()) {
            out += ",,,,,,,,,,," + csvQuote(it.error) + "\n";
            continue;
        }
        std::snprintf(buf, sizeof buf, "%.6g,%s,", it.score, it.verdict ? "ng" : "ok");
        out += buf;
        if (it.hasBlob) {
            const Blob& b = it.decidingBlob;
            std::snprintf(buf, sizeof buf, "%d,%.1f,%.1f,%.1f,%.3g,%.1f,%.2f,%.1f,%.1f,",
                          it.decidingIndex, b.area, b.length, b.width, b.elongation, b.angle,
                          b.contrast, b.centroid.x, b.centroid.y);
            out += buf;
        } else {
            out += ",,,,,,,,,";
        }
        out += "\n";
    }
    writeFileAtomic(file, out);
}

} // namespace kizu::baseline
