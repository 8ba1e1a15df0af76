// kizu-cli experiment: a miniature sweep end to end (tiny model, 2 shot values, 1 seed, a
// network init and the classical baseline) writes results.csv, the Table-1 Markdown and the
// chart; a second run resumes (does nothing more); two shards merged equal the whole sweep;
// changed settings on the same folder are refused. Plus the torch-free aggregation in core.
// kizu-test-timeout: 300
// kizu-test-no-asan: 146 s under ASan on 2 cores (the sweep's training runs in test_experiment_sweep)
#include "common/test_support.h"
#include "core/common/error.h"
#include "core/experiment/experiment.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTextStream>

#include <opencv2/imgcodecs.hpp>

using kizu::test::runCli;
namespace ex = kizu::experiment;

namespace {
ex::RunResult row(const std::string& init, int shots, std::uint64_t seed, double acc)
{
    ex::RunResult r;
    r.arch = "squeezenet1_1";
    r.size = 64;
    r.key = {init, shots, seed};
    r.steps = 10;
    r.accuracy = acc;
    r.balancedAccuracy = acc;
    r.testImages = 10;
    return r;
}
} // namespace

class TestCliExperiment : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_data;

    QStringList sweep(const QString& out) const
    {
        return {"experiment", "run", "--data", m_data, "--out", out, "--model", "squeezenet1_1",
                "--size", "48", "--steps", "3", "--batch", "4", "--shots", "1,2", "--seeds", "7",
                "--inits", "scratch,baseline", "--baseline-trials", "3", "--threads", "1",
                "--quiet"};
    }
    static QString readText(const QString& file)
    {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) return {};
        return QString::fromUtf8(f.readAll());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // A labeled folder in BSData's layout: CG renders plus a manifest with a split column.
        m_data = m_tmp.filePath("data");
        auto r = runCli({"cg", "batch", "--count", "24", "--seed", "3", "--size", "96", "--out",
                         m_data, "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QFile manifest(m_data + "/manifest.csv");
        QVERIFY(manifest.open(QIODevice::WriteOnly));
        QTextStream s(&manifest);
        s << "path,label,group,split\n";
        for (const char* label : {"ok", "ng"})
            for (int i = 0; i < 24; ++i) {
                const QString name = QString("%1/cg_%2.png").arg(label).arg(i, 6, 10, QChar('0'));
                if (!QFile::exists(m_data + "/" + name)) continue;
                s << name << ',' << label << ",g" << i << ',' << (i % 3 == 0 ? "test" : "train") << "\n";
            }
    }

    void aggregationAndTable()
    {
        std::vector<ex::RunResult> rows{row("cg", 1, 1, 0.9), row("cg", 1, 2, 0.8),
                                        row("scratch", 1, 1, 0.5), row("scratch", 2, 1, 0.6),
                                        row("imagenet", 1, 1, 0.7)};
        auto cells = ex::aggregate(rows);
        auto cg = std::find_if(cells.begin(), cells.end(),
                               [](const ex::Cell& c) { return c.init == "cg" && c.shots == 1; });
        QVERIFY(cg != cells.end());
        QCOMPARE(cg->n, 2);
        QVERIFY(std::abs(cg->mean - 0.85) < 1e-12);
        QVERIFY(std::abs(cg->std - std::sqrt(0.005)) < 1e-12);
        const auto md = QString::fromStdString(ex::markdownTable(rows));
        QVERIFY2(md.startsWith("| shots per class | Scratch | ImageNet | CG (ours) |"), qPrintable(md));
        QVERIFY2(md.contains("| 1 | 50.00 ± 0.00 (1) | 70.00 ± 0.00 (1) | **85.00 ± 7.07 (2)** |"),
                 qPrintable(md));
        QVERIFY(md.contains("| 2 | **60.00 ± 0.00 (1)** | - | - |"));
        // Shards partition the plan.
        auto all = ex::planRuns({1, 2, 4}, {"scratch", "cg"}, {1, 2});
        QCOMPARE(int(all.size()), 12);
        auto a = ex::planRuns({1, 2, 4}, {"scratch", "cg"}, {1, 2}, 0, 5);
        auto b = ex::planRuns({1, 2, 4}, {"scratch", "cg"}, {1, 2}, 4, 5);
        QCOMPARE(int(a.size()), 3);
        QCOMPARE(int(b.size()), 2);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, ex::parseShard("3/3"));
        QCOMPARE(ex::parseShots("max", 20), (std::vector<int>{1, 2, 4, 8, 16, 20}));
        QCOMPARE(ex::parseShots("max:64", 20), (std::vector<int>{1, 2, 4, 8, 16}));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, ex::parseShots("1,50", 20));
        // Merging refuses the same run with different results.
        QVERIFY_THROWS_EXCEPTION(kizu::FormatError,
                                 ex::mergeResults({{row("cg", 1, 1, 0.9)}, {row("cg", 1, 1, 0.7)}}));
        QCOMPARE(int(ex::mergeResults({{row("cg", 1, 1, 0.9)}, {row("cg", 1, 1, 0.9)}}).size()), 1);
        // Round trip through the CSV, and a torn last line is ignored.
        const QString csv = m_tmp.filePath("rt.csv");
        ex::writeResults(csv.toStdString(), rows);
        QCOMPARE(int(ex::readResults(csv.toStdString()).size()), 5);
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::Append));
            f.write("squeezenet1_1,64,cg,4");
        }
        QCOMPARE(int(ex::readResults(csv.toStdString()).size()), 5);
        cv::Mat img = ex::chart(rows, "accuracy", "test");
        QCOMPARE(img.cols, 960);
        QVERIFY(cv::countNonZero(img.reshape(1) != 255) > 1000); // something was drawn
    }

    void miniSweepResumeShardsAndMerge()
    {
        const QString out = m_tmp.filePath("exp");
        auto r = runCli(sweep(out), 240000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto rows = ex::readResults((out + "/results.csv").toStdString());
        QCOMPARE(int(rows.size()), 4); // 2 shots x (scratch, baseline) x 1 seed
        for (const auto& x : rows) {
            QVERIFY(x.accuracy >= 0 && x.accuracy <= 1);
            QCOMPARE(x.testImages, std::int64_t(8)); // 12 per class, every third in test
        }
        const QString md = readText(out + "/table.md");
        QVERIFY2(md.contains("| shots per class | Scratch | Classical baseline |"), qPrintable(md));
        QVERIFY(md.contains("| 2 |"));
        cv::Mat chart = cv::imread((out + "/accuracy_vs_shots.png").toStdString());
        QVERIFY(!chart.empty());

        // Resume: nothing left to do, the results stay as they were.
        const QString before = readText(out + "/results.csv");
        r = runCli(sweep(out).mid(0, sweep(out).size() - 1), 60000); // without --quiet
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("4 done, 0 to go"), r.err.constData());
        QCOMPARE(readText(out + "/results.csv"), before);

        // Two shards merged give the same sweep.
        for (int i = 0; i < 2; ++i) {
            auto s = runCli(sweep(m_tmp.filePath(QString("shard%1").arg(i)))
                                << "--shard" << QString("%1/2").arg(i), 240000);
            QVERIFY2(s.exitCode == 0, s.err.constData());
        }
        r = runCli({"experiment", "merge", m_tmp.filePath("shard0"), m_tmp.filePath("shard1"),
                    "--out", m_tmp.filePath("merged")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto merged = ex::readResults(m_tmp.filePath("merged/results.csv").toStdString());
        QCOMPARE(merged.size(), rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            QVERIFY(merged[i].key == rows[i].key);
            QCOMPARE(merged[i].accuracy, rows[i].accuracy); // deterministic per run
        }

        // Other settings on the same folder are refused with a clear message.
        QStringList other = sweep(out);
        other[other.indexOf("--steps") + 1] = "5";
        r = runCli(other, 60000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("other settings"), r.err.constData());
        // A missing ImageNet file for init imagenet is a usage error, not a crash (no
        // resnet34 file is found anywhere; SqueezeNet's is found beside the source tree).
        other = sweep(m_tmp.filePath("x"));
        other[other.indexOf("--inits") + 1] = "imagenet";
        other[other.indexOf("--model") + 1] = "resnet34";
        r = runCli(other, 60000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--imagenet"), r.err.constData());
        // An unknown init names the ones there are, the station's default among them.
        other[other.indexOf("--inits") + 1] = "imagenett";
        r = runCli(other, 60000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("station"), r.err.constData());
        // init station sweeps what the Train page starts from (here: ImageNet SqueezeNet).
        other = sweep(m_tmp.filePath("station"));
        other[other.indexOf("--inits") + 1] = "station";
        other[other.indexOf("--shots") + 1] = "1";
        r = runCli(other, 120000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto station =
            ex::readResults(m_tmp.filePath("station/results.csv").toStdString());
        QCOMPARE(station.size(), std::size_t(1));
        QCOMPARE(station[0].key.init, std::string("station"));
        QVERIFY(readText(m_tmp.filePath("station/experiment.json")).contains("imagenet:") ||
                readText(m_tmp.filePath("station/experiment.json")).contains("scratch"));
    }
};

QTEST_GUILESS_MAIN(TestCliExperiment)
#include "test_cli_experiment.moc"
