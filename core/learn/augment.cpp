// RandAugment ops after timm's auto_augment.py ("inc1" increasing-severity variants), written
// with OpenCV on BGR 8-bit images. Geometric ops follow PIL's inverse-mapping conventions and
// fill with timm's ImageNet-mean grey. One deliberate difference from timm: PosterizeIncreasing
// keeps 8 - 4*m/10 bits (torchvision's 8..4 range) instead of timm's 4..0, so that magnitude 0
// is the identity like every other op with a magnitude, and magnitude 9 does not blank the image.
#include "core/learn/augment.h"

#include "core/common/error.h"
#include "core/learn/dataset.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace kizu::learn {
namespace {

constexpr double kLevelDenom = 10.0;
const cv::Scalar kFill(104, 116, 124); // timm's fill (124, 116, 104) RGB, as BGR

std::uint64_t splitmix(std::uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Small deterministic generator; std distributions differ between standard libraries.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() { return s = splitmix(s); }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    int below(int n) { return int(next() % std::uint64_t(n)); }
    double gauss(double mean, double sd)
    {
        double u1 = std::max(uniform(), 1e-300), u2 = uniform();
        return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
};

// One RandAugment op as drawn, whether or not it is applied; every caller draws the same way.
struct DrawnOp {
    AugOp op;
    double magnitude;
    bool negate;
};

// timm's RandAugment draws: numOps ops, each applied with opProbability. Returns those applied.
std::vector<DrawnOp> drawOps(Rng& rng, const AugmentConfig& cfg)
{
    std::vector<DrawnOp> applied;
    if (!cfg.randAugment) return applied;
    const auto& ops = randAugmentOps();
    for (int k = 0; k < cfg.numOps; ++k) {
        const AugOp op = ops[std::size_t(rng.below(int(ops.size())))];
        const double apply = rng.uniform();
        double m = cfg.magnitude;
        if (cfg.magnitudeStd > 0) m = rng.gauss(cfg.magnitude, cfg.magnitudeStd);
        m = std::clamp(m, 0.0, kLevelDenom);
        const bool negate = rng.uniform() < 0.5;
        if (apply < cfg.opProbability) applied.push_back({op, m, negate});
    }
    return applied;
}

int interpolationFor(cv::Size from, cv::Size to)
{
    return to.width <= from.width && to.height <= from.height ? cv::INTER_AREA : cv::INTER_LINEAR;
}

cv::Mat blend(const cv::Mat& degenerate, const cv::Mat& img, double factor)
{
    cv::Mat out;
    cv::addWeighted(img, factor, degenerate, 1.0 - factor, 0.0, out);
    return out;
}

bool isGeometric(AugOp op)
{
    return op == AugOp::Rotate || op == AugOp::ShearX || op == AugOp::ShearY ||
           op == AugOp::TranslateXRel || op == AugOp::TranslateYRel;
}

// The 2x3 matrix of a geometric op on an image of `size`, and the warpAffine flag that says how
// to read it; false when the op is the identity at this level. PIL's Image.transform(AFFINE,
// (a,b,c,d,e,f)) maps output (x,y) to input (ax+by+c, dx+ey+f): an inverse map.
bool geometricWarp(AugOp op, double level, double sign, cv::Size size, cv::Mat& m, int& mapFlag)
{
    mapFlag = cv::WARP_INVERSE_MAP;
    auto inverse = [&](double a, double b, double c, double d, double e, double f) {
        m = (cv::Mat_<double>(2, 3) << a, b, c, d, e, f);
        return true;
    };
    switch (op) {
    case AugOp::Rotate: {
        const double deg = sign * level * 30.0;
        if (deg == 0.0) return false;
        cv::Point2f center(float(size.width) / 2.0f, float(size.height) / 2.0f);
        m = cv::getRotationMatrix2D(center, deg, 1.0);
        mapFlag = 0;
        return true;
    }
    case AugOp::ShearX: {
        const double s = sign * level * 0.3;
        return s != 0.0 && inverse(1, s, 0, 0, 1, 0);
    }
    case AugOp::ShearY: {
        const double s = sign * level * 0.3;
        return s != 0.0 && inverse(1, 0, 0, s, 1, 0);
    }
    case AugOp::TranslateXRel: {
        const double px = sign * level * 0.45 * size.width;
        return px != 0.0 && inverse(1, 0, px, 0, 1, 0);
    }
    case AugOp::TranslateYRel: {
        const double px = sign * level * 0.45 * size.height;
        return px != 0.0 && inverse(1, 0, 0, 0, 1, px);
    }
    default:
        return false;
    }
}

cv::Mat perChannel(const cv::Mat& img, const std::function<void(cv::Mat&)>& fn)
{
    std::vector<cv::Mat> ch;
    cv::split(img, ch);
    for (auto& c : ch)
        fn(c);
    cv::Mat out;
    cv::merge(ch, out);
    return out;
}

cv::Mat lut(const cv::Mat& img, const std::function<int(int)>& fn)
{
    cv::Mat table(1, 256, CV_8U);
    for (int i = 0; i < 256; ++i)
        table.at<unsigned char>(i) = cv::saturate_cast<unsigned char>(fn(i));
    cv::Mat out;
    cv::LUT(img, table, out);
    return out;
}

} // namespace

std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b)
{
    return splitmix(splitmix(a) + b);
}

