// CG defects transplanted onto photos (core/cg/cg_transplant.h): masks, untouched pixels,
// determinism, visibility on a plain surface, alignment with the grinding marks, regions of
// interest, and bad inputs. Set KIZU_TRANSPLANT_DUMP=DIR to write the images for a look.
#include "common/test_support.h"
#include "core/cg/cg_transplant.h"
#include "core/cg/cg_transplant_batch.h"
#include "core/project/project_roi.h"
#include "core/project/project_scale.h"
#include "core/project/project_store.h"
#include "core/common/error.h"
#include "core/imaging/image_io.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::cg;

namespace {

// A ground-looking photo: parallel marks at `angleDeg`, `period` px apart, with noise.
cv::Mat groundPhoto(cv::Size size, double angleDeg, double period, int seed = 1)
{
    cv::Mat grey(size, CV_8U);
    const double a = angleDeg * CV_PI / 180, nx = -std::sin(a), ny = std::cos(a);
    cv::RNG rng(seed);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) {
            const double t = (x * nx + y * ny) / period * 2 * CV_PI;
            grey.at<std::uint8_t>(y, x) = cv::saturate_cast<std::uint8_t>(
                150 + 25 * std::sin(t) + rng.gaussian(4));
        }
    cv::Mat bgr;
    cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
}

CgParams pits()
{
    CgParams p = loadPreset("pitting");
    return p;
}

void dump(const QString& name, const cv::Mat& image)
{
    const QString dir = qEnvironmentVariable("KIZU_TRANSPLANT_DUMP");
    if (!dir.isEmpty()) cv::imwrite((dir + "/" + name + ".png").toStdString(), image);
}

} // namespace

