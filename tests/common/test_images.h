// Small synthetic images shared by the augmentation tests (OpenCV only).
#pragma once

#include <opencv2/core.hpp>

namespace kizu::test {

// A textured BGR image with values in 40..210, so that every augmentation op has something to
// change.
inline cv::Mat texture(int w = 96, int h = 80)
{
    cv::Mat im(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            im.at<cv::Vec3b>(y, x) =
                cv::Vec3b(uchar(40 + (x * 7 + y * 3) % 170), uchar(40 + (x * x + y) % 170),
                          uchar(40 + (y * 11) % 170));
    return im;
}

// Same size, type and every pixel.
inline bool same(const cv::Mat& a, const cv::Mat& b)
{
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

} // namespace kizu::test
