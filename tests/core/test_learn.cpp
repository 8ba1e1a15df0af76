// The training engine on tiny data: a trivially separable set is learnt to 100%, a resumed run
// ends with the same weights as an uninterrupted one, bad model files give clear errors, and
// the metrics and threshold choice are right.
// kizu-test-timeout: 240
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/evaluate/evaluate.h"
#include "core/learn/trainer.h"

#include "common/test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <fstream>
#include <random>

using namespace kizu;
using namespace kizu::learn;

namespace {
// OK: dark noisy images; NG: bright noisy images with a dark spot.
Sample separable(std::int64_t i)
{
    // Seeded per index (cv::randu would use OpenCV's per-thread generator, and a SampleSource
    // must give the same sample for an index whichever thread asks).
    cv::RNG rng(std::uint64_t(1000 + i));
    const bool ng = i % 2 == 1;
    cv::Mat im(48, 48, CV_8UC3);
    rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(ng ? 170 : 20), cv::Scalar::all(ng ? 230 : 80));
    if (ng)
        cv::circle(im, cv::Point(rng.uniform(10, 38), rng.uniform(10, 38)), 5, cv::Scalar::all(0),
                   -1);
    return {im, ng ? kNg : kOk};
}

TrainConfig tinyConfig()
{
    TrainConfig c;
    c.arch = "resnet18";
    c.inputSize = 32;
    c.batch = 8;
    c.steps = 40;
    c.lr = 0.05;
    c.seed = 3;
    c.augment.randAugment = false; // invert/solarize would swap bright and dark
    c.checkpointEverySeconds = 0;
    c.threads = 1; // tiny tensors: one thread is fastest, and robust on a busy machine
    return c;
}

FunctionSource tinySource(std::int64_t n = 16)
{
    return FunctionSource(separable, "separable-v1", n,
                          [](std::int64_t i) { return i % 2 == 1 ? kNg : kOk; });
}

std::string tmpFile(QTemporaryDir& dir, const char* name)
{
    return dir.filePath(name).toStdString();
}
} // namespace

class TestLearn : public QObject {
    Q_OBJECT
private slots:
    void metricsAndThreshold()
    {
        std::vector<float> s{0.1f, 0.2f, 0.35f, 0.4f, 0.8f, 0.9f};
        std::vector<int> l{kOk, kOk, kNg, kOk, kNg, kNg};
        Metrics m = computeMetrics(s, l, 0.5);
        QCOMPARE(m.tp, std::int64_t(2));
        QCOMPARE(m.fn, std::int64_t(1));
        QCOMPARE(m.tn, std::int64_t(3));
        QCOMPARE(m.fp, std::int64_t(0));
        QVERIFY(std::abs(m.auc - 8.0 / 9.0) < 1e-9);
        QVERIFY(std::abs(m.balancedAccuracy - (2.0 / 3 + 1.0) / 2) < 1e-9);
        QCOMPARE(m.roc.front().fpr, 0.0);
        QCOMPARE(m.roc.back().tpr, 1.0);
        const double t = chooseThreshold({0.1f, 0.2f, 0.6f, 0.7f}, {kOk, kOk, kNg, kNg});
        QVERIFY(t > 0.2 && t <= 0.6);
        QCOMPARE(chooseThreshold({0.1f, 0.2f}, {kOk, kOk}), 0.5);
        QVERIFY(scoresCsv({{"a,b.jpg", kNg, 0.75f, kNg}}).find("\"a,b.jpg\",ng,0.75,ng") !=
                std::string::npos);
    }

