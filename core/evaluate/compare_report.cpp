#include "core/evaluate/compare_report.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace kizu::learn {

std::vector<ShotSeries> shotSeries(const std::vector<experiment::RunResult>& rows,
                                   const std::string& metric)
{
    if (!rows.empty()) experiment::metricValue(rows.front(), metric); // validates the name
    std::vector<ShotSeries> out;
    for (const auto& c : experiment::aggregate(rows, metric)) { // sorted by shots, then init
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const ShotSeries& s) { return s.name == c.init; });
        if (it == out.end()) {
            out.push_back({c.init, c.init == "baseline", {}});
            it = out.end() - 1;
        }
        it->points.push_back({c.shots, c.n, c.mean, c.std, c.min, c.max});
    }
    std::stable_sort(out.begin(), out.end(), [](const ShotSeries& a, const ShotSeries& b) {
        const int oa = a.baseline ? 1000 : experiment::initOrder(a.name);
        const int ob = b.baseline ? 1000 : experiment::initOrder(b.name);
        return oa < ob;
    });
    return out;
}

std::vector<std::filesystem::path> findExperimentResults(const std::filesystem::path& projectDir)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> out;
    std::error_code ec;
    const fs::path dir = projectDir / "experiments";
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const fs::path f = e.path() / "results.csv";
        if (e.is_directory(ec) && fs::exists(f, ec)) out.push_back(f);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string methodColor(std::size_t k)
{
    static const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd",
                                   "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    return colors[k % (sizeof(colors) / sizeof(colors[0]))];
}

std::string htmlEscape(const std::string& s)
{
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

namespace {
std::string fmt(double v, int decimals = 3)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// Axes frame with ticks from 0 to 1 on y (and on x unless xTicks are given).
struct Plot {
    int w, h, left = 56, right = 16, top = 16, bottom = 44;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    bool logX = false;
    double px(double x) const
    {
        const double a = logX ? std::log2(x0) : x0, b = logX ? std::log2(x1) : x1;
        const double v = logX ? std::log2(x) : x;
        return left + (v - a) / (b - a) * (w - left - right);
    }
    double py(double y) const { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); }
};

std::string svgOpen(int w, int h)
{
    return "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w) + "' height='" +
           std::to_string(h) + "' viewBox='0 0 " + std::to_string(w) + " " + std::to_string(h) +
           "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' "
           "fill='white'/>\n";
}

std::string frame(const Plot& p, const std::vector<double>& xTicks, const std::string& xLabel,
                  const std::string& yLabel, bool intX)
{
    std::ostringstream s;
    for (int i = 0; i <= 5; ++i) {
        const double y = p.y0 + (p.y1 - p.y0) * i / 5.0;
        s << "<line x1='" << p.left << "' x2='" << p.w - p.right << "' y1='" << p.py(y) << "' y2='"
          << p.py(y) << "' stroke='#e4e4e4'/>\n";
        s << "<text x='" << p.left - 6 << "' y='" << p.py(y) + 4 << "' text-anchor='end'>"
          << fmt(y, 1) << "</text>\n";
    }
    for (double x : xTicks) {
        s << "<line x1='" << p.px(x) << "' x2='" << p.px(x) << "' y1='" << p.top << "' y2='"
          << p.h - p.bottom << "' stroke='#e4e4e4'/>\n";
        s << "<text x='" << p.px(x) << "' y='" << p.h - p.bottom + 15 << "' text-anchor='middle'>"
          << (intX ? std::to_string(int(std::lround(x))) : fmt(x, 1)) << "</text>\n";
    }
    s << "<rect x='" << p.left << "' y='" << p.top << "' width='" << p.w - p.left - p.right
      << "' height='" << p.h - p.top - p.bottom << "' fill='none' stroke='#555'/>\n";
    s << "<text x='" << (p.left + p.w - p.right) / 2 << "' y='" << p.h - 8
      << "' text-anchor='middle'>" << htmlEscape(xLabel) << "</text>\n";
    s << "<text transform='translate(14," << (p.top + p.h - p.bottom) / 2
      << ") rotate(-90)' text-anchor='middle'>" << htmlEscape(yLabel) << "</text>\n";
    return s.str();
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& items, const Plot& p,
                   bool bottomRight)
{
    std::ostringstream s;
    const int lineH = 15;
    int y = bottomRight ? p.h - p.bottom - 8 - lineH * int(items.size()) + lineH : p.top + 14;
    // Wide enough for the longest name (about 6.5 px a character at 11 px sans-serif).
    std::size_t longest = 0;
    for (const auto& item : items)
        longest = std::max(longest, item.first.size());
    const double width = 34 + 6.5 * double(longest);
    const double x =
        bottomRight ? std::max(double(p.left + 6), p.w - p.right - 6 - width) : p.left + 10;
    for (const auto& [name, color] : items) {
        s << "<line x1='" << x << "' x2='" << x + 18 << "' y1='" << y - 4 << "' y2='" << y - 4
          << "' stroke='" << color << "' stroke-width='2'/>";
        s << "<text x='" << x + 24 << "' y='" << y << "'>" << htmlEscape(name) << "</text>\n";
        y += lineH;
    }
    return s.str();
}
} // namespace

