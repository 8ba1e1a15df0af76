// Retention of kept NG frames (core/inspect/retention.h): the size limit removes the oldest
// first and the verdict rows stay and say so; the age limit at the start; frames someone
// labeled or put into a split are never removed; the free-disk floor (set above the real free
// space) stops keeping frames while inspection goes on, with one notice per crossing.
// The same on a real tiny disk: tests/cli/test_cli_retention.cpp.
// kizu-test-timeout: 120
#include "common/test_classifiers.h"
#include "core/common/error.h"
#include "core/inspect/inspection_step.h"
#include "core/inspect/retention.h"
#include "core/project/project_store.h"

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <opencv2/core.hpp>
#include <set>

using namespace kizu;

namespace {
// A distinct bright (NG for the brightness method) frame: noise from its own seed.
camera::Frame ngFrame(std::int64_t sequence)
{
    camera::Frame f;
    f.image = cv::Mat(32, 32, CV_8UC3);
    cv::RNG rng(std::uint64_t(sequence) + 1);
    rng.fill(f.image, cv::RNG::UNIFORM, 150, 256);
    f.sequence = sequence;
    f.captured = std::chrono::steady_clock::now();
    return f;
}

camera::Frame okFrame(std::int64_t sequence)
{
    camera::Frame f;
    f.image = cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(20));
    f.sequence = sequence;
    f.captured = std::chrono::steady_clock::now();
    return f;
}

std::int64_t keptBytes(const project::ProjectStore& store)
{
    std::int64_t n = 0;
    for (const auto& f : store.removableFrames(inspect::kNgFrameSource))
        n += f.bytes;
    return n;
}
} // namespace

