#include "core/experiment/experiment.h"

#include "core/common/csv.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace kizu::experiment {
namespace fs = std::filesystem;

namespace {
const std::vector<std::string> kColumns{
    "arch",   "size",      "init",     "shots",     "seed",      "steps",
    "accuracy", "balanced_accuracy", "ng_precision", "ng_recall", "f1", "auc",
    "threshold", "train_seconds", "eval_seconds", "test_images"};
// Columns added later: optional when reading.
const std::vector<std::string> kOptionalColumns{"transplant"};

std::string num(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

double toDouble(const std::string& s, const fs::path& file, int line)
{
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw FormatError{file.string() + ", line " + std::to_string(line) + ": '" + s +
                          "' is not a number"};
    }
}

bool lessKey(const RunResult& a, const RunResult& b)
{
    const int ia = initOrder(a.key.init), ib = initOrder(b.key.init);
    if (ia != ib) return ia < ib;
    if (a.key.init != b.key.init) return a.key.init < b.key.init;
    if (a.key.shots != b.key.shots) return a.key.shots < b.key.shots;
    return a.key.seed < b.key.seed;
}
} // namespace

std::string csvHeader()
{
    std::string h;
    for (std::size_t i = 0; i < kColumns.size(); ++i) h += (i ? "," : "") + kColumns[i];
    for (const auto& c : kOptionalColumns) h += "," + c;
    return h;
}

std::string toCsvRow(const RunResult& r)
{
    std::ostringstream o;
    o << r.arch << ',' << r.size << ',' << r.key.init << ',' << r.key.shots << ',' << r.key.seed
      << ',' << r.steps << ',' << num(r.accuracy) << ',' << num(r.balancedAccuracy) << ','
      << num(r.ngPrecision) << ',' << num(r.ngRecall) << ',' << num(r.f1) << ',' << num(r.auc)
      << ',' << num(r.threshold) << ',' << num(r.trainSeconds) << ',' << num(r.evalSeconds)
      << ',' << r.testImages << ',' << num(r.transplant);
    return o.str();
}

std::vector<RunResult> readResults(const fs::path& csv)
{
    std::vector<RunResult> out;
    std::error_code ec;
    if (!fs::exists(csv, ec)) return out;
    std::ifstream in(csv);
    if (!in) throw IoError{"cannot read " + csv.string()};
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line != "\r") lines.push_back(line);
    if (lines.empty()) return out;
    auto header = splitCsvLine(lines[0]);
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    for (const auto& c : kColumns)
        if (!col.count(c))
            throw FormatError{csv.string() + " is not an experiment results file: column '" + c +
                              "' is missing"};
    for (std::size_t li = 1; li < lines.size(); ++li) {
        auto f = splitCsvLine(lines[li]);
        const int lineNo = int(li) + 1;
        if (f.size() != header.size()) {
            if (li + 1 == lines.size()) break; // a torn last line
            throw FormatError{csv.string() + ", line " + std::to_string(lineNo) + ": " +
                              std::to_string(f.size()) + " fields, expected " +
                              std::to_string(header.size())};
        }
        auto get = [&](const char* name) { return f[col[name]]; };
        auto d = [&](const char* name) { return toDouble(get(name), csv, lineNo); };
        RunResult r;
        r.arch = get("arch");
        r.size = int(d("size"));
        r.key.init = get("init");
        r.key.shots = int(d("shots"));
        try { // seeds are 64-bit: parsed as integers, not through double
            std::size_t used = 0;
            r.key.seed = std::stoull(get("seed"), &used);
            if (used != get("seed").size()) throw std::invalid_argument("seed");
        } catch (const std::exception&) {
            throw FormatError{csv.string() + ", line " + std::to_string(lineNo) + ": '" +
                              get("seed") + "' is not a seed"};
        }
        r.steps = std::int64_t(d("steps"));
        r.accuracy = d("accuracy");
        r.balancedAccuracy = d("balanced_accuracy");
        r.ngPrecision = d("ng_precision");
        r.ngRecall = d("ng_recall");
        r.f1 = d("f1");
        r.auc = d("auc");
        r.threshold = d("threshold");
        r.trainSeconds = d("train_seconds");
        r.evalSeconds = d("eval_seconds");
        r.testImages = std::int64_t(d("test_images"));
        if (col.count("transplant")) r.transplant = d("transplant");
        if (r.key.init.empty() || r.key.shots < 1)
            throw FormatError{csv.string() + ", line " + std::to_string(lineNo) +
                              ": a run needs an init and shots >= 1"};
        out.push_back(std::move(r));
    }
    return out;
}

