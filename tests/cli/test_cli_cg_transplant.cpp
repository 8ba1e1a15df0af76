// End-to-end tests of `kizu-cli cg transplant`: the files and sidecars of N transplants onto a
// folder's OK photos, a partial run that resumes to the same bytes, shards whose union is the
// full run, clear refusals, and --to-project adding N NG images of source "transplant".
// kizu-test-timeout: 240
#include "common/test_support.h"
#include "core/cg/cg_generator.h"
#include "core/cg/cg_transplant_batch.h"
#include "core/project/project_store.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <csignal>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using kizu::test::hashTree;
using kizu::test::runCli;

namespace {
// Ground-looking OK photos: fine marks at an angle, with noise; each photo different.
void writePhotos(const QString& dir, int n, int width = 160, int height = 96)
{
    QDir().mkpath(dir);
    cv::RNG rng(1234);
    for (int k = 0; k < n; ++k) {
        cv::Mat img(height, width, CV_8UC3);
        const double angle = 0.2 * k, period = 5 + k % 3;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) {
                const double u = x * std::cos(angle) + y * std::sin(angle);
                const int v = int(128 + 30 * std::sin(2 * CV_PI * u / period) + rng.gaussian(4));
                img.at<cv::Vec3b>(y, x) = cv::Vec3b::all(cv::saturate_cast<uchar>(v));
            }
        cv::imwrite(QStringLiteral("%1/photo_%2.png").arg(dir).arg(k).toStdString(), img);
    }
}

int countSidecars(const QString& dir)
{
    return int(QDir(dir + "/ng").entryList({"tp_*.json"}, QDir::Files).size());
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}
} // namespace

