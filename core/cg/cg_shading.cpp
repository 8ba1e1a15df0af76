// Rendering of the height map: anisotropic metal under lights and surroundings, then the
// camera and sensor (blur, exposure, vignetting, tone curve, noise).
#include "core/cg/internal/scene.h"

#include <algorithm>
#include <bit>
#include <tuple>

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

// exp(-x) for x in [0, 16] without a table or libm call, so that loops using it vectorize:
// 2^(-x log2 e), split into an integer power (built in the exponent bits) and a polynomial
// for the fraction (relative error below 2e-7).
inline float expNeg(float x)
{
    const float y = -x * 1.44269504f;
    float fi = float(int(y)); // truncates towards zero, i.e. rounds up for y <= 0
    fi -= float(fi > y);
    const float f = y - fi; // [0, 1)
    const float p =
        1 +
        f * (0.693147182f +
             f * (0.240226507f + f * (0.0555041087f + f * (0.00961812911f + f * 0.00133335581f))));
    return p * std::bit_cast<float>((int(fi) + 127) << 23);
}

// A soft periodic stripe in [0, 1] (1 at phase 0, 0 at half a period), shaped like
// (1 + cos x) / 2 but made of a smoothstep so that it vectorizes.
inline float stripe(float x)
{
    float u = x * float(1 / (2 * kPi));
    float r = float(int(u)); // nearest whole number, in two steps without libm
    r += float(u - r > 0.5f);
    r -= float(u - r < -0.5f);
    const float w = std::min(1.f, 2 * std::abs(u - r));
    return 1 - w * w * (3 - 2 * w);
}

// One light's contribution to a row: Lambert into D*, Ward's anisotropic lobe into S*.
// Separate, with restrict pointers and the light by value, so that the loop vectorizes.
struct ShadeLight {
    float lx, ly, lz, r, g, b, iaT, iaB, norm;
};
void addLight(int n, const ShadeLight l, float tx, float ty, const float* __restrict NX,
              const float* __restrict NY, const float* __restrict NZ, const float* __restrict VX,
              const float* __restrict VY, const float* __restrict VZ, const float* __restrict NDV,
              float* __restrict SR, float* __restrict SG, float* __restrict SB,
              float* __restrict DR, float* __restrict DG, float* __restrict DB)
{
    const float bx = -ty, by = tx;
    for (int x = 0; x < n; ++x) {
        const float nx = NX[x], ny = NY[x], nz = NZ[x];
        const float ndl = nx * l.lx + ny * l.ly + nz * l.lz;
        const float ndlc = std::max(ndl, 0.f);
        DR[x] += l.r * ndlc, DG[x] += l.g * ndlc, DB[x] += l.b * ndlc;
        // The lobe's exponent does not depend on the half vector's length.
        const float hx = l.lx + VX[x], hy = l.ly + VY[x], hz = l.lz + VZ[x];
        const float ndh = nx * hx + ny * hy + nz * hz;
        const float ht = (hx * tx + hy * ty) * l.iaT;
        const float hb = (hx * bx + hy * by) * l.iaB;
        const float arg = (ht * ht + hb * hb) / std::max(ndh * ndh, 1e-12f);
        const float lit = float(ndl > 0) * float(ndh > 0);
        const float ward = lit * l.norm * expNeg(std::min(arg, 16.f)) * std::sqrt(ndlc / NDV[x]);
        SR[x] += l.r * ward, SG[x] += l.g * ward, SB[x] += l.b * ward;
    }
}

// Normals (central differences of a row of heights padded by one pixel at each end), N.V,
// and the row's accumulators reset.
void normalsRow(int n, const float* __restrict row, const float* __restrict hu,
                const float* __restrict hd, const float* __restrict VX, const float* __restrict VY,
                const float* __restrict VZ, float amb, float* __restrict NX, float* __restrict NY,
                float* __restrict NZ, float* __restrict NDV, float* __restrict SR,
                float* __restrict SG, float* __restrict SB, float* __restrict DR,
                float* __restrict DG, float* __restrict DB)
{
    for (int x = 0; x < n; ++x) {
        const float gx = 0.5f * (row[x + 2] - row[x]);
        const float gy = 0.5f * (hd[x] - hu[x]);
        const float inv = 1 / std::sqrt(gx * gx + gy * gy + 1);
        NX[x] = -gx * inv, NY[x] = -gy * inv, NZ[x] = inv;
        NDV[x] = std::max(1e-3f, NX[x] * VX[x] + NY[x] * VY[x] + NZ[x] * VZ[x]);
        SR[x] = SG[x] = SB[x] = 0;
        DR[x] = DG[x] = DB[x] = amb;
    }
}