void writeResults(const fs::path& csv, std::vector<RunResult> rows)
{
    std::stable_sort(rows.begin(), rows.end(), lessKey);
    std::string text = csvHeader() + "\n";
    for (const auto& r : rows) text += toCsvRow(r) + "\n";
    writeFileAtomic(csv, text);
}

bool isTransplantInit(const std::string& init)
{
    const std::string suffix = kTransplantSuffix;
    return init.size() > suffix.size() &&
           init.compare(init.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string baseInit(const std::string& init)
{
    return isTransplantInit(init)
               ? init.substr(0, init.size() - std::string(kTransplantSuffix).size())
               : init;
}

int initOrder(const std::string& init)
{
    static const std::vector<std::string> order{"station", "scratch", "imagenet", "cg",
                                                "baseline"};
    auto it = std::find(order.begin(), order.end(), baseInit(init));
    const int i = it == order.end() ? int(order.size()) : int(it - order.begin());
    return 2 * i + (isTransplantInit(init) ? 1 : 0);
}

std::vector<int> powerOfTwoShots(int maxShots)
{
    std::vector<int> out;
    for (int s = 1; s <= maxShots; s *= 2) out.push_back(s);
    if (maxShots >= 1 && out.back() != maxShots) out.push_back(maxShots);
    return out;
}

std::vector<int> parseShots(const std::string& text, int available)
{
    if (text == "max") return powerOfTwoShots(available);
    if (text.rfind("max:", 0) == 0) {
        int cap = 0;
        try {
            cap = std::stoi(text.substr(4));
        } catch (const std::exception&) {
            throw InvalidArgument{"--shots max:N needs a number, got '" + text + "'"};
        }
        std::vector<int> out;
        for (int s = 1; s <= std::min(cap, available); s *= 2) out.push_back(s);
        return out;
    }
    std::vector<int> out;
    std::stringstream ss(text);
    for (std::string part; std::getline(ss, part, ',');) {
        int v = 0;
        try {
            std::size_t used = 0;
            v = std::stoi(part, &used);
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw InvalidArgument{"--shots: '" + part + "' is not a number (give e.g. 1,2,4 or max)"};
        }
        if (v < 1) throw InvalidArgument{"--shots: shots per class must be at least 1"};
        if (v > available)
            throw InvalidArgument{"--shots: " + std::to_string(v) +
                                  " per class, but the smaller class of the training data has only " +
                                  std::to_string(available) + " images"};
        out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty()) throw InvalidArgument{"--shots: give at least one value"};
    return out;
}

std::vector<RunKey> planRuns(const std::vector<int>& shots, const std::vector<std::string>& inits,
                             const std::vector<std::uint64_t>& seeds, int shardIndex,
                             int shardCount)
{
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
        throw InvalidArgument{"shard " + std::to_string(shardIndex) + "/" +
                              std::to_string(shardCount) + " does not exist"};
    std::vector<RunKey> all;
    for (int s : shots)
        for (auto seed : seeds)
            for (const auto& init : inits) all.push_back({init, s, seed});
    std::vector<RunKey> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (int(i % std::size_t(shardCount)) == shardIndex) out.push_back(all[i]);
    return out;
}

std::pair<int, int> parseShard(const std::string& text)
{
    int i = -1, n = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
        throw InvalidArgument{"--shard wants i/n with 0 <= i < n (e.g. 0/4), got '" + text + "'"};
    return {i, n};
}

std::vector<RunResult> mergeResults(const std::vector<std::vector<RunResult>>& parts)
{
    std::vector<RunResult> out;
    for (const auto& part : parts)
        for (const auto& r : part) {
            auto it = std::find_if(out.begin(), out.end(),
                                   [&](const RunResult& o) { return o.key == r.key; });
            if (it == out.end()) {
                out.push_back(r);
                continue;
            }
            if (it->arch != r.arch || it->size != r.size || it->steps != r.steps ||
                std::abs(it->transplant - r.transplant) > 1e-12 ||
                std::abs(it->accuracy - r.accuracy) > 1e-9)
                throw FormatError{"the run " + r.key.init + ", " + std::to_string(r.key.shots) +
                                  " shots, seed " + std::to_string(r.key.seed) +
                                  " appears twice with different results (different settings?)"};
        }
    std::stable_sort(out.begin(), out.end(), lessKey);
    return out;
}

double metricValue(const RunResult& r, const std::string& metric)
{
    if (metric == "accuracy") return r.accuracy;
    if (metric == "balanced_accuracy") return r.balancedAccuracy;
    if (metric == "auc") return r.auc;
    if (metric == "f1") return r.f1;
    if (metric == "ng_recall") return r.ngRecall;
    if (metric == "ng_precision") return r.ngPrecision;
    throw InvalidArgument{"unknown metric '" + metric +
                          "' (accuracy, balanced_accuracy, auc, f1, ng_recall, ng_precision)"};
}

std::vector<Cell> aggregate(const std::vector<RunResult>& rows, const std::string& metric)
{
    std::map<std::pair<int, std::string>, std::vector<double>> groups;
    for (const auto& r : rows) groups[{r.key.shots, r.key.init}].push_back(metricValue(r, metric));
    std::vector<Cell> out;
    for (auto& [k, v] : groups) {
        Cell c;
        c.shots = k.first;
        c.init = k.second;
        c.n = int(v.size());
        double sum = 0;
        for (double x : v) sum += x;
        c.mean = sum / c.n;
        double ss = 0;
        for (double x : v) ss += (x - c.mean) * (x - c.mean);
        c.std = c.n > 1 ? std::sqrt(ss / (c.n - 1)) : 0;
        c.min = *std::min_element(v.begin(), v.end());
        c.max = *std::max_element(v.begin(), v.end());
        out.push_back(c);
    }
    return out;
}

namespace {
std::vector<std::string> initsOf(const std::vector<RunResult>& rows)
{
    std::set<std::string> s;
    for (const auto& r : rows) s.insert(r.key.init);
    std::vector<std::string> v(s.begin(), s.end());
    std::stable_sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
        return initOrder(a) < initOrder(b);
    });
    return v;
}

std::string columnName(const std::string& init)
{
    if (isTransplantInit(init)) return columnName(baseInit(init)) + kTransplantSuffix;
    if (init == "station") return "Station default";
    if (init == "scratch") return "Scratch";
    if (init == "imagenet") return "ImageNet";
    if (init == "cg") return "CG (ours)";
    if (init == "baseline") return "Classical baseline";
    return init;
}
} // namespace

