// End-to-end tests of `kizu-cli cg`: presets, a single render with its files, clear errors,
// and a batch killed with SIGKILL or interrupted with SIGINT that resumes to the same bytes.
// kizu-test-timeout: 180
#include "common/project_rows.h"
#include "common/test_support.h"
#include "core/cg/cg_project_batch.h"
#include "core/project/project_store.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

#include <opencv2/imgcodecs.hpp>

using kizu::test::runCli;

namespace {
// Relative path -> SHA-256 of every file below dir, cg_batch.json excluded.
QMap<QString, QByteArray> hashTree(const QString& dir)
{
    return kizu::test::hashTree(dir, QStringLiteral("cg_batch.json"));
}

int countSidecars(const QString& dir)
{
    int n = 0;
    for (const char* sub : {"ok", "ng"})
        n += QDir(dir + "/" + sub).entryList({"cg_*.json"}, QDir::Files).size();
    return n;
}

// Starts a batch, waits until `atLeast` sidecars exist, then sends `signal`.
int interruptedBatch(const QStringList& args, const QString& dir, int atLeast, int signal)
{
    QProcess p;
    p.start(QStringLiteral(KIZU_CLI_PATH), args);
    if (!p.waitForStarted()) return -100;
    QElapsedTimer t;
    t.start();
    while (countSidecars(dir) < atLeast && p.state() == QProcess::Running && t.elapsed() < 60000)
        QTest::qWait(5);
    if (p.state() != QProcess::Running) return -101; // finished before it could be killed
    ::kill(pid_t(p.processId()), signal);
    p.waitForFinished(30000);
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}
} // namespace

class TestCliCg : public QObject {
    Q_OBJECT

private slots:
    void presetsAndErrors()
    {
        auto list = runCli({"cg", "preset", "list"});
        QCOMPARE(list.exitCode, 0);
        QVERIFY(list.out.contains("default") && list.out.contains("pitting"));
        auto show = runCli({"cg", "preset", "show", "pitting"});
        QCOMPARE(show.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(show.out).object().contains("scratch"));
        auto unknown = runCli({"cg", "preset", "show", "nope"});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("Unknown CG preset 'nope'"), unknown.err.constData());

