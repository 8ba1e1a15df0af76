// Fuzz target: image decoding with limits (header probe, pixel limit, truncation checks).
#include "core/common/error.h"
#include "core/imaging/image_io.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        kizu::imaging::ImageInfo info;
        cv::Mat m = kizu::imaging::decode(bytes, "fuzz", 4'000'000, &info);
        if (m.empty() || m.cols != info.width || m.rows != info.height) __builtin_trap();
    } catch (const kizu::Error&) {
    }
    return 0;
}
