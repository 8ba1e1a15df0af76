// PatchCore (issue 22): fitted to OK photos alone it separates CG renders with defects from
// renders without; its memory of OK patches round-trips through the model file and a damaged
// memory is refused; the coreset is the same for the same seed; too few OK photos give an
// error that says what to do; NG photos refine the threshold.
// kizu-test-timeout: 300
#include "core/cg/cg_generator.h"
#include "core/cg/cg_params.h"
#include "core/common/error.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/model.h"
#include "core/learn/onnx_export.h"
#include "core/learn/patchcore.h"
#include "tests/common/test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <opencv2/imgproc.hpp>

using namespace kizu;
using namespace kizu::learn;

namespace {
struct Renders {
    std::vector<cv::Mat> ok, ng;
};

// OK = CG renders without a defect, NG = the same generator with one.
Renders renders(int nOk, int nNg, std::uint64_t seed)
{
    cg::CgParams p = cg::loadPreset("large_defects");
    p.camera.imageSize = 128;
    cg::CgGenerator g(p, seed);
    Renders r;
    for (int i = 0; i < nOk; ++i)
        r.ok.push_back(g.render(std::uint64_t(i), false).image);
    for (int i = 0; i < nNg; ++i)
        r.ng.push_back(g.render(std::uint64_t(1000 + i), true).image);
    return r;
}

PatchCoreConfig config(const QString& weights)
{
    PatchCoreConfig c;
    c.init = "imagenet:" + weights.toStdString();
    c.inputSize = 128;
    c.keepAspect = false;
    c.coresetFraction = 0.25;
    c.seed = 5;
    return c;
}

std::vector<cv::Mat> textures(int n, int seed)
{
    std::vector<cv::Mat> out;
    for (int i = 0; i < n; ++i)
    {
        cv::Mat im(64, 96, CV_8UC3);
        cv::RNG rng(std::uint64_t(seed + i));
        rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(60), cv::Scalar::all(190));
        cv::GaussianBlur(im, im, cv::Size(0, 0), 1.5);
        out.push_back(im);
    }
    return out;
}
} // namespace

