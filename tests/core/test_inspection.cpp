// Headless inspection: verdicts per frame into the project, NG frames kept, and a camera that
// disappears mid-run: FAULT (never OK) until it is back, then reconnect and go on.
// kizu-test-resource: gige
// kizu-test-timeout: 300
#include "common/fake_camera.h"
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/project/project_store.h"

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <opencv2/imgcodecs.hpp>

using namespace kizu;

namespace {
// The simplest real method: mean brightness against a threshold.
class BrightnessClassifier : public inspect::Classifier {
public:
    inspect::Verdict classify(const cv::Mat& bgr) override
    {
        double m = cv::mean(bgr)[0] / 255.0;
        return {m > 0.5, m, 0.5};
    }
    std::string id() const override { return "brightness-0.5"; }
    std::string name() const override { return "brightness"; }
};
} // namespace

class TestInspection : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void folderReplayIntoProject()
    {
        const QString dir = m_tmp.filePath("frames");
        QDir().mkpath(dir);
        for (int i = 0; i < 6; ++i)
            QVERIFY(cv::imwrite(QString("%1/f%2.png").arg(dir).arg(i).toStdString(),
                                cv::Mat(20, 20, CV_8UC3, cv::Scalar::all(i % 2 ? 200 + i : 30 + i))));
        auto store = project::ProjectStore::create(m_tmp.filePath("p").toStdString());
        auto src = camera::openSource("folder:" + dir.toStdString());
        BrightnessClassifier cls;
        std::vector<inspect::InspectionEvent> events;
        inspect::InspectionOptions opt;
        opt.flushEvery = 4;
        auto sum = inspect::runInspection(*src, cls, &store, opt,
                                          [&](const inspect::InspectionEvent& e) { events.push_back(e); });
        QCOMPARE(sum.frames, std::int64_t(6));
        QCOMPARE(sum.ng, std::int64_t(3));
        QCOMPARE(sum.ok, std::int64_t(3));
        QCOMPARE(sum.faults, std::int64_t(0));
        QCOMPARE(int(events.size()), 6);
        for (const auto& e : events) {
            QCOMPARE(e.state == inspect::State::Ng, e.frame % 2 == 1); // verdict belongs to its frame
            QVERIFY(e.latencyMs >= 0 && e.latencyMs < 1000);
        }
        QCOMPARE(store.inspectionCount(), std::int64_t(6));
        auto recs = store.inspections(10);
        QCOMPARE(recs.front().modelSha, std::string("brightness-0.5"));
        int saved = 0;
        for (auto& r : recs) saved += r.imageId.has_value();
        QCOMPARE(saved, 3); // NG frames kept
        project::ImageFilter f;
        f.source = "inspect";
        QCOMPARE(store.countImages(f), std::int64_t(3));
        // Kept frames form one session group and stay out of the splits.
        for (const auto& img : store.images(f)) {
            QVERIFY2(img.group.rfind("camera-", 0) == 0, img.group.c_str());
            QCOMPARE(img.group, store.images(f).front().group);
            QCOMPARE(img.split, project::Split::None);
        }
    }

    // Replaying photos that are already in the project adds no copy of them: the NG results
    // refer to the existing images, each to the very file its frame came from.
    void replayOfProjectImagesKeepsNoCopy()
    {
        // JPEG photos, as from a real camera: a frame re-encoded as PNG would never match them.
        const QString dir = m_tmp.filePath("known");
        QDir().mkpath(dir);
        for (int i = 0; i < 6; ++i)
            QVERIFY(
                cv::imwrite(QString("%1/f%2.jpg").arg(dir).arg(i).toStdString(),
                            cv::Mat(24, 24, CV_8UC3, cv::Scalar::all(i % 2 ? 210 - i : 40 + i))));
        auto store = project::ProjectStore::create(m_tmp.filePath("pk").toStdString());
        auto imported = store.importPaths({dir.toStdString()});
        QCOMPARE(imported.imported, 6);
        const auto before = store.countImages();
        auto src = camera::openSource("folder:" + dir.toStdString());
        BrightnessClassifier cls;
        std::vector<inspect::InspectionEvent> events;
        auto sum = inspect::runInspection(
            *src, cls, &store, {}, [&](const inspect::InspectionEvent& e) { events.push_back(e); });
        QCOMPARE(sum.ng, std::int64_t(3));
        QCOMPARE(store.countImages(), before); // no copies
        int kept = 0;
        for (const auto& e : events) {
            if (e.state != inspect::State::Ng) continue;
            QVERIFY(e.savedImageId);
            QVERIFY(std::count(imported.ids.begin(), imported.ids.end(), *e.savedImageId) == 1);
            const auto img = store.image(*e.savedImageId);
            QCOMPARE(img->fileName(), "f" + std::to_string(e.frame) + ".jpg");
            QCOMPARE(img->source, std::string("import")); // the existing image, untouched
            ++kept;
        }
        QCOMPARE(kept, 3);
        int rows = 0;
        for (const auto& r : store.inspections(100))
            if (r.imageId) {
                QVERIFY(std::count(imported.ids.begin(), imported.ids.end(), *r.imageId) == 1);
                ++rows;
            }
        QCOMPARE(rows, 3);
    }

    // A camera frame is kept once, as source camera in its session's group, with no split
    // (also when the test split is locked), and labeled when asked.
    void keepFrameFromCamera()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("pc").toStdString());
        store.setTestSplitLocked(true);
        camera::Frame frame;
        frame.image = cv::Mat(30, 40, CV_8UC3, cv::Scalar(10, 120, 230));
        const std::string group = inspect::sessionGroup();
        QVERIFY(group.rfind("camera-", 0) == 0);
        const auto id = inspect::keepFrame(store, frame, "camera", group, project::Label::Ok);
        auto img = store.image(id);
        QVERIFY(img);
        QCOMPARE(img->source, std::string("camera"));
        QCOMPARE(img->group, group);
        QCOMPARE(img->split, project::Split::None);
        QCOMPARE(img->label, project::Label::Ok);
        QCOMPARE(img->width, 40);
        // The same frame again, now as NG: the same image, relabeled (and audited).
        QCOMPARE(inspect::keepFrame(store, frame, "camera", group, project::Label::Ng), id);
        QCOMPARE(store.countImages(), std::int64_t(1));
        QCOMPARE(store.image(id)->label, project::Label::Ng);
        QCOMPARE(int(store.auditLog(id).size()), 2);
    }

    void cameraFaultReconnect()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        auto cam = std::make_unique<kizu::test::FakeGigECamera>();
        QVERIFY(cam->start());
        auto store = project::ProjectStore::create(m_tmp.filePath("p2").toStdString());
        auto src = camera::openSource("aravis:127.0.0.1");
        BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        opt.maxFrames = 25;
        opt.grabTimeoutMs = 300;
        opt.timeoutsBeforeFault = 2;
        opt.reconnectInitialMs = 100;
        opt.saveNgFrames = false;
        std::vector<inspect::InspectionEvent> events;
        bool killed = false, restarted = false;
        auto sum = inspect::runInspection(*src, cls, &store, opt, [&](const inspect::InspectionEvent& e) {
            events.push_back(e);
            if (!killed && events.size() == 8) {
                cam->stop(); // the camera goes away
                killed = true;
            } else if (killed && !restarted && e.state == inspect::State::Fault) {
                cam = std::make_unique<kizu::test::FakeGigECamera>();
                QVERIFY(cam->start()); // and comes back
                restarted = true;
            }
        });
        QVERIFY(killed && restarted);
        QCOMPARE(sum.frames, std::int64_t(25));
        QVERIFY(sum.faults >= 1);
        QVERIFY(sum.reconnects >= 1);
        // Between the first fault and the reconnect no verdict is OK: the run says FAULT.
        auto firstFault = std::find_if(events.begin(), events.end(),
                                       [](auto& e) { return e.state == inspect::State::Fault; });
        QVERIFY(firstFault != events.end());
        for (auto& e : events)
            if (e.state == inspect::State::Fault) QVERIFY(!e.message.empty());
        std::int64_t faultRows = 0;
        for (auto& r : store.inspections(1000)) faultRows += r.verdict == 2;
        QCOMPARE(faultRows, sum.faults);
        QCOMPARE(store.inspectionCount(), sum.frames + sum.faults);
    }
};

QTEST_APPLESS_MAIN(TestInspection)
#include "test_inspection.moc"