std::string toString(AugOp op)
{
    static const char* names[] = {"AutoContrast",
                                  "Equalize",
                                  "Invert",
                                  "Rotate",
                                  "PosterizeIncreasing",
                                  "SolarizeIncreasing",
                                  "SolarizeAdd",
                                  "ColorIncreasing",
                                  "ContrastIncreasing",
                                  "BrightnessIncreasing",
                                  "SharpnessIncreasing",
                                  "ShearX",
                                  "ShearY",
                                  "TranslateXRel",
                                  "TranslateYRel"};
    return names[int(op)];
}

const std::vector<AugOp>& randAugmentOps()
{
    static const std::vector<AugOp> ops{AugOp::AutoContrast,
                                        AugOp::Equalize,
                                        AugOp::Invert,
                                        AugOp::Rotate,
                                        AugOp::PosterizeIncreasing,
                                        AugOp::SolarizeIncreasing,
                                        AugOp::SolarizeAdd,
                                        AugOp::ColorIncreasing,
                                        AugOp::ContrastIncreasing,
                                        AugOp::BrightnessIncreasing,
                                        AugOp::SharpnessIncreasing,
                                        AugOp::ShearX,
                                        AugOp::ShearY,
                                        AugOp::TranslateXRel,
                                        AugOp::TranslateYRel};
    return ops;
}

bool hasMagnitude(AugOp op)
{
    return op != AugOp::AutoContrast && op != AugOp::Equalize && op != AugOp::Invert;
}

