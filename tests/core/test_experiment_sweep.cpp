// The sweep runner of kizu-cli experiment and the Compare page (core/learn/sweep.h): a tiny
// sweep plans, runs and writes its rows; a cancel after the first row keeps that row and
// leaves no half run; a second call resumes with the rest and redoes nothing; other settings
// in the same folder are refused; unknown starts and missing weights say what to give;
// shards merge into the whole sweep.
// kizu-test-timeout: 300
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/learn/model.h"
#include "core/learn/patchcore.h"
#include "core/learn/sweep.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu;
using namespace kizu::learn;
namespace fs = std::filesystem;
namespace ex = kizu::experiment;

namespace {
std::vector<LabeledPath> writeImages(const fs::path& dir, int n, int seed)
{
    std::vector<LabeledPath> items;
    for (int i = 0; i < n; ++i) {
        const bool ng = i % 2 == 1;
        fs::create_directories(dir / (ng ? "ng" : "ok"));
        cv::RNG rng(std::uint64_t(seed + i));
        cv::Mat im(96, 128, CV_8UC3);
        rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
        if (ng) cv::circle(im, cv::Point(40 + 6 * i, 48), 8, cv::Scalar::all(10), -1);
        const fs::path p = dir / (ng ? "ng" : "ok") / ("im" + std::to_string(i) + ".png");
        cv::imwrite(p.string(), im);
        items.push_back({p, ng ? kNg : kOk, {}});
    }
    return items;
}

SweepOptions tiny()
{
    SweepOptions o = defaultSweepOptions();
    o.arch = "squeezenet1_1";
    o.size = 48;
    o.steps = 4;
    o.batch = 2;
    o.threads = 1;
    o.shots = "1,2";
    o.seeds = {7};
    o.inits = {"scratch", "baseline"};
    o.baselineTrials = 3;
    return o;
}
} // namespace

class TestExperimentSweep : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    SweepData m_data;