std::string markdownTable(const std::vector<RunResult>& rows, const std::string& metric)
{
    const auto cells = aggregate(rows, metric);
    const auto inits = initsOf(rows);
    std::set<int> shots;
    for (const auto& c : cells) shots.insert(c.shots);
    std::ostringstream o;
    o << "| shots per class |";
    for (const auto& i : inits) o << ' ' << columnName(i) << " |";
    o << "\n|---:|";
    for (std::size_t i = 0; i < inits.size(); ++i) o << "---:|";
    o << "\n";
    char buf[96];
    for (int s : shots) {
        double best = -1;
        for (const auto& c : cells)
            if (c.shots == s) best = std::max(best, c.mean);
        o << "| " << s << " |";
        for (const auto& i : inits) {
            auto it = std::find_if(cells.begin(), cells.end(),
                                   [&](const Cell& c) { return c.shots == s && c.init == i; });
            if (it == cells.end()) {
                o << " - |";
                continue;
            }
            std::snprintf(buf, sizeof buf, "%.2f ± %.2f (%d)", 100 * it->mean, 100 * it->std, it->n);
            const bool bold = std::abs(it->mean - best) < 1e-12;
            o << ' ' << (bold ? "**" : "") << buf << (bold ? "**" : "") << " |";
        }
        o << "\n";
    }
    return o.str();
}

