#include "core/baseline/baseline.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kizu::baseline {

namespace {

// Beyond this many components per image only the largest are analysed: a threshold that
// lets noise through must not make one image cost seconds.
constexpr int kMaxBlobs = 200;
constexpr double kMaxMargin = 100.0;

[[noreturn]] void bad(const std::string& field, const std::string& why)
{
    throw InvalidArgument("baseline parameter '" + field + "' " + why);
}

void requireRange(const std::string& field, double v, double lo, double hi,
                  const std::string& hint = {})
{
    if (!std::isfinite(v) || v < lo || v > hi) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "is %g but must be between %g and %g", v, lo, hi);
        bad(field, buf + (hint.empty() ? std::string() : " (" + hint + ")"));
    }
}

double normAngle(double a)
{
    // Map to (-90, 90]: an axis has no direction.
    a = std::fmod(a, 180.0);
    if (a <= -90.0) a += 180.0;
    if (a > 90.0) a -= 180.0;
    return a;
}

struct Workspace {
    cv::Mat small, plane, bgSmall, bg, g1, g2, dog, resp, mask, tmp, labels, stats, cents, blobMask;
    cv::Mat u8;
    std::vector<double> sums;
    std::vector<float> peaks;
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Point> points;
};

// A Gaussian blur whose cost does not grow with sigma: wide blurs run on a copy shrunk by d
// (box average) and are enlarged again (linear), with the blur those two steps add taken out
// of the Gaussian's variance. The result differs from the exact blur by well under a grey level
// on photographs, and DoG with sigma2 = 40 px costs what sigma2 = 6 px does.
void blurFast(const cv::Mat& src, cv::Mat& dst, double sigma, cv::Mat& tmp)
{
    const int d = int(sigma / 3.0);
    if (d < 2) {
        cv::GaussianBlur(src, dst, cv::Size(0, 0), sigma, 0, cv::BORDER_REFLECT);
        return;
    }
    const double rest = std::sqrt(std::max(0.25 * d * d, sigma * sigma - (d * d - 1) / 12.0 -
                                                             d * d / 6.0)) /
                        d;
    cv::Size small(std::max(1, (src.cols + d / 2) / d), std::max(1, (src.rows + d / 2) / d));
    cv::resize(src, tmp, small, 0, 0, cv::INTER_AREA);
    cv::GaussianBlur(tmp, tmp, cv::Size(0, 0), rest, 0, cv::BORDER_REFLECT);
    cv::resize(tmp, dst, src.size(), 0, 0, cv::INTER_LINEAR);
}

Workspace& workspace()
{
    thread_local Workspace ws;
    return ws;
}

} // namespace

std::string toString(Channel c)
{
    switch (c) {
    case Channel::Gray:
        return "gray";
    case Channel::Blue:
        return "blue";
    case Channel::Green:
        return "green";
    case Channel::Red:
        return "red";
    }
    return "gray";
}

std::string toString(ThresholdMode m)
{
    switch (m) {
    case ThresholdMode::Fixed:
        return "fixed";
    case ThresholdMode::Otsu:
        return "otsu";
    case ThresholdMode::Adaptive:
        return "adaptive";
    }
    return "fixed";
}

std::string toString(Polarity p)
{
    switch (p) {
    case Polarity::Dark:
        return "dark";
    case Polarity::Bright:
        return "bright";
    case Polarity::Both:
        return "both";
    }
    return "dark";
}

Channel channelFromString(const std::string& s)
{
    for (auto c : {Channel::Gray, Channel::Blue, Channel::Green, Channel::Red})
        if (toString(c) == s) return c;
    bad("channel", "is '" + s + "' but must be one of gray, blue, green, red");
}

ThresholdMode thresholdModeFromString(const std::string& s)
{
    for (auto m : {ThresholdMode::Fixed, ThresholdMode::Otsu, ThresholdMode::Adaptive})
        if (toString(m) == s) return m;
    bad("thresholdMode", "is '" + s + "' but must be one of fixed, otsu, adaptive");
}

Polarity polarityFromString(const std::string& s)
{
    for (auto p : {Polarity::Dark, Polarity::Bright, Polarity::Both})
        if (toString(p) == s) return p;
    bad("polarity", "is '" + s + "' but must be one of dark, bright, both");
}

