// kizu-cli pretrain: a model learns from the endless CG stream with no files written, reports
// held-out CG validation, resumes after kill -9 to the very same weights, and its file serves
// as --init cg:FILE for fine-tuning.
// kizu-test-timeout: 600
#include "common/test_support.h"

#include <QDirIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <csignal>

using kizu::test::runCli;

class TestCliPretrain : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QStringList base() const
    {
        return {"pretrain", "--steps", "8", "--batch", "4", "--size", "48", "--val", "16",
                "--seed", "5", "--threads", "1", "--json", "--quiet"};
    }

private Q_SLOTS:
    void pretrainsAndValidates()
    {
        auto r = runCli(base() << "--out" << m_tmp.filePath("a.kizumodel"), 300000);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        auto j = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
        QCOMPARE(j["steps"].toInt(), 8);
        QCOMPARE(j["images_seen"].toInt(), 32);
        const double acc = j["cg_validation_accuracy"].toDouble(-1);
        QVERIFY(acc >= 0 && acc <= 1);
        QVERIFY(!j["weights_sha256"].toString().isEmpty());
        // Nothing but the model was written (no rendered files, no checkpoint left).
        QStringList files;
        for (QDirIterator it(m_tmp.path(), QDir::Files, QDirIterator::Subdirectories); it.hasNext();)
            files << QFileInfo(it.next()).fileName();
        QCOMPARE(files, QStringList{"a.kizumodel"});
        // Its weights start a fine-tuning run.
        auto t = runCli({"cg", "batch", "--count", "8", "--seed", "9", "--size", "48", "--quiet",
                         "--out", m_tmp.filePath("few")});
        QCOMPARE(t.exitCode, 0);
        t = runCli({"train", "--data", m_tmp.filePath("few"), "--steps", "2", "--batch", "2",
                    "--size", "48", "--threads", "1", "--init", "cg:" + m_tmp.filePath("a.kizumodel"),
                    "--out", m_tmp.filePath("ft.kizumodel"), "--quiet"}, 300000);
        QVERIFY2(t.exitCode == 0, t.err.constData());
        QVERIFY(QFile::exists(m_tmp.filePath("ft.kizumodel")));
    }

    void killedRunResumesToSameWeights()
    {
        auto straight = runCli(base() << "--out" << m_tmp.filePath("s.kizumodel"), 300000);
        QCOMPARE(straight.exitCode, 0);
        const QString want = QJsonDocument::fromJson(straight.out.trimmed().split('\n').last())
                                 .object()["weights_sha256"].toString();
        const QString out = m_tmp.filePath("k.kizumodel");
        const QString ckpt = out + ".checkpoint";
        QProcess p;
        p.start(KIZU_CLI_PATH, base() << "--out" << out << "--checkpoint" << ckpt
                                      << "--checkpoint-every" << "2");
        QVERIFY(p.waitForStarted());
        QElapsedTimer t;
        t.start();
        while (!QFile::exists(ckpt) && t.elapsed() < 120000 && p.state() == QProcess::Running)
            QTest::qWait(20);
        QVERIFY2(p.state() == QProcess::Running, "finished before a checkpoint could be killed");
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished();
        QVERIFY(!QFile::exists(out));
        auto resumed = runCli(base() << "--out" << out << "--checkpoint" << ckpt << "--resume", 300000);
        QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
        const QString got = QJsonDocument::fromJson(resumed.out.trimmed().split('\n').last())
                                .object()["weights_sha256"].toString();
        QCOMPARE(got, want);

        // A staged schedule: --stop-after keeps the checkpoint and exits 0; --resume finishes
        // it to the same weights again.
        const QString staged = m_tmp.filePath("st.kizumodel");
        auto first = runCli(base() << "--out" << staged << "--checkpoint" << staged + ".ckpt"
                                   << "--stop-after" << "3", 300000);
        QVERIFY2(first.exitCode == 0, first.err.constData());
        QVERIFY2(first.err.contains("stopped after step 3"), first.err.constData());
        QVERIFY(!QFile::exists(staged));
        QVERIFY(QFile::exists(staged + ".ckpt"));
        auto rest = runCli(base() << "--out" << staged << "--checkpoint" << staged + ".ckpt"
                                  << "--resume", 300000);
        QVERIFY2(rest.exitCode == 0, rest.err.constData());
        QCOMPARE(QJsonDocument::fromJson(rest.out.trimmed().split('\n').last())
                     .object()["weights_sha256"].toString(),
                 want);
    }

    void badOptionsAreRefused()
    {
        auto r = runCli({"pretrain", "--batch", "4"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("--steps"));
        r = runCli({"pretrain", "--steps", "2", "--preset", "no-such-preset", "--out", m_tmp.filePath("x")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("no-such-preset"));
    }
};

QTEST_GUILESS_MAIN(TestCliPretrain)
#include "test_cli_pretrain.moc"
