// Training with CG defect transplants (issue 20) on tiny synthetic photos: every batch holds
// transplanted NG at the ratio, on OK photos only, labelled NG and augmented like the rest; two
// runs with the same seed give the same weights and threshold; the threshold is chosen on held-out
// data by the rule the model file records; bad settings are refused clearly. And the sweep's
// X+transplant inits: the same shots as X, the ratio in the configuration and in results.csv.
// kizu-test-timeout: 240
#include "core/common/error.h"
#include "core/evaluate/evaluate.h"
#include "core/experiment/experiment.h"
#include "core/learn/defaults.h"
#include "core/learn/sweep.h"
#include "core/learn/train_run.h"
#include "core/learn/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <set>

using namespace kizu;
using namespace kizu::learn;
namespace ex = kizu::experiment;

namespace {
// Grinding-like photos: horizontal marks and noise; NG ones carry a dark spot. Even = OK.
Sample photo(std::int64_t i)
{
    cv::RNG rng(std::uint64_t(500 + i));
    const bool ng = i % 2 == 1;
    cv::Mat im(56, 56, CV_8UC3);
    for (int y = 0; y < im.rows; ++y)
        im.row(y).setTo(cv::Scalar::all(110 + 25 * std::sin(y * 1.3 + double(i))));
    cv::Mat noise(im.size(), CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(6));
    im += noise;
    if (ng)
        cv::circle(im, cv::Point(rng.uniform(12, 44), rng.uniform(12, 44)), 6, cv::Scalar::all(20),
                   -1);
    return {im, ng ? kNg : kOk};
}

FunctionSource photos(std::int64_t n = 8)
{
    return FunctionSource(photo, "photos-v1", n,
                          [](std::int64_t i) { return i % 2 == 1 ? kNg : kOk; });
}

TrainConfig config(double ratio)
{
    TrainConfig c;
    c.arch = "resnet18";
    c.inputSize = 32;
    c.batch = 8;
    c.steps = 4;
    c.lr = 0.05;
    c.seed = 5;
    c.threads = 1;
    c.checkpointEverySeconds = 0;
    c.transplant.ratio = ratio;
    return c;
}

bool same(const cv::Mat& a, const cv::Mat& b)
{
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}
} // namespace

