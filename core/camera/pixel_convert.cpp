#include "core/camera/frame_source.h"
#include "core/common/error.h"

#include <opencv2/imgproc.hpp>

namespace kizu::camera {

cv::Mat toBgr(const void* data, std::size_t size, int width, int height,
              const std::string& pixelFormat)
{
    if (width <= 0 || height <= 0) throw DeviceError("The camera delivered an empty frame.");
    auto need = [&](std::size_t bpp) {
        if (size < std::size_t(width) * std::size_t(height) * bpp)
            throw DeviceError("The camera delivered a short " + pixelFormat + " frame (" +
                              std::to_string(size) + " bytes for " + std::to_string(width) + "x" +
                              std::to_string(height) + ").");
    };
    void* p = const_cast<void*>(data);
    cv::Mat out;
    const std::string& f = pixelFormat;
    if (f == "Mono8") {
        need(1);
        cv::cvtColor(cv::Mat(height, width, CV_8UC1, p), out, cv::COLOR_GRAY2BGR);
    } else if (f == "Mono16" || f == "Mono12" || f == "Mono10") {
        need(2);
        const double scale = f == "Mono16" ? 1.0 / 256 : f == "Mono12" ? 1.0 / 16 : 1.0 / 4;
        cv::Mat g;
        cv::Mat(height, width, CV_16UC1, p).convertTo(g, CV_8U, scale);
        cv::cvtColor(g, out, cv::COLOR_GRAY2BGR);
    } else if (f.rfind("Bayer", 0) == 0 && f.size() == 8 && f[7] == '8') {
        need(1);
        // GenICam names the first two pixels of the first row; OpenCV names the second row's.
        const std::string pat = f.substr(5, 2);
        int code = pat == "RG" ? cv::COLOR_BayerBG2BGR
                   : pat == "GR" ? cv::COLOR_BayerGB2BGR
                   : pat == "GB" ? cv::COLOR_BayerGR2BGR
                   : pat == "BG" ? cv::COLOR_BayerRG2BGR
                                 : -1;
        if (code < 0) throw DeviceError("Unsupported Bayer pattern " + f + ".");
        cv::cvtColor(cv::Mat(height, width, CV_8UC1, p), out, code);
    } else if (f == "RGB8" || f == "RGB8Packed") {
        need(3);
        cv::cvtColor(cv::Mat(height, width, CV_8UC3, p), out, cv::COLOR_RGB2BGR);
    } else if (f == "BGR8" || f == "BGR8Packed") {
        need(3);
        out = cv::Mat(height, width, CV_8UC3, p).clone();
    } else {
        throw DeviceError("Pixel format " + f + " is not supported: set the camera to Mono8, "
                          "a Bayer 8-bit format or RGB8.");
    }
    return out;
}

} // namespace kizu::camera