class TestCgTransplant : public QObject {
    Q_OBJECT

private slots:
    // The mask marks the defect; every pixel that changed lies in the reported region and
    // within a few px of the mask (the feathered edge and the cavity's shading halo).
    void maskAndUnchangedPixels()
    {
        const cv::Mat photo = groundPhoto({400, 240}, 5, 7);
        for (std::uint64_t i = 0; i < 6; ++i) {
            const auto t = transplantDefect(photo, pits(), 7, i);
            QCOMPARE(t.image.size(), photo.size());
            QCOMPARE(t.image.type(), photo.type());
            QCOMPARE(t.mask.type(), CV_8UC1);
            QVERIFY2(cv::countNonZero(t.mask) > 0, "an NG transplant needs a non-empty mask");
            // Mask only inside the region.
            cv::Mat outsideRegion = t.mask.clone();
            outsideRegion(t.region).setTo(0);
            QCOMPARE(cv::countNonZero(outsideRegion), 0);
            // Pixels outside the region are byte-identical to the photo.
            cv::Mat diff;
            cv::absdiff(t.image, photo, diff);
            cv::Mat changed;
            cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
            changed = changed > 0;
            cv::Mat outside = changed.clone();
            outside(t.region).setTo(0);
            QCOMPARE(cv::countNonZero(outside), 0);
            QVERIFY2(cv::countNonZero(changed) > 0, "the transplant changed no pixel");
            // And within the defect dilated by the feather and halo bound.
            cv::Mat near;
            const int r = 40;
            cv::dilate(t.mask, near,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
            cv::Mat far = changed & ~near;
            QCOMPARE(cv::countNonZero(far), 0);
            // The mask is zero away from the changed pixels (it marks the defect, not more).
            cv::Mat maskNotChanged = t.mask & ~changed;
            QVERIFY(cv::countNonZero(maskNotChanged) < cv::countNonZero(t.mask) / 2 + 1);
            dump(QStringLiteral("mask_%1").arg(i), t.image);
            QVERIFY(t.sampled.contains("defects"));
            QCOMPARE(t.sampled["index"].get<std::uint64_t>(), i);
        }
    }

    // Same (photo, seed, params, index): byte-identical; another seed or index or photo: not.
    void deterministic()
    {
        const cv::Mat photo = groundPhoto({320, 200}, 10, 6);
        const auto a = transplantDefect(photo, pits(), 3, 5);
        const auto b = transplantDefect(photo, pits(), 3, 5);
        QCOMPARE(cv::norm(a.image, b.image, cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(a.mask, b.mask, cv::NORM_INF), 0.0);
        const auto analysis = analyzePhoto(photo);
        const auto c = transplantDefect(photo, pits(), 3, 5, {}, analysis);
        QCOMPARE(cv::norm(a.image, c.image, cv::NORM_INF), 0.0);
        QVERIFY(cv::norm(a.image, transplantDefect(photo, pits(), 4, 5).image, cv::NORM_INF) > 0);
        QVERIFY(cv::norm(a.image, transplantDefect(photo, pits(), 3, 6).image, cv::NORM_INF) > 0);
        const cv::Mat other = groundPhoto({320, 200}, 10, 6, 2);
        const auto d = transplantDefect(other, pits(), 3, 5);
        QVERIFY(d.sampled["photoHash"] != a.sampled["photoHash"]);
        // Parameters matter: scratches instead of pits.
        CgParams scratches = pits();
        scratches.scratch.probability = 1;
        scratches.pit.probability = 0;
        scratches.dent.probability = 0;
        scratches.crack.probability = 0;
        const auto e = transplantDefect(photo, scratches, 3, 5);
        QCOMPARE(e.sampled["defects"][0]["kind"].get<std::string>(), std::string("scratch"));
    }

    // On a uniform grey surface (no marks, no noise) a transplant is plainly visible: the
    // defect's pixels differ from the grey by a clear margin.
    void visibleOnUniformGrey()
    {
        const cv::Mat grey(300, 300, CV_8UC3, cv::Scalar(128, 128, 128));
        for (std::uint64_t i = 0; i < 4; ++i) {
            const auto t = transplantDefect(grey, pits(), 11, i);
            cv::Mat g;
            cv::cvtColor(t.image, g, cv::COLOR_BGR2GRAY);
            double lo, hi;
            cv::minMaxLoc(g, &lo, &hi, nullptr, nullptr, t.mask);
            const double contrast = std::max(128 - lo, hi - 128);
            QVERIFY2(contrast >= 25, qPrintable(QStringLiteral("contrast %1").arg(contrast)));
            dump(QStringLiteral("grey_%1").arg(i), t.image);
        }
    }

    // A scratch drawn "at an angle to the grain" follows the photo's marks: its direction
    // relative to the estimated grinding angle is within the parameters' range.
    void alignedWithTheMarks()
    {
        const cv::Mat photo = groundPhoto({420, 420}, 60, 6);
        const auto analysis = analyzePhoto(photo);
        QVERIFY2(std::abs(analysis.grindAngleDeg - 60) < 3,
                 qPrintable(QString::number(analysis.grindAngleDeg)));
        QVERIFY(std::abs(analysis.markPeriodPx - 6) < 0.6);
        // Marks resolved: the scale comes from them; a period too long for grinding marks (a
        // thread's pitch) falls back to the default field of view.
        QCOMPARE(estimatePxPerMm(6, 420), 6 / kTypicalMarkPeriodMm);
        QCOMPARE(estimatePxPerMm(150, 1130), 1130 / kDefaultFieldOfViewMm);
        QCOMPARE(estimatePxPerMm(0, 1130), 1130 / kDefaultFieldOfViewMm);
        QVERIFY(analysis.pxPerMmEstimated);
        QCOMPARE(analysis.pxPerMm, estimatePxPerMm(analysis.markPeriodPx, photo.cols));
        QCOMPARE(transplantDefect(photo, pits(), 1, 0, {}, analysis).sampled["grindAngleDeg"]
                     .get<double>(),
                 analysis.grindAngleDeg);
        kizu::cg::TransplantOptions o;
        o.grindAngleDeg = 20;
        o.pxPerMm = 150;
        const auto overridden = analyzePhoto(photo, o);
        QCOMPARE(overridden.grindAngleDeg, 20.0);
        QCOMPARE(overridden.pxPerMm, 150.0);
        QVERIFY(!overridden.pxPerMmEstimated);
        // The scale changes the defect's size in pixels.
        o.grindAngleDeg.reset();
        CgParams pitsOnly = pits();
        pitsOnly.scratch.probability = pitsOnly.dent.probability = pitsOnly.crack.probability = 0;
        o.pxPerMm = 80;
        const auto small = transplantDefect(photo, pitsOnly, 1, 0, o);
        o.pxPerMm = 240;
        const auto large = transplantDefect(photo, pitsOnly, 1, 0, o);
        QCOMPARE(large.sampled["defectScale"].get<double>(), 1.0);
        QVERIFY2(cv::countNonZero(large.mask) > 4 * cv::countNonZero(small.mask),
                 qPrintable(QStringLiteral("%1 vs %2")
                                .arg(cv::countNonZero(large.mask))
                                .arg(cv::countNonZero(small.mask))));
    }

    // Never outside the region of interest.
    void staysInTheRegion()
    {
        const cv::Mat photo = groundPhoto({400, 300}, 0, 8);
        kizu::cg::TransplantOptions o;
        o.roi = cv::Mat::zeros(photo.size(), CV_8U);
        const cv::Rect allowed(220, 60, 160, 200);
        o.roi(allowed).setTo(255);
        for (std::uint64_t i = 0; i < 8; ++i) {
            const auto t = transplantDefect(photo, pits(), 5, i, o);
            QVERIFY2((t.region & allowed) == t.region,
                     qPrintable(QStringLiteral("region %1,%2 %3x%4")
                                    .arg(t.region.x)
                                    .arg(t.region.y)
                                    .arg(t.region.width)
                                    .arg(t.region.height)));
            cv::Mat diff;
            cv::absdiff(t.image, photo, diff);
            diff(allowed).setTo(0);
            QCOMPARE(cv::norm(diff, cv::NORM_INF), 0.0);
        }
        // The same region given as fractions (a project's region of interest).
        kizu::cg::TransplantOptions f;
        f.region = std::make_shared<const kizu::imaging::Roi>(kizu::imaging::Roi::fromPixelRect(
            cv::Rect2d(allowed.x, allowed.y, allowed.width, allowed.height), photo.size()));
        for (std::uint64_t i = 0; i < 4; ++i) {
            const auto t = transplantDefect(photo, pits(), 5, i, f);
            QVERIFY((t.region & allowed) == t.region);
        }
        // A region too small for anything is refused with a message, not a crash.
        o.roi = cv::Mat::zeros(photo.size(), CV_8U);
        o.roi(cv::Rect(10, 10, 3, 3)).setTo(255);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, transplantDefect(photo, pits(), 5, 0, o));
        o.roi = cv::Mat::zeros(10, 10, CV_8U);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, transplantDefect(photo, pits(), 5, 0, o));
    }

