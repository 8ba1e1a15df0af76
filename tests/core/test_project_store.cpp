// The project store: round trips, migration from version 1, idempotent import, grouped split,
// audit log, and the bad inputs that must be refused without losing anything.
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/learn/train_run.h"
#include "core/project/engineer_pin.h"
#include "core/project/project_store.h"
#include "core/project/internal/schema.h"
#include "core/project/internal/sqlite_db.h"

#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

using namespace kizu::project;
namespace fs = std::filesystem;

namespace {
// A distinct small image per index so that content hashes differ.
void writeImage(const fs::path& file, int index, int w = 64, int h = 48)
{
    fs::create_directories(file.parent_path());
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(index % 256, (index / 256) % 256, 90));
    cv::line(m, {index % w, 0}, {w - 1 - index % w, h - 1}, cv::Scalar(255, 255, 255), 2);
    QVERIFY(cv::imwrite(file.string(), m));
}

// A photo-like image: smooth random blobs (a texture, as a part's surface), one per seed.
cv::Mat texture(int seed, int w = 360, int h = 240)
{
    // Detail up to a sixth of the size and no clipped highlights, as in a focused photo (a
    // blurrier or saturated texture leaves the hash's upper frequencies to noise).
    cv::Mat small(h / 6, w / 6, CV_8UC3);
    cv::RNG rng(std::uint64_t(seed) * 7919 + 1);
    rng.fill(small, cv::RNG::UNIFORM, 40, 200);
    cv::Mat m;
    cv::resize(small, m, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
    return m;
}

cv::Mat withNoise(const cv::Mat& m, double sigma, int seed)
{
    cv::Mat noise(m.size(), CV_16SC3);
    cv::RNG rng{std::uint64_t(seed)};
    rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
    cv::Mat out;
    cv::add(m, noise, out, cv::noArray(), CV_8UC3);
    return out;
}

void writeMat(const fs::path& file, const cv::Mat& m)
{
    fs::create_directories(file.parent_path());
    QVERIFY(cv::imwrite(file.string(), m));
}
} // namespace

class TestProjectStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path tmp(const char* sub) const { return fs::path(m_tmp.path().toStdString()) / sub; }