class TestLearnTransplant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void theStationDefaultIsOff()
    {
        QCOMPARE(defaultRoute().transplantRatio, 0.0);
        QVERIFY(!TrainConfig().transplant.enabled());
        QCOMPARE(defaultRoute().transplantParams, std::string("pitting"));
    }

    void slotsHoldTheRatio()
    {
        auto src = photos();
        // 0.5 of a batch of 8: four transplants in every batch, at the end, on OK photos,
        // numbered 0, 1, 2, ... across the run.
        TrainConfig c = config(0.5);
        std::uint64_t next = 0;
        for (std::int64_t step = 0; step < 6; ++step) {
            const auto plan = batchSlots(c, src, step);
            QCOMPARE(plan.size(), std::size_t(8));
            int n = 0;
            for (std::size_t i = 0; i < plan.size(); ++i) {
                if (!plan[i].transplant) continue;
                ++n;
                QVERIFY(i >= 4);
                QCOMPARE(src.label(plan[i].sourceIndex), kOk);
                QCOMPARE(plan[i].transplantIndex, next++);
                QVERIFY(plan[i].transplantIndex < kHeldOutTransplantBase);
            }
            QCOMPARE(n, 4);
        }
        // 0.3 of 8 = 2.4: batches of 2 or 3, exactly 0.3 over the run.
        c = config(0.3);
        int total = 0;
        for (std::int64_t step = 0; step < 10; ++step) {
            int n = 0;
            for (const auto& s : batchSlots(c, src, step))
                n += s.transplant;
            QVERIFY(n == 2 || n == 3);
            total += n;
        }
        QCOMPARE(total, 24);
        // Off: the usual sampling, slot by slot as before transplants existed.
        c = config(0);
        for (const auto& s : batchSlots(c, src, 3))
            QVERIFY(!s.transplant);
        // With transplants the other slots keep the balanced sampling (half OK, half NG).
        c = config(0.5);
        int ok = 0, ng = 0;
        for (std::int64_t step = 0; step < 4; ++step)
            for (const auto& s : batchSlots(c, src, step))
                if (!s.transplant) (src.label(s.sourceIndex) == kNg ? ng : ok)++;
        QCOMPARE(ok, ng);
    }

    void batchesCarryTransplantedNg()
    {
        auto src = photos();
        const TrainConfig c = config(0.5);
        const auto a = trainingBatch(c, src, 2);
        QCOMPARE(a.images.size(), std::size_t(8));
        QCOMPARE(std::count(a.transplanted.begin(), a.transplanted.end(), true), 4);
        const auto plan = batchSlots(c, src, 2);
        for (std::size_t i = 0; i < a.images.size(); ++i) {
            QCOMPARE(a.images[i].size(), cv::Size(32, 32));
            QCOMPARE(a.images[i].type(), CV_8UC3);
            if (!a.transplanted[i]) continue;
            QCOMPARE(a.labels[i], kNg);
            // The same augmentation on the untouched photo gives another image: the defect
            // went through the augmentation with the photo.
            const cv::Mat plain = augment(src.get(plan[i].sourceIndex).image, c.inputSize,
                                          c.augment, plan[i].augmentSeed);
            QVERIFY(!same(plain, a.images[i]));
        }
        // Reproducible: the same step gives the same images.
        const auto b = trainingBatch(c, src, 2);
        for (std::size_t i = 0; i < a.images.size(); ++i)
            QVERIFY(same(a.images[i], b.images[i]));
        QCOMPARE(a.labels, b.labels);
    }

    void sameSeedSameRunAndTheRuleIsRecorded()
    {
        auto src1 = photos();
        auto src2 = photos();
        const TrainConfig c = config(0.5);
        const auto r1 = train(c, src1);
        const auto r2 = train(c, src2);
        QVERIFY(r1.model && r2.model);
        QCOMPARE(r1.transplantImages, std::int64_t(4 * 4));
        QCOMPARE(r1.model->weightsHash(), r2.model->weightsHash());
        QCOMPARE(r1.model->info().threshold, r2.model->info().threshold);
        // The threshold rule: held-out data, recorded in the model and its configuration.
        const auto rule = nlohmann::json::parse(r1.model->info().thresholdRule);
        QCOMPARE(rule["rule"].get<std::string>(), std::string("held_out_transplants"));
        QCOMPARE(rule["real_ng"].get<int>(), 4);
        QVERIFY(rule["ok_images"].get<int>() >= 32);
        QCOMPARE(rule["transplants"].get<int>(), rule["ok_images"].get<int>());
        const auto metrics = nlohmann::json::parse(r1.model->info().metrics);
        QVERIFY(metrics.contains("threshold_set"));
        QCOMPARE(metrics["threshold_set"]["n"].get<int>(), rule["ok_images"].get<int>() * 2 + 4);
        const auto cfg = nlohmann::json::parse(r1.model->info().trainConfig);
        QCOMPARE(cfg["transplant"]["ratio"].get<double>(), 0.5);
        QCOMPARE(cfg["transplant"]["params"].get<std::string>(), std::string("pitting"));
        // The configuration reads back (a pending run of the Train page) with its transplants.
        const TrainConfig back = trainConfigFromJson(cfg);
        QCOMPARE(back.transplant.ratio, 0.5);
        QCOMPARE(toJson(back), toJson(c));
        // ... and the model file keeps the rule.
        QTemporaryDir dir;
        const std::string file = dir.filePath("m.kizumodel").toStdString();
        r1.model->save(file);
        QCOMPARE(Model::load(file).info().thresholdRule, r1.model->info().thresholdRule);
        // Another seed is another run.
        TrainConfig other = c;
        other.seed = 6;
        auto src3 = photos();
        QVERIFY(train(other, src3).model->weightsHash() != r1.model->weightsHash());
        // Without transplants: the old rule, on the training images, and no transplant block.
        auto src4 = photos();
        TrainConfig off = config(0);
        off.steps = 2;
        const auto r4 = train(off, src4);
        QCOMPARE(nlohmann::json::parse(r4.model->info().thresholdRule)["rule"].get<std::string>(),
                 std::string("training_images"));
        QVERIFY(!nlohmann::json::parse(r4.model->info().trainConfig).contains("transplant"));
        QCOMPARE(r4.transplantImages, std::int64_t(0));
    }

    void resumedRunEqualsUninterruptedRun()
    {
        // Transplants depend on (seed, step) only: a run stopped and resumed from its checkpoint
        // ends with the weights and threshold of one that never stopped.
        QTemporaryDir dir;
        TrainConfig c = config(0.5);
        c.steps = 6;
        auto src = photos();
        const auto whole = train(c, src);
        c.checkpoint = dir.filePath("run.checkpoint").toStdString();
        CancelToken cancel;
        const auto first = train(
            c, src,
            [&](const TrainProgress& p) {
                if (p.step == 3) cancel.cancel();
            },
            &cancel);
        QVERIFY(first.cancelled);
        c.resume = true;
        auto fresh = photos(); // and a fresh analysis cache
        const auto second = train(c, fresh);
        QCOMPARE(second.resumedFromStep, std::int64_t(3));
        QCOMPARE(second.transplantImages, std::int64_t(3 * 4));
        QCOMPARE(second.model->weightsHash(), whole.model->weightsHash());
        QCOMPARE(second.model->info().threshold, whole.model->info().threshold);
        // Another ratio must not continue this checkpoint.
        c.transplant.ratio = 0.25;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, train(c, fresh));
    }

    void thresholdTiesTakeTheMidpoint()
    {
        // Separable: the one best threshold between the classes.
        QCOMPARE(chooseThresholdMidpoint({0.1f, 0.2f, 0.6f, 0.7f}, {kOk, kOk, kNg, kNg}),
                 (double(0.2f) + double(0.6f)) / 2);
        // Balanced accuracy 0.75 below 0.2 and above 0.3 (and between them): the midpoint of
        // the best range, where the old rule takes the one nearest 0.5.
        const std::vector<float> s{0.1f, 0.3f, 0.2f, 0.9f};
        const std::vector<int> l{kOk, kOk, kNg, kNg};
        const double t = chooseThresholdMidpoint(s, l);
        QVERIFY(std::abs(t - (0.15 + 0.6) / 2) < 1e-6);
        QCOMPARE(computeMetrics(s, l, t).balancedAccuracy, 0.75);
        QCOMPARE(chooseThresholdMidpoint({0.1f, 0.2f}, {kOk, kOk}), 0.5);
    }

    void badSettingsAreRefused()
    {
        auto src = photos();
        TrainConfig c = config(1.5);
        try {
            train(c, src);
            QFAIL("a ratio of 1.5 was accepted");
        } catch (const InvalidArgument& e) {
            QVERIFY2(std::string(e.what()).find("[0, 1)") != std::string::npos, e.what());
        }
        c = config(0.5);
        c.transplant.params = "no-such-preset";
        try {
            train(c, src);
            QFAIL("an unknown preset was accepted");
        } catch (const InvalidArgument& e) {
            QVERIFY2(std::string(e.what()).find("pitting") != std::string::npos, e.what());
        }
        // An endless stream has no OK photos to put defects on.
        FunctionSource endless(photo, "endless", 0);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, train(config(0.5), endless));
        // No OK photos at all.
        FunctionSource onlyNg([](std::int64_t i) { return photo(2 * i + 1); }, "ng", 4,
                              [](std::int64_t) { return kNg; });
        TrainConfig unbalanced = config(0.5);
        unbalanced.balanced = false;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, train(unbalanced, onlyNg));
    }

    void sweepTransplantInits()
    {
        QVERIFY(ex::isTransplantInit("imagenet+transplant"));
        QVERIFY(!ex::isTransplantInit("imagenet"));
        QVERIFY(!ex::isTransplantInit("+transplant"));
        QCOMPARE(ex::baseInit("cg+transplant"), std::string("cg"));
        QVERIFY(ex::initOrder("imagenet") < ex::initOrder("imagenet+transplant"));
        QVERIFY(ex::initOrder("imagenet+transplant") < ex::initOrder("cg"));

        QTemporaryDir dir;
        SweepData data;
        for (int i = 0; i < 12; ++i) {
            const std::string f = dir.filePath(QString("p%1.png").arg(i)).toStdString();
            QVERIFY(cv::imwrite(f, photo(i).image));
            (i < 8 ? data.train : data.test).push_back({f, i % 2 ? kNg : kOk, {}});
        }
        data.description = "test photos";
        SweepOptions o = defaultSweepOptions();
        QCOMPARE(o.transplant, defaultRoute().transplantRatioWhenOn);
        QCOMPARE(o.transplant, 0.25);
        o.inits = {"imagenet", "imagenet+transplant", "scratch+transplant", "baseline"};
        o.imagenetWeights = "/weights/squeezenet1_1-imagenet.pth"; // only named here
        o.seeds = {1, 2};
        o.shots = "1,2";
        const auto sweepPlan = planSweep(dir.filePath("exp").toStdString(), o, data);
        QCOMPARE(sweepPlan.runs.size(), std::size_t(2 * 2 * 4));
        QCOMPARE(sweepPlan.initSpecs.at("imagenet+transplant"),
                 std::string("imagenet:/weights/squeezenet1_1-imagenet.pth +transplant 0.25 "
                             "pitting"));
        for (const auto& k : sweepPlan.runs) {
            if (k.init != "imagenet+transplant") continue;
            const ex::RunKey plain{"imagenet", k.shots, k.seed};
            QVERIFY(std::find(sweepPlan.runs.begin(), sweepPlan.runs.end(), plain) !=
                    sweepPlan.runs.end());
            const auto a = sweepShots(data, k), b = sweepShots(data, plain);
            QCOMPARE(a.size(), b.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                QCOMPARE(a[i].path, b[i].path);
            const TrainConfig ct = sweepTrainConfig(sweepPlan, o, k),
                              cp = sweepTrainConfig(sweepPlan, o, plain);
            QCOMPARE(ct.init, cp.init);
            QCOMPARE(ct.transplant.ratio, 0.25);
            QCOMPARE(cp.transplant.ratio, 0.0);
        }
        // baseline+transplant and a ratio out of range are refused, saying what to give.
        o.inits = {"baseline+transplant"};
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, sweepInitSpecs(o));
        o.inits = {"scratch+transplant"};
        o.transplant = 1;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, sweepInitSpecs(o));
    }

    void resultsKeepTheTransplantColumn()
    {
        QTemporaryDir dir;
        ex::RunResult a;
        a.arch = "squeezenet1_1";
        a.size = 64;
        a.key = {"imagenet", 2, 1};
        a.accuracy = 0.8;
        ex::RunResult b = a;
        b.key.init = "imagenet+transplant";
        b.transplant = 0.5;
        b.accuracy = 0.9;
        const std::string csv = dir.filePath("results.csv").toStdString();
        ex::writeResults(csv, {b, a});
        const auto rows = ex::readResults(csv);
        QCOMPARE(rows.size(), std::size_t(2));
        QCOMPARE(rows[0].key.init, std::string("imagenet"));
        QCOMPARE(rows[1].key.init, std::string("imagenet+transplant"));
        QCOMPARE(rows[1].transplant, 0.5);
        QVERIFY(ex::csvHeader().find(",transplant") != std::string::npos);
        // A file from before transplants (no such column) reads with 0.
        {
            std::string text = ex::csvHeader();
            text = text.substr(0, text.rfind(",transplant")) + "\n";
            std::string row = ex::toCsvRow(a);
            text += row.substr(0, row.rfind(',')) + "\n";
            std::FILE* f = std::fopen((csv + ".old").c_str(), "w");
            std::fputs(text.c_str(), f);
            std::fclose(f);
            const auto old = ex::readResults(csv + ".old");
            QCOMPARE(old.size(), std::size_t(1));
            QCOMPARE(old[0].transplant, 0.0);
        }
        // The table and the chart name the init; merging checks the ratio.
        const std::string table = ex::markdownTable(rows, "accuracy");
        QVERIFY2(table.find("ImageNet+transplant") != std::string::npos, table.c_str());
        QVERIFY(!ex::chart(rows, "accuracy", "t").empty());
        ex::RunResult c = b;
        c.transplant = 0.25;
        QVERIFY_THROWS_EXCEPTION(FormatError, ex::mergeResults({{b}, {c}}));
        QCOMPARE(ex::mergeResults({{a, b}, {b}}).size(), std::size_t(2));
    }
};

QTEST_APPLESS_MAIN(TestLearnTransplant)
#include "test_learn_transplant.moc"
