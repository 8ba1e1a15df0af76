// Rendering of the height map: anisotropic metal under lights and surroundings, then the
// camera and sensor (blur, exposure, vignetting, tone curve, noise).
#include "core/cg/cg_scene.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace kizu::cg::detail {
namespace {

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

} // namespace

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

} // namespace kizu::cg::detail