    void scheduleFollowsTheStudyRule()
    {
        TrainConfig c;
        c.batch = 64;
        c.steps = 100;
        QVERIFY(std::abs(learningRate(c, 10, 100) -
                         0.4 * 64 / 1024 * 0.5 * (1 + std::cos(M_PI * 5 / 95))) < 1e-12);
        QVERIFY(learningRate(c, 0, 100) < learningRate(c, 4, 100)); // warm-up (5 steps)
        QVERIFY(learningRate(c, 99, 100) < 1e-4);
        c.steps = 0;
        c.epochs = 2;
        QCOMPARE(plannedSteps(c, 100), std::int64_t(4));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, plannedSteps(c, 0));
    }

    void learnsSeparableSetTo100Percent()
    {
        auto src = tinySource();
        auto r = train(tinyConfig(), src);
        QVERIFY(r.model);
        QVERIFY(!r.cancelled);
        QCOMPARE(r.steps, std::int64_t(40));
        std::vector<cv::Mat> ims;
        std::vector<int> labels;
        for (int i = 100; i < 140; ++i) { // unseen images of the same kind
            auto s = separable(i);
            ims.push_back(s.image);
            labels.push_back(s.label);
        }
        Metrics m = computeMetrics(r.model->predict(ims), labels, r.model->info().threshold);
        QCOMPARE(m.accuracy, 1.0);
        QVERIFY(!r.model->info().metrics.empty());
        QVERIFY(r.model->info().trainConfig.find("\"resnet18\"") != std::string::npos);
        // The class activation map covers the image, lies in [0, 1], and an NG image of the
        // separable set lights up somewhere.
        for (int i = 100; i < 104; ++i) {
            auto s = separable(i);
            cv::Mat h = r.model->heatmap(s.image);
            QCOMPARE(h.size(), s.image.size());
            QCOMPARE(h.type(), CV_32F);
            double lo = 0, hi = 0;
            cv::minMaxLoc(h, &lo, &hi);
            QVERIFY(lo >= 0 && hi <= 1.0 + 1e-6);
            if (s.label == kNg) QVERIFY(hi > 0);
        }
    }

    void resumedRunEqualsUninterruptedRun()
    {
        QTemporaryDir dir;
        auto cfg = tinyConfig();
        cfg.arch = "squeezenet1_1"; // has dropout: its seeding must survive the resume too
        cfg.inputSize = 48;
        cfg.augment.randAugment = true;
        cfg.augment.magnitude = 5;
        cfg.steps = 10;
        cfg.lr = 0.01;
        auto src = tinySource();
        auto whole = train(cfg, src);
        auto again = train(cfg, src);
        QCOMPARE(QString::fromStdString(again.model->weightsHash()),
                 QString::fromStdString(whole.model->weightsHash()));

        cfg.checkpoint = tmpFile(dir, "run.checkpoint");
        CancelToken cancel;
        auto first = train(
            cfg, src,
            [&](const TrainProgress& p) {
                if (p.step == 4) cancel.cancel();
            },
            &cancel);
        QVERIFY(first.cancelled);
        QCOMPARE(first.steps, std::int64_t(4));
        QVERIFY(std::filesystem::exists(cfg.checkpoint));
        QCOMPARE(QString::fromStdString(Model::load(cfg.checkpoint).weightsHash()),
                 QString::fromStdString(first.model->weightsHash()));
        cfg.resume = true;
        auto second = train(cfg, src);
        QCOMPARE(second.resumedFromStep, std::int64_t(4));
        QCOMPARE(second.steps, std::int64_t(10));
        QCOMPARE(QString::fromStdString(second.model->weightsHash()),
                 QString::fromStdString(whole.model->weightsHash()));
        QCOMPARE(second.model->info().threshold, whole.model->info().threshold);

        // Another configuration must not silently continue this checkpoint.
        cfg.batch = 4;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, train(cfg, src));
    }

    void batchOfOneAndEpochs()
    {
        auto cfg = tinyConfig();
        cfg.batch = 1;
        cfg.inputSize = 64; // batch 1 needs more than one value per channel at the last BatchNorm
        cfg.steps = 0;
        cfg.epochs = 0.5;
        auto src = tinySource();
        auto r = train(cfg, src);
        QCOMPARE(r.steps, std::int64_t(8));
    }

    void modelFileRoundTripAndBadFiles()
    {
        QTemporaryDir dir;
        ModelInfo info;
        info.arch = "squeezenet1_1";
        info.inputSize = 64;
        info.threshold = 0.42;
        info.metrics = R"({"train":{"accuracy":1}})";
        Model m = Model::create(info, "scratch", 5);
        const std::string good = tmpFile(dir, "good.kizumodel");
        m.save(good);
        Model back = Model::load(good);
        QCOMPARE(back.info().threshold, 0.42);
        QCOMPARE(back.info().inputSize, 64);
        QCOMPARE(QString::fromStdString(back.weightsHash()),
                 QString::fromStdString(m.weightsHash()));
        const cv::Mat probe = separable(1).image;
        QCOMPARE(back.predict(probe), m.predict(probe));

        const std::string bytes = readFile(good);
        auto expectFormatError = [&](const std::string& name, const std::string& content,
                                     const char* needle) {
            const std::string f = tmpFile(dir, name.c_str());
            writeFileAtomic(f, content);
            try {
                Model::load(f);
                QFAIL(("no error for " + name).c_str());
            } catch (const FormatError& e) {
                const std::string msg = e.what();
                QVERIFY2(msg.find(f) != std::string::npos, msg.c_str());
                QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
            }
        };
        expectFormatError("truncated.kizumodel", bytes.substr(0, bytes.size() / 2),
                          "damaged or truncated");
        expectFormatError("empty.kizumodel", "", "not a model");
        std::mt19937 rng(1);
        std::string noise(5000, '\0');
        for (auto& c : noise)
            c = char(rng());
        expectFormatError("noise.kizumodel", noise, "not a model");
        expectFormatError("noise-zip.kizumodel", "PK\x03\x04" + noise, "damaged or truncated");
        std::string flipped = bytes;
        for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i)
            flipped[i] = char(~flipped[i]);
        expectFormatError("flipped.kizumodel", flipped, "damaged");

        Model wrong = Model::create(info, "scratch", 5);
        wrong.info().arch = "resnet18"; // squeezenet weights described as a ResNet-18
        wrong.save(tmpFile(dir, "wrongarch.kizumodel"));
        try {
            Model::load(tmpFile(dir, "wrongarch.kizumodel"));
            QFAIL("wrong architecture loaded");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find("does not fit") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(IoError, Model::load(tmpFile(dir, "missing.kizumodel")));

        // Init from a Kizu model of another architecture is refused with a hint.
        ModelInfo resnet;
        resnet.arch = "resnet18";
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Model::create(resnet, good, 1));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Model::create(resnet, "nosuchinit:x", 1));
        ModelInfo bad;
        bad.arch = "vgg16";
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Model::create(bad, "scratch", 1));
        // Continue training from a Kizu model file: same weights to start with.
        Model cont = Model::create(info, good, 9);
        QCOMPARE(QString::fromStdString(cont.weightsHash()),
                 QString::fromStdString(m.weightsHash()));
    }

    void importsTorchvisionWeightsByName()
    {
        KIZU_REQUIRE_WEIGHTS(pth);
        ModelInfo info;
        Model m = Model::create(info, "imagenet:" + pth.toStdString(), 1);
        Model scratch = Model::create(info, "scratch", 1);
        QVERIFY(m.weightsHash() != scratch.weightsHash());
        ModelInfo resnet;
        resnet.arch = "resnet18";
        try {
            Model::create(resnet, "imagenet:" + pth.toStdString(), 1);
            QFAIL("squeezenet weights loaded into a resnet");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find("does not fit") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestLearn)
#include "test_learn.moc"
