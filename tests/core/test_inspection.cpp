// Headless inspection: verdicts per frame into the project, NG frames kept, and a camera that
// disappears mid-run: FAULT (never OK) until it is back, then reconnect and go on. The one
// inspection step under it: each record carries its frame's own time, a method that throws is a
// FAULT and inspection goes on, a dropped frame leaves a record.
// kizu-test-resource: gige
// kizu-test-timeout: 300
#include "common/fake_camera.h"
#include "common/test_classifiers.h"
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/inspect/inspection_step.h"
#include "core/learn/model.h"
#include "core/learn/model_classifier.h"
#include "core/project/project_store.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

using namespace kizu;

namespace {
using kizu::test::BrightnessClassifier;
using kizu::test::FailingClassifier;

// Brightness, remembering the size of every view it was given; `need` is its inputNeed (a
// network's input), or the view itself when empty (a method that uses every pixel).
class SizeRecorder : public BrightnessClassifier {
public:
    explicit SizeRecorder(cv::Size need = {}) : m_need(need) {}
    inspect::Verdict classify(const cv::Mat& bgr) override
    {
        seen.push_back(bgr.size());
        return BrightnessClassifier::classify(bgr);
    }
    cv::Size inputNeed(cv::Size view) const override { return m_need.empty() ? view : m_need; }
    std::vector<cv::Size> seen;

private:
    cv::Size m_need;
};

camera::Frame frameAt(std::int64_t sequence, int grey, std::chrono::milliseconds ago)
{
    camera::Frame f;
    f.image = cv::Mat(16, 16, CV_8UC3, cv::Scalar::all(grey));
    f.sequence = sequence;
    f.captured = std::chrono::steady_clock::now() - ago;
    return f;
}

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
} // namespace

