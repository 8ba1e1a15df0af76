// kizu-cli baseline end to end: eval with a per-image CSV and JSON metrics, tune writing a
// parameter file that eval reads back, a project as data source, and clear errors for bad
// parameter files and options.
// kizu-test-timeout: 180
#include "common/test_support.h"
#include "core/project/project_store.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
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
        QFile csv(tmp("out.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QVERIFY(lines[0].startsWith(
            "path,label,score,verdict,blob,area,length,width,elongation,angle,contrast"));
        QCOMPARE(lines.size(), 18); // header, 16 rows, final newline
        int ngWithBlob = 0;
        for (const auto& l : lines)
            if (l.contains("/ng/") && l.split(',').value(4).size() > 0) ++ngWithBlob;
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