cv::Mat chart(const std::vector<RunResult>& rows, const std::string& metric,
              const std::string& title, int width, int height)
{
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    const auto cells = aggregate(rows, metric);
    const auto inits = initsOf(rows);
    // The legend's column is as wide as its longest name ("CG (ours)+transplant").
    int legendWidth = 0;
    for (const auto& i : inits) {
        int baseLine = 0;
        legendWidth = std::max(legendWidth, cv::getTextSize(columnName(i), cv::FONT_HERSHEY_SIMPLEX,
                                                            0.5, 1, &baseLine).width);
    }
    const int left = 80, right = std::max(200, legendWidth + 64),
              top = title.empty() ? 30 : 60, bottom = 70;
    const cv::Rect plot(left, top, width - left - right, height - top - bottom);
    const int font = cv::FONT_HERSHEY_SIMPLEX;
    const cv::Scalar ink(40, 40, 40), grid(225, 225, 225);
    if (!title.empty())
        cv::putText(img, title, {left, 35}, font, 0.7, ink, 2, cv::LINE_AA);
    int maxShots = 1;
    double lo = 1, hi = 0;
    for (const auto& c : cells) {
        maxShots = std::max(maxShots, c.shots);
        lo = std::min(lo, c.min);
        hi = std::max(hi, c.max);
    }
    if (cells.empty()) lo = 0.5, hi = 1;
    // Y axis in percent, rounded out to 10s.
    double y0 = std::floor(lo * 10) / 10, y1 = std::min(1.0, std::ceil(hi * 10) / 10);
    if (y1 - y0 < 0.1) y1 = std::min(1.0, y0 + 0.1), y0 = y1 - 0.1;
    const double xMax = std::max(1.0, std::log2(double(maxShots)));
    auto X = [&](double shots) {
        return plot.x + int(std::lround(plot.width * (std::log2(shots) / xMax) * 0.92 + plot.width * 0.04));
    };
    auto Y = [&](double v) {
        return plot.y + plot.height - int(std::lround(plot.height * (v - y0) / (y1 - y0)));
    };
    char buf[64];
    // Round tick steps: 10 points over a wide range, 2 or 1 over a narrow one.
    const double range = y1 - y0;
    const double stepY = range >= 0.3 ? 0.1 : range >= 0.1 ? 0.02 : 0.01;
    const int ticks = std::max(1, int(std::lround(range / stepY)));
    for (int t = 0; t <= ticks; ++t) {
        const double v = y0 + stepY * t;
        cv::line(img, {plot.x, Y(v)}, {plot.x + plot.width, Y(v)}, grid, 1);
        std::snprintf(buf, sizeof buf, "%.0f", 100 * v);
        cv::putText(img, buf, {plot.x - 40, Y(v) + 5}, font, 0.45, ink, 1, cv::LINE_AA);
    }
    for (int s = 1; s <= maxShots; s *= 2) {
        cv::line(img, {X(s), plot.y}, {X(s), plot.y + plot.height}, grid, 1);
        std::snprintf(buf, sizeof buf, "%d", s);
        cv::putText(img, buf, {X(s) - 6 * int(std::strlen(buf)), plot.y + plot.height + 22}, font,
                    0.45, ink, 1, cv::LINE_AA);
    }
    cv::rectangle(img, plot, ink, 1);
    cv::putText(img, "shots per class (log2 axis)", {plot.x + plot.width / 2 - 110, height - 20},
                font, 0.55, ink, 1, cv::LINE_AA);
    const std::string yl = metric == "accuracy" ? "test accuracy (%)" : metric == "balanced_accuracy" ? "balanced accuracy (%)" : metric + " (%)";
    cv::Mat label(24, 220, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(label, yl, {2, 18}, font, 0.55, ink, 1, cv::LINE_AA);
    cv::Mat rotated;
    cv::rotate(label, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int ly = std::max(0, plot.y + plot.height / 2 - rotated.rows / 2);
    if (ly + rotated.rows <= img.rows) rotated.copyTo(img(cv::Rect(6, ly, rotated.cols, rotated.rows)));

    const std::vector<cv::Scalar> colors{{60, 60, 200},  {200, 120, 30}, {40, 160, 40},
                                         {90, 90, 90},   {160, 60, 160}, {30, 160, 200}};
    for (std::size_t k = 0; k < inits.size(); ++k) {
        const auto color = colors[k % colors.size()];
        std::vector<cv::Point> pts;
        for (const auto& c : cells) {
            if (c.init != inits[k]) continue;
            const int x = X(c.shots) + int(k) * 3 - 4; // a little dodge so bars do not overlap
            cv::line(img, {x, Y(c.min)}, {x, Y(c.max)}, color, 1, cv::LINE_AA);
            cv::line(img, {x - 4, Y(c.min)}, {x + 4, Y(c.min)}, color, 1, cv::LINE_AA);
            cv::line(img, {x - 4, Y(c.max)}, {x + 4, Y(c.max)}, color, 1, cv::LINE_AA);
            pts.push_back({x, Y(c.mean)});
        }
        const bool dashed = inits[k] == "baseline";
        for (std::size_t i = 1; i < pts.size(); ++i) {
            if (!dashed) {
                cv::line(img, pts[i - 1], pts[i], color, 2, cv::LINE_AA);
                continue;
            }
            const cv::Point2d a = pts[i - 1], b = pts[i];
            const double len = cv::norm(b - a);
            for (double t = 0; t < len; t += 12) {
                const double t2 = std::min(len, t + 7);
                cv::line(img, a + (b - a) * (t / len), a + (b - a) * (t2 / len), color, 2, cv::LINE_AA);
            }
        }
        for (const auto& p : pts) cv::circle(img, p, 4, color, cv::FILLED, cv::LINE_AA);
        const int ly2 = plot.y + 20 + int(k) * 26;
        cv::line(img, {width - right + 15, ly2 - 5}, {width - right + 45, ly2 - 5}, color, 3);
        cv::putText(img, columnName(inits[k]), {width - right + 52, ly2}, font, 0.5, ink, 1,
                    cv::LINE_AA);
    }
    cv::putText(img, "bars: min-max over seeds", {width - right + 15, plot.y + 30 + int(inits.size()) * 26},
                font, 0.42, cv::Scalar(110, 110, 110), 1, cv::LINE_AA);
    return img;
}

} // namespace kizu::experiment
