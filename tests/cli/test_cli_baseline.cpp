// kizu-cli baseline end to end: eval with a per-image CSV and JSON metrics, tune writing a
// parameter file that eval reads back, a project as data source, and clear errors for bad
// parameter files and options.
// kizu-test-timeout: 180
#include "common/test_support.h"
#include "core/baseline/baseline.h"
#include "core/project/project_store.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using kizu::test::runCli;

namespace {

cv::Mat texture(std::uint64_t seed, bool pit)
{
    cv::RNG rng(seed);
    cv::Mat g(cv::Size(300, 120), CV_32F);
    for (int y = 0; y < g.rows; ++y)
        for (int x = 0; x < g.cols; ++x)
            g.at<float>(y, x) = float(130 + 12 * std::sin(6.283 * y / 7.0));
    cv::Mat noise(g.size(), CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 5);
    g += noise;
    if (pit) cv::circle(g, {100 + int(seed % 100), 60}, 6, cv::Scalar(70), cv::FILLED, cv::LINE_AA);
    cv::Mat u8;
    g.convertTo(u8, CV_8U);
    return u8;
}

} // namespace

class TestCliBaseline : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }

private Q_SLOTS:
    void initTestCase()
    {
        QDir().mkpath(tmp("data/ok"));
        QDir().mkpath(tmp("data/ng"));
        for (int i = 0; i < 8; ++i) {
            QVERIFY(cv::imwrite(tmp(QStringLiteral("data/ok/ok%1.png").arg(i)).toStdString(),
                                texture(std::uint64_t(i + 1), false)));
            QVERIFY(cv::imwrite(tmp(QStringLiteral("data/ng/ng%1.png").arg(i)).toStdString(),
                                texture(std::uint64_t(i + 50), true)));
        }
        QFile p(tmp("p.json"));
        QVERIFY(p.open(QIODevice::WriteOnly));
        p.write(R"({"scale": 1.0, "marginX": 0})");
    }

    void help()
    {
        auto r = runCli({"baseline", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("Examples"));
        QVERIFY(r.out.contains("tune"));
        r = runCli({"baseline", "defaults"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(r.out).object().contains("sigma1"));
    }

    void evalWithCsvAndJson()
    {
        auto r = runCli({"baseline", "eval", "--params", tmp("p.json"), "--data", tmp("data"),
                         "--csv", tmp("out.csv"), "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["images"].toInt(), 16);
        QCOMPARE(j["accuracy"].toDouble(), 1.0);
        QCOMPARE(j["auc"].toDouble(), 1.0);
        // The per-image CSV: each image once with its folder's label, a verdict that agrees
        // (accuracy 1), and for each NG image the deciding blob where the pit was drawn.
        const auto rows = kizu::test::readCsv(tmp("out.csv"));
        QCOMPARE(rows.size(), 17); // header and 16 rows
        QCOMPARE(rows[0].join(','),
                 QStringLiteral("path,label,score,verdict,blob,area,length,width,elongation,"
                                "angle,contrast,x,y,error"));
        QSet<QString> names;
        int ngWithBlob = 0;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList& row = rows[i];
            const QString line = row.join(',');
            QCOMPARE(row.size(), 14);
            const QFileInfo file(row[0]);
            const QString label = file.dir().dirName();
            names << label + "/" + file.fileName();
            QCOMPARE(row[1], label);
            bool number = false;
            row[2].toDouble(&number);
            QVERIFY2(number, qPrintable(line));
            QCOMPARE(row[3], label);
            QVERIFY2(row[13].isEmpty(), qPrintable(line)); // no error
            if (label != "ng" || row[4].isEmpty()) continue;
            ++ngWithBlob;
            // ngK.png has its pit of radius 6 at (100 + (K + 50) % 100, 60).
            const int k = file.baseName().mid(2).toInt();
            const double area = row[5].toDouble(), x = row[11].toDouble(), y = row[12].toDouble();
            QVERIFY2(area > 20 && area < 1000, qPrintable(line));
            QVERIFY2(std::abs(x - (100 + (k + 50) % 100)) < 8 && std::abs(y - 60) < 8,
                     qPrintable(line));
        }
        QCOMPARE(names.size(), 16);
        QCOMPARE(ngWithBlob, 8);

        r = runCli({"baseline", "eval", "--params", tmp("p.json"), "--data", tmp("data")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("balanced accuracy"));
        QVERIFY(r.out.contains("ROC AUC"));
    }

    void tuneWritesParamsThatEvalReads()
    {
        QFile bad(tmp("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(R"({"scale": 1.0, "marginX": 0, "minArea": 3000})");
        bad.close();
        auto r = runCli({"baseline", "tune", "--data", tmp("data"), "--start", tmp("bad.json"),
                         "--trials", "4", "--rules", "100", "--seed", "5", "--out",
                         tmp("tuned.json"), "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto j = QJsonDocument::fromJson(r.out).object();
        QVERIFY(j["train"].toObject()["balancedAccuracy"].toDouble() >=
                j["start"].toObject()["balancedAccuracy"].toDouble());
        QCOMPARE(j["trials"].toInt(), 4);
        r = runCli({"baseline", "eval", "--params", tmp("tuned.json"), "--data", tmp("data"),
                    "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object()["balancedAccuracy"].toDouble(),
                 j["train"].toObject()["balancedAccuracy"].toDouble());
    }

    void projectAsDataSource()
    {
        using namespace kizu::project;
        auto store = ProjectStore::create(tmp("proj").toStdString());
        ImportOptions opt;
        opt.label = Label::Ok;
        auto ok = store.importPaths({tmp("data/ok").toStdString()}, opt);
        opt.label = Label::Ng;
        auto ng = store.importPaths({tmp("data/ng").toStdString()}, opt);
        store.setSplit(ok.ids, Split::Test);
        store.setSplit(ng.ids, Split::Test);
        auto r = runCli({"--project", tmp("proj"), "baseline", "eval", "--params", tmp("p.json"),
                         "--split", "test", "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object()["images"].toInt(), 16);
        r = runCli({"baseline", "eval", "--project", tmp("proj"), "--split", "train", "--quiet"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("no labeled images"));
    }

    // inspect --baseline project judges with the project's tuned parameters (those of the
    // Inspect and Compare pages), and says so when the project has none.
    void inspectWithTheProjectsBaseline()
    {
        const QString proj = tmp("inspect_project");
        {
            auto store = kizu::project::ProjectStore::create(proj.toStdString());
        }
        auto thresholds = [](const QByteArray& out) {
            QSet<double> t;
            for (const auto& line : out.split('\n')) {
                const auto o = QJsonDocument::fromJson(line).object();
                if (o.contains(QStringLiteral("threshold")))
                    t.insert(o[QStringLiteral("threshold")].toDouble());
            }
            return t;
        };
        const QStringList run{
            "-p",         proj,      "inspect",  "--source", "folder:" + tmp("data/ng"),
            "--baseline", "project", "--frames", "2",        "--no-save-ng"};
        auto untuned = runCli(run);
        QVERIFY2(untuned.exitCode == 0, untuned.err.constData());
        QVERIFY2(untuned.err.contains("not tuned"), untuned.err.constData());
        QCOMPARE(thresholds(untuned.out), (QSet<double>{1.0}));

        kizu::baseline::BaselineParams tuned;
        tuned.scoreThreshold = 0.5;
        {
            auto store = kizu::project::ProjectStore::open(proj.toStdString());
            store.setMeta("baseline_params", tuned.toJson().dump());
        }
        auto r = runCli(run);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(!r.err.contains("not tuned"), r.err.constData());
        QCOMPARE(thresholds(r.out), (QSet<double>{0.5}));

        auto noProject = runCli({"inspect", "--no-project", "--source", "folder:" + tmp("data/ng"),
                                 "--baseline", "project", "--frames", "1"});
        QCOMPARE(noProject.exitCode, 2);
        QVERIFY2(noProject.err.contains("--baseline P.json"), noProject.err.constData());
    }

    void clearErrors()
    {
        QFile f(tmp("wrong.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"sigma1": 8, "sigma2": 2})");
        f.close();
        auto r = runCli({"baseline", "eval", "--params", tmp("wrong.json"), "--data", tmp("data")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("sigma1") && r.err.contains("wrong.json"), r.err.constData());

        QFile g(tmp("enum.json"));
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(R"({"thresholdMode": "triangle"})");
        g.close();
        r = runCli({"baseline", "eval", "--params", tmp("enum.json"), "--data", tmp("data")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("thresholdMode") && r.err.contains("fixed, otsu, adaptive"),
                 r.err.constData());

        r = runCli({"baseline", "eval", "--data", tmp("data"), "--split", "test"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("manifest.csv"));
        r = runCli({"baseline", "tune", "--data", tmp("data")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("--out"));
        r = runCli({"baseline", "frob"});
        QCOMPARE(r.exitCode, 2);
    }
};

QTEST_APPLESS_MAIN(TestCliBaseline)
#include "test_cli_baseline.moc"
