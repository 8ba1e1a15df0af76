// Thumbnails for browsing: decoded at a reduced scale where the codec allows it (JPEG decodes
// at 1/2, 1/4 or 1/8 size for a fraction of the cost), then shrunk to fit a square box. The
// same header checks and pixel limit as image_io apply, so a hostile file stays cheap.
#pragma once

#include "core/imaging/image_io.h"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace kizu::imaging {

// The reduced-decode factor (1, 2, 4 or 8) that keeps the longer side at or above maxSide.
int thumbnailReduction(int width, int height, int maxSide);

// The largest reduced-decode factor (1, 2, 4 or 8) at which a region of size `region` still
// covers `need` on both sides (training's loadForInput and live inspection's decodeReduction).
int reductionToCover(cv::Size region, cv::Size need);

// Decodes with decode()'s checks, at 1/factor of the full size where the codec allows it (JPEG,
// factor 2, 4 or 8, as factorFor(the full size from the header) asks; other values mean 1).
// Other formats decode in full. Returns 8-bit BGR; throws FormatError naming `name`.
cv::Mat decodeReduced(std::string_view bytes, const std::string& name,
                      const std::function<int(cv::Size)>& factorFor,
                      std::int64_t maxPixels = kDefaultMaxPixels);

// Decodes `bytes` and scales it (never up) so that its longer side is at most maxSide.
// Returns 8-bit BGR. Throws FormatError naming `name` like decode().
cv::Mat makeThumbnail(std::string_view bytes, const std::string& name, int maxSide,
                      std::int64_t maxPixels = kDefaultMaxPixels);

// Reads the file and makes its thumbnail; throws IoError when it cannot be read.
cv::Mat readThumbnail(const std::filesystem::path& file, int maxSide,
                      std::int64_t maxPixels = kDefaultMaxPixels);

} // namespace kizu::imaging