const std::vector<ParamSpec>& paramSpecs()
{
    using K = ParamSpec::Kind;
    static const std::vector<ParamSpec> specs = {
        {"scale",
         "Processing scale",
         K::Number,
         0.1,
         1.0,
         0.05,
         2,
         {},
         "Images are resized by this factor before processing (speed vs. detail)",
         true},
        {"channel",
         "Channel",
         K::Choice,
         0,
         0,
         0,
         0,
         {"gray", "blue", "green", "red"},
         "Which plane of the colour image is analysed",
         true},
        {"flattenSigma",
         "Flatten sigma",
         K::Number,
         0,
         150,
         1,
         1,
         {},
         "Divide by a blur of this sigma to remove uneven lighting (px); 0 = off",
         true},
        {"sigma1",
         "DoG sigma 1",
         K::Number,
         0.3,
         20,
         0.1,
         2,
         {},
         "Inner Gaussian of the Difference of Gaussians (px)",
         true},
        {"sigma2",
         "DoG sigma 2",
         K::Number,
         0.5,
         60,
         0.1,
         2,
         {},
         "Outer Gaussian (px), larger than sigma 1",
         true},
        {"thresholdMode",
         "Threshold",
         K::Choice,
         0,
         0,
         0,
         0,
         {"fixed", "otsu", "adaptive"},
         "fixed level, Otsu's level, or K times the local RMS of the response",
         true},
        {"polarity",
         "Polarity",
         K::Choice,
         0,
         0,
         0,
         0,
         {"dark", "bright", "both"},
         "Look for spots darker, brighter than their surroundings, or both",
         true},
        {"threshold",
         "Threshold level",
         K::Number,
         0,
         128,
         0.5,
         1,
         {},
         "Response level (grey levels); the floor under Otsu and adaptive",
         true},
        {"adaptiveK",
         "Adaptive K",
         K::Number,
         0.5,
         20,
         0.1,
         1,
         {},
         "Adaptive: level = K x local RMS of the response",
         true},
        {"adaptiveBlock",
         "Adaptive window",
         K::Number,
         5,
         400,
         2,
         0,
         {},
         "Adaptive: side of the local window (px)",
         true},
        {"openRadius",
         "Opening radius",
         K::Integer,
         0,
         10,
         1,
         0,
         {},
         "Morphological opening (px at processing scale); removes specks",
         true},
        {"closeRadius",
         "Closing radius",
         K::Integer,
         0,
         10,
         1,
         0,
         {},
         "Morphological closing (px at processing scale); joins fragments",
         true},
        {"minArea", "Min area", K::Number, 0, 5000, 1, 0, {}, "Smallest defect area (px^2)", false},
        {"maxArea",
         "Max area",
         K::Number,
         0,
         100000,
         10,
         0,
         {},
         "Largest defect area (px^2); 0 = no limit",
         false},
        {"minLength",
         "Min length",
         K::Number,
         0,
         500,
         1,
         0,
         {},
         "Smallest long side of the min-area rectangle (px); 0 = off",
         false},
        {"minElongation",
         "Min elongation",
         K::Number,
         1,
         30,
         0.1,
         1,
         {},
         "Smallest length/width (1 = any shape)",
         false},
        {"maxElongation",
         "Max elongation",
         K::Number,
         0,
         50,
         0.1,
         1,
         {},
         "Largest length/width; 0 = no limit",
         false},
        {"minContrast",
         "Min contrast",
         K::Number,
         0,
         128,
         0.5,
         1,
         {},
         "Smallest mean response inside the blob (grey levels); 0 = off",
         false},
        {"grindingAngle",
         "Grinding direction",
         K::Number,
         -90,
         90,
         1,
         0,
         {},
         "Direction of the grinding marks in the image (deg, 0 = horizontal)",
         false},
        {"minAngle",
         "Min angle to grinding",
         K::Number,
         0,
         90,
         1,
         0,
         {},
         "Elongated blobs closer than this to the grinding direction are ignored; 0 = off",
         false},
        {"angleElongation",
         "Angle rule elongation",
         K::Number,
         1,
         30,
         0.1,
         1,
         {},
         "The angle rule applies to blobs at least this elongated",
         false},
        {"marginX",
         "Border margin X",
         K::Number,
         0,
         0.45,
         0.01,
         2,
         {},
         "Ignore blobs centred this close to the left/right border (fraction of width)",
         false},
        {"marginY",
         "Border margin Y",
         K::Number,
         0,
         0.45,
         0.01,
         2,
         {},
         "Ignore blobs centred this close to the top/bottom border (fraction of height)",
         false},
        {"scoreThreshold",
         "Score threshold",
         K::Number,
         0.05,
         10,
         0.01,
         2,
         {},
         "NG when the score reaches this; 1 = exactly the limits above",
         false},
    };
    return specs;
}

