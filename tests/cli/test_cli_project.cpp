// kizu-cli end to end: the real binary on real files. A kill -9 in the middle of a large
// import, bad input on the command line, and the BSData photos imported and labeled.
// kizu-test-timeout: 600
#include "common/test_support.h"
#include "core/project/engineer_pin.h"
#include "core/project/manifest.h"
#include "core/project/project_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <csignal>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::project;
using kizu::test::runCli;

namespace {
// A photo-like image (smooth random blobs), one per seed; with noise > 0 a near-duplicate.
bool writeTexture(const QString& file, int seed, double noise = 0)
{
    cv::Mat small(40, 60, CV_8UC3), m;
    cv::RNG rng(std::uint64_t(seed) * 7919 + 1);
    rng.fill(small, cv::RNG::UNIFORM, 40, 200);
    cv::resize(small, m, cv::Size(360, 240), 0, 0, cv::INTER_CUBIC);
    if (noise > 0) {
        cv::Mat n(m.size(), CV_16SC3);
        rng.fill(n, cv::RNG::NORMAL, 0, noise);
        cv::add(m, n, m, cv::noArray(), CV_8UC3);
    }
    QDir().mkpath(QFileInfo(file).absolutePath());
    return cv::imwrite(file.toStdString(), m);
}
} // namespace

class TestCliProject : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& sub) const { return m_tmp.filePath(sub); }

