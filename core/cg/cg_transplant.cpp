// CG defects on real photos: render the defect's shading change on a flat CG patch (with and
// without the defect, same lights, material and camera) and apply it to the photo in linear
// light. See cg_transplant.h.
#include "core/cg/cg_transplant.h"

#include "core/cg/internal/random.h"
#include "core/cg/internal/scene.h"
#include "core/common/error.h"
#include "core/imaging/surface_orientation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include <opencv2/imgproc.hpp>

namespace kizu::cg {
using namespace detail;

namespace {

// Purposes of the transplant's own random streams (beside the scene's).
constexpr std::uint64_t kPlacement = 101;
constexpr std::uint64_t kNoise = 102;

// The largest side, in px, at which the defect's patch is rendered (normally 1:1 with the
// photo); a larger footprint in the photo is rendered at this size and scaled up.
constexpr int kMaxRenderPx = 384;
constexpr int kMinRenderPx = 48;
// The share of a CG highlight (a shading ratio above 1) that is applied to the photo.
constexpr float kHighlightGain = 0.35f;
// Smallest defect patch in the photo, px: below it a defect is not worth drawing.
constexpr int kMinPatchPx = 8;

std::uint64_t hashPixels(const cv::Mat& photo)
{
    std::uint64_t h = hashCombine(std::uint64_t(photo.rows) << 32 | std::uint64_t(photo.cols),
                                  std::uint64_t(photo.type()));
    const std::size_t rowBytes = photo.cols * photo.elemSize();
    for (int y = 0; y < photo.rows; ++y) {
        const std::uint8_t* p = photo.ptr<std::uint8_t>(y);
        std::size_t i = 0;
        std::uint64_t acc = 0;
        for (; i + 8 <= rowBytes; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            acc = (acc ^ w) * 0x100000001B3ull + 0x9E3779B97F4A7C15ull;
            acc ^= acc >> 29;
        }
        for (; i < rowBytes; ++i)
            acc = (acc ^ p[i]) * 0x100000001B3ull;
        h = hashCombine(h, acc);
    }
    return h;
}

// The allowed region as a mask of the photo's size: options.roi, else options.region's mask,
// else empty (the whole photo).
cv::Mat regionMask(const cv::Mat& photo, const TransplantOptions& options)
{
    if (!options.roi.empty() || !options.region || options.region->empty()) return options.roi;
    return options.region->mask(photo.size());
}

void checkPhoto(const cv::Mat& photo, const TransplantOptions& options)
{
    if (photo.empty()) throw InvalidArgument("CG transplant: the photo is empty.");
    if (photo.depth() != CV_8U)
        throw InvalidArgument("CG transplant: the photo must be 8-bit (grey, BGR or BGRA).");
    if (photo.channels() != 1 && photo.channels() != 3 && photo.channels() != 4)
        throw InvalidArgument("CG transplant: the photo must have 1, 3 or 4 channels, not " +
                              std::to_string(photo.channels()) + ".");
    if (!options.roi.empty() &&
        (options.roi.size() != photo.size() || options.roi.type() != CV_8UC1))
        throw InvalidArgument("CG transplant: the region of interest must be an 8-bit mask of "
                              "the photo's size (" +
                              std::to_string(photo.cols) + "x" + std::to_string(photo.rows) +
                              ").");
    if (options.defectScale <= 0 || !std::isfinite(options.defectScale))
        throw InvalidArgument("CG transplant: the defect scale must be positive.");
    if (options.pxPerMm && (!(*options.pxPerMm > 0) || !std::isfinite(*options.pxPerMm)))
        throw InvalidArgument("CG transplant: px per mm must be positive.");
}

cv::Mat toGrey(const cv::Mat& photo)
{
    cv::Mat grey;
    if (photo.channels() == 1)
        grey = photo;
    else
        cv::cvtColor(photo, grey, photo.channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
    return grey;
}

// Immerkaer's fast noise estimate (a Laplacian-difference kernel that cancels smooth image
// content), over the region where `roi` allows; 8-bit grey levels.
double estimateNoise(const cv::Mat& grey, const cv::Mat& roi)
{
    if (grey.rows < 3 || grey.cols < 3) return 0;
    const cv::Matx33f k(1, -2, 1, -2, 4, -2, 1, -2, 1);
    cv::Mat r;
    cv::filter2D(grey, r, CV_32F, k);
    double sum = 0;
    std::int64_t count = 0;
    for (int y = 1; y < grey.rows - 1; ++y) {
        const float* row = r.ptr<float>(y);
        const std::uint8_t* m = roi.empty() ? nullptr : roi.ptr<std::uint8_t>(y);
        for (int x = 1; x < grey.cols - 1; ++x) {
            if (m && !m[x]) continue;
            sum += std::abs(row[x]);
            ++count;
        }
    }
    if (!count) return 0;
    return std::sqrt(kPi / 2) * sum / (6.0 * double(count));
}

const std::array<float, 256>& srgbToLinear()
{
    static const std::array<float, 256> lut = [] {
        std::array<float, 256> t{};
        for (int i = 0; i < 256; ++i) {
            const double c = i / 255.0;
            t[std::size_t(i)] =
                float(c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4));
        }
        return t;
    }();
    return lut;
}

float linearToSrgb(float v)
{
    v = std::clamp(v, 0.f, 1.f);
    const float c = v <= 0.0031308f ? v * 12.92f : 1.055f * std::pow(v, 1 / 2.4f) - 0.055f;
    return c * 255.f;
}

// The largest extent, mm, of a defect of the enabled kinds at the top of their ranges.
double maxDefectExtentMm(const CgParams& p)
{
    double e = 0.1;
    if (p.scratch.probability > 0) e = std::max(e, p.scratch.lengthMm.max);
    if (p.pit.probability > 0)
        e = std::max(e, 2 * p.pit.clusterSpreadMm.max + 2 * p.pit.radiusUm.max / 1000.0);
    if (p.dent.probability > 0) e = std::max(e, 2 * p.dent.radiusUm.max / 1000.0);
    if (p.crack.probability > 0) e = std::max(e, p.crack.lengthMm.max);
    return e;
}

// The defect of one transplant rendered on a flat patch: the shading ratio (NG / OK, linear
// luminance), the depth (um, >= 0), the reflectance lost and the mask, all renderPx square.
struct Patch {
    cv::Mat ratio, depth, mask;
    nlohmann::json sampled;
};

Patch renderPatch(const CgParams& base, std::uint64_t sceneSeed, std::uint64_t index,
                  double grindAngleDeg, double patchMm, int renderPx)
{
    CgParams p = base;
    p.camera.imageSize = renderPx;
    p.camera.oversample = 1;
    p.camera.fieldOfViewMm = {patchMm, patchMm};
    p.camera.tiltDeg = {0, 0};
    // The patch's grinding direction is the photo's; the CG convention is the same (deg from
    // +x, y down), and a direction and its opposite are the same marks.
    p.geometry.grindAngleDeg = {grindAngleDeg, grindAngleDeg};
    const Scene s = sampleScene(p, sceneSeed, index);

    const cv::Mat flat(s.n, s.n, CV_32F, cv::Scalar(0));
    Carving c{cv::Mat(), cv::Mat(), cv::Mat()};
    nlohmann::json defects;
    for (int attempt = 0;; ++attempt) {
        c = Carving{flat.clone(), cv::Mat(s.n, s.n, CV_8U, cv::Scalar(0)), cv::Mat()};
        Rng rng(sceneSeed, index, kDefects + 1000 * std::uint64_t(attempt));
        defects = cutDefects(s, p, rng, c);
        if (cv::countNonZero(c.mask) > 0) break;
        if (attempt >= 15)
            throw Error("CG transplant: no visible defect could be placed on photo patch " +
                        std::to_string(index) +
                        ". Make the defects larger or deeper (depthUm, widthUm, radiusUm).");
    }
    // Only the square around the defect (and its shading halo) is shaded: the cost follows the
    // defect's size, not the patch's. With a straight camera far away the view barely changes
    // across the patch, so a crop shades as it would in place.
    const cv::Rect bbox = cv::boundingRect(c.mask);
    const int margin = std::max(4, std::max(bbox.width, bbox.height) / 6);
    const int side = std::min(s.n, std::max(bbox.width, bbox.height) + 2 * margin);
    const int cx = std::clamp(bbox.x + bbox.width / 2 - side / 2, 0, s.n - side);
    const int cy = std::clamp(bbox.y + bbox.height / 2 - side / 2, 0, s.n - side);
    const cv::Rect crop(cx, cy, side, side);
    const cv::Mat height = c.height(crop).clone();
    const cv::Mat dark = c.dark.empty() ? cv::Mat() : c.dark(crop).clone();
    const cv::Mat flatCrop(side, side, CV_32F, cv::Scalar(0));
    // shade() returns a view of a per-thread buffer: the first result is copied out.
    const cv::Mat ok = shade(s, sceneSeed, index, flatCrop, cv::Mat()).clone();
    const cv::Mat ng = shade(s, sceneSeed, index, height, dark);
    Patch out;
    out.ratio.create(side, side, CV_32F);
    for (int y = 0; y < side; ++y) {
        const cv::Vec3f* a = ok.ptr<cv::Vec3f>(y);
        const cv::Vec3f* b = ng.ptr<cv::Vec3f>(y);
        float* r = out.ratio.ptr<float>(y);
        for (int x = 0; x < side; ++x) {
            const float la = 0.0722f * a[x][2] + 0.7152f * a[x][1] + 0.2126f * a[x][0];
            const float lb = 0.0722f * b[x][2] + 0.7152f * b[x][1] + 0.2126f * b[x][0];
            const float q = la > 1e-6f ? std::clamp(lb / la, 0.02f, 4.f) : 1.f;
            // Darkening (occlusion, shadowed walls, corrosion) carries over to the photo as
            // rendered; highlights only in part: where the CG lights put a glint, the photo's
            // own lights may not, and a bright speck on a dark flank looks pasted.
            r[x] = q <= 1 ? q : 1 + kHighlightGain * (q - 1);
        }
    }
    cv::subtract(cv::Scalar(0), height, out.depth);
    out.mask = c.mask(crop).clone();
    out.sampled = sceneJson(s);
    out.sampled["defects"] = defects;
    out.sampled["patchCropPx"] = {cx, cy, side, side};
    return out;
}

} // namespace

double estimatePxPerMm(double markPeriodPx, int photoWidth)
{
    if (markPeriodPx >= 2 && markPeriodPx <= kMaxMarkPeriodPx && std::isfinite(markPeriodPx))
        return std::clamp(markPeriodPx / kTypicalMarkPeriodMm, kMinPxPerMm, kMaxPxPerMm);
    return std::clamp(std::max(1, photoWidth) / kDefaultFieldOfViewMm, kMinPxPerMm, kMaxPxPerMm);
}

PhotoAnalysis analyzePhoto(const cv::Mat& photo, const TransplantOptions& options)
{
    checkPhoto(photo, options);
    PhotoAnalysis a;
    a.hash = hashPixels(photo);
    const cv::Mat roi = regionMask(photo, options);
    const auto o = imaging::estimateSurfaceOrientation(photo, roi);
    a.grindAngleDeg = options.grindAngleDeg ? *options.grindAngleDeg : o.angleDeg;
    a.coherence = o.coherence;
    a.markPeriodPx = o.periodPx;
    a.pxPerMmEstimated = !options.pxPerMm;
    a.pxPerMm = options.pxPerMm ? *options.pxPerMm : estimatePxPerMm(o.periodPx, photo.cols);
    a.noiseSigma = estimateNoise(toGrey(photo), roi);
    return a;
}

TransplantResult transplantDefect(const cv::Mat& photo, const CgParams& params,
                                  std::uint64_t seed, std::uint64_t index,
                                  const TransplantOptions& options,
                                  const std::optional<PhotoAnalysis>& given)
{
    checkPhoto(photo, options);
    validate(params);
    if (photo.cols < 8 || photo.rows < 8)
        throw InvalidArgument("CG transplant: the photo is " + std::to_string(photo.cols) + "x" +
                              std::to_string(photo.rows) +
                              " px; at least 8x8 px are needed to place a defect.");
    const PhotoAnalysis a = given ? *given : analyzePhoto(photo, options);
    const std::uint64_t sceneSeed = hashCombine(seed, a.hash);

    // The room a defect may use: the photo, less what the region of interest excludes.
    const cv::Mat roi = regionMask(photo, options);
    cv::Mat allowed;
    if (!roi.empty()) allowed = roi != 0;

    // The patch's size in the photo: the largest defect of these parameters at the photo's
    // scale, with a margin; smaller (a smaller defect) when the photo has no room for it.
    const double extentMm = maxDefectExtentMm(params);
    const double patchMm = 1.4 * extentMm;
    const double fullPx = patchMm * a.pxPerMm * options.defectScale; // patch side in photo px
    const int renderPx = std::clamp(int(std::ceil(fullPx)), kMinRenderPx, kMaxRenderPx);
    const Patch patch = renderPatch(params, sceneSeed, index, a.grindAngleDeg, patchMm, renderPx);

    // The patch comes back cropped to the defect and its shading halo, with a margin.
    const cv::Rect crop(0, 0, patch.ratio.cols, patch.ratio.rows);
    double scale = fullPx / renderPx; // photo px per patch px
    const double naturalScale = scale;
    Rng place(sceneSeed, index, kPlacement);
    for (int tryScale = 0; tryScale < 8; ++tryScale) {
        // Too large for the photo: a smaller defect.
        const double fit = std::min(double(photo.cols) / (crop.width * scale),
                                    double(photo.rows) / (crop.height * scale));
        if (fit < 1) scale *= fit;
        const cv::Size fsize(std::max(1, int(std::floor(crop.width * scale))),
                             std::max(1, int(std::floor(crop.height * scale))));
        if (fsize.width < kMinPatchPx / 2 || fsize.height < kMinPatchPx / 2) break;
        cv::Mat ratio, depth, mask;
        const int interp = scale >= 1 ? cv::INTER_LINEAR : cv::INTER_AREA;
        cv::resize(patch.ratio(crop), ratio, fsize, 0, 0, interp);
        cv::resize(patch.depth(crop), depth, fsize, 0, 0, interp);
        cv::resize(patch.mask(crop), mask, fsize, 0, 0, interp);
        cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
        if (cv::countNonZero(mask) == 0) {
            // Too small to show at this size: the room allows no visible defect.
            break;
        }
        // Feathering: full strength on the defect dilated by a few px, then a smooth fall-off
        // that reaches zero before the crop's edge.
        const int feather = std::clamp(std::max(fsize.width, fsize.height) / 32, 1, 5);
        cv::Mat core;
        cv::dilate(mask, core,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                             cv::Size(2 * feather + 1, 2 * feather + 1)));
        cv::Mat support = core | (cv::abs(ratio - 1.0) > 0.01);
        cv::Mat alpha, coreF;
        support.convertTo(alpha, CV_32F, 1.0 / 255);
        cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), feather);
        core.convertTo(coreF, CV_32F, 1.0 / 255);
        cv::max(alpha, coreF, alpha); // the defect itself at full strength
        for (int y = 0; y < fsize.height; ++y) {
            float* row = alpha.ptr<float>(y);
            const float wy =
                std::min(1.f, std::min(y, fsize.height - 1 - y) / float(feather + 1));
            for (int x = 0; x < fsize.width; ++x) {
                const float wx =
                    std::min(1.f, std::min(x, fsize.width - 1 - x) / float(feather + 1));
                row[x] = std::clamp(row[x], 0.f, 1.f) * wx * wy;
                if (row[x] < 1.f / 512) row[x] = 0;
            }
        }
        const cv::Mat touched = alpha > 0;
        const cv::Rect box = cv::boundingRect(touched);
        if (box.empty()) break;

        // A position where every touched pixel lies in the photo and the allowed region.
        std::optional<cv::Point> at;
        for (int attempt = 0; attempt < 40 && !at; ++attempt) {
            const int x0 = int(place.uniform(0, photo.cols - box.width + 1)) - box.x;
            const int y0 = int(place.uniform(0, photo.rows - box.height + 1)) - box.y;
            const cv::Rect dst(x0 + box.x, y0 + box.y, box.width, box.height);
            if ((dst & cv::Rect(0, 0, photo.cols, photo.rows)) != dst) continue;
            if (!allowed.empty()) {
                cv::Mat outside, excluded = ~allowed(dst);
                cv::bitwise_and(touched(box), excluded, outside);
                if (cv::countNonZero(outside) > 0) continue;
            }
            at = cv::Point(x0, y0);
        }
        if (!at) {
            // No room in the allowed region at this size: a smaller defect.
            scale *= 0.6;
            continue;
        }
        const double shrink = scale / naturalScale;
        const int footprint = std::max(fsize.width, fsize.height);
        // Apply in linear light on the touched box: texture smoothed away where the defect is
        // deep (a pit's floor has no grinding marks), the shading ratio, the photo's noise
        // added back where it was smoothed, feathered into the photo.
        const cv::Rect dst(at->x + box.x, at->y + box.y, box.width, box.height);
        TransplantResult out;
        out.image = photo.clone();
        out.mask = cv::Mat::zeros(photo.size(), CV_8U);
        mask(box).copyTo(out.mask(dst));
        out.region = dst;

        const int ch = photo.channels();
        const int colourCh = std::min(ch, 3);
        const cv::Rect grown = (dst + cv::Size(8, 8) - cv::Point(4, 4)) &
                               cv::Rect(0, 0, photo.cols, photo.rows);
        cv::Mat smooth;
        const double smoothSigma = std::max(1.5, 0.6 * (a.markPeriodPx > 0 ? a.markPeriodPx : 3));
        cv::GaussianBlur(photo(grown), smooth, cv::Size(0, 0), smoothSigma);
        const auto& lut = srgbToLinear();
        Rng noise(sceneSeed, index, kNoise);
        const float sigma = float(a.noiseSigma);
        for (int y = 0; y < box.height; ++y) {
            const std::uint8_t* src = photo.ptr<std::uint8_t>(dst.y + y) + dst.x * ch;
            std::uint8_t* o = out.image.ptr<std::uint8_t>(dst.y + y) + dst.x * ch;
            const std::uint8_t* sm =
                smooth.ptr<std::uint8_t>(dst.y - grown.y + y) + (dst.x - grown.x) * ch;
            const float* al = alpha.ptr<float>(box.y + y) + box.x;
            const float* ra = ratio.ptr<float>(box.y + y) + box.x;
            const float* de = depth.ptr<float>(box.y + y) + box.x;
            for (int x = 0; x < box.width; ++x) {
                const float w = al[x];
                if (w <= 0) continue;
                // Texture removal grows with depth: a few um erase the grinding marks.
                const float flatten = 0.85f * std::clamp(de[x] / 4.f, 0.f, 1.f);
                const float n = sigma * flatten * float(noise.normal());
                for (int c = 0; c < colourCh; ++c) {
                    const int i = x * ch + c;
                    const float base = lut[src[i]] + flatten * (lut[sm[i]] - lut[src[i]]);
                    const float changed = linearToSrgb(base * ra[x]) + n;
                    const float v = src[i] + w * (changed - src[i]);
                    o[i] = std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
                }
            }
        }
        out.sampled = patch.sampled;
        out.sampled["transplantVersion"] = kTransplantVersion;
        out.sampled["seed"] = seed;
        out.sampled["index"] = index;
        out.sampled["photoHash"] = a.hash;
        out.sampled["grindAngleDeg"] = a.grindAngleDeg;
        out.sampled["pxPerMm"] = a.pxPerMm;
        out.sampled["pxPerMmEstimated"] = a.pxPerMmEstimated;
        out.sampled["defectScale"] = options.defectScale * shrink;
        out.sampled["noiseSigma"] = a.noiseSigma;
        out.sampled["region"] = {dst.x, dst.y, dst.width, dst.height};
        out.sampled["patchMm"] = patchMm;
        out.sampled["footprintPx"] = footprint;
        return out;
    }
    const std::string size = std::to_string(photo.cols) + "x" + std::to_string(photo.rows);
    if (!allowed.empty())
        throw InvalidArgument("CG transplant: the region of interest leaves no room for a visible "
                              "defect on this " +
                              size + " photo. Draw a larger region.");
    throw InvalidArgument("CG transplant: a defect of these parameters is too small to show on "
                          "this " +
                          size + " photo at " + std::to_string(int(std::lround(a.pxPerMm))) +
                          " px per mm. Give the photos' scale (px per mm) or a larger defect "
                          "scale.");
}

} // namespace kizu::cg
