// Internals of the CG generator shared by its source files: the sampled scene of one image,
// the capsule rasterizer, and the stages (sample, grind, cut defects, shade, develop) that
// CgGenerator::render chains. Not part of the public API.
#pragma once

#include "core/cg/cg_params.h"
#include "core/cg/internal/random.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace kizu::cg::detail {

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
inline V3 operator+(V3 a, V3 b)
{
    return {a.x + b.x, a.y + b.y, a.z + b.z};
}
inline V3 operator*(V3 a, double s)
{
    return {a.x * s, a.y * s, a.z * s};
}
inline double dot(V3 a, V3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline V3 cross(V3 a, V3 b)
{
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
// Rodrigues: v rotated by angle around the unit axis k.
inline V3 rotate(V3 v, V3 k, double angle)
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
inline const char* kindName(DefectKind k)
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

inline cv::Point2d applyH(const cv::Matx33d& h, double x, double y)
{
    double w = h(2, 0) * x + h(2, 1) * y + h(2, 2);
    return {(h(0, 0) * x + h(0, 1) * y + h(0, 2)) / w, (h(1, 0) * x + h(1, 1) * y + h(1, 2)) / w};
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

// Working buffers of the current thread, kept between images: allocating a few megabytes per
// image made the kernel clear fresh pages, about 8 % of the time. Nothing in them outlives
// one render call.
struct Scratch {
    cv::Mat wave, streak, hp, mean, view, rgb, far;
};
Scratch& scratch();

struct Carving {
    cv::Mat height; // um
    cv::Mat mask;   // 255 on defects
    cv::Mat dark;   // reflectance factor (empty when no defect darkens)
};

// Samples every per-image value from the parameter ranges (lights, material, camera, ...).
Scene sampleScene(const CgParams& p, std::uint64_t seed, std::uint64_t index);
nlohmann::json sceneJson(const Scene& s);

// The grinding surface, drawn into `height` (um, image size).
void grindSurface(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height);
void addWaviness(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat& height);
// Cuts the defects of an NG image into the surface; returns their description.
nlohmann::json cutDefects(const Scene& s, const CgParams& p, Rng& rng, Carving& c);

// Linear RGB (CV_32FC3) of the height map; `dark` (optional) scales the reflectance.
cv::Mat shade(const Scene& s, std::uint64_t seed, std::uint64_t index, const cv::Mat& heightUm,
              const cv::Mat& dark);
// Camera and sensor: the 8-bit BGR image at the output size.
cv::Mat develop(const Scene& s, std::uint64_t seed, std::uint64_t index, cv::Mat rgb);

} // namespace kizu::cg::detail
