// Reliability: the bad-input corpus (zero-byte, truncated and huge-header images, wrong
// extensions, a PNG decompression bomb, non-UTF-8 and very long paths, a read-only project
// folder, a full disk) gives clear errors and no crash and loses nothing stored before;
// hostile model files are refused without running anything; every inspection result records
// the sha256 of the model that produced it. Drives the core API and the real kizu-cli.
// kizu-test-timeout: 300
#include "common/test_support.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"
#include "core/project/project_store.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kizu::project;
using kizu::test::CliResult;
using kizu::test::runCli;
namespace fs = std::filesystem;

namespace {
std::string encoded(const char* ext, int index, int w = 48, int h = 40)
{
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(index % 256, (index * 7) % 256, 90));
    cv::circle(m, {index % w, h / 2}, 5, cv::Scalar(255, 255, 255), -1);
    std::vector<uchar> buf;
    if (!cv::imencode(ext, m, buf)) return {};
    return std::string(buf.begin(), buf.end());
}

// Decoding `bytes` must throw FormatError whose message contains `want`.
void expectRefused(const std::string& bytes, const char* what, const char* want)
{
    try {
        kizu::imaging::decode(bytes, what);
        QFAIL(qPrintable(QStringLiteral("%1 was decoded instead of refused").arg(what)));
    } catch (const kizu::FormatError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(what) != std::string::npos, e.what()); // names the file
        QVERIFY2(msg.find(want) != std::string::npos, e.what());
    }
}

// Where the test's files go: $KIZU_TEST_TMP (a folder of the build tree, made here when it is
// not there yet, e.g. in a fresh build) or the system's temporary folder.
QString tmpBase()
{
    const QString base = qEnvironmentVariable("KIZU_TEST_TMP", QDir::tempPath());
    QDir().mkpath(base);
    return base;
}

// Runs a shell command; true when it exits 0.
bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }
} // namespace

