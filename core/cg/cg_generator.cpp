#include "core/cg/cg_generator.h"

#include "core/cg/cg_random.h"
#include "core/common/error.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace kizu::cg {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

// Purposes of the per-image random streams; a change in one part of the scene leaves the
// others as they were (e.g. more scratches do not move the lights).
enum Stream : std::uint64_t {
    kLabel = 1,
    kSurface = 2,
    kDefects = 3,
    kLights = 4,
    kMaterial = 5,
    kCamera = 6,
    kSensor = 7,
    kTexture = 8,
};

// Camera distance in image widths: mild perspective, as with a macro lens at working distance.
constexpr double kCameraDistance = 2.5;

// floor and ceil without a libm call (baseline x86-64 has no rounding instruction).
inline int floorInt(double x)
{
    const int i = int(x);
    return i - (double(i) > x);
}
inline int ceilInt(double x)
{
    const int i = int(x);
    return i + (double(i) < x);
}

struct V3 {
    double x = 0, y = 0, z = 0;
};
V3 operator+(V3 a, V3 b)
{
    return {a.x + b.x, a.y + b.y, a.z + b.z};
}
V3 operator*(V3 a, double s)
{
    return {a.x * s, a.y * s, a.z * s};
}
double dot(V3 a, V3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
V3 cross(V3 a, V3 b)
{
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
// Rodrigues: v rotated by angle around the unit axis k.
V3 rotate(V3 v, V3 k, double angle)
{
    double c = std::cos(angle), s = std::sin(angle);
    return v * c + cross(k, v) * s + k * (dot(k, v) * (1 - c));
}

struct Light {
    double azimuthDeg, elevationDeg, temperatureK, intensity, size;
    V3 dir;
    std::array<double, 3> rgb; // linear, luminance 1
};

enum class DefectKind { Scratch, Pit, Dent, Crack };
const char* kindName(DefectKind k)
{
    switch (k) {
    case DefectKind::Scratch:
        return "scratch";
    case DefectKind::Pit:
        return "pit";
    case DefectKind::Dent:
        return "dent";
    case DefectKind::Crack:
        return "crack";
    }
    return "?";
}

// Everything sampled for one image, in internal pixels (n = imageSize * oversample).
struct Scene {
    int size = 224, oversample = 1, n = 224;
    double pixelUm = 10; // internal pixel at the centre
    // camera
    double fovMm, tilt, tiltAzimuth, blurPx, dofPx, exposureEv, vignetting;
    // The surface plane ("canvas", units of the centre pixel) and the image are related by a
    // homography; geometry is drawn straight into the image through it.
    cv::Matx33d outToCanvas, canvasToOut;
    V3 cameraPos;   // canvas pixel units
    int canvas = 0; // side of the canvas square that the view covers
    // surface
    double grindAngle, jitter, striationRadiusUm, striationLengthMm, reliefUm, coverage, wavinessUm;
    // light and material
    std::vector<Light> lights;
    double ambient, environment, envBands, envAngle, envPhase, occlusion;
    std::string family;
    std::array<double, 3> base; // linear RGB reflectance at normal incidence
    double metallic, roughness, anisotropy, textureNoise, textureScalePx;
    // sensor
    double readNoise, shotNoise;
    bool grayscale = false;
};

std::array<double, 3> temperatureToRgb(double kelvin)
{
    // Tanner Helland's fit of the Planckian locus (sRGB), then linearised and normalised.
    double t = kelvin / 100.0, r, g, b;
    if (t <= 66) {
        r = 255;
        g = 99.4708025861 * std::log(t) - 161.1195681661;
        b = t <= 19 ? 0 : 138.5177312231 * std::log(t - 10) - 305.0447927307;
    } else {
        r = 329.698727446 * std::pow(t - 60, -0.1332047592);
        g = 288.1221695283 * std::pow(t - 60, -0.0755148492);
        b = 255;
    }
    auto lin = [](double c) { return std::pow(std::clamp(c, 0.0, 255.0) / 255.0, 2.2); };
    std::array<double, 3> rgb{lin(r), lin(g), lin(b)};
    double lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    for (auto& c : rgb)
        c /= std::max(lum, 1e-6);
    return rgb;
}

cv::Point2d applyH(const cv::Matx33d& h, double x, double y)
{
    double w = h(2, 0) * x + h(2, 1) * y + h(2, 2);
    return {(h(0, 0) * x + h(0, 1) * y + h(0, 2)) / w, (h(1, 0) * x + h(1, 1) * y + h(1, 2)) / w};
}

Scene sampleScene(const CgParams& p, std::uint64_t seed, std::uint64_t index)
{
    Scene s;
    s.size = int(p.camera.imageSize);
    s.oversample = int(p.camera.oversample);
    s.n = s.size * s.oversample;
    const double n = s.n;
    const double at224 = n / 224.0;

    Rng cam(seed, index, kCamera);
    s.fovMm = cam.uniform(p.camera.fieldOfViewMm);
    s.pixelUm = s.fovMm * 1000.0 / n;
    s.tilt = cam.uniform(p.camera.tiltDeg) * kDeg;
    s.tiltAzimuth = cam.uniform(0, 2 * kPi);
    s.blurPx = cam.uniform(p.camera.focusBlurPx) * at224;
    s.dofPx = cam.uniform(p.camera.depthOfField) * at224;
    s.exposureEv = cam.uniform(p.camera.exposureEv);
    s.vignetting = cam.uniform(p.camera.vignetting);

    // A pinhole camera at kCameraDistance image widths, tilted towards tiltAzimuth, focal
    // length chosen so that a pixel at the image centre covers one canvas pixel.
    const double dist = kCameraDistance * n;
    const V3 axis{-std::sin(s.tiltAzimuth), std::cos(s.tiltAzimuth), 0};
    const V3 back = rotate({0, 0, 1}, axis, s.tilt);
    const V3 right = rotate({1, 0, 0}, axis, s.tilt);
    const V3 down = rotate({0, 1, 0}, axis, s.tilt);
    const V3 cpos = back * dist;
    auto project = [&](double a, double b) {
        V3 d = back * -dist + right * a + down * b;
        double t = -cpos.z / d.z;
        return cv::Point2d(cpos.x + t * d.x, cpos.y + t * d.y);
    };
    const double h = (n - 1) / 2.0;
    std::array<cv::Point2d, 4> outPts{cv::Point2d(0, 0), cv::Point2d(n - 1, 0),
                                      cv::Point2d(n - 1, n - 1), cv::Point2d(0, n - 1)};
    std::array<cv::Point2d, 4> canPts;
    double reach = 0;
    for (int i = 0; i < 4; ++i) {
        canPts[i] = project(outPts[i].x - h, outPts[i].y - h);
        reach = std::max({reach, std::abs(canPts[i].x), std::abs(canPts[i].y)});
    }
    const int half = int(std::ceil(reach)) + 3;
    s.canvas = 2 * half + 1;
    std::array<cv::Point2f, 4> src, dst;
    for (int i = 0; i < 4; ++i) {
        src[i] = cv::Point2f(float(outPts[i].x), float(outPts[i].y));
        dst[i] = cv::Point2f(float(canPts[i].x + half), float(canPts[i].y + half));
    }
    s.outToCanvas = cv::Matx33d(cv::getPerspectiveTransform(src.data(), dst.data()));
    s.canvasToOut = s.outToCanvas.inv();
    s.cameraPos = cpos + V3{double(half), double(half), 0};

    Rng surf(seed, index, kSurface);
    s.grindAngle = surf.uniform(p.geometry.grindAngleDeg) * kDeg;
    s.jitter = surf.uniform(p.geometry.angleJitterDeg) * kDeg;
    s.striationRadiusUm = surf.uniform(p.geometry.striationRadiusUm);
    s.striationLengthMm = surf.uniform(p.geometry.striationLengthMm);
    s.reliefUm = surf.uniform(p.geometry.striationReliefUm);
    s.coverage = surf.uniform(p.geometry.coverage);
    s.wavinessUm = surf.uniform(p.geometry.wavinessUm);

    Rng li(seed, index, kLights);
    const int lightCount = std::clamp(li.integer(p.lights.count), 1, 4);
    for (int i = 0; i < lightCount; ++i) {
        Light l;
        l.azimuthDeg = li.uniform(p.lights.azimuthDeg);
        l.elevationDeg = li.uniform(p.lights.elevationDeg);
        l.temperatureK = li.uniform(p.lights.temperatureK);
        l.intensity = li.uniform(p.lights.intensity) / std::sqrt(double(lightCount));
        l.size = li.uniform(p.lights.size);
        const double az = l.azimuthDeg * kDeg, el = l.elevationDeg * kDeg;
        l.dir = {std::cos(el) * std::cos(az), std::cos(el) * std::sin(az), std::sin(el)};
        l.rgb = temperatureToRgb(l.temperatureK);
        s.lights.push_back(l);
    }
    s.ambient = li.uniform(p.lights.ambient);
    s.environment = li.uniform(p.lights.environment);
    s.envBands = li.uniform(p.lights.environmentBands);
    s.envAngle = li.uniform(0, kPi);
    s.envPhase = li.uniform(0, 2 * kPi);
    s.occlusion = li.uniform(p.lights.occlusion);

    Rng mat(seed, index, kMaterial);
    const auto& m = p.material;
    double pick = mat.uniform(0, m.steelWeight + m.aluminiumWeight + m.brassWeight);
    if (pick < m.steelWeight) {
        s.family = "steel";
        s.base = {0.56, 0.57, 0.58};
    } else if (pick < m.steelWeight + m.aluminiumWeight) {
        s.family = "aluminium";
        s.base = {0.88, 0.89, 0.90};
    } else {
        s.family = "brass";
        s.base = {0.86, 0.70, 0.42};
    }
    const double jit = mat.uniform(m.colorJitter);
    for (auto& c : s.base)
        c = std::clamp(c * (1 + jit * mat.uniform(-1, 1)), 0.02, 1.0);
    s.metallic = mat.uniform(m.metallic);
    s.roughness = mat.uniform(m.roughness);
    s.anisotropy = mat.uniform(m.anisotropy);
    s.textureNoise = mat.uniform(m.textureNoise);
    s.textureScalePx = std::max(0.5, mat.uniform(m.textureScaleMm) * 1000.0 / s.pixelUm);

    Rng sen(seed, index, kSensor);
    s.readNoise = sen.uniform(p.sensor.readNoise);
    s.shotNoise = sen.uniform(p.sensor.shotNoise);
    s.grayscale = sen.chance(p.sensor.grayscaleProbability);
    return s;
}

// Visits the pixels within distance rMax of the segment a-b (a capsule) by scanning along the
// segment's major axis, so the cost is proportional to the capsule's area, not its bounding
// box. f(x, y, t, d2): t in [0, 1] along the segment, d2 the squared distance to it (px^2).
template <class F>
void forCapsule(int w, int h, double ax, double ay, double bx, double by, double rMax, F&& f)
{
    double dx = bx - ax, dy = by - ay;
    double len = std::sqrt(dx * dx + dy * dy);
    double ux = len > 1e-9 ? dx / len : 1, uy = len > 1e-9 ? dy / len : 0;
    const bool alongX = std::abs(ux) >= std::abs(uy);
    // Work in (major, minor) coordinates.
    double am = alongX ? ax : ay, an = alongX ? ay : ax;
    double bm = alongX ? bx : by;
    double um = alongX ? ux : uy, un = alongX ? uy : ux;
    const int mExtent = alongX ? w : h, nExtent = alongX ? h : w;
    const double slope = std::abs(um) > 1e-12 ? un / um : 0;
    const double span = rMax / std::max(std::abs(um), 1e-6);
    // Clamped before converting so that far-away capsules cannot overflow an int.
    const double lo = std::clamp(std::min(am, bm) - rMax, -1.0, double(mExtent));
    const double hi = std::clamp(std::max(am, bm) + rMax, -1.0, double(mExtent));
    int m0 = std::max(0, floorInt(lo));
    int m1 = std::min(mExtent - 1, ceilInt(hi));
    const double r2 = rMax * rMax;
    const double invLen = len > 1e-9 ? 1.0 / len : 0;
    for (int mi = m0; mi <= m1; ++mi) {
        double nc = an + (mi - am) * slope;
        if (nc + span < 0 || nc - span > nExtent - 1) continue;
        int n0 = std::max(0, ceilInt(nc - span));
        int n1 = std::min(nExtent - 1, floorInt(nc + span));
        double pm = mi - am;
        for (int ni = n0; ni <= n1; ++ni) {
            double pn = ni - an;
            double t = std::clamp(pm * um + pn * un, 0.0, len);
            double em = pm - t * um, en = pn - t * un;
            double d2 = em * em + en * en;
            if (d2 >= r2) continue;
            if (alongX)
                f(mi, ni, t * invLen, d2);
            else
                f(ni, mi, t * invLen, d2);
        }
    }
}

// Smooth random field on a rotated lattice (long along the grain, short across).
class Lattice {
public:
    Lattice(Rng& rng, int w, int h, double angle, double scaleAlong, double scaleAcross)
        : m_c(std::cos(angle)), m_s(std::sin(angle)), m_ia(1 / scaleAlong), m_ic(1 / scaleAcross)
    {
        double umin = 1e300, umax = -1e300, vmin = 1e300, vmax = -1e300;
        for (auto [x, y] : {std::pair{0, 0}, {w, 0}, {0, h}, {w, h}}) {
            double u = (x * m_c + y * m_s) * m_ia, v = (-x * m_s + y * m_c) * m_ic;
            umin = std::min(umin, u), umax = std::max(umax, u);
            vmin = std::min(vmin, v), vmax = std::max(vmax, v);
        }
        m_u0 = std::floor(umin) - 1;
        m_v0 = std::floor(vmin) - 1;
        m_w = int(std::ceil(umax) - m_u0) + 3;
        m_h = int(std::ceil(vmax) - m_v0) + 3;
        m_values.resize(std::size_t(m_w) * m_h);
        for (auto& v : m_values)
            v = float(rng.uniform(-1, 1));
    }
    float at(double x, double y) const
    {
        double u = (x * m_c + y * m_s) * m_ia - m_u0, v = (-x * m_s + y * m_c) * m_ic - m_v0;
        int iu = int(u), iv = int(v);
        double fu = u - iu, fv = v - iv;
        fu = fu * fu * (3 - 2 * fu);
        fv = fv * fv * (3 - 2 * fv);
        const float* r0 = &m_values[std::size_t(iv) * m_w + iu];
        const float* r1 = r0 + m_w;
        double a = r0[0] + (r0[1] - r0[0]) * fu;
        double b = r1[0] + (r1[1] - r1[0]) * fu;
        return float(a + (b - a) * fv);
    }

private:
    double m_c, m_s, m_ia, m_ic, m_u0 = 0, m_v0 = 0;
    int m_w = 0, m_h = 0;
    std::vector<float> m_values;
};

// The grinding surface: many thin cylinders (elliptic cross-section of height `relief`) at
// random positions along the grinding direction; the nearest (highest) surface wins.
void grindSurface(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height)
{
    Rng rng(seed, index, kSurface + 100);
    const int w = height.cols, h = height.rows;
    const double r0 = std::max(0.5, s.striationRadiusUm / s.pixelUm);
    const double len0 = std::max(2.0, s.striationLengthMm * 1000.0 / s.pixelUm);
    // Striations are placed on the canvas square the view covers, extended so that those
    // sticking in from outside are not missing at the border.
    const double spillX = std::abs(std::cos(s.grindAngle)) * len0 * 0.75 + 3 * r0;
    const double spillY = std::abs(std::sin(s.grindAngle)) * len0 * 0.75 + 3 * r0;
    const double side = s.canvas;
    const double count = s.coverage * (side + 2 * spillX) * (side + 2 * spillY) / (2 * r0 * len0);
    const cv::Matx33d& g = s.canvasToOut;
    const double detG = std::abs(cv::determinant(g));
    const int striations = int(std::min(200000.0, std::ceil(count)));
    // Cross-section of a cylinder, sqrt(1 - q), tabulated over q = (d / r)^2.
    static const std::array<float, 257> profile = [] {
        std::array<float, 257> t{};
        for (int i = 0; i <= 256; ++i)
            t[std::size_t(i)] = float(std::sqrt(std::max(0.0, 1 - i / 255.0)));
        return t;
    }();
    for (int i = 0; i < striations; ++i) {
        const double r = r0 * rng.uniform(0.6, 1.4);
        const double len = len0 * rng.uniform(0.5, 1.5);
        const double a = s.grindAngle + s.jitter * rng.normal();
        const double cx = rng.uniform(-spillX, side + spillX);
        const double cy = rng.uniform(-spillY, side + spillY);
        const double ex = std::cos(a) * len / 2, ey = std::sin(a) * len / 2;
        const float relief = float(s.reliefUm * rng.uniform(0.3, 1.0));
        const float base = float(-s.reliefUm * rng.uniform(0.0, 0.4));
        // Into the image: a homography keeps segments straight; the width follows the local
        // scale, sqrt(det J) = sqrt(det G / w^3).
        const cv::Point2d pa = applyH(g, cx - ex, cy - ey), pb = applyH(g, cx + ex, cy + ey);
        const double wc = g(2, 0) * cx + g(2, 1) * cy + g(2, 2);
        const double ri = r * std::sqrt(detG / std::abs(wc * wc * wc));
        const double invR2 = 1.0 / (ri * ri);
        // The crest fades out over the last sixth at each end, so that overlapping striations
        // blend into long grooves instead of showing steps where one ends.
        forCapsule(w, h, pa.x, pa.y, pb.x, pb.y, ri, [&](int x, int y, double t, double d2) {
            const float fade = float(std::min(1.0, 6 * t * (1 - t)));
            float z = base + relief * fade * profile[std::size_t(d2 * invR2 * 255.0)];
            float& hv = height.at<float>(y, x);
            if (z > hv) hv = z;
        });
    }
}

// Working buffers of the current thread, kept between images: allocating a few megabytes per
// image made the kernel clear fresh pages, about 8 % of the time. Nothing in them outlives
// one render call.
struct Scratch {
    cv::Mat wave, streakLow, streak, hp, mean, view, rgb, far;
};
Scratch& scratch()
{
    thread_local Scratch s;
    return s;
}

// Low-frequency form deviation, added after the defects are cut so that they are cut relative
// to the grinding marks, not to a hill or valley of the form.
void addWaviness(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height)
{
    if (s.wavinessUm <= 0) return;
    Rng rng(seed, index, kSurface + 200);
    cv::Mat coarse(4, 4, CV_32F);
    for (int i = 0; i < 16; ++i)
        coarse.at<float>(i / 4, i % 4) = float(rng.uniform(-1, 1));
    cv::Mat& wave = scratch().wave;
    cv::resize(coarse, wave, height.size(), 0, 0, cv::INTER_CUBIC);
    cv::scaleAdd(wave, s.wavinessUm, height, height);
}

// Reflectance variation of a ground surface, 1 + noise: fine lines across the grain (long,
// parallel) and patches stretched along it. The patches are smooth, so they are evaluated on a
// quarter-resolution grid and interpolated.
cv::Mat reflectanceStreaks(const Scene& s, std::uint64_t seed, std::uint64_t index, int n)
{
    Rng tex(seed, index, kTexture);
    const double sc = s.textureScalePx;
    Lattice mid(tex, n + 8, n + 8, s.grindAngle, sc * 10, sc);
    Lattice coarse(tex, n + 8, n + 8, s.grindAngle, sc * 40, sc * 5);
    const int step = 4, m = n / step + 2;
    cv::Mat low(m, m, CV_32F);
    for (int y = 0; y < m; ++y)
        for (int x = 0; x < m; ++x)
            low.at<float>(y, x) =
                0.8f * mid.at(x * step, y * step) + 0.7f * coarse.at(x * step, y * step);
    cv::Mat& big = scratch().streak;
    cv::resize(low, big, cv::Size(m * step, m * step), 0, 0, cv::INTER_LINEAR);
    cv::Mat map = big(cv::Rect(step / 2, step / 2, n, n));
    // Fine lines: a 1-D random profile across the grain, ~1.3 px per value.
    const double c = std::cos(s.grindAngle), sn = std::sin(s.grindAngle);
    const int lines = int(3 * n / 1.3) + 8;
    std::vector<float> fine(std::size_t(lines) + 1);
    for (auto& v : fine)
        v = float(tex.uniform(-1, 1));
    const float amp = float(s.textureNoise);
    for (int y = 0; y < n; ++y) {
        float* r = map.ptr<float>(y);
        for (int x = 0; x < n; ++x) {
            double v = (-x * sn + y * c) / 1.3 + 1.5 * n / 1.3 + 2;
            int i = int(v);
            float f = float(v - i);
            float line =
                fine[std::size_t(i)] + (fine[std::size_t(i) + 1] - fine[std::size_t(i)]) * f;
            r[x] = 1 + amp * (r[x] + 0.5f * line);
        }
    }
    return map;
}

struct Carving {
    cv::Mat height; // um
    cv::Mat mask;   // 255 on defects
    cv::Mat dark;   // reflectance factor (empty when no defect darkens)
};

// Lowers the height to `target` (min: material removed) and marks the mask where the surface
// went down by more than `visible` um.
inline void carveMin(Carving& c, int x, int y, float target, float visible)
{
    float& hv = c.height.at<float>(y, x);
    if (target < hv) {
        if (hv - target > visible) c.mask.at<std::uint8_t>(y, x) = 255;
        hv = target;
    }
}

void darken(Carving& c, int x, int y, float factor)
{
    if (c.dark.empty()) c.dark = cv::Mat(c.height.size(), CV_32F, cv::Scalar(1));
    float& v = c.dark.at<float>(y, x);
    v = std::min(v, factor);
}

// Cuts the defects of an NG image into the surface; returns their description.
nlohmann::json cutDefects(const Scene& s, const CgParams& p, Rng& rng, Carving& c)
{
    const int w = c.height.cols, h = c.height.rows;
    const double um = 1.0 / s.pixelUm; // um -> image px
    double top = 0;
    {
        double mn, mx;
        cv::minMaxLoc(c.height, &mn, &mx);
        top = mx;
    }
    // Choose the kinds; at least one.
    std::vector<DefectKind> kinds;
    const std::array<std::pair<DefectKind, double>, 4> probs{
        {{DefectKind::Scratch, p.scratch.probability},
         {DefectKind::Pit, p.pit.probability},
         {DefectKind::Dent, p.dent.probability},
         {DefectKind::Crack, p.crack.probability}}};
    for (auto [k, pr] : probs)
        if (rng.chance(pr)) kinds.push_back(k);
    if (kinds.empty()) {
        double total = 0;
        for (auto [k, pr] : probs)
            total += pr;
        double pick = rng.uniform(0, total);
        for (auto [k, pr] : probs) {
            if (pick < pr || k == DefectKind::Crack) {
                kinds.push_back(k);
                break;
            }
            pick -= pr;
        }
    }
    // Centres are drawn inside the image so that the defect is in view. A defect is small, so
    // it is drawn at the scale of the image centre (the perspective across it is neglected).
    auto centre = [&](nlohmann::json& d) {
        double ox = rng.uniform(0.18, 0.82) * (s.n - 1), oy = rng.uniform(0.18, 0.82) * (s.n - 1);
        d["centerPx"] = {ox / s.oversample, oy / s.oversample};
        return cv::Point2d(ox, oy);
    };
    nlohmann::json list = nlohmann::json::array();
    for (DefectKind kind : kinds) {
        if (kind == DefectKind::Scratch) {
            const int count = rng.integer(p.scratch.count);
            for (int i = 0; i < count; ++i) {
                nlohmann::json d{{"kind", kindName(kind)}};
                cv::Point2d ctr = centre(d);
                const int segs = std::max(1, rng.integer(p.scratch.segments));
                const double lengthPx = rng.uniform(p.scratch.lengthMm) * 1000.0 * um;
                const double width = rng.uniform(p.scratch.widthUm);
                const double depth = rng.uniform(p.scratch.depthUm);
                const double bend = rng.uniform(p.scratch.bendDeg) * kDeg;
                const double toGrain = rng.uniform(p.scratch.angleToGrainDeg) * kDeg;
                double a = s.grindAngle + (rng.chance(0.5) ? toGrain : -toGrain);
                d.update({{"segments", segs},
                          {"lengthMm", lengthPx / um / 1000.0},
                          {"widthUm", width},
                          {"depthUm", depth},
                          {"bendDeg", bend / kDeg},
                          {"angleToGrainDeg", toGrain / kDeg}});
                // The chain's joints, then shifted so that its middle lies on the centre.
                std::vector<cv::Point2d> pts{{0, 0}};
                const double step = lengthPx / segs;
                for (int k = 0; k < segs; ++k) {
                    pts.push_back(pts.back() + cv::Point2d(std::cos(a), std::sin(a)) * step);
                    a += bend * rng.uniform(-1, 1);
                }
                cv::Point2d mid = (pts[segs / 2] + pts[(segs + 1) / 2]) * 0.5;
                for (auto& q : pts)
                    q += ctr - mid;
                // Width and depth taper towards the ends, as a tool point entering and leaving.
                auto taper = [&](double t) { return std::max(0.3, std::sqrt(std::sin(kPi * t))); };
                const double rPx = std::max(0.6, width / 2 * um);
                for (int k = 0; k < segs; ++k) {
                    const double ta = taper(double(k) / segs), tb = taper(double(k + 1) / segs);
                    const double ra = rPx * ta, rb = rPx * tb;
                    const double rMax = std::max(ra, rb);
                    forCapsule(w, h, pts[k].x, pts[k].y, pts[k + 1].x, pts[k + 1].y, rMax,
                               [&](int x, int y, double t, double d2) {
                                   const double dist = std::sqrt(d2);
                                   double r = ra + (rb - ra) * t;
                                   if (dist >= r) return;
                                   double dp = depth * (ta + (tb - ta) * t);
                                   double q = dist / r;
                                   float z = float(top - dp * std::sqrt(1 - q * q));
                                   carveMin(c, x, y, z, float(0.15 * dp));
                               });
                }
                list.push_back(d);
            }
        } else if (kind == DefectKind::Pit) {
            nlohmann::json cluster{{"kind", kindName(kind)}};
            cv::Point2d ctr = centre(cluster);
            const int count = rng.integer(p.pit.count);
            const double spreadPx = rng.uniform(p.pit.clusterSpreadMm) * 1000.0 * um;
            const double darkening = rng.uniform(p.pit.darkening);
            nlohmann::json pits = nlohmann::json::array();
            for (int i = 0; i < count; ++i) {
                // The first pit sits on the centre so the cluster is always in view.
                double rr = i == 0 ? 0 : spreadPx * std::sqrt(rng.uniform());
                double th = rng.uniform(0, 2 * kPi);
                cv::Point2d pc = ctr + cv::Point2d(std::cos(th), std::sin(th)) * rr;
                const double a = rng.uniform(p.pit.radiusUm);
                const double dp = rng.uniform(p.pit.depthUm);
                const double sphere = (a * a + dp * dp) / (2 * dp);
                const double aPx = std::max(0.8, a * um);
                // An irregular outline: two random harmonics of the radius.
                const double h2 = rng.uniform(0, 0.25), h3 = rng.uniform(0, 0.2);
                const double p2 = rng.uniform(0, 2 * kPi), p3 = rng.uniform(0, 2 * kPi);
                const std::uint64_t bumps = rng.next();
                pits.push_back({{"radiusUm", a}, {"depthUm", dp}});
                forCapsule(
                    w, h, pc.x, pc.y, pc.x, pc.y, aPx * 1.5, [&](int x, int y, double, double d2) {
                        const double dist = std::sqrt(d2);
                        double ang = std::atan2(y - pc.y, x - pc.x);
                        double edge =
                            aPx * (1 + h2 * std::sin(2 * ang + p2) + h3 * std::sin(3 * ang + p3));
                        if (dist >= edge) return;
                        double q = dist / edge; // 0 centre .. 1 rim
                        double du = q * a;
                        double z = top - dp + sphere - std::sqrt(sphere * sphere - du * du);
                        // A rough, corroded bottom.
                        std::uint64_t hsh = hashCombine(bumps, std::uint64_t(y) * 65536 + x);
                        z += 0.2 * dp * (double(hsh >> 11) * 0x1.0p-53 - 0.5) * (1 - q);
                        carveMin(c, x, y, float(z), float(0.15 * dp));
                        darken(c, x, y, float(1 - darkening * (1 - q * q)));
                    });
            }
            cluster.update({{"count", count},
                            {"clusterSpreadMm", spreadPx / um / 1000.0},
                            {"darkening", darkening},
                            {"pits", pits}});
            list.push_back(cluster);
        } else if (kind == DefectKind::Dent) {
            const int count = rng.integer(p.dent.count);
            for (int i = 0; i < count; ++i) {
                nlohmann::json d{{"kind", kindName(kind)}};
                cv::Point2d pc = centre(d);
                const double a = rng.uniform(p.dent.radiusUm);
                const double dp = rng.uniform(p.dent.depthUm);
                const double sphere = (a * a + dp * dp) / (2 * dp);
                d.update({{"radiusUm", a}, {"depthUm", dp}});
                // Pressed in: lowered by the sphere cap, the grinding marks inside flattened
                // (the pressure smooths their crests) and the spot slightly burnished.
                forCapsule(w, h, pc.x, pc.y, pc.x, pc.y, std::max(0.8, a * um),
                           [&](int x, int y, double, double d2) {
                               double du = std::sqrt(d2) / um;
                               double carve = std::sqrt(sphere * sphere - du * du) - (sphere - dp);
                               if (carve <= 0) return;
                               const double q = carve / dp; // 1 at the centre, 0 at the rim
                               float& hv = c.height.at<float>(y, x);
                               hv = float(hv * (1 - 0.8 * q) - carve);
                               darken(c, x, y, float(1 - 0.15 * q));
                               if (carve > 0.3 * dp) c.mask.at<std::uint8_t>(y, x) = 255;
                           });
                list.push_back(d);
            }
        } else {
            nlohmann::json d{{"kind", kindName(kind)}};
            cv::Point2d start = centre(d);
            const double lengthPx = rng.uniform(p.crack.lengthMm) * 1000.0 * um;
            const double width = rng.uniform(p.crack.widthUm);
            const double depth = rng.uniform(p.crack.depthUm);
            const double branch = rng.uniform(p.crack.branchProbability);
            const double wiggle = rng.uniform(p.crack.wiggleDeg) * kDeg;
            d.update({{"lengthMm", lengthPx / um / 1000.0},
                      {"widthUm", width},
                      {"depthUm", depth},
                      {"branchProbability", branch},
                      {"wiggleDeg", wiggle / kDeg}});
            const double rPx = std::max(0.7, width / 2 * um);
            const double step = std::max(2.0, 3 * rPx);
            // Random walks: the main line grows both ways from the centre; branches split off.
            struct Walk {
                cv::Point2d p;
                double angle, length;
                int level;
            };
            const double a0 = rng.uniform(0, 2 * kPi);
            std::vector<Walk> walks{{start, a0, lengthPx / 2, 0},
                                    {start, a0 + kPi, lengthPx / 2, 0}};
            int segments = 0;
            while (!walks.empty() && segments < 4000) {
                Walk wk = walks.back();
                walks.pop_back();
                for (double done = 0; done < wk.length && segments < 4000; done += step) {
                    cv::Point2d q =
                        wk.p + cv::Point2d(std::cos(wk.angle), std::sin(wk.angle)) * step;
                    const double fade = 1 - 0.6 * done / wk.length;
                    const double r = rPx * fade * (wk.level ? 0.7 : 1.0);
                    forCapsule(w, h, wk.p.x, wk.p.y, q.x, q.y, r,
                               [&](int x, int y, double, double d2) {
                                   const double dist = std::sqrt(d2);
                                   double dp = depth * fade * (1 - dist / r);
                                   carveMin(c, x, y, float(top - dp), float(0.1 * depth));
                                   darken(c, x, y, float(0.35 + 0.4 * dist / r));
                               });
                    ++segments;
                    wk.p = q;
                    wk.angle += wiggle * rng.uniform(-1, 1);
                    if (wk.level < 2 && rng.chance(branch))
                        walks.push_back(
                            {q, wk.angle + (rng.chance(0.5) ? 1 : -1) * rng.uniform(20, 60) * kDeg,
                             (wk.length - done) * rng.uniform(0.3, 0.7), wk.level + 1});
                }
            }
            list.push_back(d);
        }
    }
    return list;
}

// Gaussian numbers for sensor noise, from a fixed seed, so that noise is cheap and identical
// everywhere.
const std::array<float, 4096>& gaussTable()
{
    static const std::array<float, 4096> table = [] {
        std::array<float, 4096> t{};
        Rng rng(0x6B697A75ull);
        for (auto& v : t)
            v = float(rng.normal());
        return t;
    }();
    return table;
}

// The film curve: linear exposure in [0, 4) (steps of 1/4096) -> a soft highlight shoulder
// (white at 2.5) -> sRGB-encoded 8-bit, as one table.
constexpr int kFilmScale = 4096, kFilmSize = 4 * kFilmScale;
const std::array<std::uint8_t, kFilmSize>& filmTable()
{
    static const std::array<std::uint8_t, kFilmSize> table = [] {
        std::array<std::uint8_t, kFilmSize> t{};
        for (int i = 0; i < kFilmSize; ++i) {
            double l = double(i) / kFilmScale;
            double v = std::min(1.0, l * (1 + l / 6.25) / (1 + l));
            double s = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
            t[std::size_t(i)] = std::uint8_t(std::lround(std::clamp(s, 0.0, 1.0) * 255));
        }
        return t;
    }();
    return table;
}

// cos over one period through a table: the environment stripes need it per pixel.
float fastCos(float x)
{
    static const std::array<float, 1025> table = [] {
        std::array<float, 1025> t{};
        for (int i = 0; i <= 1024; ++i)
            t[std::size_t(i)] = float(std::cos(2 * kPi * i / 1024));
        return t;
    }();
    float u = x * float(1 / (2 * kPi));
    u -= float(floorInt(u));
    float f = u * 1024;
    int i = int(f);
    return table[std::size_t(i)] + (table[std::size_t(i) + 1] - table[std::size_t(i)]) * (f - i);
}

// exp(-x) for x in [0, 16] through a table; the lobe needs it per pixel and light.
float fastExpNeg(float x)
{
    static const std::array<float, 1026> table = [] {
        std::array<float, 1026> t{};
        for (int i = 0; i <= 1025; ++i)
            t[std::size_t(i)] = float(std::exp(-i / 64.0));
        return t;
    }();
    const float f = x * 64;
    const int i = int(f);
    return table[std::size_t(i)] + (table[std::size_t(i) + 1] - table[std::size_t(i)]) * (f - i);
}

// Shades the height map (output frame, um) with the lights (Lambert plus Ward's anisotropic
// lobe, smoother along the grain) and the reflected surroundings; returns linear RGB.
cv::Mat shade(const Scene& s, std::uint64_t seed, std::uint64_t index, const cv::Mat& heightUm,
              const cv::Mat& dark)
{
    const int n = heightUm.rows;
    Scratch& sc = scratch();
    cv::Mat& hp = sc.hp;
    heightUm.convertTo(hp, CV_32F, 1.0 / s.pixelUm); // heights in pixel units
    // Cavities (below the local mean) receive less light.
    cv::Mat& mean = sc.mean;
    const int k = std::max(3, (n / 28) | 1);
    cv::boxFilter(hp, mean, CV_32F, cv::Size(k, k), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    const cv::Mat streakMap = reflectanceStreaks(s, seed, index, n);

    // Tangent along the grain and bitangent across; the surface slopes are small, so the
    // frame is taken as constant.
    const float tx = float(std::cos(s.grindAngle)), ty = float(std::sin(s.grindAngle));
    const double aT0 = s.roughness * (1 - s.anisotropy), aB0 = s.roughness;
    struct L {
        float lx, ly, lz, r, g, b, iaT, iaB, norm;
    };
    std::vector<L> lights;
    for (const auto& l : s.lights) {
        double aT = std::sqrt(aT0 * aT0 + l.size * l.size * 0.25 + 1e-4);
        double aB = std::sqrt(aB0 * aB0 + l.size * l.size * 0.25 + 1e-4);
        double e = l.intensity;
        lights.push_back({float(l.dir.x), float(l.dir.y), float(l.dir.z), float(l.rgb[0] * e),
                          float(l.rgb[1] * e), float(l.rgb[2] * e), float(1 / aT), float(1 / aB),
                          float(1 / (4 * kPi * aT * aB))});
    }
    std::array<float, 3> envRgb{0, 0, 0};
    for (const auto& l : s.lights)
        for (int c = 0; c < 3; ++c)
            envRgb[c] += float(l.rgb[c] / s.lights.size());
    const float ex = float(std::cos(s.envAngle)), ey = float(std::sin(s.envAngle));
    const float envK = float(s.envBands * kPi), envPh = float(s.envPhase);
    const float env = float(s.environment), amb = float(s.ambient);
    const float kd = float((1 - s.metallic) * 0.8);
    std::array<float, 3> f0, diffuse;
    for (int c = 0; c < 3; ++c) {
        f0[c] = float(0.04 * (1 - s.metallic) + s.base[c] * s.metallic);
        diffuse[c] = float(s.base[c]) * kd;
    }
    const float occK = float(s.occlusion);
    // View vectors vary smoothly (the camera is far compared to the relief): computed on a
    // coarse grid and interpolated.
    cv::Mat& view = sc.view;
    {
        const int step = 8, m = n / step + 2;
        cv::Mat coarseView(m, m, CV_32FC3);
        for (int gy = 0; gy < m; ++gy)
            for (int gx = 0; gx < m; ++gx) {
                cv::Point2d pc = applyH(s.outToCanvas, gx * step, gy * step);
                V3 v{s.cameraPos.x - pc.x, s.cameraPos.y - pc.y, s.cameraPos.z};
                v = v * (1 / std::sqrt(dot(v, v)));
                coarseView.at<cv::Vec3f>(gy, gx) = cv::Vec3f(float(v.x), float(v.y), float(v.z));
            }
        cv::resize(coarseView, view, cv::Size(m * step, m * step), 0, 0, cv::INTER_LINEAR);
    }

    cv::Mat& out = sc.rgb;
    out.create(n, n, CV_32FC3);
    for (int y = 0; y < n; ++y) {
        const float* hr = hp.ptr<float>(y);
        const float* hu = hp.ptr<float>(std::max(0, y - 1));
        const float* hd = hp.ptr<float>(std::min(n - 1, y + 1));
        const float* mr = mean.ptr<float>(y);
        const float* dr = dark.empty() ? nullptr : dark.ptr<float>(y);
        const float* sk = streakMap.ptr<float>(y);
        const float* vw = view.ptr<float>(y);
        float* o = out.ptr<float>(y);
        for (int x = 0; x < n; ++x) {
            const float gx = 0.5f * (hr[std::min(n - 1, x + 1)] - hr[std::max(0, x - 1)]);
            const float gy = 0.5f * (hd[x] - hu[x]);
            const float inv = 1 / std::sqrt(gx * gx + gy * gy + 1);
            const float nx = -gx * inv, ny = -gy * inv, nz = inv;
            const float vx = vw[3 * x], vy = vw[3 * x + 1], vz = vw[3 * x + 2];
            const float ndv = std::max(1e-3f, nx * vx + ny * vy + nz * vz);
            const float bx = -ty, by = tx;

            float sr = 0, sgc = 0, sb = 0, dsr = amb, dsg = amb, dsb = amb;
            for (const auto& l : lights) {
                const float ndl = nx * l.lx + ny * l.ly + nz * l.lz;
                if (ndl <= 0) continue;
                dsr += l.r * ndl, dsg += l.g * ndl, dsb += l.b * ndl;
                // The lobe's exponent does not depend on the half vector's length.
                const float hx = l.lx + vx, hy = l.ly + vy, hz = l.lz + vz;
                const float ndh = nx * hx + ny * hy + nz * hz;
                if (ndh <= 0) continue;
                const float ht = (hx * tx + hy * ty) * l.iaT;
                const float hb = (hx * bx + hy * by) * l.iaB;
                const float arg = (ht * ht + hb * hb) / (ndh * ndh);
                if (arg > 15) continue; // below 1e-6 of the peak
                const float ward = l.norm * fastExpNeg(arg) * std::sqrt(ndl / ndv);
                sr += l.r * ward, sgc += l.g * ward, sb += l.b * ward;
            }
            // The surroundings seen in the mirror direction: soft stripes (softboxes, windows).
            const float rx = 2 * ndv * nx - vx, ry = 2 * ndv * ny - vy, rz = 2 * ndv * nz - vz;
            const float band = 0.5f + 0.5f * fastCos(envK * (rx * ex + ry * ey) + envPh);
            const float envL =
                env * (0.12f + band * band * band) * (0.6f + 0.4f * std::max(0.f, rz));
            const float occ = 1 / (1 + occK * std::max(0.f, mr[x] - hr[x]));
            const float shadeK = occ * (dr ? dr[x] : 1.f) * sk[x];
            o[3 * x + 0] = shadeK * (f0[0] * (sr + envL * envRgb[0]) + diffuse[0] * dsr);
            o[3 * x + 1] = shadeK * (f0[1] * (sgc + envL * envRgb[1]) + diffuse[1] * dsg);
            o[3 * x + 2] = shadeK * (f0[2] * (sb + envL * envRgb[2]) + diffuse[2] * dsb);
        }
    }
    return out;
}

// Camera and sensor: focus blur, depth of field, exposure, vignetting, tone curve, noise,
// optional grayscale. Returns the 8-bit BGR image at the output size.
cv::Mat develop(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat rgb)
{
    if (s.blurPx > 0.05)
        cv::GaussianBlur(rgb, rgb, cv::Size(), s.blurPx, s.blurPx, cv::BORDER_REFLECT);
    const int n = rgb.rows;
    if (s.dofPx > 0.05 && s.tilt > 1 * kDeg) {
        cv::Mat& far = scratch().far;
        cv::GaussianBlur(rgb, far, cv::Size(), s.dofPx, s.dofPx, cv::BORDER_REFLECT);
        // The camera leans towards tiltAzimuth, so the far side is the opposite one.
        const float ca = float(std::cos(s.tiltAzimuth)), sa = float(std::sin(s.tiltAzimuth));
        const float half = float((n - 1) / 2.0);
        for (int y = 0; y < n; ++y) {
            float* o = rgb.ptr<float>(y);
            const float* f = far.ptr<float>(y);
            for (int x = 0; x < n; ++x) {
                float t = std::clamp(-((x - half) * ca + (y - half) * sa) / half, 0.f, 1.f);
                if (t <= 0) continue;
                for (int c = 0; c < 3; ++c)
                    o[3 * x + c] += t * (f[3 * x + c] - o[3 * x + c]);
            }
        }
    }
    if (s.oversample > 1) cv::resize(rgb, rgb, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);

    // Auto exposure to a mid-grey mean, then the sampled exposure change.
    cv::Scalar m = cv::mean(rgb);
    const double lum = 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2];
    const float gain = float(0.24 / std::max(lum, 1e-4) * std::pow(2.0, s.exposureEv));

    const auto& gauss = gaussTable();
    const auto& film = filmTable();
    Rng noise(seed, index, kSensor + 100);
    const int size = s.size;
    const float half = float((size - 1) / 2.0);
    const float invR2 = 1 / (2 * half * half);
    const float rn = float(s.readNoise), sn = float(s.shotNoise), vig = float(s.vignetting);
    cv::Mat out(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y) {
        const float* in = rgb.ptr<float>(y);
        std::uint8_t* o = out.ptr<std::uint8_t>(y);
        for (int x = 0; x < size; ++x) {
            const float dx = x - half, dy = y - half;
            const float g = gain * (1 - vig * (dx * dx + dy * dy) * invR2);
            float v[3] = {in[3 * x] * g, in[3 * x + 1] * g, in[3 * x + 2] * g};
            // Noise on the linear sensor value; shot noise scales with the signal (green).
            const std::uint64_t bits = noise.next();
            const float shotK = sn * std::sqrt(std::max(0.f, v[1]));
            if (s.grayscale) {
                const float l = 0.2126f * v[0] + 0.7152f * v[1] + 0.0722f * v[2] +
                                rn * gauss[bits & 4095] + shotK * gauss[(bits >> 36) & 4095];
                const std::uint8_t q =
                    film[std::size_t(std::clamp(int(l * kFilmScale + 0.5f), 0, kFilmSize - 1))];
                o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = q;
                continue;
            }
            for (int c = 0; c < 3; ++c) {
                const float l = v[c] + rn * gauss[(bits >> (c * 12)) & 4095] +
                                shotK * gauss[(bits >> (36 + c * 9)) & 4095];
                // OpenCV images are BGR.
                o[3 * x + (2 - c)] =
                    film[std::size_t(std::clamp(int(l * kFilmScale + 0.5f), 0, kFilmSize - 1))];
            }
        }
    }
    return out;
}

nlohmann::json sceneJson(const Scene& s)
{
    nlohmann::json lights = nlohmann::json::array();
    for (const auto& l : s.lights)
        lights.push_back({{"azimuthDeg", l.azimuthDeg},
                          {"elevationDeg", l.elevationDeg},
                          {"temperatureK", l.temperatureK},
                          {"intensity", l.intensity},
                          {"size", l.size}});
    return {
        {"imageSize", s.size},
        {"oversample", s.oversample},
        {"pixelSizeUm", s.pixelUm * s.oversample},
        {"geometry",
         {{"grindAngleDeg", s.grindAngle / kDeg},
          {"angleJitterDeg", s.jitter / kDeg},
          {"striationRadiusUm", s.striationRadiusUm},
          {"striationLengthMm", s.striationLengthMm},
          {"striationReliefUm", s.reliefUm},
          {"coverage", s.coverage},
          {"wavinessUm", s.wavinessUm}}},
        {"lights",
         {{"list", lights},
          {"ambient", s.ambient},
          {"environment", s.environment},
          {"environmentBands", s.envBands},
          {"occlusion", s.occlusion}}},
        {"material",
         {{"family", s.family},
          {"baseColorRgb", s.base},
          {"metallic", s.metallic},
          {"roughness", s.roughness},
          {"anisotropy", s.anisotropy},
          {"textureNoise", s.textureNoise}}},
        {"camera",
         {{"fieldOfViewMm", s.fovMm},
          {"tiltDeg", s.tilt / kDeg},
          {"tiltAzimuthDeg", s.tiltAzimuth / kDeg},
          {"focusBlurPx", s.blurPx / s.oversample},
          {"depthOfFieldPx", s.dofPx / s.oversample},
          {"exposureEv", s.exposureEv},
          {"vignetting", s.vignetting}}},
        {"sensor",
         {{"readNoise", s.readNoise}, {"shotNoise", s.shotNoise}, {"grayscale", s.grayscale}}},
    };
}

} // namespace

CgGenerator::CgGenerator(CgParams params, std::uint64_t seed)
    : m_params(std::move(params)), m_seed(seed)
{
    validate(m_params);
}

bool CgGenerator::isNg(std::uint64_t index) const
{
    const bool firstIsNg = Rng(m_seed, index / 2, kLabel).next() & 1;
    return ((index & 1) == 0) == firstIsNg;
}

CgSample CgGenerator::render(std::uint64_t index) const
{
    return render(index, isNg(index));
}

CgSample CgGenerator::render(std::uint64_t index, bool ng) const
{
    const Scene s = sampleScene(m_params, m_seed, index);
    cv::Mat surface(s.n, s.n, CV_32F, cv::Scalar(0));
    grindSurface(s, m_seed, index, surface);

    CgSample out;
    out.index = index;
    out.ng = ng;
    out.pixelSizeUm = s.pixelUm * s.oversample;
    nlohmann::json defects = nlohmann::json::array();
    cv::Mat height, mask, dark;
    // An NG image must show its defect; a defect that ends up invisible (shallower than the
    // grinding marks) is drawn again from the next stream.
    for (int attempt = 0;; ++attempt) {
        Carving c{ng ? surface.clone() : surface, cv::Mat(), cv::Mat()};
        if (!ng) {
            height = c.height;
            mask = cv::Mat::zeros(s.size, s.size, CV_8U);
            break;
        }
        c.mask = cv::Mat(surface.size(), CV_8U, cv::Scalar(0));
        Rng rng(m_seed, index, kDefects + 1000 * std::uint64_t(attempt));
        defects = cutDefects(s, m_params, rng, c);
        height = c.height;
        mask = c.mask;
        dark = c.dark;
        if (s.oversample > 1) {
            cv::resize(mask, mask, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);
            cv::threshold(mask, mask, 63, 255, cv::THRESH_BINARY);
        }
        if (cv::countNonZero(mask) > 0) break;
        if (attempt >= 15)
            throw Error("The CG generator could not place a visible defect for image " +
                        std::to_string(index) +
                        ". Make the defects larger or deeper (depthUm, widthUm, radiusUm).");
    }
    addWaviness(s, m_seed, index, height);
    cv::Mat rgb = shade(s, m_seed, index, height, dark);
    out.image = develop(s, m_seed, index, rgb);
    if (s.oversample > 1)
        cv::resize(height, out.heightMap, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);
    else
        out.heightMap = height;
    out.mask = mask;
    out.sampled = sceneJson(s);
    out.sampled["generatorVersion"] = kGeneratorVersion;
    out.sampled["seed"] = m_seed;
    out.sampled["index"] = index;
    out.sampled["label"] = ng ? "ng" : "ok";
    out.sampled["defects"] = defects;
    return out;
}

std::vector<CgSample> renderRange(const CgGenerator& generator, std::uint64_t first, int count)
{
    std::vector<CgSample> out(std::size_t(std::max(0, count)));
    cv::parallel_for_(cv::Range(0, int(out.size())), [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i)
            out[std::size_t(i)] = generator.render(first + std::uint64_t(i));
    });
    return out;
}

CgStream::CgStream(CgParams params, std::uint64_t seed, std::uint64_t firstIndex)
    : m_generator(std::move(params), seed), m_next(firstIndex)
{
}

CgSample CgStream::next()
{
    return m_generator.render(m_next++);
}

std::vector<CgSample> CgStream::nextBatch(int count)
{
    auto out = renderRange(m_generator, m_next, count);
    m_next += out.size();
    return out;
}

} // namespace kizu::cg
