// kizu-cli project retention (show, set, refuse) and a long inspection run on a tiny disk: a
// 16 MB tmpfs holding the project, 200 distinct NG frames (about 40 MB) replayed through it.
// The disk never fills: below the free-disk floor frames are not kept while every verdict is
// recorded, with one warning; with room again the size limit removes the oldest frames.
// kizu-test-timeout: 180
#include "common/test_support.h"
#include "core/project/project_store.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

using namespace kizu;
using kizu::test::runCli;

namespace {
QJsonObject lastJson(const QByteArray& out)
{
    const auto lines = out.trimmed().split('\n');
    return QJsonDocument::fromJson(lines.isEmpty() ? QByteArray() : lines.last()).object();
}

int countLines(const QByteArray& text, const QByteArray& needle)
{
    int n = 0;
    for (const auto& line : text.split('\n'))
        n += line.contains(needle);
    return n;
}
} // namespace

class TestCliRetention : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp{QDir(qEnvironmentVariable("KIZU_TEST_TMP", QDir::tempPath()))
                            .filePath(QStringLiteral("retention-XXXXXX"))};

private Q_SLOTS:
    void settingsShowSetAndRefuse()
    {
        const QString p = m_tmp.filePath("settings");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        auto show = runCli({"-p", p, "project", "retention"});
        QCOMPARE(show.exitCode, 0);
        QVERIFY2(show.out.contains("30 days (default 30 days)") &&
                     show.out.contains("20 GB (default 20 GB)") &&
                     show.out.contains("free disk floor:") && show.out.contains("kept now:"),
                 show.out.constData());
        auto set = runCli({"-p", p, "project", "retention", "--days", "7", "--max-gb", "0.5",
                           "--min-free-gb", "1.5", "--json"});
        QCOMPARE(set.exitCode, 0);
        QJsonObject j = lastJson(set.out);
        QCOMPARE(j["days"].toDouble(), 7.0);
        QCOMPARE(j["max_gb"].toDouble(), 0.5);
        QCOMPARE(j["min_free_gb"].toDouble(), 1.5);
        QCOMPARE(j["defaults"].toObject()["days"].toDouble(), 30.0);
        QCOMPARE(j["kept_frames"].toInt(), 0);
        QVERIFY(j["free_bytes"].toDouble() > 0);
        // Refused: a usage error naming the option, and nothing changes.
        auto bad = runCli({"-p", p, "project", "retention", "--days", "7", "--max-gb", "-2"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--max-gb"), bad.err.constData());
        j = lastJson(runCli({"-p", p, "project", "retention", "--json"}).out);
        QCOMPARE(j["max_gb"].toDouble(), 0.5);
        // 0 is no limit.
        auto none = runCli({"-p", p, "project", "retention", "--days", "0"});
        QVERIFY2(none.out.contains("no limit (default 30 days)"), none.out.constData());
    }

    void tinyDiskLongRunNeverFills()
    {
        // 200 distinct frames of 256x256 noise (about 197 kB each as PNG) on the real disk.
        const QString frames = m_tmp.filePath("frames");
        QVERIFY(QDir().mkpath(frames));
        cv::RNG rng(26);
        cv::Mat img(256, 256, CV_8UC3);
        for (int i = 0; i < 200; ++i) {
            rng.fill(img, cv::RNG::UNIFORM, 0, 256);
            QVERIFY(cv::imwrite(
                QString("%1/f%2.png").arg(frames).arg(i, 3, 10, QChar('0')).toStdString(), img));
        }
        const QString params = m_tmp.filePath("ng.json");
        {
            QFile f(params);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{\"scoreThreshold\": 0.01}\n"); // the baseline calls noise NG
        }
        const QString disk = m_tmp.filePath("disk"), out = m_tmp.filePath("out");
        QVERIFY(QDir().mkpath(disk) && QDir().mkpath(out + "/copy"));
        // In a mount namespace of its own, so the tmpfs vanishes with the script. The filler is
        // someone else's 9 MB: the frames meet the floor (4 MB) before the size limit (5 MB).
        // The free space is sampled every 20 ms throughout.
        const QString script = QStringLiteral(R"SH(
set -u
mount -t tmpfs -o size=16m kizu-test "$D" || exit 77
K="$1"
"$K" project init "$D/p" >/dev/null || exit 3
"$K" -p "$D/p" project retention --days 0 --max-gb 0.005 --min-free-gb 0.004 >/dev/null || exit 4
head -c 9000000 /dev/zero > "$D/filler"
( while :; do stat -f -c '%a %S' "$D"; sleep 0.02; done ) > "$O/free.log" &
W=$!
"$K" -p "$D/p" inspect --source "folder:$F" --baseline "$P" > "$O/run1.jsonl" 2> "$O/run1.err"
echo $? > "$O/run1.rc"
rm "$D/filler"
"$K" -p "$D/p" inspect --source "folder:$F" --baseline "$P" > "$O/run2.jsonl" 2> "$O/run2.err"
echo $? > "$O/run2.rc"
kill $W
"$K" -p "$D/p" project retention --json > "$O/retention.json"
cp "$D"/p/project.kizu* "$O/copy/" || exit 5
exit 0
)SH");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("D", disk);
        env.insert("O", out);
        env.insert("F", frames);
        env.insert("P", params);
        // As root a mount namespace is enough; otherwise a user namespace gives the right to
        // mount a tmpfs where the kernel allows it.
        QString why;
        int rc = -1;
        for (const QStringList& ns : {QStringList{"-m"}, QStringList{"-r", "-m"}}) {
            QProcess sh;
            sh.setProcessEnvironment(env);
            sh.start("unshare", ns + QStringList{"bash", "-c", script, "retention", KIZU_CLI_PATH});
            if (!sh.waitForFinished(150000)) {
                sh.kill();
                sh.waitForFinished();
                QFAIL("the tiny-disk run timed out");
            }
            rc = sh.exitStatus() == QProcess::NormalExit ? sh.exitCode() : -1;
            if (rc == 0) break;
            why +=
                QString("unshare %1: %2; ")
                    .arg(ns.join(' '), QString::fromLocal8Bit(sh.readAllStandardError()).trimmed());
        }
        if (rc != 0) {
            if (rc == 77 || rc == 1)
                QSKIP(qPrintable("cannot mount a tmpfs here (" + why +
                                 "); test_retention's "
                                 "floorAboveFreeSpaceKeepsInspecting checks the floor instead"));
            QFAIL(qPrintable("the tiny-disk script failed: " + why));
        }
        auto read = [&](const QString& name) {
            QFile f(out + "/" + name);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        QCOMPARE(read("run1.rc").trimmed(), QByteArray("0"));
        QCOMPARE(read("run2.rc").trimmed(), QByteArray("0"));

        // Run 1: the floor is met; inspection goes on, every frame judged, one warning.
        const QByteArray run1 = read("run1.jsonl"), err1 = read("run1.err");
        const QJsonObject sum1 = lastJson(run1);
        QCOMPARE(sum1["frames"].toInt(), 200);
        QCOMPARE(sum1["ng"].toInt(), 200);
        const int kept1 = countLines(run1, "\"saved_image\""),
                  notKept1 = countLines(run1, "frame_not_kept");
        qInfo("run 1: %d frames kept, %d not kept (floor)", kept1, notKept1);
        QVERIFY2(kept1 > 5 && notKept1 > 100, run1.left(400).constData());
        QCOMPARE(kept1 + notKept1, 200);
        QCOMPARE(sum1["frames_not_kept"].toInt(), notKept1);
        QCOMPARE(countLines(err1, "under the floor"), 1); // once per crossing, not per frame

        // Run 2: room again; every frame kept, the size limit removes the oldest.
        const QByteArray run2 = read("run2.jsonl"), err2 = read("run2.err");
        const QJsonObject sum2 = lastJson(run2);
        QCOMPARE(sum2["frames"].toInt(), 200);
        QCOMPARE(countLines(run2, "\"saved_image\""), 200);
        QCOMPARE(sum2["frames_not_kept"].toInt(), 0);
        QVERIFY(sum2["frames_removed"].toInt() > 150);
        QCOMPARE(countLines(err2, "under the floor"), 0);
        const QJsonObject ret = QJsonDocument::fromJson(read("retention.json")).object();
        qInfo("after run 2: %d frames kept, %.0f bytes", ret["kept_frames"].toInt(),
              ret["kept_bytes"].toDouble());
        QVERIFY(ret["kept_bytes"].toDouble() <= 5e6);
        QVERIFY(ret["kept_frames"].toInt() >= 20);

        // The free space, sampled throughout: never gone, never far under the floor (what the
        // results database writes after a frame is not checked against it).
        double minFree = 1e18;
        int samples = 0;
        for (const auto& line : read("free.log").split('\n')) {
            const auto f = line.split(' ');
            if (f.size() != 2) continue;
            minFree = std::min(minFree, f[0].toDouble() * f[1].toDouble());
            ++samples;
        }
        qInfo("free space: %d samples, least %.0f bytes (floor 4000000)", samples, minFree);
        QVERIFY(samples > 10);
        QVERIFY2(minFree >= 4e6 - 1e6, qPrintable(QString::number(minFree)));

        // Traceability: all 400 verdicts are in the project; a removed frame's row says so.
        auto store = project::ProjectStore::openReadOnly((out + "/copy").toStdString());
        QCOMPARE(store.inspectionCount(), std::int64_t(400));
        // Run 2 replays run 1's files: a frame kept once is named by both runs' rows.
        std::set<std::string> removed;
        int notKept = 0, withImage = 0;
        for (const auto& r : store.inspections(1000)) {
            if (const auto at = r.message.find(" removed by retention at ");
                at != std::string::npos) {
                QCOMPARE(r.message.rfind("frame ", 0), std::size_t(0));
                removed.insert(r.message.substr(6, at - 6)); // the frame's sha256
            }
            notKept += r.message.rfind("frame not kept", 0) == 0;
            withImage += r.imageId.has_value();
        }
        QCOMPARE(int(removed.size()),
                 sum1["frames_removed"].toInt() + sum2["frames_removed"].toInt());
        QCOMPARE(removed.begin()->size(), std::size_t(64));
        QCOMPARE(notKept, notKept1);
        QCOMPARE(withImage, ret["kept_frames"].toInt());
    }
};

QTEST_APPLESS_MAIN(TestCliRetention)
#include "test_cli_retention.moc"
