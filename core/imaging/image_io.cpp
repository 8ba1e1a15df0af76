#include "core/imaging/image_io.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <algorithm>
#include <cctype>
#include <opencv2/imgcodecs.hpp>

namespace kizu::imaging {
namespace {

std::uint32_t be16(const unsigned char* p) { return (std::uint32_t(p[0]) << 8) | p[1]; }
std::uint32_t be32(const unsigned char* p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}
std::uint32_t le16(const unsigned char* p) { return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8); }
std::uint32_t le32(const unsigned char* p)
{
    return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
           (std::uint32_t(p[3]) << 24);
}

[[noreturn]] void bad(const std::string& name, const std::string& why)
{
    throw FormatError(name + ": " + why);
}

ImageInfo probeJpeg(const unsigned char* d, std::size_t n, const std::string& name)
{
    std::size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) bad(name, "damaged JPEG header (marker expected); the file is corrupt.");
        unsigned char marker = d[i + 1];
        if (marker == 0xFF) {
            ++i;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) break;
        std::uint32_t len = be16(d + i + 2);
        if (len < 2) bad(name, "damaged JPEG header (segment length); the file is corrupt.");
        bool sof = (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 &&
                   marker != 0xCC;
        if (sof) {
            if (i + 9 > n) break;
            ImageInfo info{Format::Jpeg, int(be16(d + i + 7)), int(be16(d + i + 5))};
            return info;
        }
        i += 2 + len;
    }
    bad(name, "JPEG without a frame header; the file is truncated or corrupt.");
}

ImageInfo probeTiff(const unsigned char* d, std::size_t n, const std::string& name)
{
    bool le = d[0] == 'I';
    auto u16 = [&](std::size_t off) { return le ? le16(d + off) : be16(d + off); };
    auto u32 = [&](std::size_t off) { return le ? le32(d + off) : be32(d + off); };
    std::uint32_t ifd = u32(4);
    if (std::size_t(ifd) + 2 > n) bad(name, "TIFF directory lies past the end of the file; truncated.");
    std::uint32_t count = u16(ifd);
    if (std::size_t(ifd) + 2 + std::size_t(count) * 12 > n)
        bad(name, "TIFF directory is cut off; the file is truncated.");
    long w = -1, h = -1;
    for (std::uint32_t k = 0; k < count; ++k) {
        std::size_t e = ifd + 2 + std::size_t(k) * 12;
        std::uint32_t tag = u16(e), type = u16(e + 2);
        std::uint32_t v = type == 3 ? u16(e + 8) : u32(e + 8);
        if (tag == 256) w = v;
        if (tag == 257) h = v;
    }
    if (w <= 0 || h <= 0) bad(name, "TIFF without image width and height.");
    return {Format::Tiff, int(std::min<long>(w, INT32_MAX)), int(std::min<long>(h, INT32_MAX))};
}

} // namespace

std::string extensionFor(Format f)
{
    switch (f) {
    case Format::Jpeg: return ".jpg";
    case Format::Png: return ".png";
    case Format::Bmp: return ".bmp";
    case Format::Tiff: return ".tif";
    default: return "";
    }
}

bool hasImageExtension(const std::filesystem::path& p)
{
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp" || e == ".tif" ||
           e == ".tiff";
}

ImageInfo probe(std::string_view bytes, const std::string& name)
{
    auto d = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    if (n == 0) bad(name, "the file is empty.");
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return probeJpeg(d, n, name);
    static const unsigned char pngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n >= 8 && std::equal(pngSig, pngSig + 8, d)) {
        if (n < 24 || std::string_view(bytes.data() + 12, 4) != "IHDR")
            bad(name, "PNG without an IHDR header; the file is truncated or corrupt.");
        return {Format::Png, int(std::min<std::uint32_t>(be32(d + 16), INT32_MAX)),
                int(std::min<std::uint32_t>(be32(d + 20), INT32_MAX))};
    }
    if (n >= 2 && d[0] == 'B' && d[1] == 'M') {
        if (n < 26) bad(name, "BMP header is cut off; the file is truncated.");
        std::int32_t w = std::int32_t(le32(d + 18)), h = std::int32_t(le32(d + 22));
        if (w == INT32_MIN || h == INT32_MIN) bad(name, "BMP header has an invalid size.");
        return {Format::Bmp, std::abs(w), std::abs(h)};
    }
    if (n >= 8 && ((d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0) ||
                   (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42)))
        return probeTiff(d, n, name);
    bad(name, "not a supported image (JPEG, PNG, BMP or TIFF expected).");
}

cv::Mat decode(std::string_view bytes, const std::string& name, std::int64_t maxPixels,
               ImageInfo* infoOut)
{
    ImageInfo info = probe(bytes, name);
    if (info.width <= 0 || info.height <= 0) bad(name, "the header gives an empty image size.");
    const std::int64_t pixels = std::int64_t(info.width) * info.height;
    if (pixels > maxPixels)
        throw FormatError(name + ": " + std::to_string(info.width) + "x" +
                          std::to_string(info.height) + " pixels is above the limit of " +
                          std::to_string(maxPixels / 1'000'000) +
                          " megapixels; refused without decoding. Downscale the image first.");
    if (info.format == Format::Jpeg) {
        // libjpeg silently pads a truncated scan with grey: require the end-of-image marker.
        auto d = reinterpret_cast<const unsigned char*>(bytes.data());
        std::size_t n = bytes.size();
        bool eoi = false;
        for (std::size_t k = n; k >= 2 && k + 64 >= n; --k)
            if (d[k - 2] == 0xFF && d[k - 1] == 0xD9) {
                eoi = true;
                break;
            }
        if (!eoi) bad(name, "the JPEG data ends early; the file is truncated.");
    }
    if (info.format == Format::Png) {
        // libpng allocates a chunk's declared length before reading it (fuzz_image_decode: a
        // 294-byte file made it allocate 776 MB): every chunk must fit in what is left.
        auto d = reinterpret_cast<const unsigned char*>(bytes.data());
        const std::size_t n = bytes.size();
        for (std::size_t at = 8; n - at >= 12;) {
            const std::uint32_t len = be32(d + at);
            if (len > 0x7FFFFFFFu || std::size_t(len) > n - at - 12)
                bad(name, "a PNG chunk runs past the end of the file; it is truncated or corrupt.");
            if (std::string_view(bytes.data() + at + 4, 4) == "IEND") break;
            at += 12 + std::size_t(len);
        }
    }
    cv::Mat buf(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat img;
    try {
        img = cv::imdecode(buf, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
        img.release();
    }
    if (img.empty()) bad(name, "the image data cannot be decoded; the file is truncated or corrupt.");
    if (img.cols != info.width || img.rows != info.height)
        bad(name, "decoded size differs from the header; the file is corrupt.");
    if (infoOut) *infoOut = info;
    return img;
}

cv::Mat readImage(const std::filesystem::path& file, std::int64_t maxPixels)
{
    std::string bytes = readFile(file);
    return decode(bytes, file.string(), maxPixels);
}

} // namespace kizu::imaging
