// The direction and spacing of grinding marks (core/imaging/surface_orientation.h) on
// synthetic marks of known angle and period, with noise, in grey and colour, under a mask, and
// on inputs without marks or too small to measure.
#include "core/common/error.h"
#include "core/imaging/surface_orientation.h"

#include <QtTest>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

using kizu::imaging::estimateSurfaceOrientation;

namespace {

// Parallel marks along angleDeg (0 = horizontal, 90 = down), `period` px apart, with noise.
cv::Mat marks(double angleDeg, double period, cv::Size size = {320, 240}, double noise = 6,
              std::uint64_t seed = 1)
{
    const double a = angleDeg * std::numbers::pi / 180;
    const double nx = -std::sin(a), ny = std::cos(a);
    cv::Mat f(size, CV_32F);
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            f.at<float>(y, x) =
                float(128 + 40 * std::sin(2 * std::numbers::pi * (x * nx + y * ny) / period));
    cv::Mat n(size, CV_32F);
    cv::RNG(seed).fill(n, cv::RNG::NORMAL, 0, noise);
    f += n;
    cv::Mat u8;
    f.convertTo(u8, CV_8U);
    return u8;
}

// The smallest difference between two directions (degrees, modulo 180).
double angleError(double a, double b)
{
    const double d = std::fmod(std::abs(a - b), 180.0);
    return std::min(d, 180 - d);
}

} // namespace

class TestSurfaceOrientation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void knownMarks_data()
    {
        QTest::addColumn<double>("angle");
        QTest::addColumn<double>("period");
        for (double angle : {0.0, 17.0, 45.0, 90.0, 135.0, 172.0})
            for (double period : {5.0, 9.0, 16.0})
                QTest::addRow("%g deg, %g px", angle, period) << angle << period;
    }
    void knownMarks()
    {
        QFETCH(double, angle);
        QFETCH(double, period);
        const auto o = estimateSurfaceOrientation(marks(angle, period));
        QVERIFY2(angleError(o.angleDeg, angle) < 1.0, qPrintable(QString::number(o.angleDeg)));
        QVERIFY2(o.angleDeg >= 0 && o.angleDeg < 180, qPrintable(QString::number(o.angleDeg)));
        QVERIFY2(o.coherence > 0.8, qPrintable(QString::number(o.coherence)));
        QVERIFY2(std::abs(o.periodPx - period) < 0.05 * period,
                 qPrintable(QString::number(o.periodPx)));
    }

    void colourAndGreyAgree()
    {
        const cv::Mat grey = marks(30, 8);
        cv::Mat bgr, bgra;
        cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
        cv::cvtColor(grey, bgra, cv::COLOR_GRAY2BGRA);
        const auto g = estimateSurfaceOrientation(grey);
        for (const cv::Mat& m : {bgr, bgra}) {
            const auto c = estimateSurfaceOrientation(m);
            QCOMPARE(c.angleDeg, g.angleDeg);
            QCOMPARE(c.periodPx, g.periodPx);
        }
    }

    // Only the masked pixels count: marks at 60 degrees in the left half, at 150 in the right.
    void maskSelectsTheRegion()
    {
        cv::Mat img = marks(60, 10);
        marks(150, 10).colRange(160, 320).copyTo(img.colRange(160, 320));
        cv::Mat left = cv::Mat::zeros(img.size(), CV_8U), right = left.clone();
        left.colRange(0, 160).setTo(255);
        right.colRange(160, 320).setTo(255);
        QVERIFY(angleError(estimateSurfaceOrientation(img, left).angleDeg, 60) < 1.5);
        QVERIFY(angleError(estimateSurfaceOrientation(img, right).angleDeg, 150) < 1.5);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 estimateSurfaceOrientation(img, left.colRange(0, 100).clone()));
    }

    // Noise alone and a flat image have no direction and no period.
    void noMarks()
    {
        cv::Mat noise(240, 320, CV_8U);
        cv::RNG(3).fill(noise, cv::RNG::UNIFORM, 0, 256);
        const auto n = estimateSurfaceOrientation(noise);
        QVERIFY2(n.coherence < 0.1, qPrintable(QString::number(n.coherence)));
        const auto flat = estimateSurfaceOrientation(cv::Mat(64, 64, CV_8U, cv::Scalar(128)));
        QCOMPARE(flat.coherence, 0.0);
        QCOMPARE(flat.periodPx, 0.0);
    }

    void badInputs()
    {
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, estimateSurfaceOrientation(cv::Mat()));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 estimateSurfaceOrientation(cv::Mat(32, 32, CV_32F)));
        const auto tiny = estimateSurfaceOrientation(cv::Mat(1, 1, CV_8U, cv::Scalar(9)));
        QCOMPARE(tiny.coherence, 0.0);
        QCOMPARE(tiny.periodPx, 0.0);
        // Too few periods across a narrow strip: a direction, but no period claimed.
        const auto strip = estimateSurfaceOrientation(marks(0, 30, {200, 40}));
        QVERIFY(strip.periodPx == 0.0 || std::abs(strip.periodPx - 30) < 3);
    }
};

QTEST_APPLESS_MAIN(TestSurfaceOrientation)
#include "test_surface_orientation.moc"