class TestInspection : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    // Folder replay decodes JPEG frames no larger than the method needs (libjpeg's reduced
    // IDCT), never below it; full size for a method that uses every pixel, for a barcode part
    // id, and for formats that cannot reduce.
    void folderReplayDecodesAsSmallAsTheMethodAllows()
    {
        const QString dir = m_tmp.filePath("reduce");
        QDir().mkpath(dir);
        cv::Mat photo(480, 1200, CV_8UC3);
        cv::randu(photo, cv::Scalar::all(0), cv::Scalar::all(255));
        QVERIFY(cv::imwrite((dir + "/a.jpg").toStdString(), photo));
        auto replay = [&](inspect::Classifier& c, inspect::InspectionOptions opt = {}) {
            auto src = camera::openSource("folder:" + dir.toStdString());
            opt.saveNgFrames = false;
            inspect::runInspection(*src, c, nullptr, opt, {});
        };
        // 224 x 224: 1200 x 480 halves once (600 x 240), a second time would be 300 x 120.
        SizeRecorder net({224, 224});
        replay(net);
        QCOMPARE(net.seen.size(), std::size_t(1));
        QCOMPARE(net.seen[0], cv::Size(600, 240));
        // A 100 x 100 input: 1/4 (300 x 120); 1/8 would be 150 x 60.
        SizeRecorder small({100, 100});
        replay(small);
        QCOMPARE(small.seen[0], cv::Size(300, 120));
        // The region of interest is what must cover the input: its left half, 600 x 480, at
        // 1/2 is 300 x 240 (still >= 224), at 1/4 150 x 120.
        SizeRecorder roiNet({224, 224});
        inspect::InspectionOptions withRoi;
        withRoi.roi = imaging::Roi::rect(0, 0, 0.5, 1);
        replay(roiNet, withRoi);
        QCOMPARE(roiNet.seen[0], cv::Size(300, 240));
        QCOMPARE(inspect::decodeReduction(roiNet, imaging::Roi::rect(0, 0, 0.5, 1), {1200, 480}), 2);
        // Every pixel: full size.
        SizeRecorder everyPixel;
        replay(everyPixel);
        QCOMPARE(everyPixel.seen[0], cv::Size(1200, 480));
        // A barcode in the frame gives the part id: full size.
        SizeRecorder barcodeNet({224, 224});
        inspect::InspectionOptions barcode;
        barcode.barcodePartId = true;
        replay(barcodeNet, barcode);
        QCOMPARE(barcodeNet.seen[0], cv::Size(1200, 480));
        // PNG cannot decode smaller.
        QVERIFY(QFile::remove(dir + "/a.jpg"));
        QVERIFY(cv::imwrite((dir + "/b.png").toStdString(), photo));
        SizeRecorder pngNet({224, 224});
        replay(pngNet);
        QCOMPARE(pngNet.seen[0], cv::Size(1200, 480));
        // Nothing to judge: no reduction, and no crash.
        QCOMPARE(inspect::decodeReduction(net, {}, {0, 0}), 1);
        // The hook goes with the run: the source decodes in full afterwards.
        auto src = camera::openSource("folder:" + dir.toStdString());
        {
            SizeRecorder c({16, 16});
            inspect::InspectionOptions opt;
            opt.maxFrames = 1;
            inspect::runInspection(*src, c, nullptr, opt, {});
        }
        src->open();
        QCOMPARE(src->grab(1000)->image.size(), cv::Size(1200, 480));
    }

    // With the reduced decode, a folder replay of BSData photos scores each photo as
    // kizu-cli eval does (Model::predictFile decodes reduced the same way).
    void folderReplayScoresAsEval()
    {
        KIZU_REQUIRE_BSDATA(data);
        const QString dir = m_tmp.filePath("bsreplay");
        QDir().mkpath(dir);
        const auto rows = kizu::test::readCsv(data + "/manifest.csv");
        QStringList names;
        for (qsizetype i = 1; i < rows.size() && names.size() < 3; ++i) {
            const QString name = QFileInfo(rows[i][0]).fileName();
            QVERIFY(QFile::copy(data + "/" + rows[i][0], dir + "/" + name));
            names << name;
        }
        names.sort();
        learn::ModelInfo info;
        info.arch = "squeezenet1_1";
        info.inputSize = 224;
        const std::string file = m_tmp.filePath("replay.kizumodel").toStdString();
        learn::Model::create(info, "scratch", 3).save(file);
        learn::ModelClassifier cls(file);
        auto src = camera::openSource("folder:" + dir.toStdString());
        inspect::InspectionOptions opt;
        opt.saveNgFrames = false;
        std::vector<double> live;
        inspect::runInspection(*src, cls, nullptr, opt,
                               [&](const inspect::InspectionEvent& e) { live.push_back(e.verdict.score); });
        QCOMPARE(live.size(), std::size_t(names.size()));
        for (qsizetype i = 0; i < names.size(); ++i) {
            const double eval = cls.model().predictFile((dir + "/" + names[i]).toStdString());
            QVERIFY2(std::abs(live[std::size_t(i)] - eval) < 1e-6,
                     qPrintable(QString("%1: live %2, eval %3").arg(names[i]).arg(live[std::size_t(i)]).arg(eval)));
        }
    }

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
        opt.grabTimeoutMs = 800;
        opt.reconnectInitialMs = 100;
        opt.saveNgFrames = false;
        std::vector<inspect::InspectionEvent> events;
        bool killed = false, restarted = false;
        std::int64_t lastBefore = -1;
        QElapsedTimer sinceKill;
        qint64 faultAfterMs = -1;
        auto sum = inspect::runInspection(*src, cls, &store, opt, [&](const inspect::InspectionEvent& e) {
            events.push_back(e);
            if (!killed && events.size() == 8) {
                lastBefore = e.frame;
                cam->stop(); // the camera goes away
                sinceKill.start();
                killed = true;
            } else if (killed && !restarted && e.state == inspect::State::Fault) {
                faultAfterMs = sinceKill.elapsed();
                cam = std::make_unique<kizu::test::FakeGigECamera>();
                QVERIFY(cam->start()); // and comes back
                restarted = true;
            }
        });
        QVERIFY(killed && restarted);
        QCOMPARE(sum.frames, std::int64_t(25));
        QVERIFY(sum.faults >= 1);
        QVERIFY(sum.reconnects >= 1);
        // The FAULT comes within the configured time (the last frame came at most a frame
        // interval before the kill; 300 ms for a loaded machine), and says the time it measured.
        // A GigE camera is asked on its control channel once the stream is silent for 200 ms,
        // so a dead one is seen well before the timeout (docs/camera.md).
        qInfo("FAULT %lld ms after the camera died (timeout %d ms)", faultAfterMs, opt.grabTimeoutMs);
        QVERIFY2(faultAfterMs >= 0 && faultAfterMs <= opt.grabTimeoutMs + 300,
                 qPrintable(QString::number(faultAfterMs)));
        // Between the first fault and the reconnect no verdict is OK: the run says FAULT.
        auto firstFault = std::find_if(events.begin(), events.end(),
                                       [](auto& e) { return e.state == inspect::State::Fault; });
        QVERIFY(firstFault != events.end());
        {
            const std::string& msg = firstFault->message;
            const auto at = msg.find("no frame for ");
            QVERIFY2(at != std::string::npos, msg.c_str());
            const int said = std::atoi(msg.c_str() + at + 13);
            QVERIFY2(said >= 150 && said <= faultAfterMs + 100, msg.c_str());
            QVERIFY2(msg.find("control channel") != std::string::npos, msg.c_str());
        }
        auto reconnected =
            std::find_if(firstFault, events.end(), [](auto& e) { return e.reconnected; });
        QVERIFY2(reconnected != events.end(), "no frame came after the reconnect");
        QVERIFY(reconnected->state != inspect::State::Fault);
        // Frame numbers go on after a reconnect: each result's frame stays unique in the run.
        QVERIFY2(reconnected->frame > lastBefore, qPrintable(QString::number(reconnected->frame)));
        for (auto it = firstFault; it != reconnected; ++it)
            QVERIFY2(it->state == inspect::State::Fault,
                     qPrintable(QString("frame %1 was judged %2 while the camera was away")
                                    .arg(it->frame)
                                    .arg(inspect::stateName(it->state))));
        for (auto& e : events)
            if (e.state == inspect::State::Fault) QVERIFY(!e.message.empty());
        std::int64_t faultRows = 0;
        for (auto& r : store.inspections(1000)) {
            if (r.state != inspect::State::Fault) continue;
            ++faultRows;
            QVERIFY(!r.message.empty()); // the log says what happened
            QVERIFY(!r.frame);
        }
        QCOMPARE(faultRows, sum.faults);
        QCOMPARE(store.inspectionCount(), sum.frames + sum.faults);
    }

    // Packet loss: incomplete frames are never judged, inspection goes on without reconnects,
    // and a FAULT comes only when no complete frame arrives for the configured time. The fake
    // camera cannot resend packets, so a frame survives only when all of its packets do:
    // large packets (loopback carries 60 kB) keep that at (1-p)^7.
    void packetLossDoesNotStopInspection_data()
    {
        QTest::addColumn<int>("perThousand");
        QTest::addColumn<double>("minJudged"); // share of the frames that arrived
        QTest::newRow("50") << 50 << 0.5;      // expected 0.95^7 = 70 %
        QTest::newRow("200") << 200 << 0.05;   // expected 0.8^7 = 21 %
    }
    void packetLossDoesNotStopInspection()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        QFETCH(int, perThousand);
        QFETCH(double, minJudged);
        kizu::test::FakeGigECamera cam;
        QVERIFY(cam.start(perThousand));
        auto src = camera::openSource("aravis:127.0.0.1?packet-size=60000");
        BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        opt.grabTimeoutMs = 1500;
        opt.saveNgFrames = false;
        kizu::CancelToken cancel;
        QElapsedTimer t;
        t.start();
        std::vector<inspect::InspectionEvent> events;
        auto sum = inspect::runInspection(*src, cls, nullptr, opt,
                                          [&](const inspect::InspectionEvent& e) {
                                              events.push_back(e);
                                              if (t.elapsed() > 3000) cancel.cancel();
                                          },
                                          &cancel);
        const auto arrived = sum.frames + sum.source.incomplete;
        qInfo("%d per thousand: %lld of %lld frames complete and judged, %lld faults, %lld packets lost",
              perThousand, (long long)sum.frames, (long long)arrived, (long long)sum.faults,
              (long long)sum.source.lostPackets);
        QVERIFY(sum.source.incomplete > 0); // the loss is real
        QVERIFY2(sum.frames >= minJudged * double(arrived), "too few frames judged");
        QCOMPARE(sum.reconnects, std::int64_t(0)); // packet loss is no reason to reconnect
        for (const auto& e : events)
            if (e.state == inspect::State::Fault)
                QVERIFY2(e.message.find("no complete frame") != std::string::npos, e.message.c_str());
    }

    // A method that throws on one frame: that frame is a FAULT (counted, recorded with its
    // message), and the frames after it are judged as usual. The CLI runs exactly this.
    void classifierExceptionIsAFaultAndInspectionGoesOn()
    {
        const QString dir = m_tmp.filePath("throwing");
        QDir().mkpath(dir);
        for (int i = 0; i < 6; ++i)
            QVERIFY(cv::imwrite(QString("%1/f%2.png").arg(dir).arg(i).toStdString(),
                                cv::Mat(20, 20, CV_8UC3, cv::Scalar::all(i % 2 ? 220 : 30))));
        auto store = project::ProjectStore::create(m_tmp.filePath("pt").toStdString());
        auto src = camera::openSource("folder:" + dir.toStdString());
        FailingClassifier cls(3);
        std::vector<inspect::InspectionEvent> events;
        auto sum = inspect::runInspection(
            *src, cls, &store, {}, [&](const inspect::InspectionEvent& e) { events.push_back(e); });
        QCOMPARE(int(events.size()), 6);
        QCOMPARE(events[2].state, inspect::State::Fault);
        QCOMPARE(events[2].frame, std::int64_t(2));
        QVERIFY2(events[2].message.find("out of memory on the device") != std::string::npos,
                 events[2].message.c_str());
        QVERIFY(!events[2].savedImageId);
        for (int i : {0, 1, 3, 4, 5})
            QCOMPARE(events[i].state, i % 2 ? inspect::State::Ng : inspect::State::Ok);
        QCOMPARE(sum.faults, std::int64_t(1));
        QCOMPARE(sum.frames, std::int64_t(5));
        QCOMPARE(sum.ng + sum.ok, std::int64_t(5));
        QCOMPARE(store.inspectionCount(), std::int64_t(6));
        int faultRows = 0;
        for (const auto& r : store.inspections(10))
            if (r.state == inspect::State::Fault) {
                ++faultRows;
                QCOMPARE(r.frame, std::optional<std::int64_t>(2));
                QVERIFY(r.message.find("out of memory") != std::string::npos);
                QVERIFY(!r.imageId);
            }
        QCOMPARE(faultRows, 1);
        // maxFrames counts a frame the method failed on: a method that always fails still ends.
        auto src2 = camera::openSource("folder:" + dir.toStdString() + "?loop=1");
        FailingClassifier first(1);
        inspect::InspectionOptions opt;
        opt.maxFrames = 4;
        auto sum2 = inspect::runInspection(*src2, first, nullptr, opt, {});
        QCOMPARE(sum2.faults, std::int64_t(1));
        QCOMPARE(sum2.frames, std::int64_t(3));
    }

    // Every record carries its own time: a frame's capture time (not the time of the batch
    // write), a fault's time, a dropped frame's capture time; NG frames are kept as "inspect".
    void recordsCarryTheirOwnTime()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("ptime").toStdString());
        BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        opt.flushEvery = 100; // one batch write at the end
        opt.group = "camera-test";
        const std::int64_t before = nowMs();
        {
            inspect::InspectionStep step(cls, &store, opt, "fake:cam");
            using std::chrono::milliseconds;
            auto ok = step.process(frameAt(7, 30, milliseconds(4000)));
            QCOMPARE(ok.state, inspect::State::Ok);
            auto ng = step.process(frameAt(8, 220, milliseconds(3000)));
            QCOMPARE(ng.state, inspect::State::Ng);
            QVERIFY(ng.savedImageId);
            step.recordDrop(9, std::chrono::steady_clock::now() - milliseconds(2000));
            const auto fault = step.recordFault("camera gone", before - 1000);
            QCOMPARE(fault.state, inspect::State::Fault);
            const auto sum = step.summary();
            QCOMPARE(sum.frames, std::int64_t(2));
            QCOMPARE(sum.ok, std::int64_t(1));
            QCOMPARE(sum.ng, std::int64_t(1));
            QCOMPARE(sum.dropped, std::int64_t(1));
            QCOMPARE(sum.faults, std::int64_t(1));
            QVERIFY(sum.latencyP50Ms >= 3000 && sum.latencyP99Ms >= sum.latencyP50Ms);
        } // the step writes what is pending when it goes
        auto recs = store.inspections(10);
        QCOMPARE(int(recs.size()), 4);
        std::map<std::string, project::InspectionRecord> by;
        for (const auto& r : recs) {
            QCOMPARE(r.source, std::string("fake:cam"));
            QCOMPARE(r.modelSha, std::string("brightness-0.5"));
            by[inspect::stateName(r.state)] = r;
        }
        auto near = [](std::int64_t at, std::int64_t want) { return std::llabs(at - want) < 500; };
        QVERIFY2(near(by["OK"].at, before - 4000),
                 qPrintable(QString::number(before - by["OK"].at)));
        QVERIFY(near(by["NG"].at, before - 3000));
        QVERIFY(near(by["DROPPED"].at, before - 2000));
        QCOMPARE(by["FAULT"].at, before - 1000);
        QCOMPARE(by["OK"].frame, std::optional<std::int64_t>(7));
        QCOMPARE(by["NG"].frame, std::optional<std::int64_t>(8));
        QCOMPARE(by["DROPPED"].frame, std::optional<std::int64_t>(9));
        QVERIFY(!by["DROPPED"].imageId);
        QCOMPARE(by["DROPPED"].latencyMs, 0.0);
        QCOMPARE(by["FAULT"].message, std::string("camera gone"));
        QVERIFY(by["NG"].imageId);
        const auto kept = store.image(*by["NG"].imageId);
        QCOMPARE(kept->source, std::string(inspect::kNgFrameSource));
        QCOMPARE(kept->source, std::string("inspect"));
        QCOMPARE(kept->group, std::string("camera-test"));
    }

    // The latency statistics over a window of recent frames (the GUI's), or the whole run.
    void latencyWindow()
    {
        BrightnessClassifier cls;
        inspect::InspectionOptions opt;
        opt.latencyWindow = 2;
        inspect::InspectionStep step(cls, nullptr, opt, "x");
        using std::chrono::milliseconds;
        step.process(frameAt(0, 30, milliseconds(5000)));
        step.process(frameAt(1, 30, milliseconds(10)));
        step.process(frameAt(2, 30, milliseconds(10)));
        QVERIFY(step.summary().latencyP99Ms < 1000); // the slow first frame left the window
        QCOMPARE(step.summary().frames, std::int64_t(3));
        inspect::InspectionOptions all;
        inspect::InspectionStep whole(cls, nullptr, all, "x");
        whole.process(frameAt(0, 30, milliseconds(5000)));
        whole.process(frameAt(1, 30, milliseconds(10)));
        whole.process(frameAt(2, 30, milliseconds(10)));
        QVERIFY(whole.summary().latencyP99Ms >= 5000);
    }
};

QTEST_APPLESS_MAIN(TestInspection)
#include "test_inspection.moc"
