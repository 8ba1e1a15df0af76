// Defect-map augmentation at the photo's own aspect (issue 21): canvas sizes, mask resizing,
// and augmentCanvas's promises: exact canvas, determinism, a masked defect kept or relabelled,
// a real NG photo's unknown defect never cropped or warped away, an OK photo's all-zero mask.
// kizu-test-timeout: 120
#include "common/test_images.h"
#include "core/common/error.h"
#include "core/learn/augment.h"
#include "core/learn/dataset.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <map>
#include <set>

using namespace kizu::learn;

Q_DECLARE_METATYPE(cv::Size)

namespace cv {
// Found by QCOMPARE through argument-dependent lookup: failures print the sizes.
char* toString(const cv::Size& s)
{
    return qstrdup(QByteArray::number(s.width) + "x" + QByteArray::number(s.height));
}
} // namespace cv

using kizu::test::same;
using kizu::test::texture;

namespace {

// A plain grey part with one bright round defect and its mask.
struct Blob {
    cv::Mat image, mask;
};
Blob blob(cv::Size size, cv::Point center, int radius)
{
    Blob b{cv::Mat(size, CV_8UC3, cv::Scalar::all(90)), cv::Mat::zeros(size, CV_8UC1)};
    cv::circle(b.image, center, radius, cv::Scalar::all(255), cv::FILLED);
    cv::circle(b.mask, center, radius, cv::Scalar(255), cv::FILLED);
    return b;
}

// A light grey photo with a square of a distinct colour in each corner.
const cv::Scalar kMarks[4] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {0, 0, 0}};
cv::Mat cornerMarks(cv::Size size, int side)
{
    cv::Mat im(size, CV_8UC3, cv::Scalar::all(200));
    const int w = size.width, h = size.height;
    const cv::Rect rects[4] = {{0, 0, side, side},
                               {w - side, 0, side, side},
                               {0, h - side, side, side},
                               {w - side, h - side, side, side}};
    for (int i = 0; i < 4; ++i)
        im(rects[i]).setTo(kMarks[i]);
    return im;
}
int pixelsOfColour(const cv::Mat& im, const cv::Scalar& colour)
{
    cv::Mat hit;
    cv::inRange(im, colour - cv::Scalar::all(12), colour + cv::Scalar::all(12), hit);
    return cv::countNonZero(hit);
}

// True when `out` is a pixel-wise function of `geometry` on the pixels whose 5x5 neighbourhood
// is uniform in `geometry` (two Sharpness ops reach 2 pixels): what photometric ops do, and what
// a rotate, shear or translate breaks (they move content, and fill with grey).
bool onlyPhotometric(const cv::Mat& geometry, const cv::Mat& out)
{
    auto key = [](const cv::Vec3b& v) { return (v[0] << 16) | (v[1] << 8) | v[2]; };
    std::map<int, int> f;
    for (int y = 2; y + 2 < geometry.rows; ++y)
        for (int x = 2; x + 2 < geometry.cols; ++x) {
            const cv::Vec3b g = geometry.at<cv::Vec3b>(y, x);
            bool uniform = true;
            for (int dy = -2; dy <= 2 && uniform; ++dy)
                for (int dx = -2; dx <= 2 && uniform; ++dx)
                    uniform = geometry.at<cv::Vec3b>(y + dy, x + dx) == g;
            if (!uniform) continue;
            const int o = key(out.at<cv::Vec3b>(y, x));
            auto [it, inserted] = f.emplace(key(g), o);
            if (!inserted && it->second != o) return false;
        }
    return true;
}

void checkShape(const MaskedSample& s, cv::Size canvas)
{
    QCOMPARE(s.image.type(), CV_8UC3);
    QCOMPARE(s.image.cols, canvas.width);
    QCOMPARE(s.image.rows, canvas.height);
    QCOMPARE(s.mask.type(), CV_8UC1);
    QCOMPARE(s.mask.cols, canvas.width);
    QCOMPARE(s.mask.rows, canvas.height);
    // 0/255 only
    QCOMPARE(cv::countNonZero(s.mask > 0), cv::countNonZero(s.mask == 255));
}

} // namespace