std::string rocSvg(const std::vector<ReportMethod>& methods, int width, int height)
{
    Plot p{width, height};
    std::ostringstream s;
    s << svgOpen(width, height)
      << frame(p, {0, 0.2, 0.4, 0.6, 0.8, 1.0}, "false NG rate (OK called NG)", "NG recall", false);
    s << "<line x1='" << p.px(0) << "' y1='" << p.py(0) << "' x2='" << p.px(1) << "' y2='"
      << p.py(1) << "' stroke='#bbb' stroke-dasharray='4 3'/>\n";
    std::vector<std::pair<std::string, std::string>> items;
    for (std::size_t k = 0; k < methods.size(); ++k) {
        const auto& m = methods[k].metrics.metrics;
        const std::string color = methodColor(k);
        s << "<polyline fill='none' stroke='" << color << "' stroke-width='2' points='";
        for (const auto& r : m.roc)
            s << fmt(p.px(r.fpr), 1) << "," << fmt(p.py(r.tpr), 1) << " ";
        s << "'/>\n";
        const auto op = operatingPoint(m);
        s << "<circle cx='" << p.px(op.fpr) << "' cy='" << p.py(op.tpr) << "' r='5' fill='" << color
          << "' stroke='black'/>\n";
        items.push_back({methods[k].name + "  AUC " + fmt(m.auc), color});
    }
    s << legend(items, p, true) << "</svg>\n";
    return s.str();
}

std::string shotsSvg(const std::vector<ShotSeries>& series, int width, int height)
{
    Plot p{width, height};
    p.logX = true;
    int lo = 0, hi = 0;
    double ymin = 1, ymax = 0;
    for (const auto& se : series)
        for (const auto& pt : se.points) {
            lo = lo == 0 ? pt.shots : std::min(lo, pt.shots);
            hi = std::max(hi, pt.shots);
            ymin = std::min(ymin, pt.min);
            ymax = std::max(ymax, pt.max);
        }
    if (lo == 0) {
        lo = 1;
        hi = 2;
    }
    if (hi == lo) hi = lo * 2;
    p.x0 = lo / 1.3;
    p.x1 = hi * 1.3;
    p.y0 = std::max(0.0, std::floor((ymin - 0.05) * 10) / 10);
    p.y1 = std::min(1.0, std::ceil((ymax + 0.02) * 10) / 10);
    if (p.y1 <= p.y0) p.y1 = p.y0 + 0.1;
    std::vector<double> ticks;
    for (int s = 1; s <= hi; s *= 2)
        if (s >= lo) ticks.push_back(s);
    std::ostringstream s;
    s << svgOpen(width, height)
      << frame(p, ticks, "shots per class (log2)", "accuracy (mean over seeds)", true);
    std::vector<std::pair<std::string, std::string>> items;
    std::size_t k = 0;
    for (const auto& se : series) {
        const std::string color = se.baseline ? std::string("#333333") : methodColor(k++);
        const std::string dash = se.baseline ? " stroke-dasharray='6 4'" : "";
        s << "<polyline fill='none' stroke='" << color << "' stroke-width='2'" << dash
          << " points='";
        for (const auto& pt : se.points)
            s << fmt(p.px(pt.shots), 1) << "," << fmt(p.py(pt.mean), 1) << " ";
        s << "'/>\n";
        for (const auto& pt : se.points) {
            const double x = p.px(pt.shots);
            s << "<line x1='" << x << "' x2='" << x << "' y1='" << p.py(pt.min) << "' y2='"
              << p.py(pt.max) << "' stroke='" << color << "'/>";
            s << "<circle cx='" << x << "' cy='" << p.py(pt.mean) << "' r='3.5' fill='" << color
              << "'/>\n";
        }
        items.push_back({se.name, color});
    }
    s << legend(items, p, true) << "</svg>\n";
    return s.str();
}