class TestCliReliability : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp{tmpBase() + "/reliability-XXXXXX"};
    fs::path tmp(const std::string& sub) const { return fs::path(m_tmp.path().toStdString()) / sub; }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_tmp.isValid(), qPrintable(m_tmp.errorString())); }

    void brokenImagesAreRefusedWithAReason()
    {
        const std::string png = encoded(".png", 1), jpg = encoded(".jpg", 2),
                          bmp = encoded(".bmp", 3), tif = encoded(".tif", 4);
        expectRefused("", "zero.png", "empty");
        expectRefused(png.substr(0, png.size() / 2), "half.png", "truncated");
        expectRefused(png.substr(0, 20), "header_only.png", "truncated");
        expectRefused(jpg.substr(0, jpg.size() - 40), "cut.jpg", "truncated");
        expectRefused(bmp.substr(0, 20), "cut.bmp", "truncated");
        expectRefused(tif.substr(0, 12), "cut.tif", "truncated");
        // Huge headers: refused from the header, before any pixel is decoded.
        std::string hugePng = png;
        const unsigned char dims[8] = {0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff};
        hugePng.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
        expectRefused(hugePng, "huge.png", "above the limit");
        std::string hugeBmp = bmp;
        const unsigned char bdims[8] = {0xff, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x00, 0x80};
        hugeBmp.replace(18, 8, reinterpret_cast<const char*>(bdims), 8);
        expectRefused(hugeBmp, "huge.bmp", "above the limit");
        std::string hugeJpg = jpg;
        for (std::size_t i = 2; i + 9 < hugeJpg.size(); ++i)
            if ((unsigned char)hugeJpg[i] == 0xFF && (unsigned char)hugeJpg[i + 1] == 0xC0) {
                hugeJpg[i + 5] = hugeJpg[i + 6] = hugeJpg[i + 7] = hugeJpg[i + 8] = char(0xFF);
                break;
            }
        expectRefused(hugeJpg, "huge.jpg", "above the limit");
        expectRefused(std::string(1000, '\0'), "zeros.tif", "not a supported image");
        expectRefused("GIF89a....", "anim.gif", "not a supported image");
    }

    void pngDecompressionBombIsRefusedCheaply()
    {
        // 10001 x 10001 grey zeros: 100 MB of pixels (300 MB as BGR) in a file of ~100 kB.
        std::vector<uchar> buf;
        QVERIFY(cv::imencode(".png", cv::Mat::zeros(10001, 10001, CV_8U), buf,
                             {cv::IMWRITE_PNG_COMPRESSION, 9}));
        const std::string bomb(buf.begin(), buf.end());
        QVERIFY2(bomb.size() < 1'000'000, std::to_string(bomb.size()).c_str());
        const auto t0 = std::chrono::steady_clock::now();
        expectRefused(bomb, "bomb.png", "above the limit");
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY2(ms < 200, qPrintable(QStringLiteral("took %1 ms: it was decoded").arg(ms)));
        // Through the importer too: skipped with the reason, nothing stored.
        const fs::path src = tmp("bomb");
        fs::create_directories(src);
        kizu::writeFileAtomic(src / "bomb.png", bomb);
        auto store = ProjectStore::create(tmp("bomb_project"));
        auto rep = store.importPaths({src});
        QCOMPARE(rep.imported, 0);
        QCOMPARE(rep.skipped, 1);
        QVERIFY2(rep.issues.at(0).reason.find("above the limit") != std::string::npos,
                 rep.issues.at(0).reason.c_str());
    }

    void wrongExtensionIsReadByContent()
    {
        const fs::path src = tmp("wrongext");
        fs::create_directories(src);
        kizu::writeFileAtomic(src / "really_png.jpg", encoded(".png", 11));
        kizu::writeFileAtomic(src / "really_jpeg.png", encoded(".jpg", 12));
        kizu::writeFileAtomic(src / "really_bmp.tif", encoded(".bmp", 13));
        kizu::writeFileAtomic(src / "really_text.bmp", "P3\n1 1\n255\n0 0 0\n");
        auto store = ProjectStore::create(tmp("wrongext_project"));
        auto rep = store.importPaths({src});
        QCOMPARE(rep.imported, 3);
        QCOMPARE(rep.skipped, 1);
        QVERIFY2(rep.issues.at(0).reason.find("not a supported image") != std::string::npos,
                 rep.issues.at(0).reason.c_str());
        for (const auto& img : store.images()) {
            // Stored under the extension of what the bytes are, and readable.
            const fs::path stored = store.imagePath(img);
            const auto info = kizu::imaging::probe(kizu::readFile(stored), stored.string());
            QCOMPARE(stored.extension().string(), kizu::imaging::extensionFor(info.format));
            QVERIFY(!kizu::imaging::readImage(stored).empty());
        }
    }

    void nonUtf8AndLongPaths()
    {
        const fs::path src = tmp("names");
        fs::create_directories(src);
        const std::string latin1 = "gr\xfc\xdf_\xff\xfe.png"; // not UTF-8
        kizu::writeFileAtomic(src / latin1, encoded(".png", 21));
        const std::string longName = std::string(250, 'n') + ".png"; // NAME_MAX is 255
        kizu::writeFileAtomic(src / longName, encoded(".png", 22));
        // Deeper than PATH_MAX (4096): made step by step with relative paths.
        fs::path deep = src / "deep";
        fs::create_directories(deep);
        // QTemporaryDir cannot remove a tree deeper than PATH_MAX; rm can.
        auto removeDeep = qScopeGuard([deep] { sh("rm -rf '" + deep.string() + "'"); });
        {
            const fs::path cwd = fs::current_path();
            fs::current_path(deep);
            const std::string seg(200, 'd');
            for (int i = 0; i < 22; ++i) {
                fs::create_directory(seg);
                fs::current_path(seg);
            }
            kizu::writeFileAtomic("deep.png", encoded(".png", 23));
            fs::current_path(cwd);
        }
        std::string tooLong = deep.string();
        for (int i = 0; i < 22; ++i) tooLong += "/" + std::string(200, 'd');
        tooLong += "/deep.png";
        QVERIFY(tooLong.size() > 4096);

        const fs::path proj = tmp("names_project");
        {
            auto store = ProjectStore::create(proj);
            auto rep = store.importPaths({src / latin1, src / longName, fs::path(tooLong)});
            QCOMPARE(rep.imported, 2);
            QCOMPARE(rep.skipped, 1);
            QVERIFY2(!rep.issues.at(0).reason.empty(), "no reason given for the too long path");
            bool found = false;
            for (const auto& img : store.images()) found |= img.originalPath == (src / latin1).string();
            QVERIFY2(found, "the non-UTF-8 original path did not round-trip");
        }
        // The command line lists and reports them (JSON stays valid UTF-8).
        auto list = runCli({"-p", QString::fromStdString(proj.string()), "list", "--json"});
        QVERIFY2(list.exitCode == 0, list.err.constData());
        QVERIFY2(list.out.contains("gr"), list.out.constData());
        QVERIFY2(QJsonDocument::fromJson(list.out).isArray(), list.out.constData());
        auto plain = runCli({"-p", QString::fromStdString(proj.string()), "list"});
        QVERIFY2(plain.exitCode == 0, plain.err.constData());
        auto imp = runCli({"-p", QString::fromStdString(proj.string()), "import", "--json",
                           QString::fromLocal8Bit(tooLong.c_str())});
        QVERIFY2(imp.exitCode != -1, "kizu-cli crashed on a path longer than PATH_MAX");
        QVERIFY2(!imp.err.contains("terminate called"), imp.err.constData());
    }

    void readOnlyProjectLosesNothing()
    {
        const fs::path src = tmp("ro_src");
        fs::create_directories(src);
        for (int i = 0; i < 3; ++i) kizu::writeFileAtomic(src / ("ro" + std::to_string(i) + ".png"), encoded(".png", 30 + i));
        const fs::path proj = tmp("ro_project");
        {
            auto store = ProjectStore::create(proj);
            QCOMPARE(store.importPaths({src}).imported, 3);
            store.setLabel(1, Label::Ng);
        }
        kizu::writeFileAtomic(src / "later.png", encoded(".png", 40));
        // Root ignores permission bits: make the folder and its files immutable instead.
        std::string how;
        if (::geteuid() == 0) {
            if (sh("chattr -R +i '" + proj.string() + "'")) how = "chattr";
        } else if (sh("chmod -R a-w '" + proj.string() + "'")) {
            how = "chmod";
        }
        if (how.empty())
            QSKIP("cannot make a folder read-only here (root without chattr support on this file "
                  "system); the read-only project check did not run");
        auto restore = qScopeGuard([&] {
            sh(how == "chattr" ? "chattr -R -i '" + proj.string() + "'"
                               : "chmod -R u+w '" + proj.string() + "'");
        });
        // Each write is refused with a message that says the folder is read-only; no crash.
        const QString p = QString::fromStdString(proj.string());
        for (const QStringList& args : {QStringList{"-p", p, "import", QString::fromStdString(src.string())},
                                        QStringList{"-p", p, "label", "2", "ok"}}) {
            auto r = runCli(args);
            QVERIFY2(r.exitCode != -1, qPrintable("crashed: " + args.join(' ')));
            QVERIFY2(r.exitCode != 0, qPrintable("a write into a read-only project succeeded: " + args.join(' ')));
            QVERIFY2(r.err.toLower().contains("read-only folder"), r.err.constData());
            QVERIFY2(!r.err.contains("does not hold a readable"), r.err.constData());
        }
        // Reading works: stats and project info open the project read-only.
        auto stats = runCli({"-p", p, "stats", "--json"});
        QVERIFY2(stats.exitCode == 0, stats.err.constData());
        QCOMPARE(QJsonDocument::fromJson(stats.out).object()["total"].toInt(), 3);
        auto info = runCli({"-p", p, "project", "info", "--json"});
        QVERIFY2(info.exitCode == 0, info.err.constData());
        QCOMPARE(QJsonDocument::fromJson(info.out).object()["integrity"].toString(), QString("ok"));
        restore.dismiss();
        QVERIFY(sh(how == "chattr" ? "chattr -R -i '" + proj.string() + "'"
                                   : "chmod -R u+w '" + proj.string() + "'"));
        auto store = ProjectStore::open(proj);
        QCOMPARE(store.integrityCheck(), std::string("ok"));
        QCOMPARE(store.countImages(), std::int64_t(3));
        QCOMPARE(store.image(1)->label, Label::Ng);
    }

    void refusedFileIsLeftUntouched()
    {
        // An empty file, random bytes, another program's SQLite database (rollback journal and
        // WAL): each is refused as a project, and no command changes a byte of it.
        struct Case {
            std::string name;
            std::string bytes;
            const char* journal; // SQLite journal mode, or nullptr for raw bytes
        };
        const std::vector<Case> cases{{"empty", "", nullptr},
                                      {"noise", std::string(5000, '\x5a'), nullptr},
                                      {"foreign", {}, "DELETE"},
                                      {"foreign_wal", {}, "WAL"}};
        const fs::path img = tmp("refused_img.png");
        kizu::writeFileAtomic(img, encoded(".png", 5));
        for (const auto& c : cases) {
            const fs::path dir = tmp("refused_" + c.name);
            fs::create_directories(dir);
            const fs::path file = dir / ProjectStore::kDatabaseName;
            if (c.journal) {
                const std::string sql = std::string("PRAGMA journal_mode=") + c.journal +
                                        "; CREATE TABLE t(x); INSERT INTO t VALUES (42);";
                QVERIFY(sh("sqlite3 '" + file.string() + "' '" + sql + "'") ||
                        sh("python3 -c \"import sqlite3; c=sqlite3.connect('" + file.string() +
                           "'); c.executescript('" + sql + "'); c.close()\""));
            } else {
                kizu::writeFileAtomic(file, c.bytes);
            }
            QFile f(QString::fromStdString(file.string()));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray original = f.readAll();
            f.close();
            const QString p = QString::fromStdString(dir.string());
            for (const QStringList& args :
                 {QStringList{"-p", p, "project", "info"}, QStringList{"-p", p, "stats"},
                  QStringList{"-p", p, "label", "1", "ok"},
                  QStringList{"-p", p, "import", QString::fromStdString(img.string())}}) {
                auto r = runCli(args);
                QVERIFY2(r.exitCode > 0, qPrintable(c.name.c_str() + (": " + args.join(' '))));
                QVERIFY2(r.err.contains("not a Kizu project") && r.err.contains("left unchanged"),
                         r.err.constData());
                QVERIFY(f.open(QIODevice::ReadOnly));
                const QByteArray now = f.readAll();
                f.close();
                QVERIFY2(now == original, qPrintable(QString::fromStdString(c.name) + ": " + args.join(' ') +
                                                     " changed the refused file (" +
                                                     QString::number(original.size()) + " -> " +
                                                     QString::number(now.size()) + " bytes)"));
            }
            QVERIFY2(!fs::exists(dir / "images"), c.name.c_str());
        }
    }

    void manifestPathsStayInside()
    {
        // A manifest row with an absolute path or '..' is refused by every command that reads
        // the data folder, with the file, line and path named; nothing outside is opened.
        const fs::path outside = tmp("outside.png");
        kizu::writeFileAtomic(outside, encoded(".png", 9));
        for (const std::string bad : {std::string("../outside.png"), outside.string(),
                                      std::string("ok/../../outside.png")}) {
            const fs::path data = tmp("manifest_data");
            fs::remove_all(data);
            std::string csv = "path,label,split\n";
            for (int i = 0; i < 3; ++i)
                for (const char* c : {"ok", "ng"}) {
                    fs::create_directories(data / c);
                    const std::string rel = std::string(c) + "/" + std::to_string(i) + ".png";
                    kizu::writeFileAtomic(data / rel, encoded(".png", i + (c[0] == 'n' ? 20 : 0)));
                    csv += rel + "," + c + ",train\n";
                }
            csv += bad + ",ng,train\n"; // line 8
            kizu::writeFileAtomic(data / "manifest.csv", csv);
            const QString d = QString::fromStdString(data.string());
            for (const QStringList& args :
                 {QStringList{"train", "--data", d, "--size", "32", "--steps", "1", "--out",
                              d + "/m.kizumodel", "--quiet"},
                  QStringList{"baseline", "eval", "--data", d, "--split", "all"}}) {
                auto r = runCli(args);
                QVERIFY2(r.exitCode > 0, qPrintable(args.join(' ') + ": " + r.out));
                QVERIFY2(r.err.contains("manifest.csv line 8") &&
                             r.err.contains(QByteArray::fromStdString(bad)) &&
                             (r.err.contains("absolute") || r.err.contains("'..'")),
                         r.err.constData());
            }
        }
    }

    void memoryBudgetIsCheckedBeforeWork()
    {
        // A CG render of 4096 px oversampled 4x (16384^2 px, 11.3 GB measured) and training at
        // batch 64 x 1024 px are refused at once, naming the fields; the budget can be set.
        const fs::path params = tmp("huge_cg.json");
        kizu::writeFileAtomic(params, R"({"camera": {"imageSize": 4096, "oversample": 4}})");
        QElapsedTimer t;
        t.start();
        auto cg = runCli({"cg", "render", "--params", QString::fromStdString(params.string()),
                          "--seed", "1", "--out", QString::fromStdString(tmp("huge_render/").string())});
        QVERIFY2(cg.exitCode > 0, cg.out.constData());
        QVERIFY2(cg.err.contains("camera.imageSize x camera.oversample = 4096 x 4") &&
                     cg.err.contains("memory budget"),
                 cg.err.constData());
        QVERIFY2(t.elapsed() < 10000, "the refusal should come before any rendering");
        QVERIFY(!fs::exists(tmp("huge_render")) || fs::is_empty(tmp("huge_render")));
        const QString data = QString::fromStdString(tmp("budget_data").string());
        for (const char* c : {"ok", "ng"}) {
            QDir().mkpath(data + "/" + c);
            for (int i = 0; i < 2; ++i)
                kizu::writeFileAtomic((data + "/" + c + "/" + QString::number(i) + ".png").toStdString(),
                                      encoded(".png", 100 + i + (c[0] == 'n' ? 10 : 0)));
        }
        auto tr = runCli({"train", "--data", data, "--size", "1024", "--batch", "64", "--steps", "1",
                          "--out", data + "/m.kizumodel", "--quiet"});
        QVERIFY2(tr.exitCode > 0, tr.out.constData());
        QVERIFY2(tr.err.contains("batch x input size = 64 x 1024"), tr.err.constData());
        QVERIFY(!QFile::exists(data + "/m.kizumodel"));
        // A small budget refuses even the default render; a bad value is an error too.
        qputenv("KIZU_MEMORY_BUDGET_MB", "1");
        auto small = runCli({"cg", "render", "--seed", "1", "--size", "512", "--out",
                             QString::fromStdString(tmp("small_render/").string())});
        // The memory bank of From OK photos, known after the first photo's patches.
        auto pc = runCli({"train", "--method", "patchcore", "--init", "scratch", "--data", data,
                          "--size", "64", "--out", data + "/pc.kizumodel", "--quiet", "--no-register"});
        qputenv("KIZU_MEMORY_BUDGET_MB", "lots");
        auto bad = runCli({"cg", "render", "--seed", "1", "--out",
                           QString::fromStdString(tmp("small_render/").string())});
        qunsetenv("KIZU_MEMORY_BUDGET_MB");
        QVERIFY2(small.exitCode > 0 && small.err.contains("memory budget"), small.err.constData());
        QVERIFY2(pc.exitCode > 0 && pc.err.contains("OK photos x input size = 2 x 64"), pc.err.constData());
        QVERIFY2(bad.exitCode > 0 && bad.err.contains("KIZU_MEMORY_BUDGET_MB"), bad.err.constData());
    }

    void inferenceFitsTheMemoryBudget()
    {
        // Inference is held to the budget too: a forward pass takes as many photos as the
        // budget allows (one at a time here, with the same scores as unbounded), and one photo
        // that alone is above it is refused with the model's input size named.
        const QString data = QString::fromStdString(tmp("infer_budget").string());
        for (const char* c : {"ok", "ng"}) {
            QDir().mkpath(data + "/" + c);
            for (int i = 0; i < 3; ++i)
                kizu::writeFileAtomic((data + "/" + c + "/" + QString::number(i) + ".png").toStdString(),
                                      encoded(".png", 120 + i + (c[0] == 'n' ? 10 : 0)));
        }
        const QString model = data + "/m.kizumodel";
        auto tr = runCli({"train", "--data", data, "--init", "scratch", "--size", "64", "--batch", "2",
                          "--steps", "1", "--out", model, "--quiet"});
        QVERIFY2(tr.exitCode == 0, tr.err.constData());
        auto scores = [&](const char* budget, const QString& csv) {
            if (budget) qputenv("KIZU_MEMORY_BUDGET_MB", budget);
            auto r = runCli({"eval", "--model", model, "--data", data, "--csv", csv});
            qunsetenv("KIZU_MEMORY_BUDGET_MB");
            QFile f(csv);
            return std::make_pair(r, f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray());
        };
        // 64 x 64 px: about 1.2 MB per photo, so 2 MB holds one photo per pass, 1 MB none.
        const auto [free, freeCsv] = scores(nullptr, data + "/free.csv");
        const auto [one, oneCsv] = scores("2", data + "/one.csv");
        const auto [none, noneCsv] = scores("1", data + "/none.csv");
        QVERIFY2(free.exitCode == 0 && one.exitCode == 0, (free.err + one.err).constData());
        QVERIFY(freeCsv.count('\n') >= 6);
        QCOMPARE(oneCsv, freeCsv);
        QVERIFY2(none.exitCode > 0 && none.err.contains("model input 64 x 64 px") &&
                     none.err.contains("memory budget"),
                 none.err.constData());
        QVERIFY(noneCsv.isEmpty());
    }

    void staleTemporariesAreRemoved()
    {
        // A killed writer leaves ".NAME.tmpPID_TID_N" beside its target; the next import
        // removes those of processes that are gone and keeps those of a live writer.
        const fs::path proj = tmp("stale_project");
        {
            auto store = ProjectStore::create(proj);
            store.addEncodedImage(encoded(".png", 1), ".png", "test");
        }
        pid_t dead = ::fork();
        if (dead == 0) ::_exit(0);
        QVERIFY(dead > 0);
        int status = 0;
        ::waitpid(dead, &status, 0);
        const std::string d = std::to_string(dead);
        const fs::path sub = proj / "images" / "ab";
        fs::create_directories(sub);
        const std::vector<fs::path> stale{sub / (".ab12.jpg.tmp" + d + "_" + d + "_0"),
                                          proj / (".models.json.tmp" + d + "_7_3")};
        const fs::path live = sub / (".ab34.jpg.tmp" + std::to_string(::getpid()) + "_1_0");
        const fs::path other = sub / ".keep.tmp"; // not one of ours
        for (const auto& f : stale) kizu::writeFileAtomic(f, "half");
        kizu::writeFileAtomic(live, "in flight");
        kizu::writeFileAtomic(other, "x");
        // A re-import of what is already there (no new file written) still cleans up.
        const fs::path src = tmp("stale_src.png");
        kizu::writeFileAtomic(src, encoded(".png", 1));
        auto r = runCli({"-p", QString::fromStdString(proj.string()), "import",
                         QString::fromStdString(src.string())});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        for (const auto& f : stale) QVERIFY2(!fs::exists(f), f.c_str());
        QVERIFY(fs::exists(live));
        QVERIFY(fs::exists(other));
        QCOMPARE(removeStaleTemporaries(proj), 0);
    }

    void hostileModelFilesAreNeverExecuted()
    {
        // Pickles that would run `touch /tmp/kizu_pickle_executed` if unpickled by Python
        // (tests/fuzz/make_torch_seeds.py). Kizu reads tensors and known fields only.
        const QString marker = "/tmp/kizu_pickle_executed";
        QFile::remove(marker);
        const QString corpus = QStringLiteral(KIZU_SOURCE_DIR) + "/tests/fuzz/corpus/";
        const QString proj = QString::fromStdString(tmp("hostile_project").string());
        QCOMPARE(runCli({"project", "init", proj}).exitCode, 0);
        const QString data = QString::fromStdString(tmp("hostile_data").string());
        for (const char* c : {"ok", "ng"}) {
            QDir().mkpath(data + "/" + c);
            for (int i = 0; i < 2; ++i)
                kizu::writeFileAtomic((data + "/" + c + "/" + QString::number(i) + ".png").toStdString(),
                                      encoded(".png", 60 + i + (c[0] == 'n' ? 10 : 0)));
        }
        struct Case {
            QString file;
            QStringList args;
        };
        const QString pth = corpus + "pth_import/hostile_raw_global_reduce.pth";
        const QString pth2 = corpus + "pth_import/hostile_reduce_os_system.pth";
        const QString km = corpus + "model_file/hostile_reduce_os_system.kizumodel";
        const QList<Case> cases{
            {pth, {"train", "--data", data, "--init", "imagenet:" + pth, "--steps", "1", "--size", "32", "--out", data + "/m.kizumodel", "--quiet"}},
            {pth2, {"train", "--data", data, "--init", "imagenet:" + pth2, "--steps", "1", "--size", "32", "--out", data + "/m.kizumodel", "--quiet"}},
            {km, {"-p", proj, "model", "activate", km}},
            {km, {"eval", "--model", km, "--data", data}},
            {km, {"-p", proj, "inspect", "--source", "folder:" + data + "/ok", "--model", km, "--frames", "1"}},
        };
        // The allocation bombs fuzzing found (a 3 GB string length, a memo index of four
        // billion, a wrapping zip64 offset, a compressed data.pkl): refused as damaged, at once.
        const QString reg = QStringLiteral(KIZU_SOURCE_DIR) + "/tests/fuzz/regressions/";
        for (const QString& sub : {QStringLiteral("model_file"), QStringLiteral("pth_import")})
            for (const QFileInfo& fi : QDir(reg + sub).entryInfoList(QDir::Files)) {
                const QString f = fi.absoluteFilePath();
                const QStringList args = sub == "model_file"
                    ? QStringList{"eval", "--model", f, "--data", data}
                    : QStringList{"train", "--data", data, "--init", "imagenet:" + f, "--steps", "1",
                                  "--size", "32", "--out", data + "/m.kizumodel", "--quiet"};
                QElapsedTimer t;
                t.start();
                auto r = runCli(args);
                QVERIFY2(r.exitCode > 0 && r.err.contains("damaged"), qPrintable(f + ": " + r.err));
                QVERIFY2(t.elapsed() < 20000, qPrintable(f + " took " + QString::number(t.elapsed()) + " ms"));
            }
        for (const auto& c : cases) {
            auto r = runCli(c.args);
            QVERIFY2(r.exitCode > 0, qPrintable(c.args.join(' ') + " -> " + QString::number(r.exitCode) + " " + r.err));
            QVERIFY2(r.err.contains(QFileInfo(c.file).fileName().toUtf8()), r.err.constData());
            QVERIFY2(!QFile::exists(marker), qPrintable("a hostile pickle ran a command: " + c.args.join(' ')));
        }
    }

    void inspectionsRecordTheModelSha()
    {
        const QString data = QString::fromStdString(tmp("sha_data").string());
        for (const char* c : {"ok", "ng"}) {
            QDir().mkpath(data + "/" + c);
            for (int i = 0; i < 3; ++i)
                kizu::writeFileAtomic((data + "/" + c + "/" + QString::number(i) + ".png").toStdString(),
                                      encoded(".png", 80 + i + (c[0] == 'n' ? 10 : 0)));
        }
        const QString model = data + "/m.kizumodel";
        auto t = runCli({"train", "--data", data, "--model", "squeezenet1_1", "--size", "32", "--batch", "4",
                         "--steps", "2", "--no-augment", "--threads", "1", "--seed", "1", "--out", model, "--quiet"});
        QVERIFY2(t.exitCode == 0, t.err.constData());
        QFile f(model);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const std::string sha = QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex().toStdString();
        const fs::path proj = tmp("sha_project");
        { ProjectStore::create(proj); }
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        auto r = runCli({"-p", QString::fromStdString(proj.string()), "inspect", "--source",
                         "folder:" + data + "/ng", "--model", model, "--frames", "3", "--quiet", "--threads", "1"});
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto summary = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
        QCOMPARE(summary["frames"].toInt(), 3);
        QCOMPARE(summary["dropped"].toInt(-1), 0); // the CLI judges every frame it grabs
        // The fast inference path ran (issue 23), and the summary says so.
        QCOMPARE(summary["inference"].toString(), QString("fast (oneDNN graph)"));
        auto store = ProjectStore::open(proj);
        auto recs = store.inspections(10);
        QCOMPARE(int(recs.size()), 3);
        std::set<std::int64_t> frames;
        for (const auto& rec : recs) {
            QCOMPARE(rec.modelSha, sha);
            // Each result has its frame's number and capture time, within the run.
            QVERIFY(rec.frame);
            frames.insert(*rec.frame);
            QVERIFY(rec.at >= before && rec.at <= after);
        }
        QCOMPARE(frames, (std::set<std::int64_t>{0, 1, 2}));
    }

    void fullDiskLosesNothing()
    {
        // A real full disk: a 3 MB tmpfs when we may mount one; otherwise (not root) a
        // size-limited process (RLIMIT_FSIZE, SIGXFSZ ignored), which fails writes like a full disk.
        const fs::path mnt = tmp("small_disk");
        fs::create_directories(mnt);
        const bool tmpfs = ::geteuid() == 0 && ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=3m") == 0;
        auto unmount = qScopeGuard([&] {
            if (tmpfs) ::umount2(mnt.c_str(), MNT_DETACH);
        });
        const fs::path src = tmp("full_src");
        fs::create_directories(src);
        // Noise compresses badly: ~400 kB a file, so a dozen fill 3 MB.
        for (int i = 0; i < 14; ++i) {
            cv::Mat m(240, 560, CV_8UC3);
            cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
            m.at<cv::Vec3b>(0, 0) = cv::Vec3b(uchar(i), 0, 0);
            std::vector<uchar> buf;
            cv::imencode(".png", m, buf);
            kizu::writeFileAtomic(src / ("f" + std::to_string(i) + ".png"), std::string(buf.begin(), buf.end()));
        }
        const fs::path proj = mnt / "p";
        const QString p = QString::fromStdString(proj.string());
        std::int64_t before = 0;
        {
            auto store = ProjectStore::create(proj);
            before = store.importPaths({src / "f0.png", src / "f1.png"}).imported;
            store.setLabel(1, Label::Ok);
        }
        QCOMPARE(before, std::int64_t(2));
        CliResult r;
        if (tmpfs) {
            r = runCli({"-p", p, "import", QString::fromStdString(src.string())});
        } else {
            // The limit applies to the child (QProcess inherits it): set it around the start.
            struct rlimit old {};
            ::getrlimit(RLIMIT_FSIZE, &old);
            struct rlimit lim = old;
            lim.rlim_cur = 3 * 1024 * 1024;
            auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
            ::setrlimit(RLIMIT_FSIZE, &lim);
            r = runCli({"-p", p, "import", QString::fromStdString(src.string())});
            ::setrlimit(RLIMIT_FSIZE, &old);
            std::signal(SIGXFSZ, oldHandler);
        }
        QVERIFY2(r.exitCode != -1, "kizu-cli crashed on a full disk");
        const QByteArray all = (r.out + r.err).toLower();
        QVERIFY2(all.contains("no space") || all.contains("full") || all.contains("too large"),
                 (r.out + r.err).constData());
        if (tmpfs) {
            // Fill what is left: reading still works (read-only open), a write says "disk full".
            {
                std::FILE* f = std::fopen((mnt / "filler").c_str(), "wb");
                QVERIFY(f);
                std::string block(4096, 'x');
                while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {}
                std::fclose(f);
            }
            auto stats = runCli({"-p", p, "stats", "--json"});
            QVERIFY2(stats.exitCode == 0, stats.err.constData());
            QVERIFY(QJsonDocument::fromJson(stats.out).object()["total"].toInt() >= before);
            auto info = runCli({"-p", p, "project", "info"});
            QVERIFY2(info.exitCode == 0, info.err.constData());
            auto label = runCli({"-p", p, "label", "1", "ng"});
            QVERIFY2(label.exitCode > 0, label.out.constData());
            QVERIFY2(label.err.toLower().contains("disk full"), label.err.constData());
            QVERIFY2(!label.err.contains("does not hold a readable"), label.err.constData());
            fs::remove(mnt / "filler");
        }
        // Whatever was stored before (and whatever the import committed) is intact.
        auto store = ProjectStore::open(proj);
        QCOMPARE(store.integrityCheck(), std::string("ok"));
        QVERIFY(store.countImages() >= before);
        QCOMPARE(store.image(1)->label, Label::Ok);
        for (const auto& img : store.images()) QVERIFY2(fs::exists(store.imagePath(img)), img.originalPath.c_str());
        if (!tmpfs) qInfo("full disk emulated with RLIMIT_FSIZE (no tmpfs mount allowed here)");
    }
};

QTEST_GUILESS_MAIN(TestCliReliability)
#include "test_cli_reliability.moc"
