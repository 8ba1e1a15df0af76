#include "core/imaging/thumbnail.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace kizu::imaging {

namespace {
// libjpeg pads a truncated scan with grey; decode() refuses such files, so must we.
bool jpegHasEnd(std::string_view bytes)
{
    auto d = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    for (std::size_t k = n; k >= 2 && k + 64 >= n; --k)
        if (d[k - 2] == 0xFF && d[k - 1] == 0xD9) return true;
    return false;
}
} // namespace

int thumbnailReduction(int width, int height, int maxSide)
{
    const int longer = std::max(width, height);
    int factor = 1;
    while (factor < 8 && longer / (factor * 2) >= maxSide)
        factor *= 2;
    return factor;
}

int reductionToCover(cv::Size region, cv::Size need)
{
    int factor = 1;
    while (factor < 8 && region.width / (factor * 2) >= need.width &&
           region.height / (factor * 2) >= need.height)
        factor *= 2;
    return factor;
}

cv::Mat decodeReduced(std::string_view bytes, const std::string& name,
                      const std::function<int(cv::Size)>& factorFor, std::int64_t maxPixels)
{
    const ImageInfo info = probe(bytes, name);
    const int asked = factorFor ? factorFor(cv::Size(info.width, info.height)) : 1;
    const int factor = asked == 2 || asked == 4 || asked == 8 ? asked : 1;
    if (info.format != Format::Jpeg || factor == 1 ||
        std::int64_t(info.width) * info.height > maxPixels)
        return decode(bytes, name, maxPixels); // the full checks; other codecs cannot reduce
    if (!jpegHasEnd(bytes))
        throw FormatError(name + ": the JPEG data ends early; the file is truncated.");
    const int flag = factor == 8   ? cv::IMREAD_REDUCED_COLOR_8
                     : factor == 4 ? cv::IMREAD_REDUCED_COLOR_4
                                   : cv::IMREAD_REDUCED_COLOR_2;
    cv::Mat buf(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat img;
    try {
        img = cv::imdecode(buf, flag);
    } catch (const cv::Exception&) {
        img.release();
    }
    const int expectW = (info.width + factor - 1) / factor;
    const int expectH = (info.height + factor - 1) / factor;
    if (img.empty() || img.cols != expectW || img.rows != expectH)
        throw FormatError(name + ": the image data cannot be decoded; the file is truncated "
                                 "or corrupt.");
    return img;
}

cv::Mat makeThumbnail(std::string_view bytes, const std::string& name, int maxSide,
                      std::int64_t maxPixels)
{
    if (maxSide < 1) throw InvalidArgument("A thumbnail needs a size of at least one pixel.");
    const cv::Mat img = decodeReduced(
        bytes, name, [maxSide](cv::Size s) { return thumbnailReduction(s.width, s.height, maxSide); },
        maxPixels);
    const int longer = std::max(img.cols, img.rows);
    if (longer <= maxSide) return img;
    const double scale = double(maxSide) / longer;
    cv::Mat out;
    cv::resize(img, out,
               cv::Size(std::max(1, int(img.cols * scale + 0.5)),
                        std::max(1, int(img.rows * scale + 0.5))),
               0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat readThumbnail(const std::filesystem::path& file, int maxSide, std::int64_t maxPixels)
{
    const std::string bytes = readFile(file);
    return makeThumbnail(bytes, file.string(), maxSide, maxPixels);
}

} // namespace kizu::imaging