    // Bad and odd inputs: clear errors, or a smaller defect; never a crash.
    void badInputs()
    {
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 transplantDefect(cv::Mat(), pits(), 1, 0));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 transplantDefect(cv::Mat(1, 1, CV_8UC3, cv::Scalar(9)), pits(), 1, 0));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 transplantDefect(cv::Mat(64, 64, CV_32FC3), pits(), 1, 0));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 transplantDefect(cv::Mat(64, 64, CV_8UC2), pits(), 1, 0));
        kizu::cg::TransplantOptions bad;
        bad.defectScale = 0;
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 transplantDefect(groundPhoto({64, 64}, 0, 5), pits(), 1, 0, bad));
        // Greyscale in, greyscale out.
        cv::Mat grey;
        cv::cvtColor(groundPhoto({200, 160}, 0, 5), grey, cv::COLOR_BGR2GRAY);
        const auto g = transplantDefect(grey, pits(), 1, 0);
        QCOMPARE(g.image.type(), CV_8UC1);
        QVERIFY(cv::countNonZero(g.mask) > 0);
        // BGRA keeps its alpha channel untouched.
        cv::Mat bgra;
        cv::cvtColor(groundPhoto({200, 160}, 0, 5), bgra, cv::COLOR_BGR2BGRA);
        const auto c4 = transplantDefect(bgra, pits(), 1, 0);
        std::vector<cv::Mat> planes;
        cv::split(c4.image, planes);
        QCOMPARE(cv::countNonZero(planes[3] != 255), 0);
        // A photo smaller than the defect: a smaller defect, inside the photo.
        CgParams big = pits();
        big.pit.radiusUm = {400, 500};
        big.pit.clusterSpreadMm = {1, 2};
        const cv::Mat tiny = groundPhoto({24, 20}, 0, 4);
        const auto t = transplantDefect(tiny, big, 1, 0);
        QCOMPARE(t.image.size(), tiny.size());
        QVERIFY(cv::countNonZero(t.mask) > 0);
        QVERIFY(t.sampled["defectScale"].get<double>() < 1);
    }

    // The project's photo scale: set, read back after reopening, cleared; bad values refused;
    // the transplant options of the project use it unless the caller gives a scale.
    void projectScale()
    {
        QTemporaryDir tmp;
        const std::filesystem::path dir = tmp.filePath("p").toStdString();
        {
            auto store = kizu::project::ProjectStore::create(dir);
            QVERIFY(!kizu::project::projectPxPerMm(store));
            QVERIFY(!kizu::cg::projectTransplantOptions(store).pxPerMm);
            kizu::project::setProjectPxPerMm(store, 80.5);
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                     kizu::project::setProjectPxPerMm(store, 0.0));
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                     kizu::project::setProjectPxPerMm(store, -3.0));
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                     kizu::project::setProjectPxPerMm(store, std::nan("")));
        }
        auto store = kizu::project::ProjectStore::open(dir);
        QCOMPARE(kizu::project::projectPxPerMm(store).value_or(0), 80.5);
        QCOMPARE(kizu::cg::projectTransplantOptions(store).pxPerMm.value_or(0), 80.5);
        kizu::cg::TransplantOptions mine;
        mine.pxPerMm = 200;
        QCOMPARE(kizu::cg::projectTransplantOptions(store, mine).pxPerMm.value_or(0), 200.0);
        // A hand-edited value that is no number reads as unset.
        store.setMeta(kizu::project::kPxPerMmKey, "eighty");
        QVERIFY(!kizu::project::projectPxPerMm(store));
        kizu::project::setProjectPxPerMm(store, std::nullopt);
        QVERIFY(!kizu::project::projectPxPerMm(store));
        // The project's region of interest reaches the options as a region in fractions.
        QVERIFY(!kizu::cg::projectTransplantOptions(store).region);
        kizu::project::setProjectRoi(store, kizu::imaging::Roi::rect(0.5, 0, 0.5, 1));
        const auto withRoi = kizu::cg::projectTransplantOptions(store);
        QVERIFY(withRoi.region);
        const cv::Mat photo = groundPhoto({200, 100}, 0, 5);
        for (std::uint64_t i = 0; i < 3; ++i)
            QVERIFY(transplantDefect(photo, pits(), 2, i, withRoi).region.x >= 100);
    }

    // On real photos (BSData OK, when present): a defect lands, and the photo's scale and
    // direction estimates are in a sane range.
    void onRealPhotos()
    {
        const QString dir = kizu::test::bsdataDir();
        if (dir.isEmpty()) KIZU_SKIP_REQUIRED("BSData is not present (set KIZU_BSDATA)");
        const QStringList oks = QDir(dir + "/ok").entryList({"*.jpg"}, QDir::Files, QDir::Name);
        QVERIFY(oks.size() > 10);
        for (int k = 0; k < 3; ++k) {
            const cv::Mat photo =
                cv::imread((dir + "/ok/" + oks[k * 100]).toStdString(), cv::IMREAD_COLOR);
            QVERIFY(!photo.empty());
            const auto a = analyzePhoto(photo);
            QVERIFY(a.pxPerMm >= kMinPxPerMm && a.pxPerMm <= kMaxPxPerMm);
            QVERIFY(a.noiseSigma > 0 && a.noiseSigma < 30);
            const auto t = transplantDefect(photo, pits(), 1, std::uint64_t(k), {}, a);
            QVERIFY(cv::countNonZero(t.mask) > 0);
            dump(QStringLiteral("bsdata_%1").arg(k), t.image);
        }
    }
};

QTEST_APPLESS_MAIN(TestCgTransplant)
#include "test_cg_transplant.moc"
