// kizu-cli train and eval end to end on a tiny synthetic ok/ng folder: a model is learnt and
// measured, a training run killed with -9 resumes from its checkpoint to the same weights as an
// uninterrupted run, and a damaged model file gives a clear error.
// kizu-test-timeout: 400
// kizu-test-no-asan: 282 s under ASan on 2 cores (train and eval also run in test_learn)
#include "core/learn/defaults.h"
#include "common/test_support.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using kizu::test::runCli;

class TestCliLearn : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }
    QStringList trainArgs(const QString& out, int steps) const
    {
        return {"train",
                "--data",
                tmp("data"),
                "--model",
                "resnet18",
                "--init",
                "scratch",
                "--size",
                "32",
                "--batch",
                "8",
                "--steps",
                QString::number(steps),
                "--no-augment",
                "--lr",
                "0.05",
                "--threads",
                "1",
                "--seed",
                "4",
                "--out",
                out,
                "--json",
                "--quiet"};
    }
    // Whether the process has ended (a zombie not yet reaped by QProcess counts), without an
    // event loop: QProcess::state() only changes when events are processed.
    static bool hasExited(pid_t pid)
    {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly)) return true;
        const QByteArray line = stat.readAll();
        const int close = line.lastIndexOf(')');
        return close < 0 || line.mid(close + 2, 1) == "Z";
    }
    static QJsonObject json(const QByteArray& out)
    {
        return QJsonDocument::fromJson(out.trimmed()).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // OK: dark noise; NG: bright noise with a dark spot. Trivially separable.
        for (int c = 0; c < 2; ++c) {
            QDir().mkpath(tmp(c ? "data/ng" : "data/ok"));
            for (int i = 0; i < 8; ++i) {
                cv::Mat im(40, 56, CV_8UC3);
                cv::theRNG().state = std::uint64_t(100 + i + 50 * c);
                cv::randu(im, cv::Scalar::all(c ? 170 : 20), cv::Scalar::all(c ? 230 : 80));
                if (c) cv::circle(im, cv::Point(10 + 4 * i, 20), 5, cv::Scalar::all(0), -1);
                QVERIFY(cv::imwrite(
                    tmp(QString("data/%1/%2.png").arg(c ? "ng" : "ok").arg(i)).toStdString(), im));
            }
        }
    }

    void helpHasExamples()
    {
        for (const char* cmd : {"train", "eval"}) {
            auto r = runCli({cmd, "--help"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.out.contains("Example"), cmd);
        }
        auto r = runCli({"train", "--data", tmp("data"), "--shots", "none"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("--shots"));
        // The help names the defaults the Train page has (the best measured route).
        r = runCli({"train", "--help"});
        QVERIFY(r.out.contains("default 150 steps"));
        QVERIFY(r.out.contains("ImageNet"));
    }

    void trainsAndEvaluates()
    {
        auto r = runCli(trainArgs(tmp("m.kizumodel"), 30), 300000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto j = json(r.out);
        QCOMPARE(j["steps"].toInt(), 30);
        QVERIFY(!j["weights_sha256"].toString().isEmpty());
        QVERIFY(!QFile::exists(tmp("m.kizumodel.checkpoint"))); // default checkpoint removed
        r = runCli({"eval", "--model", tmp("m.kizumodel"), "--data", tmp("data"), "--json", "--csv",
                    tmp("s.csv")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto e = json(r.out);
        QCOMPARE(e["n"].toInt(), 16);
        QCOMPARE(e["accuracy"].toDouble(), 1.0);
        // The per-image CSV: every image once, its label from its folder, a score in [0, 1]
        // that separates the classes, and a prediction that agrees with accuracy 1.
        const auto rows = kizu::test::readCsv(tmp("s.csv"));
        QCOMPARE(rows.size(), 17);
        QCOMPARE(rows[0], QStringList({"path", "label", "score", "predicted"}));
        QSet<QString> paths;
        double maxOk = -1, minNg = 2;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList& row = rows[i];
            QCOMPARE(row.size(), 4);
            const QString label = QFileInfo(row[0]).dir().dirName();
            QVERIFY2(QFile::exists(row[0]), qPrintable(row[0]));
            QVERIFY2(label == "ok" || label == "ng", qPrintable(row[0]));
            paths << QFileInfo(row[0]).canonicalFilePath();
            QCOMPARE(row[1], label);
            bool number = false;
            const double score = row[2].toDouble(&number);
            QVERIFY2(number && score >= 0 && score <= 1, qPrintable(row.join(',')));
            QCOMPARE(row[3], label);
            if (label == "ng")
                minNg = std::min(minNg, score);
            else
                maxOk = std::max(maxOk, score);
        }
        QCOMPARE(paths.size(), 16);
        QVERIFY2(minNg > maxOk, qPrintable(QString("%1 %2").arg(minNg).arg(maxOk)));
        r = runCli({"eval", "--model", tmp("m.kizumodel"), "--data", tmp("data")});
        QVERIFY(r.out.contains("balanced accuracy"));
    }

    void defectMapTrainsAndEvaluates()
    {
        // --head defect_map: a defect map at the photos' aspect (56 x 40 photos, long side 64),
        // scored by eval like any model; without --head the route's default (a classifier).
        QStringList args = trainArgs(tmp("map.kizumodel"), 6);
        args.replace(args.indexOf("32"), "64");
        args << "--head" << "defect_map";
        auto r = runCli(args, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = json(r.out);
        QCOMPARE(j["head"].toString(), QStringLiteral("defect_map"));
        QVERIFY(j["keep_aspect"].toBool());
        r = runCli({"eval", "--model", tmp("map.kizumodel"), "--data", tmp("data"), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject e = json(r.out);
        QVERIFY(e.contains("auc"));
        QCOMPARE(e["n"].toInt(), 16);
        args = trainArgs(tmp("cls.kizumodel"), 2);
        r = runCli(args, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(json(r.out)["head"].toString(),
                 QString::fromStdString(kizu::learn::defaultRoute().head));
        QVERIFY(!json(r.out)["keep_aspect"].toBool());
        // An unknown head is refused, naming the choices.
        args << "--head" << "segmenter";
        r = runCli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("defect_map"));
    }

    void patchcoreFitsOnOkPhotosOnly()
    {
        // --method patchcore --ok-only: the NG folder is ignored, the model is an anomaly model
        // scored by eval like any other. A random trunk keeps the test free of weight files.
        auto r = runCli({"train", "--method", "patchcore", "--data", tmp("data"), "--init",
                         "scratch", "--size", "64", "--ok-only", "--out", tmp("pc.kizumodel"),
                         "--json", "--quiet"},
                        300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = json(r.out);
        QCOMPARE(j["head"].toString(), QStringLiteral("anomaly"));
        QCOMPARE(j["ok_images"].toInt(), 8);
        QCOMPARE(j["ng_images"].toInt(), 0);
        QVERIFY(j["bank_size"].toInt() > 0 && j["bank_size"].toInt() < j["patches"].toInt());
        QCOMPARE(j["threshold_rule"].toObject()["rule"].toString(),
                 QStringLiteral("ok_false_reject_rate"));
        r = runCli({"eval", "--model", tmp("pc.kizumodel"), "--data", tmp("data"), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject e = json(r.out);
        QVERIFY2(e["auc"].toDouble() >= 0.9, qPrintable(r.out));
        // Two OK photos are the least; one is refused with what to do.
        r = runCli({"train", "--method", "patchcore", "--data", tmp("data"), "--init", "scratch",
                    "--shots", "1", "--out", tmp("pc1.kizumodel")});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("at least two OK photos"), qPrintable(r.err));
        QVERIFY(!QFile::exists(tmp("pc1.kizumodel")));
        r = runCli({"train", "--method", "knn", "--data", tmp("data")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("patchcore"));
    }

    void killedRunResumesToSameWeights()
    {
        const int steps = 40;
        auto whole = runCli(trainArgs(tmp("whole.kizumodel"), steps), 300000);
        QVERIFY2(whole.exitCode == 0, whole.err.constData());

        const QString ck = tmp("killed.checkpoint");
        QStringList args = trainArgs(tmp("killed.kizumodel"), steps);
        args << "--checkpoint" << ck << "--checkpoint-every"
             << "3";
        QProcess p;
        p.start(QStringLiteral(KIZU_CLI_PATH), args);
        QVERIFY(p.waitForStarted());
        const pid_t pid = pid_t(p.processId());
        // The first checkpoint comes at step 3 of 40. The moment it appears the run is frozen
        // with SIGSTOP (a 1 ms poll, against the 37 steps still to go), so the kill lands
        // mid-run however fast the machine is; a run that still got to the end is a failure,
        // not a skip.
        QElapsedTimer t;
        t.start();
        while (!QFile::exists(ck) && t.elapsed() < 120000 && !hasExited(pid))
            QThread::usleep(1000);
        ::kill(pid, SIGSTOP);
        QVERIFY2(!hasExited(pid) && !p.waitForFinished(200),
                 "the training run ended before it could be killed");
        QVERIFY2(QFile::exists(ck), "no checkpoint was written");
        p.kill(); // SIGKILL
        p.waitForFinished();

        args << "--resume";
        auto resumed = runCli(args, 300000);
        QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
        auto j = json(resumed.out);
        QVERIFY(j["resumed_from_step"].toInt() > 0);
        QCOMPARE(j["steps"].toInt(), steps);
        QCOMPARE(j["weights_sha256"].toString(), json(whole.out)["weights_sha256"].toString());
    }

    void badModelFileGivesClearError()
    {
        QFile f(tmp("bad.kizumodel"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(3000, 'x'));
        f.close();
        auto r = runCli({"eval", "--model", tmp("bad.kizumodel"), "--data", tmp("data")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("not a model"), r.err.constData());
        QFile good(tmp("m.kizumodel"));
        QVERIFY(good.open(QIODevice::ReadOnly));
        QByteArray bytes = good.readAll();
        QFile cut(tmp("cut.kizumodel"));
        QVERIFY(cut.open(QIODevice::WriteOnly));
        cut.write(bytes.left(bytes.size() / 2));
        cut.close();
        r = runCli({"eval", "--model", tmp("cut.kizumodel"), "--data", tmp("data")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("truncated"), r.err.constData());
    }
};

QTEST_APPLESS_MAIN(TestCliLearn)
#include "test_cli_learn.moc"
