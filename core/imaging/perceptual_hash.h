// Perceptual hashing for near-duplicate detection at import: two photos of one part taken a
// moment apart, a re-encoded or resized copy, a frame with a little more noise or light get
// hashes a few bits apart, where a byte hash (sha256) would differ completely.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

namespace kizu::imaging {

// A 1024-bit DCT hash: the image in grey, area-averaged to 128x128, its 32x32 lowest DCT
// frequencies compared with their median. 64 bits (8x8 of 32x32, the common pHash) cannot tell BSData's
// spindle positions apart: photos of different positions hash identically, so every image
// would end up in one near-duplicate group (measured in docs/near_duplicates.md).
struct PerceptualHash {
    std::array<std::uint64_t, 16> words{};
    static constexpr int kBits = 1024;

    bool operator==(const PerceptualHash&) const = default;
    // 128 bytes, little-endian words: how the project stores it.
    std::string toBytes() const;
    // nullopt when bytes is not 128 bytes long (a damaged or foreign value).
    static std::optional<PerceptualHash> fromBytes(const std::string& bytes);
};

// Images at most this many bits apart are near-duplicates. Chosen on BSData's train split: a
// photo and its copy with noise (sigma 12), +20 brightness, half size, JPEG quality 60 or a
// 1-pixel shift stay within it (at most 24 bits; +25 brightness in most photos), and no two
// photos of different spindle positions fall within it (the closest are 28 bits apart).
constexpr int kNearDuplicateBits = 24;

// The hash of an 8-bit image (grey, BGR or BGRA). Throws InvalidArgument on an empty image.
PerceptualHash perceptualHash(const cv::Mat& image);

int hammingDistance(const PerceptualHash& a, const PerceptualHash& b);

} // namespace kizu::imaging
