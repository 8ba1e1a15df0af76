// Image decoding with limits: the size is read from the file header and checked before any
// pixel is decoded, so a huge or hostile file is refused cheaply; truncated files are caught.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace kizu::imaging {

enum class Format { Unknown, Jpeg, Png, Bmp, Tiff };

struct ImageInfo {
    Format format = Format::Unknown;
    int width = 0;
    int height = 0;
};

constexpr std::int64_t kDefaultMaxPixels = 100'000'000;

std::string extensionFor(Format f); // ".jpg", ".png", ".bmp", ".tif"
bool hasImageExtension(const std::filesystem::path& p);

// Reads format and size from the header bytes. Throws FormatError (naming `name`) when the
// bytes are not a supported image or the header is damaged.
ImageInfo probe(std::string_view bytes, const std::string& name);

// Probes, checks the pixel limit, decodes (colour, 8-bit BGR) and checks for truncation.
// Throws FormatError with an operator-readable reason naming `name`.
cv::Mat decode(std::string_view bytes, const std::string& name,
               std::int64_t maxPixels = kDefaultMaxPixels, ImageInfo* info = nullptr);

// Reads and decodes a file with the same checks; throws IoError when it cannot be read.
cv::Mat readImage(const std::filesystem::path& file, std::int64_t maxPixels = kDefaultMaxPixels);

} // namespace kizu::imaging