void BaselineParams::validate() const
{
    requireRange("scale", scale, 0.05, 1.0);
    requireRange("flattenSigma", flattenSigma, 0, 1000, "0 turns flattening off");
    requireRange("sigma1", sigma1, 0.1, 200);
    requireRange("sigma2", sigma2, 0.1, 400);
    if (!(sigma1 < sigma2))
        bad("sigma1", "(" + std::to_string(sigma1) + ") must be smaller than sigma2 (" +
                          std::to_string(sigma2) + ")");
    requireRange("threshold", threshold, 0, 255);
    requireRange("adaptiveK", adaptiveK, 0.01, 100);
    requireRange("adaptiveBlock", adaptiveBlock, 3, 4000);
    requireRange("openRadius", openRadius, 0, 50);
    requireRange("closeRadius", closeRadius, 0, 50);
    requireRange("minArea", minArea, 0, 1e9);
    requireRange("maxArea", maxArea, 0, 1e9, "0 = no limit");
    if (maxArea > 0 && maxArea < minArea)
        bad("maxArea", "must be 0 (no limit) or at least minArea");
    requireRange("minLength", minLength, 0, 1e6);
    requireRange("minElongation", minElongation, 1, 1000);
    requireRange("maxElongation", maxElongation, 0, 1000, "0 = no limit");
    if (maxElongation > 0 && maxElongation < minElongation)
        bad("maxElongation", "must be 0 (no limit) or at least minElongation");
    requireRange("minContrast", minContrast, 0, 255);
    requireRange("grindingAngle", grindingAngle, -180, 180);
    requireRange("minAngle", minAngle, 0, 90);
    requireRange("angleElongation", angleElongation, 1, 1000);
    requireRange("marginX", marginX, 0, 0.49);
    requireRange("marginY", marginY, 0, 0.49);
    requireRange("scoreThreshold", scoreThreshold, 1e-6, 1000);
}

nlohmann::json BaselineParams::toJson() const
{
    return nlohmann::json{
        {"scale", scale},
        {"channel", toString(channel)},
        {"flattenSigma", flattenSigma},
        {"sigma1", sigma1},
        {"sigma2", sigma2},
        {"thresholdMode", toString(thresholdMode)},
        {"polarity", toString(polarity)},
        {"threshold", threshold},
        {"adaptiveK", adaptiveK},
        {"adaptiveBlock", adaptiveBlock},
        {"openRadius", openRadius},
        {"closeRadius", closeRadius},
        {"minArea", minArea},
        {"maxArea", maxArea},
        {"minLength", minLength},
        {"minElongation", minElongation},
        {"maxElongation", maxElongation},
        {"minContrast", minContrast},
        {"grindingAngle", grindingAngle},
        {"minAngle", minAngle},
        {"angleElongation", angleElongation},
        {"marginX", marginX},
        {"marginY", marginY},
        {"scoreThreshold", scoreThreshold},
    };
}

