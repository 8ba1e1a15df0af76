// The comparison core: metrics at a threshold and F1, the operating point, per-image verdicts
// and the error filters, the score cache (hit, miss on changed data, damaged file), scoring a
// real (untrained) model and the baseline on the same images, the experiment CSV and its
// aggregation over seeds, the HTML report, and scoreTestSet (the one scoring path of the CLI
// and the Compare page: cache, progress, cancel).
// kizu-test-timeout: 120
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/evaluate/compare.h"
#include "core/evaluate/compare_report.h"
#include "core/evaluate/scoring.h"
#include "core/learn/model.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace kizu;
using namespace kizu::learn;
namespace fs = std::filesystem;

namespace {
MethodScores fakeMethod(std::string id, std::vector<float> scores, double threshold,
                        std::string kind = "model")
{
    MethodScores m;
    m.id = std::move(id);
    m.name = m.id;
    m.kind = std::move(kind);
    m.threshold = threshold;
    m.scores = std::move(scores);
    m.dataHash = "d1";
    return m;
}

// Grey textured images; NG ones carry a dark pit the baseline can see.
std::vector<LabeledPath> writeImages(const fs::path& dir, int n)
{
    fs::create_directories(dir / "ok");
    fs::create_directories(dir / "ng");
    std::vector<LabeledPath> items;
    for (int i = 0; i < n; ++i) {
        const bool ng = i % 2 == 1;
        cv::RNG rng(std::uint64_t(77 + i));
        cv::Mat im(120, 160, CV_8UC3);
        rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
        if (ng) cv::circle(im, cv::Point(80, 60), 9, cv::Scalar::all(10), -1);
        const fs::path p = dir / (ng ? "ng" : "ok") / ("im" + std::to_string(i) + ".png");
        cv::imwrite(p.string(), im);
        items.push_back({p, ng ? kNg : kOk, {}});
    }
    return items;
}
} // namespace

class TestCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsAtThreshold()
    {
        const std::vector<int> labels{kOk, kOk, kOk, kNg, kNg, kNg};
        auto m = fakeMethod("a", {0.1f, 0.4f, 0.7f, 0.3f, 0.8f, 0.9f}, 0.5);
        auto r = metricsAt(m, labels, 0.5);
        QCOMPARE(r.metrics.tp, 2);
        QCOMPARE(r.metrics.fp, 1);
        QCOMPARE(r.metrics.fn, 1);
        QCOMPARE(r.metrics.tn, 2);
        QVERIFY(std::abs(r.f1 - 2.0 / 3.0) < 1e-9);
        auto op = operatingPoint(r.metrics);
        QVERIFY(std::abs(op.fpr - 1.0 / 3.0) < 1e-9);
        QVERIFY(std::abs(op.tpr - 2.0 / 3.0) < 1e-9);
        // Moving the threshold changes the confusion matrix but not the AUC.
        auto low = metricsAt(m, labels, 0.25);
        QCOMPARE(low.metrics.tp, 3);
        QCOMPARE(low.metrics.fp, 2);
        QCOMPARE(low.metrics.auc, r.metrics.auc);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, metricsAt(m, {kOk}, 0.5));
        // F1 without any NG verdict or NG image is 0, not NaN.
        Metrics none;
        QCOMPARE(f1Score(none), 0.0);
    }

    void verdictsAndFilters()
    {
        const std::vector<int> labels{kOk, kNg, kOk, kNg};
        std::vector<MethodScores> ms{
            fakeMethod("model", {0.2f, 0.9f, 0.95f, 0.45f}, 0.5),
            fakeMethod("baseline", {0.0f, 0.4f, 3.0f, 1.5f}, 1.0, "baseline")};
        auto v = imageVerdicts(ms, {0.5, 1.0}, labels);
        QCOMPARE(int(v.size()), 4);
        QCOMPARE(v[0].wrong, 0);
        QVERIFY(!v[0].disagree);
        QCOMPARE(v[1].wrong, 1); // baseline misses the NG
        QVERIFY(v[1].disagree);
        QCOMPARE(v[2].wrong, 2); // both call an OK image NG
        QVERIFY(!v[2].disagree);
        QCOMPARE(v[3].wrong, 1); // model misses it, baseline finds it
        auto errors = filterVerdicts(v, ErrorFilter::Errors);
        QCOMPARE(int(errors.size()), 3);
        QCOMPARE(int(errors.front().index), 2); // both wrong: first
        QCOMPARE(int(filterVerdicts(v, ErrorFilter::Disagreements).size()), 2);
        QCOMPARE(int(filterVerdicts(v, ErrorFilter::AllWrong).size()), 1);
        QCOMPARE(int(filterVerdicts(v, ErrorFilter::All).size()), 4);
        auto baselineErrors = filterVerdicts(v, ErrorFilter::Errors, 1);
        QCOMPARE(int(baselineErrors.size()), 2);
        for (const auto& e : baselineErrors)
            QVERIFY(e.predicted[1] != e.label);
        // A threshold per method is required.
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, imageVerdicts(ms, {0.5}, labels));
    }

    void cacheRoundTrip()
    {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        std::vector<LabeledPath> items{{"/x/a.png", kOk, {}}, {"/x/b.png", kNg, {}}};
        auto m = fakeMethod("sha-abc", {0.25f, 0.75f}, 0.4);
        m.msPerImage = 12.5;
        m.file = "/m/a.kizumodel";
        QVERIFY(!loadCachedScores(dir / "cache", m.id, m.dataHash, items));
        saveCachedScores(dir / "cache", m, items);
        auto back = loadCachedScores(dir / "cache", m.id, m.dataHash, items);
        QVERIFY(back.has_value());
        QVERIFY(back->fromCache);
        QCOMPARE(back->scores, m.scores);
        QCOMPARE(back->threshold, 0.4);
        QCOMPARE(back->msPerImage, 12.5);
        QCOMPARE(back->file, m.file);
        // Another dataset hash or other images: a miss.
        QVERIFY(!loadCachedScores(dir / "cache", m.id, "d2", items));
        auto other = items;
        other[1].path = "/x/c.png";
        QVERIFY(!loadCachedScores(dir / "cache", m.id, m.dataHash, other));
        // A damaged file is a miss, not an error.
        writeFileAtomic(cacheFile(dir / "cache", m.id, m.dataHash), "{\"id\": ");
        QVERIFY(!loadCachedScores(dir / "cache", m.id, m.dataHash, items));
        // Cancelled scores are never cached; scores that do not match the images are refused.
        auto cancelled = m;
        cancelled.cancelled = true;
        cancelled.dataHash = "d3";
        saveCachedScores(dir / "cache", cancelled, items);
        QVERIFY(!fs::exists(cacheFile(dir / "cache", m.id, "d3")));
        auto bad = m;
        bad.scores.pop_back();
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, saveCachedScores(dir / "cache", bad, items));
    }

    void scoresModelAndBaseline()
    {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        auto items = writeImages(dir / "data", 8);
        ModelInfo info;
        info.arch = "squeezenet1_1";
        info.inputSize = 64;
        info.threshold = 0.5;
        auto model = Model::create(info, "scratch", 5);
        const fs::path file = dir / "tiny.kizumodel";
        model.save(file);
        setTorchThreads(1);
        const std::string hash = imagesHash(items);
        {
            // Cached scores are keyed by the images alone: a relabel keeps the key (and the
            // cache), while the labeled set's dataHash changes.
            auto relabeled = items;
            relabeled[0].label = relabeled[0].label == kNg ? kOk : kNg;
            QCOMPARE(imagesHash(relabeled), hash);
            QVERIFY(dataHash(relabeled) != dataHash(items));
            QVERIFY(imagesHash(items) != dataHash(items));
            auto fewer = items;
            fewer.pop_back();
            QVERIFY(imagesHash(fewer) != hash);
        }
        int progressCalls = 0;
        auto ms = scoreModel(file, items, hash, [&](const Progress&) { ++progressCalls; });
        QCOMPARE(int(ms.scores.size()), 8);
        QCOMPARE(ms.kind, std::string("model"));
        QCOMPARE(ms.id, sha256File(file));
        QVERIFY(ms.name.find("tiny.kizumodel") != std::string::npos);
        QVERIFY(ms.msPerImage > 0);
        QVERIFY(progressCalls > 0);
        for (float s : ms.scores)
            QVERIFY(s >= 0 && s <= 1);
        // The same model gives the same scores.
        auto again = scoreModel(file, items, hash);
        QCOMPARE(again.scores, ms.scores);
        // A cancelled run says so and returns no scores.
        CancelToken cancel;
        cancel.cancel();
        auto stopped = scoreModel(file, items, hash, {}, &cancel);
        QVERIFY(stopped.cancelled);

        baseline::BaselineParams params;
        params.minArea = 40;
        params.minContrast = 10;
        params.marginX = 0;
        auto bs = scoreBaseline(params, items, hash);
        QCOMPARE(bs.kind, std::string("baseline"));
        QCOMPARE(bs.id, baselineMethodId(params));
        QCOMPARE(int(bs.scores.size()), 8);
        std::vector<int> labels;
        for (const auto& it : items)
            labels.push_back(it.label);
        auto bm = metricsAt(bs, labels, bs.threshold);
        QCOMPARE(bm.metrics.accuracy, 1.0); // the pits are obvious
        // Changing a parameter changes the cache identity.
        auto p2 = params;
        p2.minArea = 41;
        QVERIFY(baselineMethodId(p2) != bs.id);
        // An unreadable image is an error naming it.
        auto broken = items;
        writeFileAtomic(broken[0].path, "not an image");
        try {
            scoreBaseline(params, broken, "x");
            QFAIL("an unreadable image must throw");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("im0.png") != std::string::npos);
        }
    }

    // The one scoring path of kizu-cli compare and the Compare page: a folder test set, every
    // method scored or taken from the cache, progress over all methods, a cancel that keeps
    // the finished methods cached, clear errors.
    void scoreTestSetCachesAndCancels()
    {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        writeImages(dir / "data", 8);
        const TestSet set = folderTestSet(dir / "data");
        QCOMPARE(int(set.items.size()), 8);
        QCOMPARE(int(set.labels.size()), 8);
        QCOMPARE(set.imagesHash, imagesHash(set.items));
        QCOMPARE(set.dataHash, dataHash(set.items));
        QVERIFY(set.description.find("folder") != std::string::npos);
        QVERIFY(set.imageIds.empty());
        ModelInfo info;
        info.inputSize = 64;
        const fs::path file = dir / "tiny.kizumodel";
        Model::create(info, "scratch", 5).save(file);
        setTorchThreads(1);
        ScoringRequest req;
        req.models = {file};
        req.baseline = true;
        req.baselineParams.minArea = 40;
        req.baselineParams.minContrast = 10;
        req.baselineParams.marginX = 0;
        req.cacheDir = dir / "cache";

        // Cancelled once the baseline starts: the model's scores are cached, the baseline's not.
        CancelToken cancel;
        auto stopped = scoreTestSet(
            set, req,
            [&](const Progress& p) {
                if (p.stage == "baseline") cancel.cancel();
            },
            &cancel);
        QVERIFY(stopped.cancelled);
        QCOMPARE(int(stopped.methods.size()), 1);
        QCOMPARE(
            int(std::distance(fs::directory_iterator(dir / "cache"), fs::directory_iterator())), 1);

        std::vector<Progress> seen;
        auto full = scoreTestSet(set, req, [&](const Progress& p) { seen.push_back(p); });
        QVERIFY(!full.cancelled);
        QCOMPARE(int(full.methods.size()), 2);
        QCOMPARE(full.fromCache, 1);
        QVERIFY(full.methods[0].fromCache);
        QCOMPARE(full.methods[0].scores, stopped.methods[0].scores);
        QCOMPARE(full.methods[1].kind, std::string("baseline"));
        QCOMPARE(metricsAt(full.methods[1], set.labels, full.methods[1].threshold).metrics.accuracy,
                 1.0);
        QVERIFY(!seen.empty());
        QCOMPARE(seen.front().stage, std::string("tiny.kizumodel"));
        QCOMPARE(seen.front().item, std::string("cache"));
        QCOMPARE(seen.back().done, std::int64_t(16)); // 8 images x 2 methods
        QCOMPARE(seen.back().total, std::int64_t(16));
        auto cached = scoreTestSet(set, req);
        QCOMPARE(cached.fromCache, 2);
        QCOMPARE(cached.methods[1].scores, full.methods[1].scores);

        // A missing model names the file; an empty set says what to do.
        req.models = {dir / "missing.kizumodel"};
        try {
            scoreTestSet(set, req);
            QFAIL("a missing model must throw");
        } catch (const IoError& e) {
            QVERIFY(std::string(e.what()).find("missing.kizumodel") != std::string::npos);
        }
        fs::create_directories(dir / "empty" / "ok");
        try {
            folderTestSet(dir / "empty");
            QFAIL("an empty test set must throw");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("label") != std::string::npos, e.what());
        }
    }

    void experimentCsv()
    {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        const fs::path csv = dir / "experiments" / "run1" / "results.csv";
        fs::create_directories(csv.parent_path());
        writeFileAtomic(
            csv, "arch,size,init,shots,seed,steps,accuracy,balanced_accuracy,ng_precision,"
                 "ng_recall,f1,auc,threshold,train_seconds,eval_seconds,test_images\n"
                 "squeezenet1_1,128,imagenet,4,1,100,0.70,0.7,0.7,0.7,0.7,0.8,0.5,10,1,100\n"
                 "squeezenet1_1,128,imagenet,4,2,100,0.80,0.8,0.8,0.8,0.8,0.9,0.5,10,1,100\n"
                 "squeezenet1_1,128,imagenet,16,1,100,0.90,0.9,0.9,0.9,0.9,0.95,0.5,10,1,100\n"
                 "squeezenet1_1,128,baseline,4,1,0,0.60,0.6,0.6,0.6,0.6,0.65,1,2,1,100\n"
                 "squeezenet1_1,128,scratch,4,1,100,0.55,0.5,0.5,0.5,0.5,0.5,0.5,10,1,100\n");
        auto runs = experiment::readResults(csv);
        QCOMPARE(int(runs.size()), 5);
        auto series = shotSeries(runs);
        QCOMPARE(int(series.size()), 3);
        QCOMPARE(series[0].name, std::string("scratch")); // the study's column order
        QCOMPARE(series[1].name, std::string("imagenet"));
        QVERIFY(series.back().baseline); // the baseline comes last
        QCOMPARE(int(series[1].points.size()), 2);
        const auto& p4 = series[1].points[0];
        QCOMPARE(p4.shots, 4);
        QCOMPARE(p4.runs, 2);
        QVERIFY(std::abs(p4.mean - 0.75) < 1e-9);
        QCOMPARE(p4.min, 0.70);
        QCOMPARE(p4.max, 0.80);
        QVERIFY(std::abs(p4.std - std::sqrt(0.005)) < 1e-9);
        QCOMPARE(series[1].points[1].shots, 16);
        auto aucSeries = shotSeries(runs, "auc");
        QVERIFY(std::abs(aucSeries[1].points[0].mean - 0.85) < 1e-9);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, shotSeries(runs, "speed"));
        auto found = findExperimentResults(dir);
        QCOMPARE(int(found.size()), 1);
        QCOMPARE(found[0], csv);
        QVERIFY(findExperimentResults(dir / "nothing").empty());
        // The chart draws one polyline per series, the baseline dashed.
        const std::string svg = shotsSvg(series);
        std::size_t lines = 0;
        for (auto pos = svg.find("<polyline"); pos != std::string::npos;
             pos = svg.find("<polyline", pos + 1))
            ++lines;
        QCOMPARE(int(lines), 3);
        QVERIFY(svg.find("stroke-dasharray") != std::string::npos);
    }

    void reportHtml()
    {
        const std::vector<int> labels{kOk, kOk, kNg, kNg};
        auto a = fakeMethod("A <model>", {0.1f, 0.6f, 0.7f, 0.9f}, 0.5);
        CompareReport r;
        r.data = "folder /d, split test (4 images)";
        ReportMethod m;
        m.name = a.name;
        m.metrics = metricsAt(a, labels, 0.5);
        m.msPerImage = 3.25;
        r.methods.push_back(m);
        ReportError e;
        e.path = "/d/ok/x1.png";
        e.label = kOk;
        e.predicted = {kNg};
        e.scores = {0.6f};
        cv::Mat im(40, 60, CV_8UC3, cv::Scalar(0, 0, 255));
        e.imageUri = jpegDataUri(im, 30);
        r.errors.push_back(e);
        ShotSeries s;
        s.name = "imagenet";
        s.points = {{4, 2, 0.7, 0.05, 0.65, 0.75}, {16, 2, 0.9, 0.01, 0.89, 0.91}};
        r.shots.push_back(s);
        const std::string html = compareReportHtml(r);
        QVERIFY(html.find("A &lt;model&gt;") != std::string::npos); // escaped
        QVERIFY(html.find("<svg") != std::string::npos);
        QVERIFY(html.find("0.750") != std::string::npos); // accuracy
        QVERIFY(html.find("3.2") != std::string::npos);   // ms per image
        QVERIFY(html.find("x1.png") != std::string::npos);
        QVERIFY(html.find("data:image/jpeg;base64,/9j/") != std::string::npos); // JPEG magic
        QVERIFY(html.find("Accuracy against shots") != std::string::npos);
        // The ROC chart holds one curve and one operating point per method.
        const std::string roc = rocSvg(r.methods);
        std::size_t curves = 0;
        for (auto pos = roc.find("<polyline"); pos != std::string::npos;
             pos = roc.find("<polyline", pos + 1))
            ++curves;
        QCOMPARE(int(curves), 1);
        QVERIFY(roc.find("<circle") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestCompare)
#include "test_compare.moc"