class TestRetention : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void policyIsStoredAndChecked()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("settings").toStdString());
        QVERIFY(inspect::loadRetentionPolicy(store) == inspect::RetentionPolicy{});
        inspect::RetentionPolicy p{14, 0.5, 0.25};
        inspect::saveRetentionPolicy(store, p);
        QVERIFY(inspect::loadRetentionPolicy(store) == p);
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 inspect::saveRetentionPolicy(store, {-1, 1, 1}));
        QVERIFY(inspect::loadRetentionPolicy(store) == p); // a refused policy changes nothing
    }

    void sizeLimitRemovesOldestFirstAndRowsStay()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("size").toStdString());
        // Room for about 8 frames (each one's PNG is of nearly the same size).
        const auto probe = inspect::keepFrame(store, ngFrame(1000), "probe");
        const auto frameBytes = std::filesystem::file_size(store.imagePath(*store.image(probe)));
        const double limit = 8.0 * double(frameBytes);
        inspect::saveRetentionPolicy(store, {0, limit / 1e9, 0});
        test::BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        opt.flushEvery = 5;
        std::vector<std::int64_t> saved;
        inspect::InspectionSummary sum;
        {
            inspect::InspectionStep step(cls, &store, opt, "test");
            for (int i = 0; i < 30; ++i) {
                const auto e = step.process(i % 3 == 2 ? okFrame(i) : ngFrame(i));
                if (e.savedImageId) saved.push_back(*e.savedImageId);
                QVERIFY(!e.frameNotKept);
                // The kept frames never exceed the limit, whatever is still pending.
                QVERIFY2(double(keptBytes(store)) <= limit, "over the size limit");
            }
            step.flush();
            sum = step.summary();
        }
        QCOMPARE(int(saved.size()), 20);
        const auto left = store.removableFrames(inspect::kNgFrameSource);
        QVERIFY(left.size() >= 7 && left.size() <= 8);
        QCOMPARE(sum.framesRemoved, std::int64_t(saved.size() - left.size()));
        // Oldest first: what is left are the last frames kept, in order.
        for (std::size_t k = 0; k < left.size(); ++k)
            QCOMPARE(left[k].id, saved[saved.size() - left.size() + k]);
        // Every verdict is still there; a removed frame's row says what happened to it.
        QCOMPARE(store.inspectionCount(), std::int64_t(30));
        std::set<std::int64_t> leftIds;
        for (const auto& f : left)
            leftIds.insert(f.id);
        int removedRows = 0;
        for (const auto& r : store.inspections(100)) {
            if (r.state != inspect::State::Ng) continue;
            if (r.imageId) {
                QVERIFY(leftIds.count(*r.imageId));
                QVERIFY(std::filesystem::exists(store.imagePath(*store.image(*r.imageId))));
            } else {
                ++removedRows;
                QVERIFY2(r.message.find("removed by retention at ") != std::string::npos &&
                             r.message.find("kept NG frames over") != std::string::npos,
                         r.message.c_str());
            }
        }
        QCOMPARE(removedRows, int(saved.size() - left.size()));
        // Each removal is in the audit log as a deletion by "retention".
        kizu::project::AuditFilter byRetention;
        byRetention.user = "retention";
        const auto audited = store.audit(byRetention);
        QCOMPARE(int(audited.size()), removedRows);
        for (const auto& a : audited)
            QVERIFY2(a.action == "delete" && a.imageId && !leftIds.count(*a.imageId) &&
                         a.oldValue.find("kept NG frame") != std::string::npos,
                     a.oldValue.c_str());
        // The probe (another source) is not the retention's to remove.
        QVERIFY(store.image(probe));
        // The files are gone too: only the probe and the frames left are in images/.
        int files = 0;
        for (const auto& e : std::filesystem::recursive_directory_iterator(store.dir() / "images"))
            files += e.is_regular_file();
        QCOMPARE(files, int(left.size()) + 1);
    }

    void ageLimitAtStartSparesTheDataset()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("age").toStdString());
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 5; ++i)
            ids.push_back(inspect::keepFrame(store, ngFrame(i), inspect::kNgFrameSource));
        const auto imported = inspect::keepFrame(store, ngFrame(99), "import");
        store.setLabel(ids[1], project::Label::Ng, "tester"); // labeled: in the dataset now
        store.setSplit({ids[2]}, project::Split::Train);      // in a split: in the dataset now
        store.setLabel(ids[3], project::Label::Ok, "tester"); // labeled, then taken back:
        store.setLabel(ids[3], project::Label::Unlabeled, "tester"); // its history stays
        project::InspectionRecord r;
        r.state = inspect::State::Ng;
        r.source = "test";
        r.imageId = ids[0];
        store.recordInspections({r});

        inspect::FrameRetention retention(store, {1, 0, 0}, inspect::kNgFrameSource);
        // Not yet a day old: nothing goes.
        QCOMPARE(retention.start().removed, std::int64_t(0));
        QCOMPARE(retention.usage().keptFrames, std::int64_t(2));
        // Two days later: the two that nobody touched go, the rest stays.
        const auto later = store.image(ids[0])->importedAt + 2 * 86'400'000LL;
        const auto rep = retention.start(later);
        QCOMPARE(rep.removed, std::int64_t(2));
        QCOMPARE(rep.keptFrames, std::int64_t(0));
        QVERIFY(!store.image(ids[0]) && !store.image(ids[4]));
        for (auto id : {ids[1], ids[2], ids[3], imported}) {
            QVERIFY(store.image(id));
            QVERIFY(std::filesystem::exists(store.imagePath(*store.image(id))));
        }
        const auto rows = store.inspections(10);
        QCOMPARE(int(rows.size()), 1);
        QVERIFY(!rows[0].imageId);
        QVERIFY2(rows[0].message.find("(older than 1 days)") != std::string::npos,
                 rows[0].message.c_str());
        QCOMPARE(store.integrityCheck(), std::string("ok"));
    }

    void floorAboveFreeSpaceKeepsInspecting()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("floor").toStdString());
        const auto free = inspect::freeDiskBytes(store.dir());
        QVERIFY(free.has_value());
        // A floor above the real free space: as on a full disk.
        inspect::saveRetentionPolicy(store, {30, 20, double(*free) / 1e9 + 1.0});
        test::BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        int notices = 0, notKept = 0;
        inspect::InspectionSummary sum;
        {
            inspect::InspectionStep step(cls, &store, opt, "test");
            for (int i = 0; i < 12; ++i) {
                const auto e = step.process(i % 4 == 3 ? okFrame(i) : ngFrame(i));
                QVERIFY(!e.savedImageId);
                notKept += e.frameNotKept;
                if (!e.storageNotice.empty()) {
                    ++notices;
                    QVERIFY2(e.storageNotice.find("under the floor") != std::string::npos,
                             e.storageNotice.c_str());
                }
            }
            QVERIFY(step.belowDiskFloor());
            step.flush();
            sum = step.summary();
        }
        QCOMPARE(notices, 1); // once per crossing, not per frame
        QCOMPARE(notKept, 9);
        QCOMPARE(sum.framesNotKept, std::int64_t(9));
        QCOMPARE(sum.frames, std::int64_t(12));
        QCOMPARE(store.countImages(), std::int64_t(0));
        QCOMPARE(store.inspectionCount(), std::int64_t(12)); // every verdict is recorded
        for (const auto& r : store.inspections(20))
            if (r.state == inspect::State::Ng)
                QCOMPARE(r.message,
                         std::string("frame not kept: free disk space under the retention floor"));

        // And back: a floor under the free space keeps frames again, with one notice.
        inspect::FrameRetention retention(store, {0, 0, double(*free) / 1e9 + 1.0},
                                          inspect::kNgFrameSource);
        QVERIFY(!retention.mayKeep(1000));
        QVERIFY(!retention.takeNotice().empty());
        QVERIFY(!retention.mayKeep(1000));
        QVERIFY(retention.takeNotice().empty());
        retention.setPolicy({0, 0, 0.000001});
        QVERIFY(retention.mayKeep(1000));
        const auto again = retention.takeNotice();
        QVERIFY2(again.find("kept again") != std::string::npos, again.c_str());
    }
};

QTEST_APPLESS_MAIN(TestRetention)
#include "test_retention.moc"