class TestCliCgTransplant : public QObject {
    Q_OBJECT

private slots:
    void writesCountImagesMasksAndSidecars()
    {
        QTemporaryDir tmp;
        writePhotos(tmp.filePath("onto/ok"), 3);
        const QString out = tmp.filePath("out");
        auto r = runCli({"cg", "transplant", "--onto", tmp.filePath("onto"), "--count", "7",
                         "--seed", "5", "--out", out, "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("transplanted 7") && r.out.contains("onto 3 photos"),
                 r.out.constData());
        QCOMPARE(QDir(out + "/ng").entryList({"tp_*.png"}, QDir::Files).size(), 7);
        QCOMPARE(QDir(out + "/ng").entryList({"tp_*.json"}, QDir::Files).size(), 7);
        QCOMPARE(QDir(out + "/masks/ng").entryList({"tp_*.png"}, QDir::Files).size(), 7);
        QVERIFY(QFile::exists(out + "/cg_transplant.json"));

        QSet<QString> used;
        for (int i = 0; i < 7; ++i) {
            const QString stem = QStringLiteral("tp_%1").arg(i, 6, 10, QLatin1Char('0'));
            const QJsonObject side = readJson(out + "/ng/" + stem + ".json");
            QCOMPARE(side["kind"].toString(), QString("transplant"));
            QCOMPARE(side["label"].toString(), QString("ng"));
            QCOMPARE(side["index"].toInt(), i);
            const QJsonObject photo = side["photo"].toObject();
            QVERIFY(photo["name"].toString().startsWith("ok/photo_"));
            QCOMPARE(photo["sha256"].toString().size(), 64);
            QCOMPARE(photo["width"].toInt(), 160);
            used.insert(photo["name"].toString());
            const QJsonObject a = side["analysis"].toObject();
            QVERIFY(a["pxPerMm"].toDouble() > 0);
            QVERIFY(a["pxPerMmEstimated"].toBool());
            QVERIFY(!a["grindAngleGiven"].toBool());
            QVERIFY(side.contains("defect"));
            cv::Mat img =
                cv::imread((out + "/ng/" + stem + ".png").toStdString(), cv::IMREAD_UNCHANGED);
            cv::Mat mask = cv::imread((out + "/masks/ng/" + stem + ".png").toStdString(),
                                      cv::IMREAD_UNCHANGED);
            QCOMPARE(img.cols, 160);
            QCOMPARE(img.rows, 96);
            QCOMPARE(mask.type(), CV_8UC1);
            QVERIFY(cv::countNonZero(mask) > 0);
        }
        // Every photo is used before any is used twice: 7 transplants over 3 photos use all 3.
        QCOMPARE(used.size(), 3);

        // The overrides are recorded as given, not estimated.
        r = runCli({"cg", "transplant", "--onto", tmp.filePath("onto"), "--count", "2", "--seed",
                    "5", "--out", tmp.filePath("given"), "--px-per-mm", "150", "--grind-angle",
                    "-30", "--params", "pitting", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject a =
            readJson(tmp.filePath("given/ng/tp_000000.json"))["analysis"].toObject();
        QCOMPARE(a["pxPerMm"].toDouble(), 150.0);
        QVERIFY(!a["pxPerMmEstimated"].toBool());
        QVERIFY(a["grindAngleGiven"].toBool());
        QCOMPARE(a["grindAngleDeg"].toDouble(), 150.0);
    }

    // CG Studio's strip shows loadFirstTransplantPhotos + transplantEach: the same pixels as
    // the first files of the CLI's batch with that seed.
    void previewEqualsTheBatchsFirstFiles()
    {
        QTemporaryDir tmp;
        writePhotos(tmp.filePath("onto/ok"), 4);
        auto r = runCli({"cg", "transplant", "--onto", tmp.filePath("onto"), "--count", "6",
                         "--seed", "1", "--out", tmp.filePath("out"), "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto photos = kizu::cg::folderOkPhotos(tmp.filePath("onto").toStdString());
        const auto loaded = kizu::cg::loadFirstTransplantPhotos(photos, 1, 6);
        const auto params = kizu::cg::loadPreset("default");
        const auto each = kizu::cg::transplantEach(loaded, params, 1);
        QCOMPARE(int(each.size()), 6);
        for (int i = 0; i < 6; ++i) {
            QFile f(tmp.filePath(QStringLiteral("out/ng/tp_%1.png").arg(i, 6, 10, QChar('0'))));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const std::string png = kizu::cg::encodePng(each[std::size_t(i)].image);
            QVERIFY2(f.readAll() == QByteArray(png.data(), qsizetype(png.size())),
                     qPrintable(QString::number(i)));
        }
    }

    void partialRunResumesToTheSameBytes()
    {
        QTemporaryDir tmp;
        writePhotos(tmp.filePath("photos"), 4); // a plain folder of photos, no ok/
        const QStringList common{"cg",      "transplant", "--onto", tmp.filePath("photos"),
                                 "--count", "12",         "--seed", "9",
                                 "--quiet"};
        auto full = runCli(common + QStringList{"--out", tmp.filePath("ref")});
        QVERIFY2(full.exitCode == 0, full.err.constData());
        const auto want = hashTree(tmp.filePath("ref"));
        QCOMPARE(want.size(), 3 * 12 + 1);

        // A run that stopped part way: sidecars missing, an image cut short, a temp file left.
        const QString dir = tmp.filePath("partial");
        QVERIFY(runCli(common + QStringList{"--out", dir}).exitCode == 0);
        for (int i : {1, 4, 5, 11})
            QVERIFY(
                QFile::remove(dir + QStringLiteral("/ng/tp_%1.json").arg(i, 6, 10, QChar('0'))));
        QFile cut(dir + "/ng/tp_000004.png");
        QVERIFY(cut.resize(cut.size() / 2));
        QFile temp(dir + "/ng/.tp_000005.png.tmp999_1");
        QVERIFY(temp.open(QIODevice::WriteOnly));
        temp.write("half");
        temp.close();

        auto resumed = runCli(common + QStringList{"--out", dir});
        QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
        QVERIFY2(resumed.out.contains("transplanted 4, already complete 8"),
                 resumed.out.constData());
        QCOMPARE(hashTree(dir), want);

        // Other settings in the same folder are refused.
        auto other = runCli({"cg", "transplant", "--onto", tmp.filePath("photos"), "--count", "12",
                             "--seed", "10", "--out", dir});
        QCOMPARE(other.exitCode, 1);
        QVERIFY2(other.err.contains("other settings"), other.err.constData());
    }

    // Ctrl-C: the transplants in flight finish, exit code 130, no temp files; the same command
    // completes the batch with the bytes of an uninterrupted run.
    void interruptedRunExitsCleanlyAndResumes()
    {
        QTemporaryDir tmp;
        writePhotos(tmp.filePath("photos"), 3, 400, 240);
        const QString dir = tmp.filePath("int");
        const QStringList args{"cg",      "transplant", "--onto", tmp.filePath("photos"),
                               "--count", "300",        "--seed", "6",
                               "--out",   dir};
        QProcess p;
        p.start(QStringLiteral(KIZU_CLI_PATH), args);
        QVERIFY(p.waitForStarted());
        QElapsedTimer t;
        t.start();
        while (countSidecars(dir) < 10 && p.state() == QProcess::Running && t.elapsed() < 60000)
            QTest::qWait(5);
        QVERIFY2(p.state() == QProcess::Running, "finished before it could be interrupted");
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QVERIFY(p.readAllStandardError().contains("Run the same command again"));
        const int partial = countSidecars(dir);
        QVERIFY2(partial >= 10 && partial < 300, QByteArray::number(partial).constData());
        QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext())
            QVERIFY2(!QFileInfo(it.next()).fileName().startsWith('.'), qPrintable(it.filePath()));

        auto rest = runCli(args + QStringList{"--quiet"}, 300000);
        QVERIFY2(rest.exitCode == 0, rest.err.constData());
        QCOMPARE(countSidecars(dir), 300);
        auto ref = runCli(
            QStringList(args.mid(0, args.size() - 1)) << tmp.filePath("ref") << "--quiet", 300000);
        QVERIFY2(ref.exitCode == 0, ref.err.constData());
        QCOMPARE(hashTree(dir), hashTree(tmp.filePath("ref")));
    }

    void shardsCoverTheRun()
    {
        QTemporaryDir tmp;
        writePhotos(tmp.filePath("onto/ok"), 3);
        const QStringList common{"cg",      "transplant", "--onto", tmp.filePath("onto"),
                                 "--count", "10",         "--seed", "4",
                                 "--quiet"};
        QVERIFY(runCli(common + QStringList{"--out", tmp.filePath("one")}).exitCode == 0);
        for (const char* shard : {"0/3", "1/3", "2/3"}) {
            auto r = runCli(common + QStringList{"--out", tmp.filePath("many"), "--shard", shard});
            QVERIFY2(r.exitCode == 0, r.err.constData());
        }
        QCOMPARE(hashTree(tmp.filePath("many")), hashTree(tmp.filePath("one")));
    }

    void badInputsAreRefusedClearly()
    {
        QTemporaryDir tmp;
        QDir().mkpath(tmp.filePath("empty"));
        auto r = runCli({"cg", "transplant", "--onto", tmp.filePath("empty"), "--count", "3",
                         "--seed", "1", "--out", tmp.filePath("o1")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("No photos found in"), r.err.constData());

        writePhotos(tmp.filePath("photos"), 1);
        r = runCli({"cg", "transplant", "--onto", tmp.filePath("photos"), "--count", "0", "--seed",
                    "1", "--out", tmp.filePath("o2")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--count"), r.err.constData());

        r = runCli({"cg", "transplant", "--project", tmp.filePath("nope"), "--count", "3", "--seed",
                    "1", "--out", tmp.filePath("o3")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(tmp.filePath("nope").toUtf8()), r.err.constData());

        kizu::project::ProjectStore::create(tmp.filePath("proj").toStdString());
        r = runCli({"cg", "transplant", "--project", tmp.filePath("proj"), "--count", "3", "--seed",
                    "1", "--to-project"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no OK photos"), r.err.constData());

        r = runCli({"cg", "transplant", "--onto", tmp.filePath("photos"), "--count", "3", "--seed",
                    "1", "--to-project"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--to-project needs --project"), r.err.constData());
        r = runCli({"cg", "transplant", "--onto", tmp.filePath("photos"), "--count", "3"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--seed"), r.err.constData());
        r = runCli({"cg", "transplant", "--onto", tmp.filePath("photos"), "--count", "3", "--seed",
                    "1", "--out", tmp.filePath("o4"), "--px-per-mm", "0"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--px-per-mm"), r.err.constData());
        QVERIFY(!QDir(tmp.filePath("o1")).exists() || QDir(tmp.filePath("o1")).isEmpty());
    }

    void toProjectAddsNgImagesOfSourceTransplant()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("proj");
        writePhotos(tmp.filePath("photos"), 3);
        {
            auto store = kizu::project::ProjectStore::create(dir.toStdString());
            kizu::project::ImportOptions opt;
            opt.label = kizu::project::Label::Ok;
            opt.groupNearDuplicates = false;
            QCOMPARE(store.importPaths({tmp.filePath("photos").toStdString()}, opt).imported, 3);
        }
        const QStringList args{"cg",     "transplant", "--project",    dir,      "--count", "5",
                               "--seed", "2",          "--to-project", "--quiet"};
        auto r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("imported 5 into") && r.out.contains("3 groups"),
                 r.out.constData());

        auto store = kizu::project::ProjectStore::open(dir.toStdString());
        kizu::project::ImageFilter f;
        f.source = std::string("transplant");
        const auto added = store.images(f);
        QCOMPARE(int(added.size()), 5);
        QSet<QString> groups;
        for (const auto& img : added) {
            QCOMPARE(img.label, kizu::project::Label::Ng);
            QVERIFY(img.split != kizu::project::Split::Test);
            QVERIFY(QString::fromStdString(img.group).startsWith("transplant-"));
            groups.insert(QString::fromStdString(img.group));
        }
        QCOMPARE(groups.size(), 3);
        QCOMPARE(store.countImages(), 8);
        // Each group holds its source photo too (the photos had no group: each got a new one).
        for (const QString& g : groups) {
            kizu::project::ImageFilter inGroup;
            inGroup.group = g.toStdString();
            int photos = 0;
            for (const auto& img : store.images(inGroup))
                photos += img.source != "transplant" && img.label == kizu::project::Label::Ok;
            QCOMPARE(photos, 1);
        }

        // Again: nothing new, and the transplants are not used as photos.
        r = runCli(args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("already complete 5") && r.out.contains("(new 0)"),
                 r.out.constData());
        QCOMPARE(store.countImages(), 8);
    }
};

QTEST_APPLESS_MAIN(TestCliCgTransplant)
#include "test_cli_cg_transplant.moc"
