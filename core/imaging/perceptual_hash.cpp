#include "core/imaging/perceptual_hash.h"

#include "core/common/error.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace kizu::imaging {

std::string PerceptualHash::toBytes() const
{
    std::string out(words.size() * 8, '\0');
    for (std::size_t w = 0; w < words.size(); ++w)
        for (int b = 0; b < 8; ++b) out[w * 8 + b] = char((words[w] >> (8 * b)) & 0xff);
    return out;
}

std::optional<PerceptualHash> PerceptualHash::fromBytes(const std::string& bytes)
{
    PerceptualHash h;
    if (bytes.size() != h.words.size() * 8) return std::nullopt;
    for (std::size_t w = 0; w < h.words.size(); ++w)
        for (int b = 0; b < 8; ++b)
            h.words[w] |= std::uint64_t(static_cast<unsigned char>(bytes[w * 8 + b])) << (8 * b);
    return h;
}

namespace {
constexpr int kSide = 128, kKeep = 32;

// The area average of grey onto kSide x kSide, as cv::resize's INTER_AREA computes it (within
// its 8-bit rounding) at a fifth of the cost: the integral image of piecewise-constant pixels is
// bilinear between pixel corners, so interpolating it at a cell's fractional edges is exact.
cv::Mat areaShrink(const cv::Mat& grey)
{
    cv::Mat integ;
    cv::integral(grey, integ, CV_64F);
    const int w = grey.cols, h = grey.rows;
    std::array<int, kSide + 1> xi{}, yi{};
    std::array<double, kSide + 1> xf{}, yf{};
    for (int j = 0; j <= kSide; ++j) {
        const double cx = double(j) * w / kSide, cy = double(j) * h / kSide;
        xi[j] = std::min(int(cx), w - 1);
        xf[j] = cx - xi[j];
        yi[j] = std::min(int(cy), h - 1);
        yf[j] = cy - yi[j];
    }
    cv::Mat corner(kSide + 1, kSide + 1, CV_64F);
    for (int i = 0; i <= kSide; ++i) {
        const double* r0 = integ.ptr<double>(yi[i]);
        const double* r1 = integ.ptr<double>(yi[i] + 1);
        double* c = corner.ptr<double>(i);
        for (int j = 0; j <= kSide; ++j) {
            const int x = xi[j];
            const double a = r0[x] + (r0[x + 1] - r0[x]) * xf[j];
            const double b = r1[x] + (r1[x + 1] - r1[x]) * xf[j];
            c[j] = a + (b - a) * yf[i];
        }
    }
    cv::Mat out(kSide, kSide, CV_32F);
    const double cellArea = double(w) * h / (double(kSide) * kSide);
    for (int i = 0; i < kSide; ++i) {
        const double* c0 = corner.ptr<double>(i);
        const double* c1 = corner.ptr<double>(i + 1);
        float* o = out.ptr<float>(i);
        for (int j = 0; j < kSide; ++j)
            o[j] = float((c1[j + 1] - c0[j + 1] - c1[j] + c0[j]) / cellArea);
    }
    return out;
}
} // namespace

PerceptualHash perceptualHash(const cv::Mat& image)
{
    if (image.empty()) throw InvalidArgument("Cannot hash an empty image.");
    cv::Mat grey;
    if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    else if (image.channels() == 4) cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
    else grey = image;
    if (grey.depth() != CV_8U) grey.convertTo(grey, CV_8U);
    cv::Mat d;
    cv::dct(areaShrink(grey), d);
    std::vector<float> coeff;
    coeff.reserve(kKeep * kKeep);
    for (int y = 0; y < kKeep; ++y)
        for (int x = 0; x < kKeep; ++x) coeff.push_back(d.at<float>(y, x));
    // The median leaves out the DC term (mean brightness), so a brighter copy hashes the same;
    // 1023 values, so the median is the middle one.
    std::vector<float> rest(coeff.begin() + 1, coeff.end());
    auto mid = rest.begin() + std::ptrdiff_t(rest.size() / 2);
    std::nth_element(rest.begin(), mid, rest.end());
    const float median = *mid;
    PerceptualHash h;
    for (std::size_t k = 0; k < coeff.size(); ++k)
        if (coeff[k] > median) h.words[k / 64] |= std::uint64_t(1) << (k % 64);
    return h;
}

int hammingDistance(const PerceptualHash& a, const PerceptualHash& b)
{
    int n = 0;
    for (std::size_t w = 0; w < a.words.size(); ++w) n += std::popcount(a.words[w] ^ b.words[w]);
    return n;
}

} // namespace kizu::imaging
