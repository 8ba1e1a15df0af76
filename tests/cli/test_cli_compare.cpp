// kizu-cli compare end to end on a small ok/ng folder: an (untrained) model and the baseline
// side by side as JSON, scores cached on the second run, an HTML report, and clear errors for
// a missing model or nothing to compare.
// kizu-test-timeout: 120
#include "common/test_support.h"
#include "core/learn/model.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using kizu::test::runCli;

class TestCliCompare : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }

private Q_SLOTS:
    void initTestCase()
    {
        QDir().mkpath(tmp("data/ok"));
        QDir().mkpath(tmp("data/ng"));
        for (int i = 0; i < 6; ++i) {
            const bool ng = i % 2 == 1;
            cv::RNG rng(std::uint64_t(40 + i));
            cv::Mat im(100, 160, CV_8UC3);
            rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
            if (ng) cv::circle(im, cv::Point(80, 50), 9, cv::Scalar::all(10), -1);
            cv::imwrite(
                tmp(QStringLiteral("data/%1/i%2.png").arg(ng ? "ng" : "ok").arg(i)).toStdString(),
                im);
        }
        kizu::learn::ModelInfo info;
        info.inputSize = 64;
        kizu::learn::Model::create(info, "scratch", 1).save(tmp("m.kizumodel").toStdString());
    }

    void comparesAndCaches()
    {
        const QStringList args{"compare",          "--data",     tmp("data"), "--models",
                               tmp("m.kizumodel"), "--baseline", "--cache",   tmp("cache"),
                               "--threads",        "1",          "--json",    "--report",
                               tmp("r.html")};
        auto r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["images"].toInt(), 6);
        const auto methods = j["methods"].toArray();
        QCOMPARE(methods.size(), 2);
        QCOMPARE(methods[0].toObject()["kind"].toString(), QStringLiteral("model"));
        QCOMPARE(methods[1].toObject()["kind"].toString(), QStringLiteral("baseline"));
        QVERIFY(!methods[0].toObject()["cached"].toBool());
        QVERIFY(methods[0].toObject()["ms_per_image"].toDouble() > 0);
        QVERIFY(methods[1].toObject().contains("f1"));
        QFile report(tmp("r.html"));
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray html = report.readAll();
        QVERIFY(html.contains("m.kizumodel"));
        QVERIFY(html.contains("<svg"));
        // The second run takes both from the cache (and prints the table for people).
        QStringList human = args;
        human.removeAll(QStringLiteral("--json"));
        r = runCli(human);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("m.kizumodel from the cache") &&
                     r.err.contains("baseline from the cache"),
                 r.err.constData());
        QVERIFY(r.out.contains("bal.acc"));
        QVERIFY(r.out.contains("Confusion"));
        QVERIFY(
            r.out.contains(QByteArray::number(methods[0].toObject()["auc"].toDouble(), 'f', 4)));
    }

    void errors()
    {
        auto r = runCli({"compare", "--data", tmp("data"), "--models", tmp("missing.kizumodel")});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("missing.kizumodel"), r.err.constData());
        r = runCli({"compare", "--data", tmp("data")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--baseline"), r.err.constData());
    }
};

QTEST_APPLESS_MAIN(TestCliCompare)
#include "test_cli_compare.moc"
