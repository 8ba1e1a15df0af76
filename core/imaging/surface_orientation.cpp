#include "core/imaging/surface_orientation.h"

#include "core/common/error.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace kizu::imaging {

namespace {

cv::Mat greyFloat(const cv::Mat& image)
{
    cv::Mat grey;
    switch (image.channels()) {
    case 1:
        grey = image;
        break;
    case 3:
        cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
        break;
    case 4:
        cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
        break;
    default:
        throw InvalidArgument("estimateSurfaceOrientation: an image of 1, 3 or 4 channels is "
                              "needed, not " +
                              std::to_string(image.channels()));
    }
    cv::Mat f;
    grey.convertTo(f, CV_32F);
    return f;
}

// The dominant period (px) of a zero-mean profile: the strongest DFT bin with at least four
// periods in the profile and at least 2 px per period, refined by a parabola through its
// neighbours. 0 when the profile carries no such peak.
double dominantPeriod(std::vector<double> p)
{
    const int n = int(p.size());
    if (n < 16) return 0;
    double mean = 0;
    for (double v : p)
        mean += v;
    mean /= n;
    for (int i = 0; i < n; ++i) // Hann window against leakage from the profile's ends
        p[std::size_t(i)] =
            (p[std::size_t(i)] - mean) * (0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / (n - 1)));
    std::vector<double> power(std::size_t(n / 2 + 1), 0.0);
    for (int k = 1; k <= n / 2; ++k) {
        double re = 0, im = 0;
        for (int i = 0; i < n; ++i) {
            const double a = 2 * std::numbers::pi * k * i / n;
            re += p[std::size_t(i)] * std::cos(a);
            im -= p[std::size_t(i)] * std::sin(a);
        }
        power[std::size_t(k)] = re * re + im * im;
    }
    int best = 0;
    double total = 0;
    for (int k = 4; k <= n / 2; ++k) {
        total += power[std::size_t(k)];
        if (!best || power[std::size_t(k)] > power[std::size_t(best)]) best = k;
    }
    if (!best || total <= 0 || power[std::size_t(best)] < 0.05 * total) return 0;
    // A stronger component with fewer than four periods in the profile: the marks are wider
    // than the profile can resolve, and the peak found is only one of their harmonics.
    for (int k = 1; k < 4 && k <= n / 2; ++k)
        if (power[std::size_t(k)] > power[std::size_t(best)]) return 0;
    double shift = 0;
    if (best > 4 && best < n / 2) {
        const double a = power[std::size_t(best - 1)], b = power[std::size_t(best)],
                     c = power[std::size_t(best + 1)];
        const double d = a - 2 * b + c;
        if (d < 0) shift = 0.5 * (a - c) / d;
    }
    return n / (best + shift);
}

} // namespace

SurfaceOrientation estimateSurfaceOrientation(const cv::Mat& image, const cv::Mat& mask)
{
    if (image.empty()) throw InvalidArgument("estimateSurfaceOrientation: the image is empty");
    if (image.depth() != CV_8U)
        throw InvalidArgument("estimateSurfaceOrientation: an 8-bit image is needed");
    if (!mask.empty() && (mask.size() != image.size() || mask.type() != CV_8UC1))
        throw InvalidArgument("estimateSurfaceOrientation: the mask must be 8-bit, one channel "
                              "and the image's size");
    SurfaceOrientation out;
    if (image.cols < 8 || image.rows < 8) return out;
    const cv::Mat f = greyFloat(image);
    cv::Mat gx, gy;
    cv::Scharr(f, gx, CV_32F, 1, 0);
    cv::Scharr(f, gy, CV_32F, 0, 1);
    // Sums of the gradient outer products over the (masked) interior; the one-pixel border has
    // one-sided gradients.
    double jxx = 0, jyy = 0, jxy = 0;
    for (int y = 1; y < f.rows - 1; ++y) {
        const float* px = gx.ptr<float>(y);
        const float* py = gy.ptr<float>(y);
        const std::uint8_t* m = mask.empty() ? nullptr : mask.ptr<std::uint8_t>(y);
        for (int x = 1; x < f.cols - 1; ++x) {
            if (m && !m[x]) continue;
            jxx += double(px[x]) * px[x];
            jyy += double(py[x]) * py[x];
            jxy += double(px[x]) * py[x];
        }
    }
    const double trace = jxx + jyy;
    if (trace <= 1e-9) return out; // flat
    out.coherence = std::sqrt((jxx - jyy) * (jxx - jyy) + 4 * jxy * jxy) / trace;
    // The gradients point across the marks; the marks run at right angles to them.
    const double gradient = 0.5 * std::atan2(2 * jxy, jxx - jyy);
    double angle = (gradient + std::numbers::pi / 2) * 180 / std::numbers::pi;
    angle = std::fmod(angle, 180.0);
    if (angle < 0) angle += 180;
    out.angleDeg = angle >= 180 ? 0 : angle;

    // The profile across the marks: every pixel's intensity, averaged per 1-px step of its
    // distance along the normal of the marks.
    const double a = out.angleDeg * std::numbers::pi / 180;
    const double nx = -std::sin(a), ny = std::cos(a);
    double lo = 0, hi = 0;
    for (double cx : {0.0, double(f.cols - 1)})
        for (double cy : {0.0, double(f.rows - 1)}) {
            const double t = cx * nx + cy * ny;
            lo = std::min(lo, t);
            hi = std::max(hi, t);
        }
    const int bins = int(std::ceil(hi - lo)) + 2;
    std::vector<double> sum(std::size_t(bins), 0.0), count(std::size_t(bins), 0.0);
    for (int y = 0; y < f.rows; ++y) {
        const float* row = f.ptr<float>(y);
        const std::uint8_t* m = mask.empty() ? nullptr : mask.ptr<std::uint8_t>(y);
        for (int x = 0; x < f.cols; ++x) {
            if (m && !m[x]) continue;
            const int b = std::clamp(int(std::lround(x * nx + y * ny - lo)), 0, bins - 1);
            sum[std::size_t(b)] += row[x];
            count[std::size_t(b)] += 1;
        }
    }
    // The bins at the ends hold few pixels (the corners): keep those with at least a quarter of
    // the fullest bin's pixels, as one stretch.
    double most = 0;
    for (double c : count)
        most = std::max(most, c);
    int first = 0, last = bins - 1;
    while (first < bins && count[std::size_t(first)] < 0.25 * most)
        ++first;
    while (last > first && count[std::size_t(last)] < 0.25 * most)
        --last;
    std::vector<double> profile;
    for (int b = first; b <= last; ++b)
        profile.push_back(count[std::size_t(b)] > 0 ? sum[std::size_t(b)] / count[std::size_t(b)]
                                                    : (profile.empty() ? 0 : profile.back()));
    out.periodPx = dominantPeriod(std::move(profile));
    return out;
}

} // namespace kizu::imaging