BaselineParams BaselineParams::fromJson(const nlohmann::json& j)
{
    if (!j.is_object())
        throw InvalidArgument("baseline parameters must be a JSON object of name: value");
    BaselineParams p;
    auto number = [](const std::string& key, const nlohmann::json& v) {
        if (!v.is_number()) bad(key, "must be a number, got " + v.dump());
        return v.get<double>();
    };
    auto integer = [](const std::string& key, const nlohmann::json& v) {
        if (!v.is_number()) bad(key, "must be a whole number, got " + v.dump());
        double d = v.get<double>();
        if (d != std::floor(d) || std::abs(d) > 1e6)
            bad(key, "must be a whole number, got " + v.dump());
        return int(d);
    };
    auto text = [](const std::string& key, const nlohmann::json& v) {
        if (!v.is_string()) bad(key, "must be a string, got " + v.dump());
        return v.get<std::string>();
    };
    for (const auto& [key, v] : j.items()) {
        if (key == "scale")
            p.scale = number(key, v);
        else if (key == "channel")
            p.channel = channelFromString(text(key, v));
        else if (key == "flattenSigma")
            p.flattenSigma = number(key, v);
        else if (key == "sigma1")
            p.sigma1 = number(key, v);
        else if (key == "sigma2")
            p.sigma2 = number(key, v);
        else if (key == "thresholdMode")
            p.thresholdMode = thresholdModeFromString(text(key, v));
        else if (key == "polarity")
            p.polarity = polarityFromString(text(key, v));
        else if (key == "threshold")
            p.threshold = number(key, v);
        else if (key == "adaptiveK")
            p.adaptiveK = number(key, v);
        else if (key == "adaptiveBlock")
            p.adaptiveBlock = number(key, v);
        else if (key == "openRadius")
            p.openRadius = integer(key, v);
        else if (key == "closeRadius")
            p.closeRadius = integer(key, v);
        else if (key == "minArea")
            p.minArea = number(key, v);
        else if (key == "maxArea")
            p.maxArea = number(key, v);
        else if (key == "minLength")
            p.minLength = number(key, v);
        else if (key == "minElongation")
            p.minElongation = number(key, v);
        else if (key == "maxElongation")
            p.maxElongation = number(key, v);
        else if (key == "minContrast")
            p.minContrast = number(key, v);
        else if (key == "grindingAngle")
            p.grindingAngle = number(key, v);
        else if (key == "minAngle")
            p.minAngle = number(key, v);
        else if (key == "angleElongation")
            p.angleElongation = number(key, v);
        else if (key == "marginX")
            p.marginX = number(key, v);
        else if (key == "marginY")
            p.marginY = number(key, v);
        else if (key == "scoreThreshold")
            p.scoreThreshold = number(key, v);
        else if (!key.empty() && key[0] == '_')
            continue; // comments, provenance
        else
            throw InvalidArgument("unknown baseline parameter '" + key +
                                  "' (see `kizu-cli baseline --help` for the list)");
    }
    p.validate();
    return p;
}

BaselineParams BaselineParams::load(const std::string& file)
{
    std::string text = readFile(file);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("baseline parameters " + file + " are not valid JSON: " + e.what());
    }
    try {
        return fromJson(j);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(file + ": " + e.what());
    }
}

void BaselineParams::save(const std::string& file) const
{
    validate();
    writeFileAtomic(file, toJson().dump(2) + "\n");
}

