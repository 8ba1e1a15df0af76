// Sampling of one image's scene from the parameter ranges, and its JSON description.
#include "core/cg/internal/scene.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace kizu::cg::detail {
namespace {

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

} // namespace

Scratch& scratch()
{
    thread_local Scratch s;
    return s;
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

} // namespace kizu::cg::detail
