// The region of interest: its JSON, its mask and crop, its place in the project (kept across
// reopening) and the baseline that no longer sees what lies outside it.
#include "core/baseline/baseline.h"
#include "core/common/error.h"
#include "core/imaging/roi.h"
#include "core/inspect/inspection_step.h"
#include "core/learn/dataset.h"
#include "core/project/project_roi.h"

#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using kizu::imaging::Roi;
namespace fs = std::filesystem;

class TestRoi : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path tmp(const char* sub) const { return fs::path(m_tmp.path().toStdString()) / sub; }

private slots:
    void jsonRoundTrip()
    {
        const Roi rect = Roi::rect(0.1, 0.2, 0.5, 0.25);
        QCOMPARE(Roi::fromJson(rect.toJson()), rect);
        QCOMPARE(Roi::fromJson(nlohmann::json::parse(rect.toJson().dump())), rect);
        QCOMPARE(rect.toJson()["kind"].get<std::string>(), std::string("rect"));
        Roi poly;
        poly.polygon = {{0.1, 0.1}, {0.9, 0.2}, {0.7, 0.9}, {0.2, 0.6}};
        QCOMPARE(Roi::fromJson(poly.toJson()), poly);
        QCOMPARE(Roi::fromJson(poly.toJson()).kind, Roi::Kind::Polygon);
        // Bad JSON says what is wrong.
        using J = nlohmann::json;
        for (const J& bad :
             {J::parse(R"({"kind":"circle","points":[]})"), J::parse(R"({"points":[[0,0],[1,1]]})"),
              J::parse(R"({"points":[[0,0],[1,0],[1.5,1]]})"),
              J::parse(R"({"points":[[0,0],[1,0],["a",1]]})"),
              J::parse(R"({"points":[[0,0],[1,1],[1,0],[0,1]]})"),
              J::parse(R"({"points":[[0,0],[0.5,0.5],[1,1]]})"), J::parse("[]")})
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, Roi::fromJson(bad));
    }

    void pixelInputIsChecked()
    {
        const cv::Size ref(200, 100);
        const Roi r = Roi::fromPixelRect({20, 10, 100, 50}, ref);
        QCOMPARE(r.polygon[0], cv::Point2d(0.1, 0.1));
        QCOMPARE(r.polygon[2], cv::Point2d(0.6, 0.6));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 Roi::fromPixelRect({150, 10, 100, 50}, ref));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, Roi::fromPixelRect({-1, 10, 10, 50}, ref));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, Roi::fromPixelRect({1, 10, 0, 50}, ref));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, Roi::fromPixelRect({1, 1, 5, 5}, {}));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 Roi::fromPixelPolygon({{0, 0}, {10, 10}}, ref));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 Roi::fromPixelPolygon({{0, 0}, {10, 10}, {300, 0}}, ref));
        const Roi p = Roi::fromPixelPolygon({{0, 0}, {200, 0}, {0, 100}}, ref);
        QCOMPARE(p.polygon[1], cv::Point2d(1, 0));
    }

    void maskAndBoundingBox()
    {
        const cv::Size size(200, 100);
        const Roi r = Roi::fromPixelRect({20, 10, 100, 50}, size);
        const cv::Mat m = r.mask(size);
        QCOMPARE(m.type(), CV_8U);
        QCOMPARE(m.size(), size);
        QCOMPARE(cv::countNonZero(m), 100 * 50);
        QCOMPARE(r.boundingBox(size), cv::Rect(20, 10, 100, 50));
        QCOMPARE(int(m.at<uchar>(10, 20)), 255);
        QCOMPARE(int(m.at<uchar>(59, 119)), 255);
        QCOMPARE(int(m.at<uchar>(60, 119)), 0);
        QCOMPARE(int(m.at<uchar>(59, 120)), 0);
        // The same normalised region on an image twice the size covers twice the sides.
        QCOMPARE(r.boundingBox({400, 200}), cv::Rect(40, 20, 200, 100));
        // A triangle covers about half its box.
        const Roi tri = Roi::fromPixelPolygon({{0, 0}, {200, 0}, {0, 100}}, size);
        const int n = cv::countNonZero(tri.mask(size));
        QVERIFY2(std::abs(n - 10000) < 250, qPrintable(QString::number(n)));
        QCOMPARE(int(tri.mask(size).at<uchar>(5, 5)), 255);
        QCOMPARE(int(tri.mask(size).at<uchar>(95, 195)), 0);
        // No region: everything.
        QCOMPARE(cv::countNonZero(Roi{}.mask(size)), 200 * 100);
        QCOMPARE(Roi{}.boundingBox(size), cv::Rect(0, 0, 200, 100));
    }

    void applyCropsAndFillsOutside()
    {
        cv::Mat img(100, 200, CV_8UC3, cv::Scalar(10, 20, 30));
        img(cv::Rect(0, 0, 100, 100)).setTo(cv::Scalar(200, 100, 50)); // left half
        // A rectangle: a plain crop.
        const Roi r = Roi::fromPixelRect({20, 10, 100, 50}, img.size());
        const cv::Mat c = applyRoi(img, r);
        QCOMPARE(c.size(), cv::Size(100, 50));
        QCOMPARE(c.type(), img.type());
        QCOMPARE(cv::norm(c, img(cv::Rect(20, 10, 100, 50)), cv::NORM_INF), 0.0);
        // A triangle over the left half only: outside filled with the inside mean (the left
        // half's colour), so the right half's colour is gone.
        const Roi tri = Roi::fromPixelPolygon({{0, 0}, {100, 0}, {0, 100}}, img.size());
        const cv::Mat t = applyRoi(img, tri);
        QVERIFY(t.cols <= 101 && t.rows <= 101);
        const cv::Scalar mean = cv::mean(t);
        QVERIFY(std::abs(mean[0] - 200) < 1 && std::abs(mean[1] - 100) < 1);
        // A grey image stays grey; no region returns the image itself.
        cv::Mat grey(50, 50, CV_8U, cv::Scalar(7));
        QCOMPARE(applyRoi(grey, tri).type(), CV_8U);
        QCOMPARE(applyRoi(img, Roi{}).data, img.data);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, applyRoi(cv::Mat(), r));
    }

    void projectSettingSurvivesReopen()
    {
        using namespace kizu::project;
        {
            auto s = ProjectStore::create(tmp("p"));
            QVERIFY(!projectRoi(s));
            QVERIFY(roiMaskFor(s, {20, 10}).empty());
            QCOMPARE(referenceImageSize(s), cv::Size(0, 0));
            setProjectRoi(s, Roi::rect(0.25, 0.5, 0.5, 0.5));
        }
        {
            auto s = ProjectStore::open(tmp("p"));
            const auto roi = projectRoi(s);
            QVERIFY(roi);
            QCOMPARE(*roi, Roi::rect(0.25, 0.5, 0.5, 0.5));
            const cv::Mat m = roiMaskFor(s, {20, 10});
            QCOMPARE(m.size(), cv::Size(20, 10));
            QCOMPARE(cv::countNonZero(m), 10 * 5);
            Roi bad;
            bad.polygon = {{0, 0}, {2, 0}, {0, 1}};
            QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, setProjectRoi(s, bad));
            QVERIFY(projectRoi(s)); // unchanged
            setProjectRoi(s, std::nullopt);
        }
        {
            auto s = ProjectStore::open(tmp("p"));
            QVERIFY(!projectRoi(s));
            s.setMeta(kRoiMetaKey, "{not json");
            QVERIFY_THROWS_EXCEPTION(kizu::FormatError, projectRoi(s));
        }
    }

    void baselineIgnoresABlobOutsideTheRegion()
    {
        using namespace kizu::baseline;
        // A plain surface with one bright spot near the right edge.
        cv::Mat img(240, 320, CV_8UC3, cv::Scalar(120, 120, 120));
        cv::RNG rng(3);
        cv::Mat noise(img.size(), CV_8UC3);
        rng.fill(noise, cv::RNG::NORMAL, 0, 2);
        img += noise;
        cv::circle(img, {280, 120}, 10, cv::Scalar(255, 255, 255), cv::FILLED);
        BaselineParams p;
        p.polarity = Polarity::Bright;
        p.marginX = 0;
        QVERIFY(runBaseline(img, p).ng);
        // The region leaves out the right quarter: the spot is not seen.
        const Roi roi = Roi::fromPixelRect({0, 0, 240, 240}, img.size());
        const auto r = runBaseline(applyRoi(img, roi), p);
        QVERIFY(!r.ng);
        QCOMPARE(r.imageSize, cv::Size(240, 240));
        // A spot inside the region still is.
        cv::circle(img, {100, 120}, 10, cv::Scalar(255, 255, 255), cv::FILLED);
        QVERIFY(runBaseline(applyRoi(img, roi), p).ng);
    }

    void inspectionSeesOnlyTheRegion()
    {
        using namespace kizu;
        struct SizeClassifier : inspect::Classifier {
            cv::Size seen;
            inspect::Verdict classify(const cv::Mat& m) override
            {
                seen = m.size();
                return {false, 0, 0.5};
            }
            std::string id() const override { return "size"; }
            std::string name() const override { return "size"; }
            cv::Mat heatmap(const cv::Mat& m) override
            {
                return cv::Mat(m.size(), CV_32F, cv::Scalar(1));
            }
        } cls;
        auto s = project::ProjectStore::create(tmp("inspect"));
        project::setProjectRoi(s, Roi::rect(0.25, 0.5, 0.5, 0.5));
        camera::Frame f;
        f.image = cv::Mat(100, 200, CV_8UC3, cv::Scalar(50, 60, 70));
        f.captured = std::chrono::steady_clock::now();
        inspect::InspectionOptions o;
        o.saveNgFrames = false;
        {
            inspect::InspectionStep step(cls, &s, o, "test");
            step.process(f);
            QCOMPARE(cls.seen, cv::Size(100, 50));
            const cv::Mat heat = step.heatmap(f.image);
            QCOMPARE(heat.size(), f.image.size());
            QCOMPARE(cv::countNonZero(heat), 100 * 50);
            QCOMPARE(heat.at<float>(75, 100), 1.0f);
            QCOMPARE(heat.at<float>(25, 100), 0.0f);
        }
        {
            // Without a project: whole frames, unless the options name a region.
            inspect::InspectionStep step(cls, nullptr, o, "test");
            step.process(f);
            QCOMPARE(cls.seen, cv::Size(200, 100));
            o.roi = Roi::rect(0, 0, 0.5, 1);
            inspect::InspectionStep cut(cls, nullptr, o, "test");
            cut.process(f);
            QCOMPARE(cls.seen, cv::Size(100, 100));
        }
    }

    void trainingImagesAreCutToTheRegion()
    {
        using namespace kizu;
        auto s = project::ProjectStore::create(tmp("learn"));
        // Left half dark, right half bright; the region keeps the left half only.
        cv::Mat img(64, 128, CV_8UC3, cv::Scalar(20, 20, 20));
        img(cv::Rect(64, 0, 64, 64)).setTo(cv::Scalar(230, 230, 230));
        std::vector<uchar> buf;
        cv::imencode(".png", img, buf);
        s.addEncodedImage(std::string(buf.begin(), buf.end()), ".png", "import", "",
                          project::Label::Ok);
        const auto whole = learn::listProject(tmp("learn"), "");
        QCOMPARE(int(whole.size()), 1);
        QVERIFY(!whole[0].roi);
        QVERIFY(cv::mean(learn::loadSquare(whole[0], 32))[0] > 100);
        project::setProjectRoi(s, Roi::rect(0, 0, 0.5, 1));
        const auto cut = learn::listProject(tmp("learn"), "");
        QVERIFY(cut[0].roi);
        QVERIFY(cv::mean(learn::loadSquare(cut[0], 32))[0] < 30);
        // A new region is new data: the data hash changes with it.
        QVERIFY(learn::dataHash(whole) != learn::dataHash(cut));
    }
};

QTEST_APPLESS_MAIN(TestRoi)
#include "test_roi.moc"
