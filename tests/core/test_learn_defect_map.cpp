// Defect-map models (issue 21): the map keeps the input's aspect; model files of the new format
// round-trip and old classifier files still load; a defect-map network starts from a
// classifier's or ImageNet's trunk; training batches carry the masks that are known; a short
// pretraining on CG renders with their masks puts the map's peak inside the defect; and the
// station's default route is the defect-map route.
// kizu-test-timeout: 300
#include "core/cg/cg_generator.h"
#include "core/cg/cg_params.h"
#include "core/common/error.h"
#include "core/common/paths.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/augment.h"
#include "core/learn/cg_source.h"
#include "core/learn/defaults.h"
#include "core/learn/model.h"
#include "core/learn/trainer.h"
#include "tests/common/test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgproc.hpp>

using namespace kizu;
using namespace kizu::learn;

namespace {
ModelInfo mapInfo(const std::string& arch, int size, bool keepAspect)
{
    ModelInfo i;
    i.arch = arch;
    i.head = "defect_map";
    i.keepAspect = keepAspect;
    i.inputSize = size;
    return i;
}

cv::Mat texture(cv::Size size, int seed)
{
    cv::Mat im(size, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(60), cv::Scalar::all(190));
    cv::GaussianBlur(im, im, cv::Size(0, 0), 1.5);
    return im;
}

// Grey photos; NG ones carry a dark spot. Even = OK. No masks.
Sample photo(std::int64_t i)
{
    cv::Mat im = texture({120, 48}, int(i));
    if (i % 2) cv::circle(im, {30 + int(i) * 7 % 60, 24}, 5, cv::Scalar::all(10), -1);
    return {im, i % 2 ? kNg : kOk};
}
} // namespace