class TestLearnPatchCore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { setTorchThreads(2); }

    void separatesCgDefectsFromSixteenOkRenders()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        const Renders train = renders(16, 0, 7);
        const Renders test = renders(24, 24, 8);
        const PatchCoreFit fit = fitPatchCore(config(weights), train.ok);
        QVERIFY(fit.model);
        QVERIFY(fit.model->info().anomaly());
        QCOMPARE(fit.okImages, std::int64_t(16));
        QVERIFY(fit.bankSize > 0 && fit.bankSize < fit.patches);
        std::vector<float> scores = fit.model->predict(test.ok);
        const auto ngScores = fit.model->predict(test.ng);
        scores.insert(scores.end(), ngScores.begin(), ngScores.end());
        std::vector<int> labels(test.ok.size(), kOk);
        labels.insert(labels.end(), test.ng.size(), kNg);
        const Metrics m = computeMetrics(scores, labels, fit.model->info().threshold);
        qInfo("PatchCore on CG renders, 16 OK: AUC %.3f, balanced accuracy %.3f at %.3f", m.auc,
              m.balancedAccuracy, fit.model->info().threshold);
        QVERIFY2(m.auc >= 0.9, qPrintable(QString::number(m.auc)));
        // The OK-only threshold rejects few held-out OK renders.
        QVERIFY2(m.okRecall >= 0.8, qPrintable(QString::number(m.okRecall)));
        // The anomaly map is at the image's size, in [0, 1], and peaks higher on NG.
        const cv::Mat map = fit.model->heatmap(test.ng.front());
        QCOMPARE(map.size(), test.ng.front().size());
        double lo = 0, hi = 0;
        cv::minMaxLoc(map, &lo, &hi);
        QVERIFY(lo >= 0 && hi <= 1);
    }

    void theAnomalyMapPeaksOnTheDefect()
    {
        // A dark disc on a noise photo, away from the centre, square and wide: the map's
        // maximum lies on it (the map is aligned with the photo, not shifted by the trunk's
        // stride or the upsampling).
        KIZU_REQUIRE_WEIGHTS(weights);
        for (const cv::Size size : {cv::Size(256, 256), cv::Size(384, 192)}) {
            std::vector<cv::Mat> ok;
            for (int i = 0; i < 8; ++i) {
                cv::Mat im(size, CV_8UC3);
                cv::RNG rng(std::uint64_t(300 + i));
                rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(60), cv::Scalar::all(190));
                cv::GaussianBlur(im, im, cv::Size(0, 0), 1.5);
                ok.push_back(im);
            }
            PatchCoreConfig c = config(weights);
            c.inputSize = size.width;
            c.keepAspect = true;
            const PatchCoreFit fit = fitPatchCore(c, ok);
            for (const cv::Point at : {cv::Point(size.width * 3 / 4, size.height / 4),
                                       cv::Point(size.width / 4, size.height * 3 / 4)}) {
                cv::Mat ng(size, CV_8UC3);
                cv::RNG rng(999);
                rng.fill(ng, cv::RNG::UNIFORM, cv::Scalar::all(60), cv::Scalar::all(190));
                cv::GaussianBlur(ng, ng, cv::Size(0, 0), 1.5);
                cv::circle(ng, at, 8, cv::Scalar::all(5), -1);
                const cv::Mat map = fit.model->heatmap(ng);
                cv::Point peak;
                cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
                const double off = cv::norm(peak - at);
                qInfo("map at disc %.3f, at peak %.3f, at centre %.3f", map.at<float>(at),
                      map.at<float>(peak), map.at<float>(size.height / 2, size.width / 2));
                qInfo("%dx%d: disc at (%d, %d), map peak at (%d, %d), %.1f px off", size.width,
                      size.height, at.x, at.y, peak.x, peak.y, off);
                QVERIFY2(off <= 10, qPrintable(QString::number(off)));
            }
        }
    }

    void theMemoryRoundTripsThroughTheFile()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        QTemporaryDir dir;
        const Renders train = renders(6, 0, 3);
        const PatchCoreFit fit = fitPatchCore(config(weights), train.ok);
        const std::string file = dir.filePath("pc.kizumodel").toStdString();
        fit.model->save(file);
        const Model back = Model::load(file);
        QCOMPARE(back.info().head, std::string("anomaly"));
        const MemoryBank a = memoryBank(*fit.model), b = memoryBank(back);
        QCOMPARE(b.rows, a.rows);
        QCOMPARE(b.dim, a.dim);
        QVERIFY(a.values == b.values);
        QCOMPARE(back.info().threshold, fit.model->info().threshold);
        const Renders probe = renders(2, 2, 4);
        for (const auto& im : {probe.ok[0], probe.ng[0]})
            QCOMPARE(back.predict(im), fit.model->predict(im));

        // ONNX has no memory search: the export says so instead of writing a wrong graph.
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 exportOnnx(back, dir.filePath("pc.onnx").toStdString(), {}));
        QVERIFY(!QFile::exists(dir.filePath("pc.onnx")));
        // A changed byte in the file (weights or memory, each has its checksum) is refused.
        std::string bytes;
        {
            std::ifstream in(file, std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(in), {});
        }
        bool refused = false;
        for (std::size_t pos = bytes.size() / 2; pos < bytes.size() - 64 && !refused;
             pos += bytes.size() / 16) {
            std::string broken = bytes;
            broken[pos] = char(broken[pos] ^ 0x5A);
            const std::string bad = dir.filePath("bad.kizumodel").toStdString();
            std::ofstream(bad, std::ios::binary) << broken;
            try {
                (void)Model::load(bad);
            } catch (const FormatError&) {
                refused = true;
            }
        }
        QVERIFY2(refused, "a damaged anomaly model loaded");
    }

    void theCoresetIsTheSameForTheSameSeed()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        const auto ok = textures(5, 40);
        PatchCoreConfig c = config(weights);
        c.coresetFraction = 0.1;
        const MemoryBank a = memoryBank(*fitPatchCore(c, ok).model);
        const MemoryBank b = memoryBank(*fitPatchCore(c, ok).model);
        QVERIFY(a.rows > 1);
        QVERIFY(a.values == b.values);
        c.seed = 6;
        const MemoryBank other = memoryBank(*fitPatchCore(c, ok).model);
        QCOMPARE(other.rows, a.rows);
        QVERIFY(other.values != a.values);
        // Keeping everything keeps every patch.
        c.coresetFraction = 1.0;
        const PatchCoreFit all = fitPatchCore(c, ok);
        QCOMPARE(all.bankSize, all.patches);
    }

    void tooFewOkPhotosSayWhatToDo()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        const PatchCoreConfig c = config(weights);
        for (int n : {0, 1}) {
            try {
                (void)fitPatchCore(c, textures(n, 1));
                QFAIL("no error");
            } catch (const InvalidArgument& e) {
                const QString msg = e.what();
                QVERIFY2(msg.contains("OK photo") && msg.contains("label", Qt::CaseInsensitive),
                         qPrintable(msg));
            }
        }
        PatchCoreConfig bad = c;
        bad.coresetFraction = 0;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fitPatchCore(bad, textures(3, 1)));
        bad = c;
        bad.okRule = "guess";
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fitPatchCore(bad, textures(3, 1)));
        bad = c;
        bad.init.clear();
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, fitPatchCore(bad, textures(3, 1)));
    }

    void ngPhotosRefineTheThreshold()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        const Renders train = renders(8, 4, 11);
        PatchCoreConfig c = config(weights);
        const PatchCoreFit okOnly = fitPatchCore(c, train.ok);
        QCOMPARE(okOnly.model->info().threshold, 0.5);
        QVERIFY(okOnly.model->info().thresholdRule.find("ok_false_reject_rate") !=
                std::string::npos);
        const PatchCoreFit refined = fitPatchCore(c, train.ok, train.ng);
        QCOMPARE(refined.ngImages, std::int64_t(4));
        QVERIFY(refined.model->info().thresholdRule.find("balanced_accuracy") !=
                std::string::npos);
        // The refined threshold separates the fitting scores at least as well.
        std::vector<float> s = refined.okScores;
        s.insert(s.end(), refined.ngScores.begin(), refined.ngScores.end());
        std::vector<int> l(refined.okScores.size(), kOk);
        l.insert(l.end(), refined.ngScores.size(), kNg);
        const double atRefined =
            computeMetrics(s, l, refined.model->info().threshold).balancedAccuracy;
        QVERIFY(atRefined >= computeMetrics(s, l, 0.5).balancedAccuracy);
        // Without refining, the same NG photos leave the OK-only threshold.
        c.refineWithNg = false;
        QCOMPARE(fitPatchCore(c, train.ok, train.ng).model->info().threshold, 0.5);
    }
};

QTEST_APPLESS_MAIN(TestLearnPatchCore)
#include "test_learn_patchcore.moc"