BlobFeatures extractBlobs(const cv::Mat& image, const BaselineParams& params, double preScaled,
                          BaselineResult* keep)
{
    if (image.empty()) throw InvalidArgument("baseline: the image is empty");
    if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
        throw InvalidArgument("baseline: the image must be 8-bit grey or BGR");
    if (!(preScaled > 0 && preScaled <= 1)) throw InvalidArgument("baseline: bad pre-scale");
    params.validate();
    Workspace& ws = workspace();

    BlobFeatures out;
    out.imageSize = cv::Size(int(std::lround(image.cols / preScaled)),
                             int(std::lround(image.rows / preScaled)));
    const double s = params.scale / preScaled;
    const cv::Mat* src = &image;
    if (std::abs(s - 1.0) > 1e-6) {
        cv::Size size(std::max(8, int(std::lround(image.cols * s))),
                      std::max(8, int(std::lround(image.rows * s))));
        cv::resize(image, ws.small, size, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        src = &ws.small;
    }
    const cv::Size procSize = src->size();
    // Full-resolution pixels per processing pixel.
    const double f = double(out.imageSize.width) / procSize.width;
    const double scale = 1.0 / f;

    if (src->channels() == 1) {
        src->convertTo(ws.plane, CV_32F);
    } else if (params.channel == Channel::Gray) {
        cv::cvtColor(*src, ws.u8, cv::COLOR_BGR2GRAY);
        ws.u8.convertTo(ws.plane, CV_32F);
    } else {
        int ch = params.channel == Channel::Blue ? 0 : params.channel == Channel::Green ? 1 : 2;
        cv::extractChannel(*src, ws.u8, ch);
        ws.u8.convertTo(ws.plane, CV_32F);
    }

    if (params.flattenSigma > 0) {
        blurFast(ws.plane, ws.bg, params.flattenSigma * scale, ws.bgSmall);
        ws.bg += 1.0;
        cv::divide(ws.plane, ws.bg, ws.plane, 128.0);
    }

    blurFast(ws.plane, ws.g1, std::max(0.1, params.sigma1 * scale), ws.bgSmall);
    blurFast(ws.plane, ws.g2, std::max(0.15, params.sigma2 * scale), ws.bgSmall);
    cv::subtract(ws.g1, ws.g2, ws.dog);
    switch (params.polarity) {
    case Polarity::Dark:
        cv::multiply(ws.dog, -1.0, ws.resp);
        break;
    case Polarity::Bright:
        ws.dog.copyTo(ws.resp);
        break;
    case Polarity::Both:
        ws.resp = cv::abs(ws.dog);
        break;
    }

    switch (params.thresholdMode) {
    case ThresholdMode::Fixed:
        cv::compare(ws.resp, params.threshold, ws.mask, cv::CMP_GT);
        break;
    case ThresholdMode::Otsu: {
        ws.resp.convertTo(ws.u8, CV_8U, 2.0); // half-grey-level resolution up to 127.5
        double level = cv::threshold(ws.u8, ws.tmp, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
        cv::compare(ws.resp, std::max(level / 2.0, params.threshold), ws.mask, cv::CMP_GT);
        break;
    }
    case ThresholdMode::Adaptive: {
        int block = std::max(3, int(std::lround(params.adaptiveBlock * scale)) | 1);
        cv::multiply(ws.resp, ws.resp, ws.tmp);
        cv::boxFilter(ws.tmp, ws.tmp, CV_32F, cv::Size(block, block), cv::Point(-1, -1), true,
                      cv::BORDER_REFLECT);
        cv::sqrt(ws.tmp, ws.tmp);
        ws.tmp *= params.adaptiveK;
        cv::max(ws.tmp, params.threshold, ws.tmp);
        cv::compare(ws.resp, ws.tmp, ws.mask, cv::CMP_GT);
        break;
    }
    }

    if (params.openRadius > 0) {
        auto k = cv::getStructuringElement(
            cv::MORPH_ELLIPSE, cv::Size(2 * params.openRadius + 1, 2 * params.openRadius + 1));
        cv::morphologyEx(ws.mask, ws.mask, cv::MORPH_OPEN, k);
    }
    if (params.closeRadius > 0) {
        auto k = cv::getStructuringElement(
            cv::MORPH_ELLIPSE, cv::Size(2 * params.closeRadius + 1, 2 * params.closeRadius + 1));
        cv::morphologyEx(ws.mask, ws.mask, cv::MORPH_CLOSE, k);
    }

    const int n =
        cv::connectedComponentsWithStats(ws.mask, ws.labels, ws.stats, ws.cents, 8, CV_32S);
    out.componentCount = std::max(0, n - 1);

    // One pass over the labels for the response sum and peak of every component.
    ws.sums.assign(std::size_t(n), 0.0);
    ws.peaks.assign(std::size_t(n), 0.f);
    for (int y = 0; y < procSize.height; ++y) {
        const int* lab = ws.labels.ptr<int>(y);
        const float* r = ws.resp.ptr<float>(y);
        for (int x = 0; x < procSize.width; ++x) {
            int l = lab[x];
            if (l == 0) continue;
            ws.sums[std::size_t(l)] += r[x];
            ws.peaks[std::size_t(l)] = std::max(ws.peaks[std::size_t(l)], r[x]);
        }
    }

    std::vector<int> order(std::size_t(std::max(0, n - 1)));
    std::iota(order.begin(), order.end(), 1);
    if (int(order.size()) > kMaxBlobs) {
        std::partial_sort(order.begin(), order.begin() + kMaxBlobs, order.end(), [&](int a, int b) {
            int aa = ws.stats.at<int>(a, cv::CC_STAT_AREA),
                ab = ws.stats.at<int>(b, cv::CC_STAT_AREA);
            return aa != ab ? aa > ab : a < b;
        });
        order.resize(kMaxBlobs);
        std::sort(order.begin(), order.end());
    }

    out.blobs.reserve(order.size());
    for (int l : order) {
        Blob b;
        b.label = l;
        const int* st = ws.stats.ptr<int>(l);
        const int areaPx = st[cv::CC_STAT_AREA];
        b.box = cv::Rect(st[cv::CC_STAT_LEFT], st[cv::CC_STAT_TOP], st[cv::CC_STAT_WIDTH],
                         st[cv::CC_STAT_HEIGHT]);
        b.area = areaPx * f * f;
        b.centroid = cv::Point2d((ws.cents.at<double>(l, 0) + 0.5) * f,
                                 (ws.cents.at<double>(l, 1) + 0.5) * f);
        b.contrast = ws.sums[std::size_t(l)] / std::max(1, areaPx);
        b.peak = ws.peaks[std::size_t(l)];

        cv::RotatedRect rr;
        if (areaPx == 1) {
            rr = cv::RotatedRect(cv::Point2f(float(b.box.x), float(b.box.y)), cv::Size2f(0, 0), 0);
        } else {
            cv::compare(ws.labels(b.box), l, ws.blobMask, cv::CMP_EQ);
            ws.contours.clear();
            cv::findContours(ws.blobMask, ws.contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE,
                             b.box.tl());
            ws.points.clear();
            for (const auto& c : ws.contours)
                ws.points.insert(ws.points.end(), c.begin(), c.end());
            rr = cv::minAreaRect(ws.points);
        }
        // Pixel extent: a one-pixel line is one pixel wide, not zero.
        double w = rr.size.width + 1.0, h = rr.size.height + 1.0;
        double axis = w >= h ? rr.angle : rr.angle + 90.0;
        b.length = std::max(w, h) * f;
        b.width = std::min(w, h) * f;
        b.elongation = b.length / b.width;
        b.angle = normAngle(axis - params.grindingAngle);
        b.rect = cv::RotatedRect(
            cv::Point2f(float((rr.center.x + 0.5) * f), float((rr.center.y + 0.5) * f)),
            cv::Size2f(float(w * f), float(h * f)), rr.angle);
        out.blobs.push_back(b);
    }

    if (keep) {
        keep->dog = ws.dog.clone();
        keep->response = ws.resp.clone();
        keep->mask = ws.mask.clone();
        keep->labels = ws.labels.clone();
        keep->processScale = scale;
    }
    return out;
}

namespace {

double blobMargin(const Blob& b, const BaselineParams& p)
{
    double m = kMaxMargin;
    auto atLeast = [&](double value, double limit) {
        if (limit > 0) m = std::min(m, value / limit);
    };
    auto atMost = [&](double value, double limit) {
        if (limit > 0) m = std::min(m, value > 0 ? limit / value : kMaxMargin);
    };
    atLeast(b.area, p.minArea);
    atMost(b.area, p.maxArea);
    atLeast(b.length, p.minLength);
    if (p.minElongation > 1) atLeast(b.elongation, p.minElongation);
    atMost(b.elongation, p.maxElongation);
    atLeast(b.contrast, p.minContrast);
    return std::clamp(m, 0.0, kMaxMargin);
}

bool blobIgnored(const Blob& b, cv::Size size, const BaselineParams& p)
{
    const double mx = p.marginX * size.width, my = p.marginY * size.height;
    if (b.centroid.x < mx || b.centroid.x > size.width - mx) return true;
    if (b.centroid.y < my || b.centroid.y > size.height - my) return true;
    if (p.minAngle > 0 && b.elongation >= p.angleElongation && std::abs(b.angle) < p.minAngle)
        return true;
    return false;
}

} // namespace

double scoreBlobs(const std::vector<Blob>& blobs, cv::Size imageSize, const BaselineParams& params)
{
    double best = 0;
    for (const auto& b : blobs)
        if (!blobIgnored(b, imageSize, params)) best = std::max(best, blobMargin(b, params));
    return best;
}

void applyRules(std::vector<Blob>& blobs, cv::Size imageSize, const BaselineParams& params,
                BaselineResult& out)
{
    out.score = 0;
    out.decidingBlob = -1;
    for (std::size_t i = 0; i < blobs.size(); ++i) {
        Blob& b = blobs[i];
        b.ignored = blobIgnored(b, imageSize, params);
        b.margin = blobMargin(b, params);
        b.defect = !b.ignored && b.margin >= params.scoreThreshold;
        if (!b.ignored && (out.decidingBlob < 0 || b.margin > out.score)) {
            out.score = b.margin;
            out.decidingBlob = int(i);
        }
    }
    out.ng = out.decidingBlob >= 0 && out.score >= params.scoreThreshold;
}

BaselineResult runBaseline(const cv::Mat& image, const BaselineParams& params, bool keepImages)
{
    BaselineResult r;
    BlobFeatures feats = extractBlobs(image, params, 1.0, keepImages ? &r : nullptr);
    r.componentCount = feats.componentCount;
    r.imageSize = feats.imageSize;
    r.processScale = double(params.scale);
    r.blobs = std::move(feats.blobs);
    applyRules(r.blobs, r.imageSize, params, r);
    return r;
}

cv::Mat renderOverlay(const cv::Mat& image, const BaselineResult& result,
                      const OverlayOptions& options)
{
    cv::Mat out;
    if (image.channels() == 1)
        cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
    else
        out = image.clone();
    if (out.empty()) return out;
    const cv::Size size = out.size();
    const double a = std::clamp(options.alpha, 0.0, 1.0);

    if (options.response && !result.response.empty()) {
        cv::Mat u8, heat;
        // Zero response is dark blue, 40 grey levels and more is red.
        result.response.convertTo(u8, CV_8U, 255.0 / 40.0);
        cv::resize(u8, u8, size, 0, 0, cv::INTER_LINEAR);
        cv::applyColorMap(u8, heat, cv::COLORMAP_JET);
        cv::addWeighted(out, 1.0 - a, heat, a, 0, out);
    }
    if (options.mask && !result.mask.empty()) {
        cv::Mat m;
        cv::resize(result.mask, m, size, 0, 0, cv::INTER_NEAREST);
        cv::Mat tint(size, CV_8UC3, cv::Scalar(0, 255, 255));
        cv::Mat blended;
        cv::addWeighted(out, 1.0 - a, tint, a, 0, blended);
        blended.copyTo(out, m);
    }
    if (options.blobs && !result.labels.empty()) {
        const double f = double(size.width) / result.labels.cols;
        const int thick = std::max(1, int(std::lround(size.width / 600.0)));
        cv::Mat bm;
        std::vector<std::vector<cv::Point>> contours;
        for (std::size_t i = 0; i < result.blobs.size(); ++i) {
            const Blob& b = result.blobs[i];
            bool deciding = int(i) == result.decidingBlob;
            if (!b.defect && !deciding) continue;
            cv::compare(result.labels(b.box), b.label, bm, cv::CMP_EQ);
            contours.clear();
            cv::findContours(bm, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE, b.box.tl());
            for (auto& c : contours)
                for (auto& p : c)
                    p = cv::Point(int((p.x + 0.5) * f), int((p.y + 0.5) * f));
            cv::drawContours(out, contours, -1,
                             b.defect ? cv::Scalar(0, 220, 0) : cv::Scalar(200, 200, 200), thick,
                             cv::LINE_AA);
        }
        if (result.decidingBlob >= 0) {
            const Blob& b = result.blobs[std::size_t(result.decidingBlob)];
            cv::Point2f pts[4];
            cv::RotatedRect r = b.rect;
            r.size.width += 6.f;
            r.size.height += 6.f;
            r.points(pts);
            for (int k = 0; k < 4; ++k)
                cv::line(out, pts[k], pts[(k + 1) % 4],
                         result.ng ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 160, 255), thick + 1,
                         cv::LINE_AA);
        }
    }
    return out;
}

} // namespace kizu::baseline
