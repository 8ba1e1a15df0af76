// The classical baseline on synthetic ground-metal texture: pits and scratches are NG, clean
// surfaces and grinding marks are OK; parameters validate with clear errors and round-trip
// through JSON; the tuner beats the default parameters on a small labeled set.
// kizu-test-timeout: 120
#include "core/baseline/baseline.h"
#include "core/baseline/baseline_eval.h"
#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>

using namespace kizu::baseline;

namespace {

// Parallel grinding stripes along x, a slow light gradient and noise, in BGR.
cv::Mat groundTexture(cv::Size size, std::uint64_t seed)
{
    cv::RNG rng(seed);
    cv::Mat g(size, CV_32F);
    const double phase = rng.uniform(0.0, 6.28);
    for (int y = 0; y < size.height; ++y) {
        float* row = g.ptr<float>(y);
        for (int x = 0; x < size.width; ++x)
            row[x] = float(130 + 12 * std::sin(6.283 * y / 7.0 + phase) + 30.0 * x / size.width);
    }
    cv::Mat noise(size, CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 5);
    g += noise;
    cv::Mat u8, bgr;
    g.convertTo(u8, CV_8U);
    cv::cvtColor(u8, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
}

void drawPit(cv::Mat& img, cv::Point c, int radius, int depth)
{
    cv::Mat layer = cv::Mat::zeros(img.size(), CV_8UC3);
    cv::circle(layer, c, radius, cv::Scalar::all(depth), cv::FILLED, cv::LINE_AA);
    cv::GaussianBlur(layer, layer, cv::Size(0, 0), 1.0);
    cv::subtract(img, layer, img);
}

void drawScratch(cv::Mat& img, cv::Point a, cv::Point b, int depth)
{
    cv::Mat layer = cv::Mat::zeros(img.size(), CV_8UC3);
    cv::line(layer, a, b, cv::Scalar::all(depth), 3, cv::LINE_AA);
    cv::subtract(img, layer, img);
}

// A long dark line along the grinding direction: a grinding mark, not a defect.
void drawGrindingMark(cv::Mat& img, int y, int depth)
{
    drawScratch(img, cv::Point(20, y), cv::Point(img.cols - 20, y), depth);
}

BaselineParams testParams()
{
    BaselineParams p;
    p.scale = 1.0;
    p.marginX = 0.0;
    return p;
}

template <class F> QString errorOf(F&& f)
{
    try {
        f();
    } catch (const kizu::InvalidArgument& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestBaseline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanSurfaceIsOk()
    {
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            cv::Mat img = groundTexture({400, 160}, seed);
            auto r = runBaseline(img, testParams());
            QVERIFY2(!r.ng, qPrintable(QString("seed %1 score %2").arg(seed).arg(r.score)));
            QVERIFY(r.score < 1.0);
        }
    }

    void pitIsNg()
    {
        cv::Mat img = groundTexture({400, 160}, 11);
        drawPit(img, {210, 80}, 7, 70);
        auto r = runBaseline(img, testParams(), true);
        QVERIFY2(r.ng, qPrintable(QString("score %1").arg(r.score)));
        QVERIFY(r.decidingBlob >= 0);
        const Blob& b = r.blobs[std::size_t(r.decidingBlob)];
        QVERIFY(std::abs(b.centroid.x - 210) < 4 && std::abs(b.centroid.y - 80) < 4);
        QVERIFY(b.area > 60 && b.area < 400);
        QVERIFY(b.elongation < 2.0);
        QCOMPARE(r.mask.size(), img.size());
        QCOMPARE(r.dog.type(), CV_32F);
        cv::Mat overlay = renderOverlay(img, r);
        QCOMPARE(overlay.size(), img.size());
    }

    void scratchIsNg()
    {
        cv::Mat img = groundTexture({400, 160}, 12);
        drawScratch(img, {150, 20}, {230, 140}, 60);
        auto r = runBaseline(img, testParams());
        QVERIFY2(r.ng, qPrintable(QString("score %1").arg(r.score)));
        const Blob& b = r.blobs[std::size_t(r.decidingBlob)];
        QVERIFY2(b.elongation > 4, qPrintable(QString::number(b.elongation)));
        // The scratch runs at about 56 degrees to the grinding direction.
        QVERIFY2(std::abs(std::abs(b.angle) - 56.3) < 6, qPrintable(QString::number(b.angle)));
        QVERIFY(b.length > 120 && b.length < 160);
    }

    void scoreGrowsWithDefect()
    {
        double last = -1;
        for (int depth : {0, 40, 70, 110}) {
            cv::Mat img = groundTexture({400, 160}, 13);
            if (depth) drawPit(img, {200, 80}, 7, depth);
            double s = runBaseline(img, testParams()).score;
            QVERIFY2(s > last,
                     qPrintable(QString("depth %1 score %2 <= %3").arg(depth).arg(s).arg(last)));
            last = s;
        }
    }

    void processingScaleKeepsFullResolutionUnits()
    {
        cv::Mat img = groundTexture({400, 160}, 14);
        drawPit(img, {200, 80}, 8, 80);
        BaselineParams p = testParams();
        auto full = runBaseline(img, p);
        p.scale = 0.5;
        auto half = runBaseline(img, p);
        QVERIFY(full.ng && half.ng);
        const Blob& a = full.blobs[std::size_t(full.decidingBlob)];
        const Blob& b = half.blobs[std::size_t(half.decidingBlob)];
        QVERIFY2(std::abs(a.area - b.area) < 0.35 * a.area,
                 qPrintable(QString("%1 vs %2").arg(a.area).arg(b.area)));
        QVERIFY(std::abs(a.centroid.x - b.centroid.x) < 3);
    }

    void grindingMarkCanBeIgnored()
    {
        cv::Mat img = groundTexture({400, 160}, 15);
        drawGrindingMark(img, 80, 60);
        BaselineParams p = testParams();
        QVERIFY(runBaseline(img, p).ng); // plain rules see a dark elongated blob
        p.minAngle = 15;
        p.angleElongation = 3;
        auto r = runBaseline(img, p);
        QVERIFY2(!r.ng, qPrintable(QString("score %1").arg(r.score)));
    }

    void thresholdModesAndPolarities()
    {
        cv::Mat img = groundTexture({400, 160}, 16);
        drawPit(img, {200, 80}, 7, 80);
        for (auto mode : {ThresholdMode::Fixed, ThresholdMode::Otsu, ThresholdMode::Adaptive}) {
            BaselineParams p = testParams();
            p.thresholdMode = mode;
            QVERIFY2(runBaseline(img, p).ng, toString(mode).c_str());
            p.polarity = Polarity::Both;
            QVERIFY2(runBaseline(img, p).ng, toString(mode).c_str());
            p.polarity = Polarity::Bright; // a dark pit has no bright response of its size
            QVERIFY2(!runBaseline(img, p).ng, toString(mode).c_str());
        }
        cv::Mat gray;
        cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
        QVERIFY(runBaseline(gray, testParams()).ng);
    }

    void invalidParametersGiveClearErrors()
    {
        QVERIFY(errorOf([] {
                    BaselineParams p;
                    p.sigma1 = 5;
                    p.sigma2 = 3;
                    p.validate();
                }).contains("sigma1"));
        QVERIFY(errorOf([] {
                    BaselineParams::fromJson({{"polarity", "purple"}});
                }).contains("polarity"));
        QVERIFY(errorOf([] {
                    BaselineParams::fromJson({{"polarity", "purple"}});
                }).contains("dark, bright, both"));
        QVERIFY(errorOf([] {
                    BaselineParams::fromJson({{"thresholdMode", "magic"}});
                }).contains("thresholdMode"));
        QVERIFY(errorOf([] { BaselineParams::fromJson({{"minArea", -3}}); }).contains("minArea"));
        QVERIFY(errorOf([] { BaselineParams::fromJson({{"scale", 0}}); }).contains("scale"));
        QVERIFY(errorOf([] { BaselineParams::fromJson({{"sigma2", "big"}}); }).contains("sigma2"));
        QVERIFY(errorOf([] {
                    BaselineParams::fromJson({{"closeRadius", 1.5}});
                }).contains("closeRadius"));
        QVERIFY(errorOf([] { BaselineParams::fromJson({{"sigmaa", 2}}); }).contains("sigmaa"));
        QVERIFY(
            errorOf([] { BaselineParams::fromJson(nlohmann::json::array()); }).contains("object"));
        QVERIFY(!errorOf([] { runBaseline(cv::Mat(), BaselineParams{}); }).isEmpty());
        QVERIFY(errorOf([] {
                    BaselineParams p;
                    p.maxArea = 5;
                    p.minArea = 10;
                    p.validate();
                }).contains("maxArea"));
    }

    void jsonRoundTrip()
    {
        BaselineParams p;
        p.scale = 0.35;
        p.channel = Channel::Green;
        p.thresholdMode = ThresholdMode::Adaptive;
        p.polarity = Polarity::Both;
        p.sigma1 = 1.25;
        p.sigma2 = 7.5;
        p.openRadius = 2;
        p.maxArea = 900;
        p.minAngle = 12.5;
        p.scoreThreshold = 0.8125;
        QCOMPARE(BaselineParams::fromJson(p.toJson()), p);
        QTemporaryDir dir;
        const std::string file = dir.filePath("p.json").toStdString();
        p.save(file);
        QCOMPARE(BaselineParams::load(file), p);
        // Missing keys keep their defaults; '_' keys are notes.
        auto q = BaselineParams::fromJson({{"sigma1", 2.0}, {"_note", "hi"}});
        QCOMPARE(q.sigma1, 2.0);
        QCOMPARE(q.sigma2, BaselineParams{}.sigma2);
        // Every parameter has a spec for the GUI and every spec names a parameter.
        auto j = BaselineParams{}.toJson();
        QCOMPARE(int(paramSpecs().size()), int(j.size()));
        for (const auto& s : paramSpecs())
            QVERIFY2(j.contains(s.key), s.key.c_str());
    }

    void metrics()
    {
        std::vector<bool> ng = {false, false, true, true};
        std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
        QCOMPARE(rocAuc(ng, s), 0.75);
        auto m = computeMetrics(ng, s, 0.3);
        QCOMPARE(m.tp, 2);
        QCOMPARE(m.fp, 1);
        QCOMPARE(m.tn, 1);
        QCOMPARE(m.fn, 0);
        QCOMPARE(m.balancedAccuracy, 0.75);
        double ba = 0;
        double t = bestThreshold(ng, s, &ba);
        QCOMPARE(ba, 0.75);
        QVERIFY(t > 0.1 && t <= 0.4);
        QCOMPARE(rocAuc({false, true}, {0.5, 0.5}), 0.5);
    }

    void labeledFolder()
    {
        QTemporaryDir dir;
        namespace fs = std::filesystem;
        fs::path root = dir.path().toStdString();
        fs::create_directories(root / "ok");
        fs::create_directories(root / "NG");
        cv::Mat img = groundTexture({64, 32}, 1);
        cv::imwrite((root / "ok" / "a.png").string(), img);
        cv::imwrite((root / "NG" / "b.png").string(), img);
        auto list = loadLabeledFolder(root);
        QCOMPARE(int(list.size()), 2);
        QCOMPARE(int(std::count_if(list.begin(), list.end(), [](auto& l) { return l.ng; })), 1);
        QVERIFY(!errorOf([&] { loadLabeledFolder(root, "test"); }).isEmpty());
    }

    void tunerBeatsDefaultsAndIsDeterministic()
    {
        // Small pits are NG; long grinding marks and clean texture are OK. The defaults flag
        // the grinding marks and miss the faint pits.
        std::vector<cv::Mat> images;
        std::vector<bool> ng;
        for (int i = 0; i < 12; ++i) {
            cv::Mat img = groundTexture({240, 100}, 100 + std::uint64_t(i));
            if (i % 3 == 0) drawGrindingMark(img, 30 + 5 * i % 40, 45);
            images.push_back(img);
            ng.push_back(false);
        }
        for (int i = 0; i < 12; ++i) {
            cv::Mat img = groundTexture({240, 100}, 200 + std::uint64_t(i));
            drawPit(img, {60 + 10 * i, 30 + 4 * i}, 4 + i % 3, 35 + 5 * (i % 4));
            if (i % 4 == 0) drawGrindingMark(img, 85, 45);
            images.push_back(img);
            ng.push_back(true);
        }
        TuneOptions opt;
        opt.seed = 3;
        opt.trials = 10;
        opt.rulesPerTrial = 150;
        opt.start = BaselineParams{};
        opt.start.scale = 1.0;
        opt.start.marginX = 0;
        int progressCalls = 0;
        auto rep =
            tuneBaseline(images, ng, opt, 1.0, [&](const kizu::Progress&) { ++progressCalls; });
        QVERIFY2(rep.train.balancedAccuracy > rep.start.balancedAccuracy + 0.1,
                 qPrintable(QString("tuned %1, defaults %2")
                                .arg(rep.train.balancedAccuracy)
                                .arg(rep.start.balancedAccuracy)));
        QVERIFY(rep.train.balancedAccuracy >= 0.9);
        QCOMPARE(rep.trials, 10);
        QVERIFY(progressCalls >= 9);
        // The chosen parameters, run image by image, give the metrics the tuner reported.
        std::vector<double> scores;
        for (auto& img : images)
            scores.push_back(runBaseline(img, rep.best).score);
        auto m = computeMetrics(ng, scores, rep.best.scoreThreshold);
        QCOMPARE(m.balancedAccuracy, rep.train.balancedAccuracy);

        auto again = tuneBaseline(images, ng, opt, 1.0);
        QCOMPARE(again.best, rep.best);

        kizu::CancelToken cancel;
        cancel.cancel();
        auto cancelled = tuneBaseline(images, ng, opt, 1.0, {}, &cancel);
        QVERIFY(cancelled.cancelled);
    }

    void tunerRefusesOneClass()
    {
        std::vector<cv::Mat> images = {groundTexture({64, 32}, 1), groundTexture({64, 32}, 2)};
        QVERIFY(errorOf([&] {
                    tuneBaseline(images, {false, false}, TuneOptions{});
                }).contains("both OK and NG"));
    }
};

QTEST_APPLESS_MAIN(TestBaseline)
#include "test_baseline.moc"