class TestLearnCanvas : public QObject {
    Q_OBJECT
private slots:
    void canvasKeepsTheAspectInStrides()
    {
        // 460 * 320 / 1130 = 130.3 -> 8 strides of 16
        QCOMPARE(canvasFor({1130, 460}, 320), cv::Size(320, 128));
        QCOMPARE(canvasFor({460, 1130}, 320), cv::Size(128, 320));
        const cv::Size c = canvasFor({1130, 460}, 320);
        QVERIFY(std::abs(double(c.width) / c.height / (1130.0 / 460.0) - 1.0) < 0.10);
        QCOMPARE(canvasFor({500, 500}, 128), cv::Size(128, 128));
        QCOMPARE(canvasFor({1000, 1000}, 100), cv::Size(96, 96));
        QCOMPARE(canvasFor({1000, 20}, 320), cv::Size(320, 32)); // 6.4 -> at least 32
        QCOMPARE(canvasFor({10, 10}, 8), cv::Size(32, 32));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, canvasFor({100, 100}, 0));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, canvasFor({0, 100}, 320));

        const cv::Mat r = resizeToCanvas(texture(1130, 460), 320);
        QCOMPARE(r.size(), cv::Size(320, 128));
        QCOMPARE(r.type(), CV_8UC3);
    }
    void resizedMaskKeepsATinyDefect()
    {
        cv::Mat mask = cv::Mat::zeros(64, 64, CV_8UC1);
        mask.at<uchar>(29, 13) = 1; // any non-zero value is defect
        const cv::Mat small = resizeMask(mask, {8, 8});
        QCOMPARE(small.type(), CV_8UC1);
        QCOMPARE(small.size(), cv::Size(8, 8));
        QCOMPARE(cv::countNonZero(small), 1);
        QCOMPARE(int(small.at<uchar>(29 / 8, 13 / 8)), 255);

        cv::Mat big = cv::Mat::zeros(400, 400, CV_8UC1);
        big.at<uchar>(200, 123) = 255;
        QCOMPARE(cv::countNonZero(resizeMask(big, {10, 10})), 1); // 40x: 1/1600 of a pixel
        QCOMPARE(cv::countNonZero(resizeMask(cv::Mat::zeros(64, 64, CV_8UC1), {8, 8})), 0);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 resizeMask(cv::Mat::zeros(8, 8, CV_8UC3), {4, 4}));
    }
    void outputIsExactlyTheCanvas()
    {
        const AugmentConfig cfg;
        const cv::Size images[] = {{1130, 460}, {200, 700}, {300, 300}, {17, 23}};
        const cv::Size canvases[] = {{320, 128}, {128, 320}, {128, 128}, {16, 16}, {112, 48}};
        for (const cv::Size& is : images)
            for (const cv::Size& c : canvases)
                for (int label : {kOk, kNg})
                    for (bool withMask : {false, true})
                        for (std::uint64_t seed = 0; seed < 4; ++seed) {
                            const Blob b = blob(is, {is.width / 2, is.height / 3}, 3);
                            const MaskedSample s =
                                augmentCanvas(texture(is.width, is.height),
                                              withMask ? b.mask : cv::Mat(), label, c, cfg, seed);
                            checkShape(s, c);
                            QCOMPARE(s.maskKnown, withMask || label == kOk);
                        }
        // Gray and BGRA photos are accepted as augment() accepts them.
        cv::Mat gray(50, 90, CV_8UC1, cv::Scalar(77)), bgra(50, 90, CV_8UC4, cv::Scalar::all(77));
        checkShape(augmentCanvas(gray, {}, kOk, {64, 32}, cfg, 1), {64, 32});
        checkShape(augmentCanvas(bgra, {}, kOk, {64, 32}, cfg, 1), {64, 32});
    }
    void sameSeedSameSample()
    {
        const AugmentConfig cfg;
        const Blob b = blob({400, 200}, {120, 90}, 6);
        cv::Mat im = texture(400, 200);
        b.image.copyTo(im, b.mask);
        const MaskedSample a = augmentCanvas(im, b.mask, kNg, {160, 80}, cfg, 42);
        const MaskedSample a2 = augmentCanvas(im, b.mask, kNg, {160, 80}, cfg, 42);
        QVERIFY(same(a.image, a2.image));
        QVERIFY(same(a.mask, a2.mask));
        QCOMPARE(a.label, a2.label);
        int differing = 0;
        for (std::uint64_t seed = 43; seed < 48; ++seed)
            differing += !same(a.image, augmentCanvas(im, b.mask, kNg, {160, 80}, cfg, seed).image);
        QCOMPARE(differing, 5);
    }
    void maskedDefectKeepsItsLabelHonest()
    {
        const cv::Size size(400, 200), canvas(160, 80);
        const cv::Point places[] = {{200, 100}, {0, 0},     {399, 0}, {0, 199},
                                    {399, 199}, {399, 100}, {200, 0}, {37, 181}};
        AugmentConfig strong;
        strong.magnitude = 9;
        strong.opProbability = 1.0; // every drawn op applied: the most geometry
        int relabelled = 0, kept = 0;
        for (const cv::Point& p : places) {
            const Blob b = blob(size, p, 4);
            for (std::uint64_t seed = 0; seed < 200; ++seed) {
                const MaskedSample s = augmentCanvas(b.image, b.mask, kNg, canvas, strong, seed);
                checkShape(s, canvas);
                QVERIFY(s.maskKnown);
                const int defect = cv::countNonZero(s.mask);
                QCOMPARE(s.label, defect > 0 ? kNg : kOk);
                (s.label == kOk ? relabelled : kept)++;
            }
        }
        // Most samples keep their defect; translations push some out.
        qInfo("NG with a mask: %d kept, %d relabelled OK", kept, relabelled);
        QVERIFY2(kept > 2 * relabelled && relabelled > 0,
                 qPrintable(QString("kept %1, relabelled %2").arg(kept).arg(relabelled)));

        // Without RandAugment the crop keeps the whole defect, at every place, for every seed,
        // and the mask covers the defect where the image shows it.
        AugmentConfig noGeometry;
        noGeometry.randAugment = false;
        for (const cv::Point& p : places) {
            const Blob b = blob(size, p, 4);
            const int inCanvas = cv::countNonZero(resizeMask(b.mask, canvas));
            for (std::uint64_t seed = 0; seed < 200; ++seed) {
                const MaskedSample s =
                    augmentCanvas(b.image, b.mask, kNg, canvas, noGeometry, seed);
                QCOMPARE(s.label, kNg);
                // zoom >= 1: at least as many defect pixels as at the covering scale (some
                // slack for the pixel grid)
                QVERIFY(cv::countNonZero(s.mask) * 10 >= inCanvas * 6);
                cv::Mat gray, shown;
                cv::cvtColor(s.image, gray, cv::COLOR_BGR2GRAY);
                shown = gray > 150;
                QCOMPARE(cv::countNonZero(shown & ~s.mask), 0);
            }
        }

        // At zoom 2.5 the scale is exactly 1: the crop must hold every defect pixel.
        noGeometry.zoomMin = noGeometry.zoomMax = 2.5;
        for (const cv::Point& p : places) {
            const Blob b = blob(size, p, 4);
            for (std::uint64_t seed = 0; seed < 200; ++seed) {
                const MaskedSample s =
                    augmentCanvas(b.image, b.mask, kNg, canvas, noGeometry, seed);
                QCOMPARE(cv::countNonZero(s.mask), cv::countNonZero(b.mask));
            }
        }
    }
    void maskFollowsGeometricOps()
    {
        // A bright round defect on a plain part. One op per sample: a photometric op changes
        // the defect's value but keeps it apart from the background's (two ops can merge them,
        // e.g. Equalize then Solarize), a geometric op moves it and fills with a third grey.
        // So the value deep inside the output mask must not appear where the mask is 0.
        const cv::Size size(400, 200), canvas(160, 80);
        AugmentConfig strong;
        strong.numOps = 1;
        strong.opProbability = 1.0;
        auto key = [](const cv::Vec3b& v) { return (v[0] << 16) | (v[1] << 8) | v[2]; };
        int checked = 0;
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            const Blob b = blob(size, {100 + int(seed % 5) * 50, 60 + int(seed % 3) * 40}, 14);
            const MaskedSample s = augmentCanvas(b.image, b.mask, kNg, canvas, strong, seed);
            cv::Mat core;
            cv::erode(s.mask, core, cv::Mat::ones(7, 7, CV_8U));
            if (cv::countNonZero(core) == 0) continue;
            ++checked;
            std::set<int> inside;
            for (int y = 0; y < s.image.rows; ++y)
                for (int x = 0; x < s.image.cols; ++x)
                    if (core.at<uchar>(y, x)) inside.insert(key(s.image.at<cv::Vec3b>(y, x)));
            for (int y = 0; y < s.image.rows; ++y)
                for (int x = 0; x < s.image.cols; ++x)
                    if (!s.mask.at<uchar>(y, x) && inside.count(key(s.image.at<cv::Vec3b>(y, x))))
                        QFAIL(qPrintable(QString("seed %1: the defect's value at (%2, %3), "
                                                 "outside the mask")
                                             .arg(seed)
                                             .arg(x)
                                             .arg(y)));
        }
        QVERIFY2(checked > 100, qPrintable(QString("only %1 samples checked").arg(checked)));
    }
    void defectBiggerThanTheCanvasIsCentred()
    {
        const cv::Size size(400, 200), canvas(160, 80);
        cv::Mat im(size, CV_8UC3, cv::Scalar::all(90)), mask = cv::Mat::zeros(size, CV_8UC1);
        mask(cv::Rect(60, 30, 300, 150)).setTo(255);
        im.setTo(cv::Scalar::all(250), mask);
        AugmentConfig cfg;
        cfg.randAugment = false;
        cfg.zoomMin = cfg.zoomMax = 2.5; // scale 1: the defect is 300x150, the canvas 160x80
        for (std::uint64_t seed = 0; seed < 20; ++seed) {
            const MaskedSample s = augmentCanvas(im, mask, kNg, canvas, cfg, seed);
            QCOMPARE(s.label, kNg);
            QCOMPARE(cv::countNonZero(s.mask), canvas.area());
        }
    }
    void maskedButDefectFreeStaysOk()
    {
        // A CG render with its (empty) mask and an OK label; and an NG whose mask is all zero.
        const cv::Mat im = texture(300, 120);
        const cv::Mat none = cv::Mat::zeros(im.size(), CV_8UC1);
        const MaskedSample ok = augmentCanvas(im, none, kOk, {128, 48}, AugmentConfig{}, 3);
        QVERIFY(ok.maskKnown);
        QCOMPARE(ok.label, kOk);
        QCOMPARE(cv::countNonZero(ok.mask), 0);
        const MaskedSample ng = augmentCanvas(im, none, kNg, {128, 48}, AugmentConfig{}, 3);
        QVERIFY(ng.maskKnown);
        QCOMPARE(ng.label, kOk);
    }
    void okWithoutMaskIsDefectFree()
    {
        AugmentConfig strong;
        strong.opProbability = 1.0;
        for (std::uint64_t seed = 0; seed < 20; ++seed) {
            const MaskedSample s =
                augmentCanvas(texture(1130, 460), {}, kOk, {320, 128}, strong, seed);
            checkShape(s, {320, 128});
            QVERIFY(s.maskKnown);
            QCOMPARE(s.label, kOk);
            QCOMPARE(cv::countNonZero(s.mask), 0);
        }
    }
    void realNgKeepsEveryCorner_data()
    {
        QTest::addColumn<cv::Size>("size");
        QTest::addColumn<int>("mark");
        QTest::addColumn<cv::Size>("canvas");
        // covering crops 1.5 % of the height: a crop, within the safe loss
        QTest::newRow("wide, own aspect")
            << cv::Size(1130, 460) << 24 << canvasFor({1130, 460}, 320);
        // covering would crop 60 %: fitted, padded
        QTest::newRow("wide on square") << cv::Size(1130, 460) << 76 << cv::Size(128, 128);
        QTest::newRow("tall on wide") << cv::Size(300, 900) << 50 << cv::Size(320, 128);
        // covering would crop 10 % of the width: beyond the 6 %, fitted
        QTest::newRow("a little wider") << cv::Size(1000, 360) << 40 << cv::Size(320, 128);
    }
    void realNgKeepsEveryCorner()
    {
        QFETCH(cv::Size, size);
        QFETCH(int, mark);
        QFETCH(cv::Size, canvas);
        const cv::Mat im = cornerMarks(size, mark);
        AugmentConfig geometryOnly;
        geometryOnly.randAugment = false;
        geometryOnly.zoomMin = geometryOnly.zoomMax = 2.0; // a real NG is never zoomed
        AugmentConfig strong = geometryOnly;
        strong.randAugment = true;
        strong.opProbability = 1.0;
        for (std::uint64_t seed = 0; seed < 100; ++seed) {
            const MaskedSample g = augmentCanvas(im, {}, kNg, canvas, geometryOnly, seed);
            checkShape(g, canvas);
            QVERIFY(!g.maskKnown);
            QCOMPARE(g.label, kNg);
            QCOMPARE(cv::countNonZero(g.mask), 0);
            for (int i = 0; i < 4; ++i)
                QVERIFY2(pixelsOfColour(g.image, kMarks[i]) >= 4,
                         qPrintable(QString("seed %1 lost corner %2").arg(seed).arg(i)));
            // With RandAugment: the same crop and flips, then photometric ops only.
            const MaskedSample s = augmentCanvas(im, {}, kNg, canvas, strong, seed);
            QCOMPARE(s.label, kNg);
            QVERIFY2(onlyPhotometric(g.image, s.image),
                     qPrintable(QString("seed %1 moved the image").arg(seed)));
        }
    }
    void geometricOpsDoMoveOtherImages()
    {
        // The check above can fail: an OK photo gets rotations, shears and translations.
        const cv::Mat im = cornerMarks({1130, 460}, 24);
        AugmentConfig geometryOnly;
        geometryOnly.randAugment = false;
        AugmentConfig strong;
        strong.opProbability = 1.0;
        int moved = 0;
        for (std::uint64_t seed = 0; seed < 100; ++seed) {
            const MaskedSample g = augmentCanvas(im, {}, kOk, {320, 128}, geometryOnly, seed);
            const MaskedSample s = augmentCanvas(im, {}, kOk, {320, 128}, strong, seed);
            moved += !onlyPhotometric(g.image, s.image);
        }
        QVERIFY2(moved > 20, qPrintable(QString("only %1 of 100 moved").arg(moved)));
    }
    void badInputsAreRefused()
    {
        const AugmentConfig cfg;
        const cv::Mat im = texture(100, 50);
        QVERIFY_THROWS_EXCEPTION(
            kizu::InvalidArgument,
            augmentCanvas(im, cv::Mat::zeros(49, 100, CV_8UC1), kNg, {64, 32}, cfg, 1));
        QVERIFY_THROWS_EXCEPTION(
            kizu::InvalidArgument,
            augmentCanvas(im, cv::Mat::zeros(50, 100, CV_32FC1), kNg, {64, 32}, cfg, 1));
        cv::Mat f;
        im.convertTo(f, CV_32FC3, 1.0 / 255);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 augmentCanvas(f, {}, kOk, {64, 32}, cfg, 1));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 augmentCanvas(cv::Mat(), {}, kOk, {64, 32}, cfg, 1));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, augmentCanvas(im, {}, kOk, {0, 0}, cfg, 1));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 augmentCanvas(im, {}, kOk, {15, 64}, cfg, 1));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, augmentCanvas(im, {}, 2, {64, 32}, cfg, 1));
    }
};

QTEST_APPLESS_MAIN(TestLearnCanvas)
#include "test_learn_canvas.moc"
