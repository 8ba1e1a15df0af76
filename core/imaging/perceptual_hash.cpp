#include "core/imaging/perceptual_hash.h"

#include "core/common/error.h"

#include <algorithm>
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

PerceptualHash perceptualHash(const cv::Mat& image)
{
    if (image.empty()) throw InvalidArgument("Cannot hash an empty image.");
    cv::Mat grey;
    if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    else if (image.channels() == 4) cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
    else grey = image;
    if (grey.depth() != CV_8U) grey.convertTo(grey, CV_8U);
    constexpr int kSide = 128, kKeep = 32;
    cv::Mat small, f, d;
    cv::resize(grey, small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
    small.convertTo(f, CV_32F);
    cv::dct(f, d);
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