cv::Mat applyOp(const cv::Mat& img, AugOp op, double magnitude, bool negate)
{
    if (img.empty() || img.type() != CV_8UC3)
        throw InvalidArgument("Augmentation needs a BGR 8-bit image.");
    const double level = std::clamp(magnitude, 0.0, kLevelDenom) / kLevelDenom;
    const double sign = negate ? -1.0 : 1.0;
    switch (op) {
    case AugOp::AutoContrast:
        return perChannel(img, [](cv::Mat& c) {
            double lo, hi;
            cv::minMaxLoc(c, &lo, &hi);
            if (hi > lo) c.convertTo(c, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
        });
    case AugOp::Equalize:
        return perChannel(img, [](cv::Mat& c) { cv::equalizeHist(c, c); });
    case AugOp::Invert: {
        cv::Mat out;
        cv::bitwise_not(img, out);
        return out;
    }
    case AugOp::Rotate:
    case AugOp::ShearX:
    case AugOp::ShearY:
    case AugOp::TranslateXRel:
    case AugOp::TranslateYRel: {
        cv::Mat m;
        int mapFlag = 0;
        if (!geometricWarp(op, level, sign, img.size(), m, mapFlag)) return img.clone();
        cv::Mat out;
        cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR | mapFlag, cv::BORDER_CONSTANT,
                       kFill);
        return out;
    }
    case AugOp::PosterizeIncreasing: {
        const int bits = 8 - int(level * 4);
        if (bits >= 8) return img.clone();
        const int mask = ~((1 << (8 - bits)) - 1) & 0xFF;
        return lut(img, [mask](int v) { return v & mask; });
    }
    case AugOp::SolarizeIncreasing: {
        const int thresh = 256 - int(level * 256);
        return lut(img, [thresh](int v) { return v >= thresh ? 255 - v : v; });
    }
    case AugOp::SolarizeAdd: {
        const int add = int(level * 110);
        return lut(img, [add](int v) { return v < 128 ? std::min(255, v + add) : v; });
    }
    case AugOp::ColorIncreasing:
    case AugOp::ContrastIncreasing:
    case AugOp::BrightnessIncreasing:
    case AugOp::SharpnessIncreasing: {
        const double factor = 1.0 + sign * level * 0.9;
        if (factor == 1.0) return img.clone();
        cv::Mat degenerate;
        if (op == AugOp::ColorIncreasing) {
            cv::Mat gray;
            cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
            cv::cvtColor(gray, degenerate, cv::COLOR_GRAY2BGR);
        } else if (op == AugOp::ContrastIncreasing) {
            cv::Mat gray;
            cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
            const double mean = std::floor(cv::mean(gray)[0] + 0.5);
            degenerate = cv::Mat(img.size(), img.type(), cv::Scalar::all(mean));
        } else if (op == AugOp::BrightnessIncreasing) {
            degenerate = cv::Mat::zeros(img.size(), img.type());
        } else {
            // PIL's SMOOTH kernel; PIL keeps the border pixels of the original.
            cv::Mat k = (cv::Mat_<float>(3, 3) << 1, 1, 1, 1, 5, 1, 1, 1, 1) / 13.0f;
            cv::filter2D(img, degenerate, -1, k, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
            if (img.rows > 2 && img.cols > 2) {
                img.row(0).copyTo(degenerate.row(0));
                img.row(img.rows - 1).copyTo(degenerate.row(img.rows - 1));
                img.col(0).copyTo(degenerate.col(0));
                img.col(img.cols - 1).copyTo(degenerate.col(img.cols - 1));
            }
        }
        return blend(degenerate, img, factor);
    }
    }
    return img.clone();
}

cv::Mat augment(const cv::Mat& input, int outSize, const AugmentConfig& cfg, std::uint64_t seed)
{
    if (input.empty()) throw InvalidArgument("Augmentation got an empty image.");
    if (outSize < 1) throw InvalidArgument("Augmentation output size must be positive.");
    cv::Mat img = input;
    if (img.type() == CV_8UC1) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);
    if (img.type() == CV_8UC4) cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
    if (img.type() != CV_8UC3) throw InvalidArgument("Augmentation needs an 8-bit image.");
    Rng rng{seed};

    cv::Rect roi(0, 0, img.cols, img.rows);
    if (cfg.randomResizedCrop) {
        // torchvision's RandomResizedCrop.get_params: 10 tries, then a centre crop.
        const double area = double(img.cols) * img.rows;
        bool found = false;
        for (int attempt = 0; attempt < 10 && !found; ++attempt) {
            const double target = area * rng.uniform(cfg.cropScaleMin, cfg.cropScaleMax);
            const double ratio =
                std::exp(rng.uniform(std::log(cfg.cropRatioMin), std::log(cfg.cropRatioMax)));
            const int w = int(std::lround(std::sqrt(target * ratio)));
            const int h = int(std::lround(std::sqrt(target / ratio)));
            if (w > 0 && h > 0 && w <= img.cols && h <= img.rows) {
                roi = cv::Rect(rng.below(img.cols - w + 1), rng.below(img.rows - h + 1), w, h);
                found = true;
            }
        }
        if (!found) {
            const int s = std::min(img.cols, img.rows);
            roi = cv::Rect((img.cols - s) / 2, (img.rows - s) / 2, s, s);
        }
    }
    cv::Mat out;
    const cv::Mat crop = img(roi);
    const bool shrink = crop.cols > outSize && crop.rows > outSize;
    if (crop.cols == outSize && crop.rows == outSize)
        out = crop.clone();
    else
        cv::resize(crop, out, cv::Size(outSize, outSize), 0, 0,
                   shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (cfg.hflip && rng.uniform() < 0.5) cv::flip(out, out, 1);
    if (cfg.vflip && rng.uniform() < 0.5) cv::flip(out, out, 0);
    for (const DrawnOp& d : drawOps(rng, cfg))
        out = applyOp(out, d.op, d.magnitude, d.negate);
    return out;
}

cv::Size canvasFor(cv::Size image, int longSide)
{
    if (image.width < 1 || image.height < 1)
        throw InvalidArgument("The canvas size needs an image size that is not empty.");
    if (longSide < 1) throw InvalidArgument("The canvas's long side must be positive.");
    const double scale = double(longSide) / std::max(image.width, image.height);
    auto side = [scale](int n) { return std::max(32, int(std::lround(n * scale / 16.0)) * 16); };
    return {side(image.width), side(image.height)};
}

cv::Mat resizeToCanvas(const cv::Mat& image, int longSide)
{
    if (image.empty()) throw InvalidArgument("Resizing to the canvas got an empty image.");
    const cv::Size size = canvasFor(image.size(), longSide);
    if (size == image.size()) return image.clone();
    cv::Mat out;
    cv::resize(image, out, size, 0, 0, interpolationFor(image.size(), size));
    return out;
}

cv::Mat resizeMask(const cv::Mat& mask, cv::Size size)
{
    if (mask.empty() || mask.type() != CV_8UC1)
        throw InvalidArgument("A defect mask must be a single-channel 8-bit image.");
    if (size.width < 1 || size.height < 1)
        throw InvalidArgument("A defect mask cannot be resized to an empty size.");
    // In float, so that one defect pixel among many stays above zero at any shrink factor.
    cv::Mat f, out;
    cv::Mat(mask > 0).convertTo(f, CV_32F, 1.0 / 255.0);
    if (size != mask.size()) cv::resize(f, f, size, 0, 0, cv::INTER_AREA);
    out = f > 0;
    return out;
}

MaskedSample augmentCanvas(const cv::Mat& input, const cv::Mat& inputMask, int label,
                           cv::Size canvas, const AugmentConfig& cfg, std::uint64_t seed)
{
    if (input.empty()) throw InvalidArgument("Augmentation got an empty image.");
    cv::Mat img = input;
    if (img.type() == CV_8UC1) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);
    if (img.type() == CV_8UC4) cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
    if (img.type() != CV_8UC3) throw InvalidArgument("Augmentation needs an 8-bit image.");
    if (!inputMask.empty() && (inputMask.type() != CV_8UC1 || inputMask.size() != img.size()))
        throw InvalidArgument("A defect mask must be a single-channel 8-bit image of its photo's "
                              "size.");
    if (canvas.width < 16 || canvas.height < 16)
        throw InvalidArgument("The training canvas must be at least 16x16 pixels.");
    if (label != kOk && label != kNg) throw InvalidArgument("A sample's label must be OK or NG.");
    if (!(cfg.zoomMin > 0.0) || !(cfg.zoomMax >= cfg.zoomMin))
        throw InvalidArgument("The zoom range must be positive and not reversed.");

    const bool hasMask = !inputMask.empty();
    const bool unknownDefect = label == kNg && !hasMask; // a real NG photo
    MaskedSample out;
    out.label = label;
    out.maskKnown = hasMask || label == kOk;
    Rng rng{seed};

    // Scale: cover the canvas, zoomed; a real NG is fitted instead when covering would crop
    // more than it may lose.
    const double rx = double(canvas.width) / img.cols, ry = double(canvas.height) / img.rows;
    const double zoomDraw = rng.uniform();
    double zoom = 1.0;
    if (cfg.randomResizedCrop && !unknownDefect)
        zoom = cfg.zoomMax == cfg.zoomMin
                   ? cfg.zoomMin
                   : std::exp(std::log(cfg.zoomMin) +
                              zoomDraw * (std::log(cfg.zoomMax) - std::log(cfg.zoomMin)));
    bool fit = false;
    double scale = std::max(rx, ry) * zoom;
    if (unknownDefect) {
        const double loss = 1.0 - std::min(rx, ry) / std::max(rx, ry);
        if (loss > cfg.ngSafeCropLoss) {
            fit = true;
            scale = std::min(rx, ry);
        }
    }
    cv::Size scaled(int(std::lround(img.cols * scale)), int(std::lround(img.rows * scale)));
    if (fit)
        scaled = {std::clamp(scaled.width, 1, canvas.width),
                  std::clamp(scaled.height, 1, canvas.height)};
    else
        scaled = {std::max(scaled.width, canvas.width), std::max(scaled.height, canvas.height)};
    cv::Mat image = img, mask;
    if (scaled != img.size())
        cv::resize(img, image, scaled, 0, 0, interpolationFor(img.size(), scaled));
    if (hasMask) mask = resizeMask(inputMask, scaled);

    // Position: the crop (or, when fitted, the padding) at a random place; a known defect stays
    // inside the crop when it fits.
    const int slackX = std::abs(canvas.width - scaled.width);
    const int slackY = std::abs(canvas.height - scaled.height);
    const std::uint64_t drawX = rng.next(), drawY = rng.next();
    auto pick = [](std::uint64_t draw, int lo, int hi) {
        return lo + int(draw % std::uint64_t(hi - lo + 1));
    };
    if (fit) {
        const int left = pick(drawX, 0, slackX), top = pick(drawY, 0, slackY);
        // Into a new Mat: with no padding, image may still share the caller's pixels.
        cv::Mat padded;
        cv::copyMakeBorder(image, padded, top, slackY - top, left, slackX - left,
                           cv::BORDER_REFLECT_101);
        image = padded;
    } else {
        int x = pick(drawX, 0, slackX), y = pick(drawY, 0, slackY);
        if (hasMask && cv::countNonZero(mask) > 0) {
            const cv::Rect box = cv::boundingRect(mask);
            auto place = [&pick](std::uint64_t draw, int begin, int length, int window, int slack) {
                if (length > window) return std::clamp(begin + length / 2 - window / 2, 0, slack);
                return pick(draw, std::max(0, begin + length - window), std::min(slack, begin));
            };
            x = place(drawX, box.x, box.width, canvas.width, slackX);
            y = place(drawY, box.y, box.height, canvas.height, slackY);
        }
        const cv::Rect crop(x, y, canvas.width, canvas.height);
        image = image(crop).clone();
        if (hasMask) mask = mask(crop).clone();
    }

    auto flip = [&](int code) {
        cv::flip(image, image, code);
        if (hasMask) cv::flip(mask, mask, code);
    };
    if (cfg.hflip && rng.uniform() < 0.5) flip(1);
    if (cfg.vflip && rng.uniform() < 0.5) flip(0);

    for (const DrawnOp& d : drawOps(rng, cfg)) {
        if (!isGeometric(d.op)) {
            image = applyOp(image, d.op, d.magnitude, d.negate);
            continue;
        }
        if (unknownDefect) continue;
        image = applyOp(image, d.op, d.magnitude, d.negate);
        if (!hasMask) continue;
        // Bilinear, then any trace of defect counts: wherever the warped image shows some of
        // the defect, so does the mask (nearest neighbour could drop a thin defect).
        cv::Mat m;
        int mapFlag = 0;
        const double level = std::clamp(d.magnitude, 0.0, kLevelDenom) / kLevelDenom;
        if (geometricWarp(d.op, level, d.negate ? -1.0 : 1.0, mask.size(), m, mapFlag)) {
            cv::Mat warped;
            cv::warpAffine(mask, warped, m, mask.size(), cv::INTER_LINEAR | mapFlag,
                           cv::BORDER_CONSTANT, cv::Scalar(0));
            mask = warped > 0;
        }
    }

    out.image = image;
    if (hasMask) {
        out.mask = mask;
        if (label == kNg) out.label = cv::countNonZero(mask) > 0 ? kNg : kOk;
    } else {
        out.mask = cv::Mat::zeros(canvas, CV_8UC1);
    }
    return out;
}

} // namespace kizu::learn