class TestLearnDefectMap : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void theMapKeepsTheInputsAspect()
    {
        setTorchThreads(2);
        for (const std::string arch : {"squeezenet1_1", "resnet18"}) {
            const Model m = Model::create(mapInfo(arch, 320, true), "scratch", 3);
            QVERIFY(m.info().defectMap());
            const cv::Mat wide = texture({1130, 460}, 1), tall = texture({460, 1130}, 2);
            QCOMPARE(canvasFor(wide.size(), 320), cv::Size(320, 128));
            const cv::Mat mw = m.defectMap(wide), mt = m.defectMap(tall);
            QCOMPARE(mw.type(), CV_32F);
            // Stride 16 of the 320 x 128 canvas (SqueezeNet's unpadded stem and ceil-mode pools
            // give 19 x 7, ResNet 20 x 8).
            QVERIFY2(mw.cols >= 19 && mw.cols <= 20 && mw.rows >= 7 && mw.rows <= 8,
                     qPrintable(QString("%1 x %2").arg(mw.cols).arg(mw.rows)));
            QCOMPARE(mt.cols, mw.rows);
            QCOMPARE(mt.rows, mw.cols);
            double lo = 0, hi = 0;
            cv::minMaxLoc(mw, &lo, &hi);
            QVERIFY(lo >= 0 && hi <= 1);
            // The overlay is the map at the photo's size; the verdict a probability.
            QCOMPARE(m.heatmap(wide).size(), wide.size());
            const float s = m.predict(wide);
            QVERIFY(s >= 0 && s <= 1);
            // Square models squash as before.
            const Model sq = Model::create(mapInfo(arch, 128, false), "scratch", 3);
            const cv::Mat ms = sq.defectMap(wide);
            QVERIFY(std::abs(ms.cols - ms.rows) <= 1);
        }
        // A classifier has no defect map.
        ModelInfo c;
        QVERIFY(Model::create(c, "scratch", 1).defectMap(texture({64, 64}, 1)).empty());
    }

    void modelFilesRoundTripAndOldOnesLoad()
    {
        QTemporaryDir dir;
        const std::string file = dir.filePath("map.kizumodel").toStdString();
        Model m = Model::create(mapInfo("squeezenet1_1", 160, true), "scratch", 4);
        m.info().threshold = 0.3;
        m.save(file);
        const Model back = Model::load(file);
        QCOMPARE(back.info().head, std::string("defect_map"));
        QVERIFY(back.info().keepAspect);
        QCOMPARE(back.info().inputSize, 160);
        QCOMPARE(back.weightsHash(), m.weightsHash());
        const cv::Mat im = texture({300, 120}, 5);
        QCOMPARE(back.predict(im), m.predict(im));
        QVERIFY(cv::norm(back.defectMap(im), m.defectMap(im), cv::NORM_INF) == 0);
        // The shipped classifiers are format-1 files: they load as classifiers and score.
        const auto old = findShippedModel("squeezenet1_1-cg128.kizumodel");
        QVERIFY2(!old.empty(), "models/squeezenet1_1-cg128.kizumodel is shipped in the tree");
        const Model o = Model::load(old);
        QCOMPARE(o.info().head, std::string("classifier"));
        QVERIFY(!o.info().keepAspect);
        const float s = o.predict(im);
        QVERIFY(s >= 0 && s <= 1);
        // A classifier saved today is still readable as before (no defect-map fields needed).
        const std::string cfile = dir.filePath("c.kizumodel").toStdString();
        o.save(cfile);
        QCOMPARE(Model::load(cfile).predict(im), s);
    }

    void aDefectMapStartsFromAClassifiersTrunk()
    {
        QTemporaryDir dir;
        const auto old = findShippedModel("squeezenet1_1-cg128.kizumodel");
        QVERIFY2(!old.empty(), "models/squeezenet1_1-cg128.kizumodel is shipped in the tree");
        // Two map networks from the same classifier trunk and different seeds differ only in
        // their fresh map heads; from scratch the trunks differ too. So compare what the trunk
        // decides: the map of a map network whose head is the same.
        const Model a = Model::create(mapInfo("squeezenet1_1", 128, false), "cg:" + old.string(), 1);
        const Model b = Model::create(mapInfo("squeezenet1_1", 128, false), "cg:" + old.string(), 1);
        const Model s = Model::create(mapInfo("squeezenet1_1", 128, false), "scratch", 1);
        const cv::Mat im = texture({128, 128}, 6);
        QVERIFY(cv::norm(a.defectMap(im), b.defectMap(im), cv::NORM_INF) == 0);
        QVERIFY(cv::norm(a.defectMap(im), s.defectMap(im), cv::NORM_INF) > 0);
        // And back: a classifier from a defect-map model file takes its trunk.
        const std::string file = dir.filePath("map.kizumodel").toStdString();
        a.save(file);
        ModelInfo ci;
        ci.inputSize = 128;
        const Model c = Model::create(ci, "cg:" + file, 2);
        QCOMPARE(c.info().head, std::string("classifier"));
        const float p = c.predict(im);
        QVERIFY(p >= 0 && p <= 1);
        // ResNet-18: the map sits on layer3; layer4 and fc of a classifier are not needed.
        Model r = Model::create(mapInfo("resnet18", 128, false), "scratch", 1);
        const std::string rfile = dir.filePath("r.kizumodel").toStdString();
        ModelInfo rc;
        rc.arch = "resnet18";
        rc.inputSize = 128;
        Model::create(rc, "scratch", 1).save(rfile);
        r = Model::create(mapInfo("resnet18", 128, false), "cg:" + rfile, 1);
        QVERIFY(!r.defectMap(im).empty());
        // A different architecture is still refused, naming what to choose.
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 Model::create(mapInfo("resnet18", 128, false), "cg:" + file, 1));
    }

    void anImagenetTrunkLoadsIntoAMapNetwork()
    {
        KIZU_REQUIRE_WEIGHTS(weights);
        const Model m = Model::create(mapInfo("squeezenet1_1", 320, true),
                                      "imagenet:" + weights.toStdString(), 1);
        QVERIFY(!m.defectMap(texture({1130, 460}, 1)).empty());
    }

    void batchesCarryTheKnownMasks()
    {
        FunctionSource data(photo, "photos-v1", 8, [](std::int64_t i) { return i % 2 ? kNg : kOk; });
        TrainConfig c;
        c.head = "defect_map";
        c.keepAspect = true;
        c.inputSize = 96;
        c.batch = 8;
        c.steps = 2;
        c.seed = 3;
        const TrainingBatch b = trainingBatch(c, data, 0);
        QCOMPARE(b.images.size(), std::size_t(8));
        QCOMPARE(b.masks.size(), std::size_t(8));
        const cv::Size canvas = canvasFor({120, 48}, 96);
        for (std::size_t i = 0; i < b.images.size(); ++i) {
            QCOMPARE(b.images[i].size(), canvas);
            QCOMPARE(b.masks[i].size(), canvas);
            // Real photos: an OK one is defect-free everywhere (known, all zero); an NG one
            // has its defect somewhere unknown.
            QCOMPARE(bool(b.maskKnown[i]), b.labels[i] == kOk);
            if (b.labels[i] == kOk) QCOMPARE(cv::countNonZero(b.masks[i]), 0);
        }
        // CG renders bring their masks: an NG render's mask is known and not empty.
        cg::CgParams p = cg::loadPreset("large_defects");
        p.camera.imageSize = 96;
        CgSampleSource cgData(p, 7);
        c.keepAspect = false;
        const TrainingBatch g = trainingBatch(c, cgData, 0);
        int ngWithMask = 0;
        for (std::size_t i = 0; i < g.images.size(); ++i) {
            QVERIFY(g.maskKnown[i]);
            if (g.labels[i] == kNg && cv::countNonZero(g.masks[i]) > 0) ++ngWithMask;
        }
        QVERIFY(ngWithMask >= 1);
        // A classifier's batch has no masks.
        c.head = "classifier";
        QVERIFY(trainingBatch(c, data, 0).masks.empty());
    }

    void aShortCgPretrainingPutsTheMapOnTheDefect()
    {
        // ImageNet's trunk, then CG renders with their masks (the station's pretraining), short.
        KIZU_REQUIRE_WEIGHTS(weights);
        cg::CgParams p = cg::loadPreset("large_defects");
        TrainConfig c;
        c.head = "defect_map";
        c.inputSize = 96;
        c.batch = 16;
        c.steps = 100;
        c.seed = 21;
        c.threads = 2;
        c.init = "imagenet:" + weights.toStdString();
        c.augment.randAugment = c.augment.randomResizedCrop = c.augment.hflip =
            c.augment.vflip = false;
        c.checkpointEverySeconds = 0;
        c.thresholdSamples = 32;
        p.camera.imageSize = trainCacheSize(c);
        CgSampleSource data(p, 21);
        const TrainResult r = train(c, data);
        QVERIFY(r.model);
        // Held-out renders (another seed): the map's pixels against the masks, and where the
        // map peaks on each NG render.
        cg::CgGenerator held(p, 999);
        std::vector<float> scores;
        std::vector<int> labels;
        int ng = 0, peakInside = 0;
        for (std::uint64_t i = 0; i < 24; ++i) {
            const cg::CgSample s = held.render(i);
            const cv::Mat map = r.model->heatmap(s.image);
            for (int y = 0; y < map.rows; y += 2)
                for (int x = 0; x < map.cols; x += 2) {
                    scores.push_back(map.at<float>(y, x));
                    labels.push_back(s.mask.at<unsigned char>(y, x) ? kNg : kOk);
                }
            if (!s.ng || cv::countNonZero(s.mask) == 0) continue;
            ++ng;
            cv::Point peak;
            cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
            // Within one map cell (16 px of the input) of the defect.
            cv::Mat near;
            cv::dilate(s.mask, near, cv::Mat::ones(2 * 16 + 1, 2 * 16 + 1, CV_8U));
            if (near.at<unsigned char>(peak)) ++peakInside;
        }
        const double auc = computeMetrics(scores, labels, 0.5).auc;
        qInfo("pixel AUC %.3f, peak on the defect in %d of %d NG renders", auc, peakInside, ng);
        QVERIFY2(auc > 0.85, qPrintable(QString::number(auc)));
        QVERIFY(ng >= 6);
        QVERIFY2(peakInside * 4 >= ng * 3, qPrintable(QString("%1 of %2").arg(peakInside).arg(ng)));
    }

    void theDefectMapRouteAndTheStationsDefault()
    {
        // The station's default is the best measured route on BSData's validation split: the
        // classifier (docs/results.md, "Defect-map models"); the defect map is the other choice.
        const DefaultRoute& r = defaultRoute();
        QCOMPARE(r.head, std::string("classifier"));
        QVERIFY(!r.keepAspectFor("classifier"));
        QCOMPARE(r.inputSizeFor("classifier"), r.classifierInputSize);
        QVERIFY(r.keepAspectFor("defect_map"));
        QVERIFY(r.inputSizeFor("defect_map") > r.classifierInputSize);
        QVERIFY(!r.mapRandAugment);
        // The defect map's start: the shipped CG defect-map weights when present, else the
        // classifier's.
        const auto d = defaultInit(r.arch, "defect_map");
        const auto shipped = defaultCgMapModel(r.arch);
        if (!shipped.empty())
            QCOMPARE(d.init, "cg:" + shipped.string());
        else
            QVERIFY(!d.fallbackNote.empty());
        // The classifier's CG weights are never taken for the defect map's and the other way.
        QVERIFY(defaultCgModel(r.arch).filename().string().find("cgmap") == std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestLearnDefectMap)
#include "test_learn_defect_map.moc"