struct ShadeConstants {
    float ex, ey, envK, envPh, env, occK;
    std::array<float, 3> f0, diffuse, envRgb;
};

// The reflected surroundings, cavity occlusion and reflectance, combined into linear RGB.
void composeRow(int n, const ShadeConstants k, const float* __restrict NX,
                const float* __restrict NY, const float* __restrict NZ, const float* __restrict VX,
                const float* __restrict VY, const float* __restrict VZ, const float* __restrict NDV,
                float* __restrict SR, float* __restrict SG, float* __restrict SB,
                const float* __restrict DR, const float* __restrict DG, const float* __restrict DB,
                const float* __restrict hr, const float* __restrict mr, const float* __restrict dr,
                const float* __restrict sk, float* __restrict o)
{
    const float f0r = k.f0[0], f0g = k.f0[1], f0b = k.f0[2];
    const float er = k.envRgb[0], eg = k.envRgb[1], eb = k.envRgb[2];
    const float dfr = k.diffuse[0], dfg = k.diffuse[1], dfb = k.diffuse[2];
    for (int x = 0; x < n; ++x) {
        const float nx = NX[x], ny = NY[x], nz = NZ[x], ndv = NDV[x];
        // The surroundings seen in the mirror direction: soft stripes (softboxes, windows).
        const float rx = 2 * ndv * nx - VX[x], ry = 2 * ndv * ny - VY[x];
        const float rz = 2 * ndv * nz - VZ[x];
        const float band = stripe(k.envK * (rx * k.ex + ry * k.ey) + k.envPh);
        const float envL = k.env * (0.12f + band * band * band) * (0.6f + 0.4f * std::max(0.f, rz));
        const float occ = 1 / (1 + k.occK * std::max(0.f, mr[x] - hr[x]));
        const float shadeK = occ * dr[x] * sk[x];
        // Results go back into S* (in place) and are interleaved below.
        SR[x] = shadeK * (f0r * (SR[x] + envL * er) + dfr * DR[x]);
        SG[x] = shadeK * (f0g * (SG[x] + envL * eg) + dfg * DG[x]);
        SB[x] = shadeK * (f0b * (SB[x] + envL * eb) + dfb * DB[x]);
    }
    for (int x = 0; x < n; ++x) {
        o[3 * x] = SR[x];
        o[3 * x + 1] = SG[x];
        o[3 * x + 2] = SB[x];
    }
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
    std::vector<ShadeLight> lights;
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
    // Row by row in passes over plain arrays, without branches, so that the compiler
    // vectorizes them (4 or 8 pixels at a time).
    const ShadeConstants consts{ex, ey, envK, envPh, env, occK, f0, diffuse, envRgb};
    // One row: heights padded by a replicated pixel at each end, normals, view vectors, N.V,
    // specular and diffuse sums.
    std::vector<float> row(std::size_t(n) + 2);
    std::array<std::vector<float>, 13> a;
    for (auto& v : a)
        v.assign(std::size_t(n), 0.f);
    auto [NX, NY, NZ, VX, VY, VZ, NDV, SR, SG, SB, DR, DG, DB] =
        std::apply([](auto&... v) { return std::tuple{v.data()...}; }, a);
    const std::vector<float> ones(std::size_t(n), 1.f);
    for (int y = 0; y < n; ++y) {
        const float* hr = hp.ptr<float>(y);
        const float* hu = hp.ptr<float>(std::max(0, y - 1));
        const float* hd = hp.ptr<float>(std::min(n - 1, y + 1));
        const float* mr = mean.ptr<float>(y);
        const float* dr = dark.empty() ? ones.data() : dark.ptr<float>(y);
        const float* sk = streakMap.ptr<float>(y);
        const float* vw = view.ptr<float>(y);
        float* o = out.ptr<float>(y);
        std::copy(hr, hr + n, row.begin() + 1);
        row[0] = hr[0];
        row[n + 1] = hr[n - 1];
        for (int x = 0; x < n; ++x) {
            VX[x] = vw[3 * x], VY[x] = vw[3 * x + 1], VZ[x] = vw[3 * x + 2];
        }
        normalsRow(n, row.data(), hu, hd, VX, VY, VZ, amb, NX, NY, NZ, NDV, SR, SG, SB, DR, DG, DB);
        for (const auto& l : lights)
            addLight(n, l, tx, ty, NX, NY, NZ, VX, VY, VZ, NDV, SR, SG, SB, DR, DG, DB);
        composeRow(n, consts, NX, NY, NZ, VX, VY, VZ, NDV, SR, SG, SB, DR, DG, DB, hr, mr, dr, sk,
                   o);
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