private Q_SLOTS:
    void createAndReopen()
    {
        const fs::path dir = tmp("p1");
        {
            auto s = ProjectStore::create(dir);
            QCOMPARE(s.schemaVersion(), ProjectStore::kSchemaVersion);
            QVERIFY(fs::is_directory(dir / "images"));
            s.setMeta("k", "v");
        }
        QVERIFY(ProjectStore::isProject(dir));
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.meta("k").value_or(""), std::string("v"));
        QCOMPARE(s.integrityCheck(), std::string("ok"));
        QVERIFY_THROWS_EXCEPTION(kizu::StoreError, ProjectStore::create(dir));
        // WAL and foreign keys are on.
        Database db((dir / ProjectStore::kDatabaseName).string(), false);
        auto q = db.prepare("PRAGMA journal_mode");
        QVERIFY(q.step());
        QCOMPARE(q.text(0), std::string("wal"));
    }

    void importRoundTripAndIdempotent()
    {
        const fs::path src = tmp("src1");
        for (int i = 0; i < 6; ++i) writeImage(src / (i < 3 ? "ok" : "ng") / ("img" + std::to_string(i) + (i % 2 ? ".png" : ".bmp")), i);
        writeImage(src / "sub" / "deep" / "x.tif", 50);
        auto s = ProjectStore::create(tmp("p2"));
        ImportOptions opt;
        opt.groupRegex = "img(\\d)";
        auto rep = s.importPaths({src}, opt);
        QCOMPARE(rep.imported, 7);
        QCOMPARE(rep.skipped, 0);
        auto all = s.images();
        QCOMPARE(int(all.size()), 7);
        for (const auto& r : all) {
            QCOMPARE(r.width, 64);
            QCOMPARE(r.height, 48);
            QCOMPARE(r.hash.size(), std::size_t(64));
            QVERIFY(fs::exists(s.imagePath(r)));
            QCOMPARE(kizu::sha256File(s.imagePath(r)), r.hash);
            QCOMPARE(r.label, Label::Unlabeled);
        }
        QCOMPARE(s.findImage("img3.png").group, std::string("3"));
        QCOMPARE(s.findImage("img4.bmp").ext, std::string(".bmp"));
        QCOMPARE(s.findImage("x.tif").group, std::string(""));
        // Importing the same files again adds nothing.
        auto again = s.importPaths({src}, opt);
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.duplicates, 7);
        QCOMPARE(s.countImages(), std::int64_t(7));
        // Labels from folders, then the stats.
        QCOMPARE(s.labelFromFolders("tester"), 6);
        auto st = s.stats();
        QCOMPARE(st.byLabel(Label::Ok), std::int64_t(3));
        QCOMPARE(st.byLabel(Label::Ng), std::int64_t(3));
        QCOMPARE(st.byLabel(Label::Unlabeled), std::int64_t(1));
        ImageFilter f;
        f.label = Label::Ng;
        QCOMPARE(s.countImages(f), std::int64_t(3));
        QCOMPARE(int(s.images(f).size()), 3);
        // Export writes ok/ and ng/ files with the same content.
        auto n = s.exportSplit(Split::None, tmp("export1"));
        QCOMPARE(n, std::int64_t(6));
        int files = 0;
        for (auto& e : fs::recursive_directory_iterator(tmp("export1")))
            files += e.is_regular_file();
        QCOMPARE(files, 6);
    }

    void modelRecords()
    {
        const auto dir = tmp("pm");
        std::int64_t a = 0, b = 0;
        {
            auto s = ProjectStore::create(dir);
            kizu::project::ModelRecord r;
            r.name = "first";
            r.file = "models/first.kizumodel";
            r.sha256 = "abc";
            r.arch = "squeezenet1_1";
            r.createdAt = 1000;
            a = s.addModel(r);
            r.name.clear(); // defaults to the file's stem
            r.file = "/abs/second.kizumodel";
            r.createdAt = 2000;
            r.metrics = R"({"accuracy":0.9})";
            b = s.addModel(r);
            QVERIFY(a != b);
            InspectionRecord rec;
            rec.source = "folder:x";
            rec.state = kizu::inspect::State::Ng;
            rec.score = 0.8;
            rec.modelSha = "abc";
            rec.latencyMs = 3.0;
            s.recordInspections({rec});
        }
        auto s = ProjectStore::open(dir); // persisted
        auto all = s.models();
        QCOMPARE(int(all.size()), 2);
        QCOMPARE(all[0].id, b); // newest first
        QCOMPARE(all[0].name, std::string("second"));
        QCOMPARE(all[0].metrics, std::string(R"({"accuracy":0.9})"));
        QCOMPARE(s.modelPath(all[1]), dir / "models/first.kizumodel");
        QCOMPARE(s.modelPath(all[0]), std::filesystem::path("/abs/second.kizumodel"));
        s.renameModel(a, "renamed");
        QCOMPARE(s.model(a)->name, std::string("renamed"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.renameModel(a, ""));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.renameModel(999, "x"));
        s.setModelMetrics(a, R"({"auc":1})");
        QCOMPARE(s.model(a)->metrics, std::string(R"({"auc":1})"));
        s.deleteModel(a);
        QVERIFY(!s.model(a));
        QCOMPARE(int(s.models().size()), 1);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.deleteModel(a));
        QCOMPARE(s.inspections().at(0).modelSha, std::string("abc")); // results keep the sha
        QCOMPARE(s.integrityCheck(), std::string("ok"));
    }

    void addEncodedImage()
    {
        auto s = ProjectStore::create(tmp("p3"));
        cv::Mat m(10, 12, CV_8UC3, cv::Scalar(1, 2, 3));
        std::vector<uchar> buf;
        cv::imencode(".png", m, buf);
        std::string bytes(buf.begin(), buf.end());
        auto id = s.addEncodedImage(bytes, ".png", "camera", "", Label::Ng, "op");
        QCOMPARE(s.addEncodedImage(bytes, ".png", "camera"), id);
        auto r = s.image(id);
        QVERIFY(r);
        QCOMPARE(r->source, std::string("camera"));
        QCOMPARE(r->label, Label::Ng);
        QCOMPARE(r->width, 12);
        QCOMPARE(int(s.auditLog(id).size()), 1);
    }

    void auditLog()
    {
        const fs::path src = tmp("src4");
        writeImage(src / "a.png", 1);
        auto s = ProjectStore::create(tmp("p4"));
        auto id = s.importPaths({src}).ids.at(0);
        QCOMPARE(s.setLabel(id, Label::Ok, "alice"), 1);
        QCOMPARE(s.setLabel(id, Label::Ok, "alice"), 0); // no change, no entry
        QCOMPARE(s.setLabel(id, Label::Ng, "bob"), 1);
        QCOMPARE(s.setLabel(id, Label::Unlabeled, "carol"), 1);
        auto log = s.auditLog(id);
        QCOMPARE(int(log.size()), 3);
        QCOMPARE(log[0].oldLabel, Label::Unlabeled);
        QCOMPARE(log[0].newLabel, Label::Ok);
        QCOMPARE(log[0].user, std::string("alice"));
        QCOMPARE(log[1].oldLabel, Label::Ok);
        QCOMPARE(log[1].newLabel, Label::Ng);
        QCOMPARE(log[1].user, std::string("bob"));
        QCOMPARE(log[2].newLabel, Label::Unlabeled);
        QVERIFY(log[0].at > 1'600'000'000'000LL);
        QVERIFY(log[0].at <= log[2].at);
        QCOMPARE(s.image(id)->labeledBy, std::string("carol"));
        // The log is append-only, even for someone with SQL access.
        Database db((tmp("p4") / ProjectStore::kDatabaseName).string(), false);
        QVERIFY_THROWS_EXCEPTION(kizu::StoreError, db.exec("UPDATE audit SET user = 'mallory'"));
        QVERIFY_THROWS_EXCEPTION(kizu::StoreError, db.exec("DELETE FROM audit"));
        QCOMPARE(int(s.auditLog(id).size()), 3);
        // A label for an unknown image is refused and changes nothing.
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.setLabels({id, 9999}, Label::Ok));
        QCOMPARE(s.image(id)->label, Label::Unlabeled);
        QCOMPARE(int(s.auditLog().size()), 3);
    }

    void groupedSplitInvariants()
    {
        const fs::path src = tmp("src5");
        // 30 groups of 1..5 near-duplicates, a quarter of the groups NG.
        int idx = 0;
        for (int g = 0; g < 30; ++g)
            for (int k = 0; k <= g % 5; ++k)
                writeImage(src / (g % 4 == 0 ? "ng" : "ok") /
                               ("g" + std::to_string(g) + "_" + std::to_string(k) + ".png"),
                           idx++);
        auto s = ProjectStore::create(tmp("p5"));
        ImportOptions opt;
        opt.groupRegex = "^g(\\d+)_";
        QCOMPARE(s.importPaths({src}, opt).imported, idx);
        s.labelFromFolders();
        auto rep = s.assignSplit(0.3, 42);
        QCOMPARE(rep.trainImages + rep.testImages, std::int64_t(idx));
        auto splitOf = [&] {
            std::map<std::int64_t, Split> m;
            for (auto& r : s.images()) m[r.id] = r.split;
            return m;
        };
        auto check = [&] {
            std::map<std::string, std::set<Split>> perGroup;
            for (auto& r : s.images()) {
                QVERIFY(r.split != Split::None);
                perGroup[r.group].insert(r.split);
            }
            for (auto& [g, splits] : perGroup) QCOMPARE(int(splits.size()), 1); // never straddles
        };
        check();
        const double frac = double(rep.testImages) / idx;
        QVERIFY2(frac > 0.2 && frac < 0.4, qPrintable(QString::number(frac)));
        ImageFilter ngTest;
        ngTest.label = Label::Ng;
        ngTest.split = Split::Test;
        QVERIFY(s.countImages(ngTest) > 0); // stratified: NG on both sides
        ngTest.split = Split::Train;
        QVERIFY(s.countImages(ngTest) > 0);
        // Same seed, same split; another seed, another split.
        auto first = splitOf();
        s.assignSplit(0.3, 42);
        QVERIFY(splitOf() == first);
        s.assignSplit(0.3, 43);
        QVERIFY(splitOf() != first);
        check();
        // Locked: test images stay in test, new images join their group's side.
        auto beforeLock = splitOf();
        s.setTestSplitLocked(true);
        writeImage(src / "ok" / "g1_9.png", 999);
        s.importPaths({src / "ok" / "g1_9.png"}, opt);
        s.assignSplit(0.9, 7);
        auto after = splitOf();
        for (auto& [id, sp] : beforeLock)
            if (sp == Split::Test) QCOMPARE(after[id], Split::Test);
        check();
        std::int64_t anyTest = 0;
        for (auto& [id, sp] : beforeLock)
            if (sp == Split::Test) anyTest = id;
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.setSplit({anyTest}, Split::Train));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.assignSplit(1.5, 1));
    }

    void migrationFromVersion1()
    {
        // A version-1 database file as the first release wrote it, with one labeled image.
        const fs::path dir = tmp("p6");
        fs::create_directories(dir / "images");
        {
            Database db((dir / ProjectStore::kDatabaseName).string(), true);
            db.exec(schema::kVersion1);
            db.exec("INSERT INTO images (hash, ext, original_path, source, width, height, "
                    "captured_at, imported_at, grp) VALUES ('ab" + std::string(62, '0') +
                    "', '.png', '/x/ok/a.png', 'import', 4, 3, 1, 2, 'g')");
            db.exec("INSERT INTO labels VALUES (1, 1, 'old', 3)");
            db.exec("INSERT INTO audit_log (image_id, old_label, new_label, user, at) "
                    "VALUES (1, 0, 1, 'old', 3)");
        }
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.schemaVersion(), ProjectStore::kSchemaVersion);
        auto r = s.image(1);
        QVERIFY(r);
        QCOMPARE(r->label, Label::Ok);
        QCOMPARE(r->split, Split::None);
        QCOMPARE(r->group, std::string("g"));
        QCOMPARE(int(s.auditLog().size()), 1);
        s.setSplit({1}, Split::Test); // the new column works
        QCOMPARE(s.image(1)->split, Split::Test);
        QCOMPARE(s.integrityCheck(), std::string("ok"));
        Database db((dir / ProjectStore::kDatabaseName).string(), false);
        auto v = db.prepare("PRAGMA user_version");
        v.step();
        QCOMPARE(v.int64(0), std::int64_t(ProjectStore::kSchemaVersion));
    }

    void migrationFromVersion5MovesLabelHistory()
    {
        // A version-5 project with two label changes in the old label-only audit log: they
        // are in the general log after the migration, and a deleted image keeps its history.
        const fs::path dir = tmp("p6v5");
        fs::create_directories(dir / "images");
        {
            Database db((dir / ProjectStore::kDatabaseName).string(), true);
            db.exec(schema::kVersion1);
            db.exec(schema::kMigrate1to2);
            db.exec(schema::kMigrate2to3);
            db.exec(schema::kMigrate3to4);
            db.exec(schema::kMigrate4to5);
            db.exec("INSERT INTO images (hash, ext, original_path, source, width, height, "
                    "captured_at, imported_at, grp) VALUES ('ef" + std::string(62, '0') +
                    "', '.png', '/x/a.png', 'import', 4, 3, 1, 2, '')");
            db.exec("INSERT INTO labels VALUES (1, 2, 'bob', 4)");
            db.exec("INSERT INTO audit_log (image_id, old_label, new_label, user, at) VALUES "
                    "(1, 0, 1, 'alice', 3), (1, 1, 2, 'bob', 4)");
        }
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.schemaVersion(), 6);
        const auto rows = s.audit();
        QCOMPARE(int(rows.size()), 2);
        QCOMPARE(rows[1].action, std::string("label"));
        QCOMPARE(rows[1].oldValue, std::string("ok"));
        QCOMPARE(rows[1].newValue, std::string("ng"));
        QCOMPARE(rows[1].user, std::string("bob"));
        QCOMPARE(rows[1].imageId.value_or(0), std::int64_t(1));
        QCOMPARE(s.auditLog(1).at(0).newLabel, Label::Ok);
        QCOMPARE(s.deleteImages({1}, false, "carol").deleted, 1);
        QCOMPARE(int(s.audit({std::nullopt, "", "", 1}).size()), 3);
        QCOMPARE(s.integrityCheck(), std::string("ok"));
    }

    void auditRecordsEveryChange()
    {
        const fs::path src = tmp("srcAu");
        for (int i = 0; i < 4; ++i) writeImage(src / ("a" + std::to_string(i) + ".png"), 40 + i);
        auto s = ProjectStore::create(tmp("pAu"));
        const auto ids = s.importPaths({src}).ids;
        s.setSplit({ids[0], ids[1]}, Split::Test, "eve");
        s.setSplit({ids[0]}, Split::Test, "eve"); // no change, no row
        s.assignSplit(0.5, 3, "eve");
        s.setTestSplitLocked(true, "eve");
        s.setMeta("active_model", "/m/a.kizumodel", "eve");
        s.setMeta("active_model", "/m/b.kizumodel", "eve");
        s.setMeta("baseline_params", "{\"scoreThreshold\":1.2}", "eve");
        s.setMeta("roi", "{}", "eve"); // not audited
        ModelRecord m;
        m.name = "first";
        m.file = "models/a.kizumodel";
        m.sha256 = std::string(64, 'a');
        m.arch = "squeezenet1_1";
        s.deleteModel(s.addModel(m), "eve");
        std::map<std::string, int> n;
        for (const auto& r : s.audit()) {
            ++n[r.action];
            QCOMPARE(r.user, std::string("eve"));
        }
        QCOMPARE(n["split"] >= 2, true);
        QCOMPARE(n["split-lock"], 1);
        QCOMPARE(n["model-activate"], 2);
        QCOMPARE(n["baseline"], 1);
        QCOMPARE(n["model-delete"], 1);
        QCOMPARE(int(n.size()), 5);
        AuditFilter f;
        f.action = "model-activate";
        const auto act = s.audit(f);
        QCOMPARE(act.at(1).oldValue, std::string("/m/a.kizumodel"));
        QCOMPARE(act.at(1).newValue, std::string("/m/b.kizumodel"));
        f = {};
        f.imageId = ids[0];
        QCOMPARE(s.audit(f).at(0).newValue, std::string("test"));
        f = {};
        f.user = "mallory";
        QVERIFY(s.audit(f).empty());
        f = {};
        f.since = s.audit().back().at + 1;
        QVERIFY(s.audit(f).empty());
    }

    void deleteImagesSemantics()
    {
        const fs::path src = tmp("srcDel");
        for (int i = 0; i < 3; ++i) writeImage(src / ("d" + std::to_string(i) + ".png"), 70 + i);
        auto s = ProjectStore::create(tmp("pDel"));
        const auto ids = s.importPaths({src}).ids;
        s.setLabel(ids[0], Label::Ng, "amy");
        InspectionRecord rec;
        rec.source = "test";
        rec.state = kizu::inspect::State::Ng;
        rec.imageId = ids[0];
        s.recordInspections({rec});
        const fs::path file0 = s.imagePath(*s.image(ids[0]));
        QVERIFY(fs::exists(file0));
        auto rep = s.deleteImages({ids[0]}, false, "amy");
        QCOMPARE(rep.deleted, 1);
        QCOMPARE(rep.filesRemoved, 1);
        QVERIFY(!fs::exists(file0));
        QVERIFY(!s.image(ids[0]));
        QCOMPARE(s.inspections(1).at(0).imageId.has_value(), false); // the result stays
        AuditFilter f;
        f.action = "delete";
        const auto del = s.audit(f);
        QCOMPARE(int(del.size()), 1);
        QVERIFY2(del[0].oldValue.find("d0.png") != std::string::npos, del[0].oldValue.c_str());
        QVERIFY(del[0].oldValue.find("ng") != std::string::npos);
        // An unknown id: nothing deleted.
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.deleteImages({ids[1], 9999}));
        QVERIFY(s.image(ids[1]));
        // The locked test split: refused unless forced.
        s.setSplit({ids[1]}, Split::Test);
        s.setTestSplitLocked(true);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.deleteImages({ids[1], ids[2]}));
        QVERIFY(s.image(ids[2]));
        QCOMPARE(s.deleteImages({ids[1], ids[2]}, true).deleted, 2);
        QCOMPARE(s.countImages(), std::int64_t(0));
        // Importing the same file again stores it anew.
        QCOMPARE(s.importPaths({src / "d0.png"}).imported, 1);
        QVERIFY(fs::exists(file0));
        QCOMPARE(s.integrityCheck(), std::string("ok"));
    }

    void engineerPin()
    {
        // RFC 7914 section 11 / common PBKDF2-HMAC-SHA256 vectors.
        QCOMPARE(pbkdf2Sha256Hex("password", "salt", 1),
                 std::string("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
        QCOMPARE(pbkdf2Sha256Hex("passwd", "salt", 1, 64).substr(0, 32),
                 std::string("55ac046e56e3089fec1691c22544b605"));
        const std::string h = hashPin("4711", 1000);
        QVERIFY(verifyPin("4711", h));
        QVERIFY(!verifyPin("4712", h));
        QVERIFY(!verifyPin("4711", "pbkdf2-sha256$x$00$00"));
        QVERIFY(hashPin("4711", 1000) != h); // salted
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, hashPin("12"));
        auto s = ProjectStore::create(tmp("pPin"));
        QVERIFY(!hasEngineerPin(s));
        QVERIFY(!checkEngineerPin(s, "4711"));
        setEngineerPin(s, "4711", "eng");
        QVERIFY(hasEngineerPin(s));
        QVERIFY(checkEngineerPin(s, "4711"));
        QVERIFY(!checkEngineerPin(s, "1147"));
        QVERIFY(s.meta(kEngineerPinKey)->find("4711") == std::string::npos);
        setEngineerPin(s, "9999", "eng");
        QVERIFY(!checkEngineerPin(s, "4711"));
        clearEngineerPin(s, "eng");
        QVERIFY(!hasEngineerPin(s));
        AuditFilter f;
        f.action = "pin";
        const auto rows = s.audit(f);
        QCOMPARE(int(rows.size()), 3);
        QCOMPARE(rows[1].oldValue, std::string("set"));
        QCOMPARE(rows[2].newValue, std::string("unset"));
    }

    void migrationFromVersion2KeepsImagesAndGroupsNewOnes()
    {
        // A version-2 project (before perceptual hashes): its images have no hash, open fine,
        // and a new import still groups its own near-duplicates.
        const fs::path dir = tmp("p6b");
        fs::create_directories(dir / "images");
        {
            Database db((dir / ProjectStore::kDatabaseName).string(), true);
            db.exec(schema::kVersion1);
            db.exec(schema::kMigrate1to2);
            db.exec("INSERT INTO images (hash, ext, original_path, source, width, height, "
                    "captured_at, imported_at, grp) VALUES ('cd" + std::string(62, '0') +
                    "', '.png', '/x/a.png', 'import', 4, 3, 1, 2, '')");
        }
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.schemaVersion(), ProjectStore::kSchemaVersion);
        QCOMPARE(s.image(1)->group, std::string());
        const fs::path src = tmp("src6b");
        writeMat(src / "a1.png", texture(61));
        writeMat(src / "a2.png", withNoise(texture(61), 4, 1));
        auto rep = s.importPaths({src});
        QCOMPARE(rep.imported, 2);
        QCOMPARE(rep.nearDuplicates, 1);
        QCOMPARE(s.findImage("a1.png").group, s.findImage("a2.png").group);
        QCOMPARE(s.image(1)->group, std::string()); // no hash: never grouped by guess
        QCOMPARE(s.integrityCheck(), std::string("ok"));
    }

    void migrationFromVersion4AddsTraceability()
    {
        // A version-4 project's results read as they were (no part id, camera time, threshold
        // or method); new rows keep all of them, and a filter finds them by part id and verdict.
        const fs::path dir = tmp("p6d");
        fs::create_directories(dir / "images");
        {
            Database db((dir / ProjectStore::kDatabaseName).string(), true);
            db.exec(schema::kVersion1);
            db.exec(schema::kMigrate1to2);
            db.exec(schema::kMigrate2to3);
            db.exec(schema::kMigrate3to4);
            db.exec("INSERT INTO inspection_results (at, source, verdict, score, model_sha, "
                    "latency_ms, frame) VALUES (1000, 'folder:old', 1, 0.9, 'sha', 4.5, 7)");
        }
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.schemaVersion(), ProjectStore::kSchemaVersion);
        auto old = s.inspections(10);
        QCOMPARE(int(old.size()), 1);
        QCOMPARE(old[0].frame, std::optional<std::int64_t>(7));
        QCOMPARE(old[0].partId, std::string());
        QVERIFY(!old[0].cameraTimestampNs);
        QCOMPARE(old[0].method, std::string());
        InspectionRecord r;
        r.at = 2000;
        r.source = "aravis:x";
        r.state = kizu::inspect::State::Ng;
        r.frame = 8;
        r.partId = "P-0042";
        r.cameraTimestampNs = 0xFFFFFFFFFFFFFFF0ull; // a camera's 64-bit clock keeps every bit
        r.cameraFrameId = 123456;
        r.threshold = 0.25;
        r.method = "baseline";
        s.recordInspections({r});
        kizu::project::InspectionFilter f;
        f.partId = "P-0042";
        f.state = kizu::inspect::State::Ng;
        auto now = s.inspections(f);
        QCOMPARE(int(now.size()), 1);
        QCOMPARE(now[0].cameraTimestampNs, std::optional<std::uint64_t>(0xFFFFFFFFFFFFFFF0ull));
        QCOMPARE(now[0].cameraFrameId, std::optional<std::uint64_t>(123456));
        QCOMPARE(now[0].threshold, 0.25);
        QCOMPARE(now[0].method, std::string("baseline"));
        f.partId.clear();
        f.since = 1500;
        QCOMPARE(int(s.inspections(f).size()), 1);
        f.since.reset();
        f.until = 1500;
        QCOMPARE(int(s.inspections(f).size()), 1); // the old row is NG too
        f.state = kizu::inspect::State::Ok;
        QCOMPARE(int(s.inspections(f).size()), 0);
    }

    void migrationFromVersion3KeepsInspectionResults()
    {
        // A version-3 project with inspection results from before frames and messages were
        // kept: the rows read as they were, and new rows carry frame, message and a drop.
        const fs::path dir = tmp("p6c");
        fs::create_directories(dir / "images");
        {
            Database db((dir / ProjectStore::kDatabaseName).string(), true);
            db.exec(schema::kVersion1);
            db.exec(schema::kMigrate1to2);
            db.exec(schema::kMigrate2to3);
            db.exec("INSERT INTO inspection_results (at, source, verdict, score, model_sha, "
                    "latency_ms) VALUES (1000, 'folder:old', 1, 0.9, 'sha', 4.5), "
                    "(2000, 'folder:old', 2, 0, 'sha', NULL)");
        }
        auto s = ProjectStore::open(dir);
        QCOMPARE(s.schemaVersion(), ProjectStore::kSchemaVersion);
        auto old = s.inspections(10);
        QCOMPARE(int(old.size()), 2);
        QCOMPARE(old[1].state, kizu::inspect::State::Ng);
        QCOMPARE(old[1].at, std::int64_t(1000));
        QCOMPARE(old[1].latencyMs, 4.5);
        QVERIFY(!old[1].frame);
        QCOMPARE(old[0].state, kizu::inspect::State::Fault);
        QCOMPARE(old[0].message, std::string());
        InspectionRecord drop;
        drop.at = 3000;
        drop.source = "aravis:x";
        drop.state = kizu::inspect::State::Dropped;
        drop.frame = 41;
        InspectionRecord fault;
        fault.at = 4000;
        fault.source = "aravis:x";
        fault.state = kizu::inspect::State::Fault;
        fault.message = "camera gone";
        s.recordInspections({drop, fault});
        auto now = s.inspections(2);
        QCOMPARE(now[1].state, kizu::inspect::State::Dropped);
        QCOMPARE(now[1].frame, std::optional<std::int64_t>(41));
        QCOMPARE(now[1].at, std::int64_t(3000));
        QCOMPARE(now[0].message, std::string("camera gone"));
        QVERIFY(!now[0].frame);
        QCOMPARE(s.inspectionCount(), std::int64_t(4));
        QCOMPARE(s.integrityCheck(), std::string("ok"));
    }

    void nearDuplicatesAreGroupedWithoutAPattern()
    {
        // One part photographed several ways (noise, brighter, half size, re-encoded as JPEG,
        // consecutive frames), and three different parts.
        const fs::path src = tmp("src_dup");
        const cv::Mat part = texture(1);
        writeMat(src / "part_a.png", part);
        writeMat(src / "part_a_noise.png", withNoise(part, 6, 2));
        cv::Mat brighter;
        part.convertTo(brighter, -1, 1.0, 20);
        writeMat(src / "part_a_bright.png", brighter);
        cv::Mat half;
        cv::resize(part, half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
        writeMat(src / "part_a_half.png", half);
        writeMat(src / "part_a_again.jpg", part);
        for (int f = 0; f < 4; ++f) // a fixed camera's consecutive frames: sensor noise only
            writeMat(src / ("frame_" + std::to_string(f) + ".png"), withNoise(texture(2), 3, 10 + f));
        for (int k = 3; k < 6; ++k) writeMat(src / ("other_" + std::to_string(k) + ".png"), texture(k));
        auto s = ProjectStore::create(tmp("p_dup"));
        auto rep = s.importPaths({src});
        QCOMPARE(rep.imported, 12);
        QCOMPARE(rep.skipped, 0);
        const std::string a = s.findImage("part_a.png").group;
        QVERIFY2(isNearDuplicateGroup(a), a.c_str());
        for (const char* n : {"part_a_noise.png", "part_a_bright.png", "part_a_half.png",
                              "part_a_again.jpg"})
            QCOMPARE(s.findImage(n).group, a);
        const std::string frames = s.findImage("frame_0.png").group;
        QVERIFY(isNearDuplicateGroup(frames));
        QVERIFY(frames != a);
        for (int f = 1; f < 4; ++f)
            QCOMPARE(s.findImage("frame_" + std::to_string(f) + ".png").group, frames);
        for (int k = 3; k < 6; ++k)
            QCOMPARE(s.findImage("other_" + std::to_string(k) + ".png").group, std::string());
        QCOMPARE(rep.nearDuplicates, 4 + 3);

        // The split keeps each near-duplicate group on one side and says how many it made.
        s.setLabels({s.findImage("other_3.png").id, s.findImage("frame_0.png").id}, Label::Ng);
        for (int seed = 1; seed <= 5; ++seed) {
            auto sr = s.assignSplit(0.4, std::uint64_t(seed));
            QCOMPARE(sr.nearDuplicateGroups, std::int64_t(2));
            QCOMPARE(sr.ungroupedImages, std::int64_t(3));
            QCOMPARE(sr.groups(), std::int64_t(5));
            QCOMPARE(sr.trainImages + sr.testImages, std::int64_t(12));
            for (const std::string& g : {a, frames}) {
                ImageFilter f;
                f.group = g;
                std::set<Split> sides;
                for (const auto& r : s.images(f)) sides.insert(r.split);
                QCOMPARE(int(sides.size()), 1);
            }
        }
    }

    void trainingValidationSharesNoGroupWithTheShots()
    {
        // Eight parts photographed three times each, imported without a group pattern: the
        // validation images of a training run must not be near-duplicates of its shots (a
        // second photo of a training part would flatter the validation curve).
        const fs::path src = tmp("src_val");
        for (int part = 0; part < 8; ++part)
            for (int shot = 0; shot < 3; ++shot)
                writeMat(src / ((part < 4 ? "ok" : "ng") + std::string("/part") +
                                std::to_string(part) + "_" + std::to_string(shot) + ".png"),
                         withNoise(texture(300 + part), 2.0 * shot, shot));
        const fs::path dir = tmp("p_val");
        {
            auto s = ProjectStore::create(dir);
            QCOMPARE(s.importPaths({src}).nearDuplicates, 16);
            s.labelFromFolders("test");
            std::vector<std::int64_t> all;
            for (const auto& r : s.images()) all.push_back(r.id);
            s.setSplit(all, Split::Train);
            QCOMPARE(int(s.groups().size()), 8);
        }
        for (std::uint64_t seed = 1; seed <= 4; ++seed) {
            kizu::learn::RunSpec spec;
            spec.shots = 2;
            spec.validationPerClass = 8;
            spec.config.seed = seed;
            const auto d = kizu::learn::prepareRunData(dir, spec);
            QCOMPARE(int(d.train.size()), 4);
            QVERIFY(!d.validation.empty());
            QCOMPARE(d.validationSource, std::string("held-out train images"));
            std::set<std::string> shotGroups;
            for (const auto& it : d.train) {
                QVERIFY(isNearDuplicateGroup(it.group));
                shotGroups.insert(it.group);
            }
            for (const auto& it : d.validation)
                QVERIFY2(!shotGroups.count(it.group), it.path.string().c_str());
        }
    }

    void explicitGroupWinsOverHashing()
    {
        const fs::path src = tmp("src_explicit");
        writeMat(src / "lot7_1.png", texture(21));
        writeMat(src / "lot8_1.png", withNoise(texture(21), 5, 3)); // looks the same, other lot
        writeMat(src / "x.png", withNoise(texture(21), 5, 4));       // no lot in the name
        auto s = ProjectStore::create(tmp("p_explicit"));
        ImportOptions opt;
        opt.groupRegex = "lot(\\d+)";
        auto rep = s.importPaths({src}, opt);
        QCOMPARE(rep.imported, 3);
        QCOMPARE(s.findImage("lot7_1.png").group, std::string("7"));
        QCOMPARE(s.findImage("lot8_1.png").group, std::string("8"));
        // The pattern does not match: the image joins its nearest near-duplicate's group.
        const std::string x = s.findImage("x.png").group;
        QVERIFY2(x == "7" || x == "8", x.c_str());
        QCOMPARE(rep.nearDuplicates, 1);
        // A fixed group is never replaced.
        const fs::path src2 = tmp("src_fixed");
        writeMat(src2 / "y.png", withNoise(texture(21), 5, 5));
        ImportOptions fixed;
        fixed.group = "batch-9";
        auto rep2 = s.importPaths({src2}, fixed);
        QCOMPARE(rep2.nearDuplicates, 0);
        QCOMPARE(s.findImage("y.png").group, std::string("batch-9"));
    }

    void reassigningASplitIsCounted()
    {
        const fs::path src = tmp("src_reassign");
        for (int k = 0; k < 12; ++k) writeMat(src / ("p" + std::to_string(k) + ".png"), texture(100 + k));
        auto s = ProjectStore::create(tmp("p_reassign"));
        s.importPaths({src});
        auto first = s.previewSplit(0.25, 1);
        QCOMPARE(first.changedImages, std::int64_t(0)); // nothing had a split
        QCOMPARE(s.stats().bySplit(Split::None), std::int64_t(12)); // a preview writes nothing
        s.assignSplit(0.25, 1);
        QCOMPARE(s.previewSplit(0.25, 1).changedImages, std::int64_t(0)); // same seed, same split
        std::int64_t moved = 0;
        for (int seed = 2; seed < 8 && moved == 0; ++seed) moved = s.previewSplit(0.25, seed).changedImages;
        QVERIFY(moved > 0);
        s.setTestSplitLocked(true); // locked: nothing already placed moves
        QCOMPARE(s.previewSplit(0.5, 3).changedImages, std::int64_t(0));
    }

    void foldersAndFilesThatAreNotImagesAreReported()
    {
        const fs::path src = tmp("src_notimg");
        writeMat(src / "ok" / "a.png", texture(31));
        fs::create_directories(src / "x.jpg"); // a folder named like an image
        fs::create_directories(src / "ng_polygons");
        kizu::writeFileAtomic(src / "ng_polygons" / "a.json", "{\"polygons\": []}");
        kizu::writeFileAtomic(src / "notes.txt", "shift 2");
        kizu::writeFileAtomic(src / ".DS_Store", "x");
        auto s = ProjectStore::create(tmp("p_notimg"));
        auto rep = s.importPaths({src});
        QCOMPARE(rep.imported, 1);
        std::map<std::string, std::string> why;
        for (auto& i : rep.issues) why[fs::path(i.path).filename().string()] = i.reason;
        QVERIFY2(why["a.json"].find("JSON") != std::string::npos, why["a.json"].c_str());
        QVERIFY2(why["notes.txt"].find(".txt") != std::string::npos, why["notes.txt"].c_str());
        QVERIFY(!why.count(".DS_Store"));
        QCOMPARE(rep.skipped, int(rep.issues.size()));
        // Named on the command line: a folder called x.jpg is said to be one.
        auto rep2 = s.importPaths({src / "x.jpg"});
        QCOMPARE(rep2.skipped, 1);
        QCOMPARE(rep2.issues.at(0).path, (src / "x.jpg").string());
        QVERIFY2(rep2.issues.at(0).reason.find("is a folder") != std::string::npos,
                 rep2.issues.at(0).reason.c_str());
        auto rep3 = s.importPaths({src / "ng_polygons" / "a.json"});
        QCOMPARE(rep3.skipped, 1);
        QCOMPARE(rep3.issues.at(0).path, (src / "ng_polygons" / "a.json").string());
    }

    void badInputsAreSkippedAndReported()
    {
        const fs::path src = tmp("src7");
        writeImage(src / "good.png", 7);
        writeImage(src / "good2.jpg", 8);
        // Truncated JPEG: the first half of a valid file.
        std::string jpg = kizu::readFile(src / "good2.jpg");
        kizu::writeFileAtomic(src / "truncated.jpg", jpg.substr(0, jpg.size() / 2));
        kizu::writeFileAtomic(src / "empty.png", "");
        kizu::writeFileAtomic(src / "text.png", "this is not an image at all");
        // A PNG header claiming 20000 x 20000 pixels: refused before decoding.
        std::string png = kizu::readFile(src / "good.png");
        std::string huge = png;
        const unsigned char dims[8] = {0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20};
        huge.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
        kizu::writeFileAtomic(src / "huge.png", huge);
        auto s = ProjectStore::create(tmp("p7"));
        auto rep = s.importPaths({src, src / "missing.png"});
        QCOMPARE(rep.imported, 2);
        QCOMPARE(rep.skipped, 5);
        std::map<std::string, std::string> why;
        for (auto& i : rep.issues) why[fs::path(i.path).filename().string()] = i.reason;
        QVERIFY(why["truncated.jpg"].find("truncated") != std::string::npos);
        QVERIFY(why["empty.png"].find("empty") != std::string::npos);
        QVERIFY(why["text.png"].find("not a supported image") != std::string::npos);
        QVERIFY2(why["huge.png"].find("above the limit") != std::string::npos, why["huge.png"].c_str());
        QVERIFY(why["missing.png"].find("does not exist") != std::string::npos);
        for (auto& i : rep.issues) QVERIFY2(!i.path.empty() && !i.reason.empty(), i.reason.c_str());
        QCOMPARE(s.countImages(), std::int64_t(2));
        // A lower limit refuses the good image too.
        ImportOptions small;
        small.maxPixels = 100;
        writeImage(src / "other.png", 9);
        auto rep2 = s.importPaths({src / "other.png"}, small);
        QCOMPARE(rep2.skipped, 1);
        QCOMPARE(s.countImages(), std::int64_t(2));
    }

    void notAProjectIsRefused()
    {
        const fs::path plain = tmp("plain");
        fs::create_directories(plain);
        QVERIFY_THROWS_EXCEPTION(kizu::StoreError, ProjectStore::open(plain));
        QVERIFY_THROWS_EXCEPTION(kizu::StoreError, ProjectStore::open(tmp("nonexistent")));
        // A file with the database's name that is not SQLite.
        const fs::path fake = tmp("fake");
        fs::create_directories(fake);
        kizu::writeFileAtomic(fake / ProjectStore::kDatabaseName, std::string(4096, 'x'));
        try {
            ProjectStore::open(fake);
            QFAIL("a garbage database was opened");
        } catch (const kizu::StoreError& e) {
            QVERIFY2(std::string(e.what()).find(fake.string()) != std::string::npos, e.what());
        }
        // A project written by a newer Kizu.
        const fs::path newer = tmp("newer");
        { ProjectStore::create(newer); }
        {
            Database db((newer / ProjectStore::kDatabaseName).string(), false);
            db.exec("PRAGMA user_version = 99");
        }
        try {
            ProjectStore::open(newer);
            QFAIL("a newer schema was opened");
        } catch (const kizu::StoreError& e) {
            QVERIFY2(std::string(e.what()).find("newer Kizu") != std::string::npos, e.what());
        }
    }

    void findImageAndLabels()
    {
        QCOMPARE(labelFromString("NG"), Label::Ng);
        QCOMPARE(labelFromString("ok"), Label::Ok);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, labelFromString("maybe"));
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, splitFromString("validation"));
        const fs::path src = tmp("src8");
        writeImage(src / "one.png", 11);
        writeImage(src / "a" / "dup.png", 12);
        writeImage(src / "b" / "dup.png", 13);
        auto s = ProjectStore::create(tmp("p8"));
        s.importPaths({src});
        auto one = s.findImage("one.png");
        QCOMPARE(s.findImage(one.hash.substr(0, 10)).id, one.id);
        QCOMPARE(s.findImage(std::to_string(one.id)).id, one.id);
        QCOMPARE(s.findImage((src / "one.png").string()).id, one.id);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.findImage("dup.png")); // ambiguous
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument, s.findImage("nothing.png"));
    }
};

QTEST_APPLESS_MAIN(TestProjectStore)
#include "test_project_store.moc"
