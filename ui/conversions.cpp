#include "ui/conversions.h"

#include "core/common/error.h"

#include <QCoreApplication>
#include <opencv2/imgproc.hpp>

namespace kizu::ui {

QImage heatmapOverlay(const cv::Mat& heat)
{
    cv::Mat u8, colour;
    heat.convertTo(u8, CV_8U, 255.0);
    cv::applyColorMap(u8, colour, cv::COLORMAP_JET);
    QImage img(colour.cols, colour.rows, QImage::Format_ARGB32);
    for (int y = 0; y < colour.rows; ++y) {
        auto* dst = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < colour.cols; ++x) {
            const auto c = colour.at<cv::Vec3b>(y, x);
            dst[x] = qRgba(c[2], c[1], c[0], int(u8.at<uchar>(y, x) * 0.6));
        }
    }
    return img;
}

QImage toQImage(const cv::Mat& m)
{
    if (m.empty()) return {};
    switch (m.type()) {
    case CV_8UC1:
        return QImage(m.data, m.cols, m.rows, int(m.step), QImage::Format_Grayscale8).copy();
    case CV_8UC3: {
        cv::Mat rgb;
        cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
        return QImage(rgb.data, rgb.cols, rgb.rows, int(rgb.step), QImage::Format_RGB888).copy();
    }
    case CV_8UC4: {
        cv::Mat rgba;
        cv::cvtColor(m, rgba, cv::COLOR_BGRA2RGBA);
        return QImage(rgba.data, rgba.cols, rgba.rows, int(rgba.step), QImage::Format_RGBA8888)
            .convertToFormat(QImage::Format_ARGB32);
    }
    default:
        throw InvalidArgument{"cannot show an image of OpenCV type " + std::to_string(m.type()) +
                              ": only 8-bit gray, BGR and BGRA images are shown"};
    }
}

QString labelText(project::Label label)
{
    switch (label) {
    case project::Label::Ok:
        return QStringLiteral("OK");
    case project::Label::Ng:
        return QStringLiteral("NG");
    default:
        return QCoreApplication::translate("kizu::ui", "unlabeled");
    }
}

} // namespace kizu::ui