private Q_SLOTS:
    void initTestCase()
    {
        const fs::path root = m_tmp.path().toStdString();
        m_data.train = writeImages(root / "train", 8, 100);
        m_data.test = writeImages(root / "test", 4, 200);
        m_data.description = "tiny";
    }

    void cancelThenResume()
    {
        const fs::path out = fs::path(m_tmp.path().toStdString()) / "exp";
        const auto o = tiny();
        auto plan = planSweep(out, o, m_data);
        QCOMPARE(plan.runs.size(), std::size_t(4)); // 2 shots x 2 starts x 1 seed
        QCOMPARE(plan.pending.size(), std::size_t(4));
        QCOMPARE(plan.trainOk, std::int64_t(4));
        QVERIFY(fs::exists(out / "experiment.json"));

        // Cancelled from the progress callback as soon as the first row is written.
        CancelToken cancel;
        std::vector<SweepProgress> seen;
        auto first = runSweep(
            plan, o, m_data,
            [&](const SweepProgress& p) {
                seen.push_back(p);
                if (p.finished) cancel.cancel();
            },
            &cancel);
        QVERIFY(first.cancelled);
        QCOMPARE(first.done, std::size_t(1));
        const auto rows = ex::readResults(out / "results.csv");
        QCOMPARE(rows.size(), std::size_t(1));
        QCOMPARE(rows[0].key.init, std::string("scratch"));
        QCOMPARE(rows[0].steps, std::int64_t(4));
        QCOMPARE(rows[0].testImages, std::int64_t(4));
        QVERIFY(fs::exists(out / "table.md"));
        QVERIFY(fs::exists(out / "accuracy_vs_shots.png"));
        // Progress: the run, its steps, then the finished row with the counts.
        QVERIFY(seen.size() >= 3);
        QCOMPARE(seen.front().runsTotal, std::size_t(4));
        QVERIFY(std::any_of(seen.begin(), seen.end(),
                            [](const SweepProgress& p) { return p.steps == 4 && p.step > 0; }));
        QCOMPARE(seen.back().runsDone, std::size_t(1));

        // Resume: three runs left, the first row kept as it was.
        plan = planSweep(out, o, m_data);
        QCOMPARE(plan.pending.size(), std::size_t(3));
        auto rest = runSweep(plan, o, m_data);
        QVERIFY(!rest.cancelled);
        QCOMPARE(rest.done, std::size_t(3));
        QCOMPARE(rest.rows.size(), std::size_t(4));
        const auto all = ex::readResults(out / "results.csv");
        QCOMPARE(all.size(), std::size_t(4));
        auto kept = std::find_if(all.begin(), all.end(),
                                 [&](const ex::RunResult& r) { return r.key == rows[0].key; });
        QVERIFY(kept != all.end());
        QCOMPARE(kept->trainSeconds, rows[0].trainSeconds);
        for (const auto& r : all)
            QVERIFY(r.accuracy >= 0 && r.accuracy <= 1);
        QVERIFY(planSweep(out, o, m_data).pending.empty());

        // Other settings in the same folder are refused, naming what differs.
        auto other = o;
        other.steps = 5;
        try {
            planSweep(out, other, m_data);
            QFAIL("other settings must be refused");
        } catch (const InvalidArgument& e) {
            QVERIFY2(std::string(e.what()).find("other settings (steps") != std::string::npos,
                     e.what());
        }

        // A sweep in two shards merges into the same rows.
        for (int i = 0; i < 2; ++i) {
            auto s = o;
            s.shardIndex = i;
            s.shardCount = 2;
            const fs::path dir =
                fs::path(m_tmp.path().toStdString()) / ("shard" + std::to_string(i));
            auto p = planSweep(dir, s, m_data);
            QCOMPARE(p.runs.size(), std::size_t(2));
            QVERIFY(!runSweep(p, s, m_data).cancelled);
        }
        const fs::path root = m_tmp.path().toStdString();
        const auto merged = mergeSweeps({root / "shard0", root / "shard1"}, root / "merged");
        QCOMPARE(merged.size(), all.size());
        for (std::size_t i = 0; i < all.size(); ++i) {
            QVERIFY(merged[i].key == all[i].key);
            QCOMPARE(merged[i].accuracy, all[i].accuracy); // deterministic per run
        }
        QVERIFY(fs::exists(root / "merged" / "table.md"));
    }

    void patchcoreFitsTheSameOkPhotos()
    {
        // init patchcore-cgmap (the shipped CG defect-map trunk): runs below 2 shots are left
        // out; at N shots it remembers the N OK photos the other inits get, and is measured.
        SweepOptions o = tiny();
        o.inits = {"scratch", "patchcore-cgmap"};
        o.anomalySize = 64;
        o.shots = "1,2";
        const fs::path out = fs::path(m_tmp.path().toStdString()) / "pc";
        const auto plan = planSweep(out, o, m_data);
        QCOMPARE(plan.runs.size(), std::size_t(3)); // scratch 1, 2; patchcore 2
        for (const auto& k : plan.runs)
            QVERIFY(!(isPatchCoreInit(k.init) && k.shots < 2));
        QVERIFY(plan.initSpecs.at("patchcore-cgmap").find("cgmap") != std::string::npos);
        const PatchCoreConfig pc = sweepPatchCoreConfig(plan, o, {"patchcore-cgmap", 2, 7});
        QCOMPARE(pc.inputSize, 64);
        QVERIFY(pc.init.rfind("cg:", 0) == 0);
        const auto result = runSweep(plan, o, m_data);
        QCOMPARE(result.done, std::size_t(3));
        const auto row = std::find_if(result.rows.begin(), result.rows.end(),
                                      [](const auto& r) { return r.key.init == "patchcore-cgmap"; });
        QVERIFY(row != result.rows.end());
        QCOMPARE(row->size, 64);
        QVERIFY(row->steps > 0); // the memory's size
        QVERIFY(row->auc >= 0 && row->auc <= 1);
        QCOMPARE(row->testImages, std::int64_t(4));
        // The shots of that run hold 2 OK photos; the fit saw exactly those.
        const auto shots = sweepShots(m_data, row->key);
        QCOMPARE(std::count_if(shots.begin(), shots.end(), [](const auto& i) { return i.label == kOk; }),
                 2L);
        // An unknown trunk is refused, naming the choices.
        o.inits = {"patchcore-resnet"};
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, sweepInitSpecs(o));
    }

    void choicesSayWhatToGive()
    {
        auto o = tiny();
        o.inits = {"imagenett"};
        try {
            sweepInitSpecs(o);
            QFAIL("an unknown start must throw");
        } catch (const InvalidArgument& e) {
            QVERIFY(std::string(e.what()).find("station") != std::string::npos);
        }
        o.inits = {"imagenet"};
        o.arch = "resnet34"; // no such weights file anywhere
        try {
            sweepInitSpecs(o);
            QFAIL("missing ImageNet weights must throw");
        } catch (const InvalidArgument& e) {
            QVERIFY(std::string(e.what()).find("--imagenet") != std::string::npos);
        }
        o.inits = {"scratch", "baseline"};
        const auto specs = sweepInitSpecs(o);
        QCOMPARE(specs.at("scratch"), std::string("scratch"));
        QCOMPARE(specs.at("baseline"), std::string("defaults"));
        // An empty test split is refused before anything runs.
        auto data = m_data;
        data.test.clear();
        try {
            planSweep(fs::path(m_tmp.path().toStdString()) / "none", tiny(), data);
            QFAIL("an empty test split must throw");
        } catch (const InvalidArgument& e) {
            QVERIFY(std::string(e.what()).find("test split") != std::string::npos);
        }
    }
};

QTEST_APPLESS_MAIN(TestExperimentSweep)
#include "test_experiment_sweep.moc"
