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