std::string jpegDataUri(const cv::Mat& bgr, int maxSide)
{
    if (bgr.empty()) return {};
    cv::Mat small = bgr;
    const double f = double(maxSide) / std::max(bgr.cols, bgr.rows);
    if (f < 1) cv::resize(bgr, small, cv::Size(), f, f, cv::INTER_AREA);
    std::vector<uchar> buf;
    cv::imencode(".jpg", small, buf, {cv::IMWRITE_JPEG_QUALITY, 85});
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out = "data:image/jpeg;base64,";
    out.reserve(out.size() + buf.size() * 4 / 3 + 4);
    std::size_t i = 0;
    for (; i + 2 < buf.size(); i += 3) {
        const unsigned v = (buf[i] << 16) | (buf[i + 1] << 8) | buf[i + 2];
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i + 1 == buf.size()) {
        const unsigned v = buf[i] << 16;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == buf.size()) {
        const unsigned v = (buf[i] << 16) | (buf[i + 1] << 8);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string compareReportHtml(const CompareReport& r)
{
    std::ostringstream s;
    s << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>" << htmlEscape(r.title)
      << "</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:4px 8px;"
         "text-align:right}th{background:#eee}td.name{text-align:left}.ok{color:#1a7f37}.ng{color:#"
         "c62828}"
         ".cm td{width:70px;text-align:center}.cms{display:flex;flex-wrap:wrap;gap:18px}"
         ".err td{vertical-align:top}</style></head><body>\n";
    s << "<h1>" << htmlEscape(r.title) << "</h1>\n<p>Test set: " << htmlEscape(r.data);
    if (!r.createdAt.empty()) s << "<br>Made " << htmlEscape(r.createdAt);
    s << "</p>\n<h2>Metrics</h2>\n<table><tr><th>method</th><th>threshold</th><th>accuracy</th>"
         "<th>balanced accuracy</th><th>NG recall</th><th>NG precision</th><th>F1</th><th>AUC</th>"
         "<th>ms / image</th></tr>\n";
    for (const auto& m : r.methods) {
        const auto& x = m.metrics.metrics;
        s << "<tr><td class='name'>" << htmlEscape(m.name) << "</td><td>" << fmt(x.threshold)
          << "</td><td>" << fmt(x.accuracy) << "</td><td>" << fmt(x.balancedAccuracy) << "</td><td>"
          << fmt(x.ngRecall) << "</td><td>" << fmt(x.ngPrecision) << "</td><td>"
          << fmt(m.metrics.f1) << "</td><td>" << fmt(x.auc) << "</td><td>" << fmt(m.msPerImage, 1)
          << "</td></tr>\n";
    }
    s << "</table>\n<h2>Confusion matrices</h2>\n<div class='cms'>\n";
    for (const auto& m : r.methods) {
        const auto& x = m.metrics.metrics;
        s << "<div><b>" << htmlEscape(m.name)
          << "</b><table class='cm'><tr><th></th><th>said OK</th>"
          << "<th>said NG</th></tr><tr><th>OK</th><td>" << x.tn << "</td><td class='ng'>" << x.fp
          << "</td></tr><tr><th>NG</th><td class='ng'>" << x.fn << "</td><td>" << x.tp
          << "</td></tr></table></div>\n";
    }
    s << "</div>\n<h2>ROC curves</h2>\n<p>Dots: each method's operating point.</p>\n";
    if (!r.rocImage.empty())
        s << "<img src='" << htmlEscape(r.rocImage) << "'>\n";
    else
        s << rocSvg(r.methods);
    if (!r.shots.empty() || !r.shotsImage.empty()) {
        s << "<h2>Accuracy against shots per class</h2>\n<p>Mean over seeds; bars from the worst "
             "to the best seed; dashed: the classical baseline.</p>\n";
        if (!r.shotsImage.empty())
            s << "<img src='" << htmlEscape(r.shotsImage) << "'>\n";
        else
            s << shotsSvg(r.shots);
    }
    if (!r.errors.empty()) {
        s << "<h2>Worst errors</h2>\n<table class='err'><tr><th>image</th><th>label</th>";
        for (const auto& m : r.methods)
            s << "<th>" << htmlEscape(m.name) << "</th>";
        s << "</tr>\n";
        for (const auto& e : r.errors) {
            s << "<tr><td class='name'>";
            if (!e.imageUri.empty()) s << "<img src='" << e.imageUri << "'><br>";
            s << htmlEscape(std::filesystem::path(e.path).filename().string()) << "</td><td>"
              << (e.label == kNg ? "NG" : "OK") << "</td>";
            for (std::size_t k = 0; k < e.predicted.size(); ++k) {
                const bool wrong = e.predicted[k] != e.label;
                s << "<td class='" << (wrong ? "ng" : "ok") << "'>"
                  << (e.predicted[k] == kNg ? "NG" : "OK")
                  << (k < e.scores.size() ? " (" + fmt(e.scores[k]) + ")" : std::string())
                  << "</td>";
            }
            s << "</tr>\n";
        }
        s << "</table>\n";
    }
    s << "</body></html>\n";
    return s.str();
}

} // namespace kizu::learn