        QTemporaryDir tmp;
        QFile bad(tmp.filePath("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(R"({"scratch": {"widthUm": [-10, 30]}})");
        bad.close();
        auto r = runCli({"cg", "render", "--seed", "1", "--params", bad.fileName(), "--out",
                         tmp.filePath("x")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("scratch.widthUm") && r.err.contains("bad.json"),
                 r.err.constData());
        auto usage = runCli({"cg", "batch", "--seed", "1", "--out", tmp.path()});
        QCOMPARE(usage.exitCode, 2);
        QVERIFY(usage.err.contains("--count"));
        QCOMPARE(runCli({"cg", "--help"}).exitCode, 0);
    }

    void renderOne()
    {
        QTemporaryDir tmp;
        auto r = runCli(
            {"cg", "render", "--seed", "4", "--ng", "--size", "64", "--out", tmp.filePath("s")});
        QCOMPARE(r.exitCode, 0);
        cv::Mat img = cv::imread(tmp.filePath("s.png").toStdString(), cv::IMREAD_UNCHANGED);
        cv::Mat mask = cv::imread(tmp.filePath("s_mask.png").toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(img.type(), CV_8UC3);
        QCOMPARE(img.cols, 64);
        QVERIFY(cv::countNonZero(mask) > 0);
        QFile side(tmp.filePath("s.json"));
        QVERIFY(side.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(side.readAll()).object()["label"].toString(),
                 QString("ng"));
        QFile obj(tmp.filePath("s.obj"));
        QVERIFY(obj.open(QIODevice::ReadOnly));
        int v = 0, f = 0;
        while (!obj.atEnd()) {
            QByteArray line = obj.readLine();
            v += line.startsWith("v ");
            f += line.startsWith("f ");
        }
        QCOMPARE(v, 64 * 64);
        QCOMPARE(f, 2 * 63 * 63);
        // Same seed, same bytes.
        auto again = runCli(
            {"cg", "render", "--seed", "4", "--ng", "--size", "64", "--out", tmp.filePath("t")});
        QCOMPARE(again.exitCode, 0);
        QFile a(tmp.filePath("s.png")), b(tmp.filePath("t.png"));
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QCOMPARE(a.readAll(), b.readAll());
    }

    void killedBatchResumes()
    {
        QTemporaryDir tmp;
        const QString ref = tmp.filePath("ref"), dir = tmp.filePath("killed");
        const QStringList common{"cg", "batch",  "--count", "400",    "--seed",
                                 "21", "--size", "64",      "--quiet"};
        auto full = runCli(common + QStringList{"--out", ref});
        QCOMPARE(full.exitCode, 0);
        const auto want = hashTree(ref);
        QCOMPARE(want.size(), 3 * 400);

        QCOMPARE(interruptedBatch(common + QStringList{"--out", dir}, dir, 40, SIGKILL), -1);
        const int partial = countSidecars(dir);
        QVERIFY2(partial >= 40 && partial < 400, QByteArray::number(partial).constData());
        // Whatever a killed run left is either complete or a hidden temp file.
        const auto left = hashTree(dir);
        for (auto it = left.cbegin(); it != left.cend(); ++it) {
            const QString name = QFileInfo(it.key()).fileName();
            if (name.startsWith('.')) continue;
            QVERIFY2(want.value(it.key()) == it.value() || !name.endsWith(".json"),
                     qPrintable(it.key()));
        }

        auto resumed = runCli(common + QStringList{"--out", dir});
        QCOMPARE(resumed.exitCode, 0);
        QVERIFY2(resumed.out.contains("already complete"), resumed.out.constData());
        const auto got = hashTree(dir);
        QCOMPARE(got.size(), want.size()); // no temp files left, nothing missing
        QCOMPARE(got, want);
        for (auto it = got.cbegin(); it != got.cend(); ++it) {
            const QString path = dir + "/" + it.key();
            if (path.endsWith(".png"))
                QVERIFY2(!cv::imread(path.toStdString(), cv::IMREAD_UNCHANGED).empty(),
                         qPrintable(path));
        }
    }

    void interruptedBatchExitsCleanly()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("int");
        const QStringList args{"cg", "batch",  "--count", "600",   "--seed",
                               "3",  "--size", "64",      "--out", dir};
        QCOMPARE(interruptedBatch(args, dir, 20, SIGINT), 130);
        const int partial = countSidecars(dir);
        QVERIFY(partial >= 20 && partial < 600);
        // Only complete files: no temp files after a clean interruption.
        QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext())
            QVERIFY2(!QFileInfo(it.next()).fileName().startsWith('.'), qPrintable(it.filePath()));
        auto rest = runCli(args + QStringList{"--quiet"});
        QCOMPARE(rest.exitCode, 0);
        QCOMPARE(countSidecars(dir), 600);
    }

    void shardsCoverTheBatch()
    {
        QTemporaryDir tmp;
        const QStringList common{"cg", "batch",  "--count", "30",     "--seed",
                                 "8",  "--size", "48",      "--quiet"};
        QCOMPARE(runCli(common + QStringList{"--out", tmp.filePath("one")}).exitCode, 0);
        for (const char* shard : {"0/4", "1/4", "2/4", "3/4"})
            QCOMPARE(runCli(common + QStringList{"--out", tmp.filePath("many"), "--shard", shard})
                         .exitCode,
                     0);
        QCOMPARE(hashTree(tmp.filePath("many")), hashTree(tmp.filePath("one")));
        auto bad = runCli(common + QStringList{"--out", tmp.filePath("x"), "--shard", "4/4"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("SLURM_ARRAY_TASK_ID"));
    }

    // `cg batch --to-project` runs the core workflow CG Studio runs: the same images with the
    // same labels and groups, and the same cg_batches row, as the core function gives.
    void batchIntoProjectMatchesCore()
    {
        QTemporaryDir tmp;
        const QString viaCli = tmp.filePath("cli"), viaCore = tmp.filePath("core");
        kizu::project::ProjectStore::create(viaCli.toStdString());
        kizu::project::ProjectStore::create(viaCore.toStdString());
        auto r = runCli({"cg", "batch", "--count", "6", "--seed", "3", "--size", "64",
                         "--to-project", viaCli, "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("imported 6 into " + viaCli.toUtf8()), r.out.constData());
        QVERIFY2(r.out.contains("group cg_batch_1"), r.out.constData());

        kizu::cg::CgParams params = kizu::cg::loadPreset("default");
        params.camera.imageSize = 64;
        const auto core = kizu::cg::generateBatchIntoProject(viaCore.toStdString(), params, 3, 6);
        QCOMPARE(core.imported, 6);

        const QStringList images = kizu::test::cgImageRows(viaCli);
        QCOMPARE(images.size(), 6);
        QCOMPARE(images, kizu::test::cgImageRows(viaCore));
        int ng = 0;
        for (const QString& row : images)
            ng += row.split('\t').value(1) == "2";
        QCOMPARE(ng, 3);

        QStringList cliBatch = kizu::test::cgBatchRows(viaCli);
        const QStringList coreBatch = kizu::test::cgBatchRows(viaCore);
        QCOMPARE(cliBatch.size(), 1);
        QVERIFY2(cliBatch[0].endsWith('\t' + viaCli + "/cg/" +
                                      QString::fromStdString(core.folder.filename().string())),
                 qPrintable(cliBatch[0]));
        cliBatch[0].replace(viaCli, viaCore);
        QCOMPARE(cliBatch, coreBatch);
        QVERIFY(cliBatch[0].startsWith("1\t3\t6\t{"));

        // Clear refusals: two destinations, shards into a project, a folder that is no project.
        r = runCli({"cg", "batch", "--count", "6", "--seed", "3", "--to-project", viaCli, "--out",
                    tmp.filePath("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("not both"), r.err.constData());
        r = runCli({"cg", "batch", "--count", "6", "--seed", "3", "--to-project", viaCli, "--shard",
                    "0/2"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--shard"), r.err.constData());
        QDir().mkpath(tmp.filePath("empty"));
        r = runCli({"cg", "batch", "--count", "6", "--seed", "3", "--size", "64", "--to-project",
                    tmp.filePath("empty")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!r.err.isEmpty());
        QVERIFY(!QDir(tmp.filePath("empty/cg")).exists());
        QCOMPARE(kizu::test::cgBatchRows(viaCli).size(), 1);
    }
};

QTEST_APPLESS_MAIN(TestCliCg)
#include "test_cli_cg.moc"