private Q_SLOTS:
    void versionAndHelp()
    {
        auto r = runCli({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("kizu-cli "));
        r = runCli({"--help"});
        QCOMPARE(r.exitCode, 0);
        for (const char* cmd : {"import", "label", "split", "list", "stats", "export", "project"})
            QVERIFY2(r.out.contains(cmd), cmd);
        r = runCli({"import", "--help"});
        QVERIFY(r.out.contains("Example"));
        r = runCli({"frobnicate"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("unknown command"));
    }

    void refusesFolderThatIsNotAProject()
    {
        QDir().mkpath(tmp("plain"));
        auto r = runCli({"--project", tmp("plain"), "stats"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("is not a Kizu project"), r.err.constData());
        QCOMPARE(r.err.count('\n'), 1); // one line
    }

    void badFilesAreReportedOneLineEach()
    {
        const QString p = tmp("bad");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        QDir().mkpath(tmp("badsrc"));
        cv::Mat m(20, 30, CV_8UC3, cv::Scalar(10, 200, 30));
        QVERIFY(cv::imwrite(tmp("badsrc/good.png").toStdString(), m));
        QFile f(tmp("badsrc/broken.jpg"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("\xff\xd8\xff\xe0garbage");
        f.close();
        auto r = runCli({"-p", p, "import", "--quiet", tmp("badsrc")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("skipped " + tmp("badsrc/broken.jpg").toUtf8()), r.err.constData());
        QVERIFY(r.err.contains("imported 1 new"));
        r = runCli({"-p", p, "stats", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object()["total"].toInt(), 1);
    }

    void foldersAndJsonFilesAreReportedByName()
    {
        const QString p = tmp("notimg");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        QVERIFY(writeTexture(tmp("notimg_src/ok/a.png"), 1));
        QDir().mkpath(tmp("notimg_src/x.jpg"));
        QDir().mkpath(tmp("notimg_src/ng_polygons"));
        QFile f(tmp("notimg_src/ng_polygons/a.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{}");
        f.close();
        auto r = runCli({"-p", p, "import", "--quiet", tmp("notimg_src")});
        QCOMPARE(r.exitCode, 0); // named, but files that are not images are no failure
        QVERIFY2(r.err.contains("skipped " + tmp("notimg_src/ng_polygons/a.json").toUtf8() +
                                ": not an image but a JSON file"),
                 r.err.constData());
        QVERIFY(r.err.contains("imported 1 new"));
        // A folder named like an image, given by name: reported, not silently empty.
        r = runCli({"-p", p, "import", "--quiet", tmp("notimg_src/x.jpg")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("skipped " + tmp("notimg_src/x.jpg").toUtf8() + ": is a folder"),
                 r.err.constData());
        QVERIFY(r.err.contains("imported 0 new, 0 already in the project, 1 skipped"));
    }

    void splitSaysGroupsAndFractionAndWarnsBeforeReassigning()
    {
        const QString src = tmp("dups");
        for (int k = 0; k < 3; ++k) // three parts, photographed three times each
            for (int shot = 0; shot < 3; ++shot)
                QVERIFY(writeTexture(QString("%1/part%2_%3.png").arg(src).arg(k).arg(shot), 10 + k,
                                     shot * 3.0));
        for (int k = 0; k < 6; ++k) QVERIFY(writeTexture(QString("%1/single%2.png").arg(src).arg(k), 50 + k));
        const QString p = tmp("dups_p");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        auto r = runCli({"-p", p, "import", "--quiet", src});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("6 of the new grouped with a near-duplicate"), r.err.constData());
        r = runCli({"-p", p, "split"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("test fraction 0.2 (default"), r.out.constData());
        QVERIFY2(r.out.contains("9 groups (3 from near-duplicate hashing, 6 images without a group"),
                 r.out.constData());
        r = runCli({"-p", p, "list", "--json"});
        QMap<QString, QSet<QString>> sides;
        for (const auto& v : QJsonDocument::fromJson(r.out).array()) {
            const auto o = v.toObject();
            if (!o["group"].toString().isEmpty())
                sides[o["group"].toString()].insert(o["split"].toString());
        }
        QCOMPARE(sides.size(), 3);
        for (const auto& s : sides) QCOMPARE(s.size(), 1);
        // Another seed would move images: refused without --force, with the count.
        int refusedSeed = -1;
        for (int seed = 1; seed < 20 && refusedSeed < 0; ++seed) {
            r = runCli({"-p", p, "split", "--seed", QString::number(seed)});
            if (r.exitCode == 1) refusedSeed = seed;
            else QVERIFY2(r.exitCode == 0 && !r.out.contains("moved"), r.out.constData());
        }
        QVERIFY(refusedSeed > 0);
        QVERIFY2(r.err.contains("would move") && r.err.contains("--force"), r.err.constData());
        const auto before = runCli({"-p", p, "list", "--json"}).out;
        QCOMPARE(runCli({"-p", p, "list", "--json"}).out, before); // nothing was written
        r = runCli({"-p", p, "split", "--seed", QString::number(refusedSeed), "--force",
                    "--test-fraction", "0.3"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("test fraction 0.3, seed"), r.out.constData());
        QVERIFY2(r.out.contains("moved between train and test"), r.out.constData());
    }

    // kill -9 during a large import: the project opens, passes the integrity check, and holds
    // every image whose import had been reported finished before the kill.
    void killDuringImportLosesNothingCommitted()
    {
        const QString src = tmp("many");
        QDir().mkpath(src);
        const int n = 600;
        for (int i = 0; i < n; ++i) {
            cv::Mat m(96, 128, CV_8UC3, cv::Scalar(i % 251, (i * 7) % 253, (i * 13) % 255));
            cv::putText(m, std::to_string(i), {5, 60}, cv::FONT_HERSHEY_SIMPLEX, 1.2,
                        cv::Scalar(255, 255, 255), 2);
            QVERIFY(cv::imwrite(QString("%1/img_%2.png").arg(src).arg(i, 4, 10, QChar('0')).toStdString(), m));
        }
        const QString p = tmp("killed");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        QSet<QString> finished;
        for (int round = 0; round < 3; ++round) {
            QProcess proc;
            proc.start(KIZU_CLI_PATH, {"-p", p, "import", "--verbose", "--quiet", src});
            QVERIFY(proc.waitForStarted());
            // Let it get some way in, then kill it without warning.
            QByteArray out;
            QElapsedTimer t;
            t.start();
            const int want = 40 + round * 150;
            while (out.count("\ndone ") + out.startsWith("done ") < want && t.elapsed() < 60000) {
                proc.waitForReadyRead(100);
                out += proc.readAllStandardOutput();
                if (proc.state() != QProcess::Running) break;
            }
            QVERIFY2(proc.state() == QProcess::Running, "import finished before it could be killed");
            ::kill(pid_t(proc.processId()), SIGKILL);
            proc.waitForFinished();
            out += proc.readAllStandardOutput();
            for (const QByteArray& line : out.split('\n'))
                if (line.startsWith("done ")) finished.insert(QString::fromUtf8(line.mid(5)));
            auto store = ProjectStore::open(p.toStdString());
            QCOMPARE(store.integrityCheck(), std::string("ok"));
            auto imgs = store.images();
            QSet<QString> stored;
            for (auto& r : imgs) {
                stored.insert(QString::fromStdString(r.originalPath));
                QVERIFY(std::filesystem::exists(store.imagePath(r))); // no row without its file
            }
            for (const QString& f : finished)
                QVERIFY2(stored.contains(QFileInfo(f).absoluteFilePath()), qPrintable(f));
            QVERIFY(int(imgs.size()) >= int(finished.size()));
            QVERIFY(int(imgs.size()) <= int(finished.size()) + 1); // at most the one in flight
        }
        // Importing again completes the project: every image exactly once.
        auto r = runCli({"-p", p, "import", "--quiet", src}, 300000);
        QCOMPARE(r.exitCode, 0);
        auto store = ProjectStore::open(p.toStdString());
        QCOMPARE(store.countImages(), std::int64_t(n));
        QCOMPARE(store.integrityCheck(), std::string("ok"));
    }

    void labelSplitListExport()
    {
        const QString src = tmp("small");
        for (int i = 0; i < 12; ++i) {
            const QString sub = i < 8 ? "ok" : "ng";
            QDir().mkpath(src + "/" + sub);
            cv::Mat m(16, 16, CV_8UC3, cv::Scalar(i * 20, 0, 0));
            QVERIFY(cv::imwrite(QString("%1/%2/g%3_%4.png").arg(src, sub).arg(i / 2).arg(i).toStdString(), m));
        }
        const QString p = tmp("small_p");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        QCOMPARE(runCli({"-p", p, "import", "--quiet", "--group-regex", "^g(\\d+)_", src}).exitCode, 0);
        QCOMPARE(runCli({"-p", p, "label", "--from-folders"}).exitCode, 0);
        auto r = runCli({"-p", p, "label", "g0_0.png", "g0_1.png", "ng"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("labeled 2 images ng"));
        r = runCli({"-p", p, "label", "g0_1.png", "ok"});
        QCOMPARE(r.out.trimmed(), QByteArray("labeled 1 image ok")); // not "1 image(s)"
        r = runCli({"-p", p, "label", "g0_0.png", "maybe"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("Unknown label"));
        QCOMPARE(runCli({"-p", p, "split", "--test-fraction", "0.34", "--by-group", "--seed", "3"}).exitCode, 0);
        r = runCli({"-p", p, "stats", "--json"});
        auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["labels"].toObject()["ng"].toInt(), 5);
        QCOMPARE(j["labels"].toObject()["ok"].toInt(), 7);
        const int test = j["splits"].toObject()["test"].toInt();
        QVERIFY(test >= 2 && test <= 6);
        QCOMPARE(test % 2, 0); // whole groups of two
        r = runCli({"-p", p, "list", "--split", "test", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).array().size(), test);
        r = runCli({"-p", p, "export", "--split", "test", "--out", tmp("exp")});
        QCOMPARE(r.exitCode, 0);
        const int exported = QDir(tmp("exp/ok")).entryList(QDir::Files).size() +
                             QDir(tmp("exp/ng")).entryList(QDir::Files).size();
        QCOMPARE(exported, test);
    }

    void deleteAuditAndPin()
    {
        const QString src = tmp("delsrc"), p = tmp("delproj");
        for (int i = 0; i < 3; ++i)
            QVERIFY(writeTexture(src + QString("/d%1.png").arg(i), 300 + i));
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        QCOMPARE(runCli({"-p", p, "import", "--quiet", src}).exitCode, 0);
        QCOMPARE(runCli({"-p", p, "label", "d0.png", "ng", "--user", "amy"}).exitCode, 0);
        // d1 in the test split, then locked: refused without --force, nothing deleted.
        {
            auto store = ProjectStore::open(p.toStdString());
            store.setSplit({store.findImage("d1.png").id}, Split::Test, "amy");
        }
        QCOMPARE(runCli({"-p", p, "split", "--lock", "on", "--user", "bob"}).exitCode, 0);
        auto r = runCli({"-p", p, "delete", "d0.png", "d1.png", "--user", "bob"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("locked test split"), qPrintable(r.err));
        r = runCli({"-p", p, "delete", "d0.png", "--user", "bob"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("deleted 1 image (1 file"), qPrintable(r.out));
        QCOMPARE(runCli({"-p", p, "delete", "d1.png", "--force"}).exitCode, 0);
        // The log with filters.
        r = runCli({"-p", p, "audit", "--json"});
        QCOMPARE(r.exitCode, 0);
        const auto all = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(all.size(), 5); // label, split, split-lock, 2 deletions
        r = runCli({"-p", p, "audit", "--action", "delete", "--user", "bob", "--json"});
        const auto del = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(del.size(), 1);
        QVERIFY(del[0].toObject()["old"].toString().contains("d0.png"));
        const int id0 = del[0].toObject()["image_id"].toInt();
        r = runCli({"-p", p, "audit", "--image", QString::number(id0)});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.count('\n'), 2); // labeled, deleted: a deleted image by its id
        QVERIFY(r.out.contains("unlabeled -> ng"));
        r = runCli({"-p", p, "audit", "--since", "1d", "--user", "nobody"});
        QVERIFY(r.out.contains("no audit rows match"));
        QCOMPARE(runCli({"-p", p, "audit", "--since", "yesterday"}).exitCode, 1);
        // project pin reads the PIN from stdin; the log says "pin", never the PIN.
        QProcess proc;
        proc.start(QStringLiteral(KIZU_CLI_PATH), {"-p", p, "project", "pin"});
        proc.write("4711\n");
        proc.closeWriteChannel();
        QVERIFY(proc.waitForFinished(30000));
        QCOMPARE(proc.exitCode(), 0);
        QVERIFY(proc.readAllStandardOutput().contains("engineer PIN set"));
        {
            auto store = ProjectStore::open(p.toStdString());
            QVERIFY(checkEngineerPin(store, "4711"));
            QVERIFY(!checkEngineerPin(store, "4712"));
        }
        QVERIFY(runCli({"-p", p, "project", "pin", "--status"}).out.contains("set"));
        QCOMPARE(runCli({"-p", p, "project", "pin", "--clear"}).exitCode, 0);
        r = runCli({"-p", p, "audit", "--action", "pin"});
        QCOMPARE(r.out.count('\n'), 2);
        QVERIFY(!r.out.contains("4711") && !r.out.contains("pbkdf2"));
    }

    void demoProjectWithoutPhotosIsMadeOfCgRenders()
    {
        const QString p = tmp("demo_cg");
        auto r = runCli({"project", "demo", p, "--from", tmp("no-such-folder")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("160 cg images"));
        auto store = ProjectStore::open(p.toStdString());
        auto s = store.stats();
        QCOMPARE(s.byLabel(Label::Ok), std::int64_t(80));
        QCOMPARE(s.byLabel(Label::Ng), std::int64_t(80));
        QVERIFY(s.bySplit(Split::Test) > 0 && s.bySplit(Split::Train) > s.bySplit(Split::Test));
        QVERIFY(store.testSplitLocked());
        // The renders stand in for photos here, so the demo has a test split.
        QCOMPARE(store.sources(), std::vector<std::string>{kSourceDemoCg});
    }

    void bsdataEndToEnd()
    {
        KIZU_REQUIRE_BSDATA(bsdata);
        const QString p = tmp("bsdata");
        QCOMPARE(runCli({"project", "init", p}).exitCode, 0);
        auto r = runCli({"-p", p, "import", "--quiet", "--group-regex", "_(\\d+_\\d+)_crop", bsdata}, 300000);
        // The polygon annotations, manifest and notes beside the photos are named as skipped,
        // and are no failure: every photo was imported.
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.err.contains("imported 855 new"));
        QVERIFY2(r.err.contains("/ng_polygons/01_200902053521_585000_090_crop_2.json: not an image "
                                "but a JSON file"),
                 r.err.constData());
        QVERIFY(r.err.contains("/manifest.csv: not an image file (.csv)"));
        QCOMPARE(runCli({"-p", p, "label", "--from-folders"}).exitCode, 0);
        r = runCli({"-p", p, "stats", "--json"});
        auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["labels"].toObject()["ok"].toInt(), 688);
        QCOMPARE(j["labels"].toObject()["ng"].toInt(), 167);
        QCOMPARE(j["groups"].toInt(), 15);
        // Idempotent on the real photos too.
        r = runCli({"-p", p, "import", "--quiet", bsdata}, 300000);
        QVERIFY2(r.err.contains("imported 0 new, 855 already"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliProject)
#include "test_cli_project.moc"
