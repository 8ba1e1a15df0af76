// kizu-cli train --transplant and kizu-cli experiment's X+transplant inits end to end on tiny
// grinding-like photos: the ratio reaches the batches, the same seed gives the same model, the
// threshold rule is reported, bad values are refused with the range, and results.csv, the table
// and merge carry the init's exact name and its ratio.
// kizu-test-timeout: 300
#include "common/test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

using kizu::test::runCli;

class TestCliTransplant : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }
    static QJsonObject json(const QByteArray& out)
    {
        return QJsonDocument::fromJson(out.trimmed()).object();
    }
    QStringList trainArgs(const QString& out) const
    {
        return {"train",  "--data",  tmp("data"),   "--split",   "train",   "--model", "resnet18",
                "--init", "scratch", "--size",      "32",        "--batch", "8",       "--steps",
                "3",      "--shots", "all",         "--threads", "1",       "--seed",  "2",
                "--out",  out,       "--no-assess", "--json",    "--quiet"};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // BSData's layout: ok/, ng/ and a manifest with a split column.
        QDir().mkpath(tmp("data/ok"));
        QDir().mkpath(tmp("data/ng"));
        std::ofstream manifest(tmp("data/manifest.csv").toStdString());
        manifest << "path,label,group,split\n";
        for (int i = 0; i < 16; ++i) {
            const bool ng = i % 2 == 1;
            cv::Mat im(48, 64, CV_8UC3);
            for (int y = 0; y < im.rows; ++y)
                im.row(y).setTo(cv::Scalar::all(120 + 30 * std::sin(y * 1.1 + i)));
            if (ng) cv::circle(im, cv::Point(12 + 3 * i, 24), 6, cv::Scalar::all(20), -1);
            const QString rel = QString("%1/%2.png").arg(ng ? "ng" : "ok").arg(i);
            QVERIFY(cv::imwrite(tmp("data/" + rel).toStdString(), im));
            manifest << rel.toStdString() << "," << (ng ? "ng" : "ok") << ",g" << i << ","
                     << (i < 12 ? "train" : "test") << "\n";
        }
    }

    void trainMixesTransplants()
    {
        QStringList args = trainArgs(tmp("a.kizumodel"));
        args << "--transplant"
             << "0.5";
        auto r = runCli(args, 240000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto a = json(r.out);
        QCOMPARE(a["transplant_ratio"].toDouble(), 0.5);
        QCOMPARE(a["transplant_images"].toInt(), 3 * 4); // 4 of every batch of 8
        QCOMPARE(a["threshold_rule"].toObject()["rule"].toString(),
                 QStringLiteral("held_out_transplants"));
        QVERIFY(a["metrics"].toObject().contains("threshold_set"));
        QVERIFY(a["seconds_per_step"].toDouble() > 0);
        // The same seed: the same model.
        args = trainArgs(tmp("b.kizumodel"));
        args << "--transplant"
             << "0.5";
        r = runCli(args, 240000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto b = json(r.out);
        QCOMPARE(b["weights_sha256"].toString(), a["weights_sha256"].toString());
        QCOMPARE(b["threshold"].toDouble(), a["threshold"].toDouble());
        // Off: the rule on the training images, no transplants.
        r = runCli(trainArgs(tmp("c.kizumodel")), 240000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto c = json(r.out);
        QCOMPARE(c["transplant_images"].toInt(), 0);
        QCOMPARE(c["threshold_rule"].toObject()["rule"].toString(),
                 QStringLiteral("training_images"));
        // The help tells the option.
        r = runCli({"train", "--help"});
        QVERIFY(r.out.contains("--transplant R"));
        QVERIFY(r.out.contains("--transplant-params"));
    }

    void badValuesAreRefused()
    {
        for (const char* bad : {"1.5", "1", "-0.1", "half"}) {
            QStringList args = trainArgs(tmp("x.kizumodel"));
            args << "--transplant" << bad;
            const auto r = runCli(args);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("--transplant") && r.err.contains("[0, 1)"), r.err.constData());
        }
        QStringList args = trainArgs(tmp("x.kizumodel"));
        args << "--transplant"
             << "0.5"
             << "--transplant-params"
             << "no-such-preset";
        auto r = runCli(args);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("no-such-preset") && r.err.contains("pitting"), r.err.constData());
        r = runCli({"experiment", "run", "--data", tmp("data"), "--out", tmp("e-bad"), "--inits",
                    "scratch+transplant", "--transplant", "1.5"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("(0, 1)"), r.err.constData());
        r = runCli({"experiment", "run", "--data", tmp("data"), "--out", tmp("e-bad"), "--inits",
                    "baseline+transplant"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("imagenet+transplant"), r.err.constData());
    }

    void sweepNamesTheInit()
    {
        auto r = runCli({"experiment",   "run",    "--data",    tmp("data"),
                         "--out",        tmp("e"), "--model",   "resnet18",
                         "--size",       "32",     "--steps",   "2",
                         "--batch",      "4",      "--shots",   "2",
                         "--seeds",      "1",      "--inits",   "scratch,scratch+transplant",
                         "--transplant", "0.25",   "--threads", "1",
                         "--quiet"},
                        240000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto rows = kizu::test::readCsv(tmp("e/results.csv"));
        QCOMPARE(rows.size(), 3);
        const int init = int(rows[0].indexOf("init")), ratio = int(rows[0].indexOf("transplant"));
        QVERIFY(init >= 0 && ratio >= 0);
        QCOMPARE(rows[1][init], QStringLiteral("scratch"));
        QCOMPARE(rows[1][ratio], QStringLiteral("0"));
        QCOMPARE(rows[2][init], QStringLiteral("scratch+transplant"));
        QCOMPARE(rows[2][ratio], QStringLiteral("0.25"));
        QFile table(tmp("e/table.md"));
        QVERIFY(table.open(QIODevice::ReadOnly));
        QVERIFY(table.readAll().contains("Scratch+transplant"));
        r = runCli({"experiment", "merge", tmp("e"), "--out", tmp("merged")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(kizu::test::readCsv(tmp("merged/results.csv")), rows);
        QFile cfg(tmp("merged/experiment.json"));
        QVERIFY(cfg.open(QIODevice::ReadOnly));
        const auto inits = QJsonDocument::fromJson(cfg.readAll()).object()["inits"].toObject();
        QCOMPARE(inits["scratch+transplant"].toString(),
                 QStringLiteral("scratch +transplant 0.25 pitting"));
        // Another ratio on the same folder is refused for that init.
        r = runCli({"experiment",   "run",    "--data",  tmp("data"),
                    "--out",        tmp("e"), "--model", "resnet18",
                    "--size",       "32",     "--steps", "2",
                    "--batch",      "4",      "--shots", "2",
                    "--seeds",      "1",      "--inits", "scratch+transplant",
                    "--transplant", "0.5"});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("scratch+transplant"), r.err.constData());
    }
};

QTEST_APPLESS_MAIN(TestCliTransplant)
#include "test_cli_transplant.moc"
