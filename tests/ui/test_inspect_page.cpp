// The Inspect page and its two-thread pipeline: verdicts belong to the frames they are shown
// with, frames dropped under load are counted, a vanished camera shows FAULT (never OK), and
// the frame on screen can be captured into the project. The page shows only the truth: a new
// source clears the old frame, Stop means IDLE, the second opinion follows its box at once,
// "Find cameras" says what it found; a replay of the project's own photos adds no copies; an
// untuned baseline is offered a one-click tune. The Camera group (docs/camera.md) is applied at
// Start, locked while running, kept as the project's station profile and shown again. With
// KIZU_SCREENSHOT_DIR set (under xvfb-run, QT_QPA_PLATFORM=xcb) it saves inspect_page.png and
// inspect_camera_control.png.
// kizu-test-resource: gige
// kizu-test-timeout: 300
#include "common/fake_camera.h"
#include "common/test_classifiers.h"
#include "common/test_support.h"
#include "core/common/error.h"
#include "core/inspect/station_profile.h"
#include "core/project/project_store.h"
#include "ui/baseline_tune_offer.h"
#include "ui/camera_group.h"
#include "ui/inspect_page.h"
#include "ui/main_window.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <stdexcept>
#include <thread>

using namespace kizu;

namespace {
using kizu::test::BrightnessClassifier;
using kizu::test::FailingClassifier;

QString makeFrames(const QString& dir, int n, const QString& ext = "png")
{
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i)
        cv::imwrite(QString("%1/f%2.%3").arg(dir).arg(i, 3, 10, QChar('0')).arg(ext).toStdString(),
                    cv::Mat(40, 60, CV_8UC3, cv::Scalar::all(i % 3 == 0 ? 220 - i : 20 + i)));
    return dir;
}
// Brightness, but the n-th call (from 1) throws, as a model may on a bad frame.
// Labeled noise pictures for a tune: NG ones carry a dark scratch.
void makeLabeledProject(project::ProjectStore& store, const QString& dir)
{
    QDir().mkpath(dir);
    cv::RNG rng(3);
    std::vector<std::filesystem::path> files;
    for (int i = 0; i < 12; ++i) {
        cv::Mat img(96, 128, CV_8UC3);
        rng.fill(img, cv::RNG::UNIFORM, 120, 150);
        if (i % 2) cv::line(img, {20, 30 + i}, {100, 50 + i}, cv::Scalar::all(30), 3);
        const QString f = QString("%1/%2%3.png").arg(dir, i % 2 ? "ng" : "ok").arg(i);
        QVERIFY(cv::imwrite(f.toStdString(), img));
        files.push_back(f.toStdString());
    }
    auto rep = store.importPaths(files);
    for (std::size_t i = 0; i < rep.ids.size(); ++i)
        store.setLabel(rep.ids[i], i % 2 ? project::Label::Ng : project::Label::Ok);
    store.setSplit(rep.ids, project::Split::Train);
}

// Frames dropped so far, from the pipeline's latest statistics.
qint64 lastDropped(const QSignalSpy& stats)
{
    return stats.isEmpty() ? 0 : stats.last().at(0).value<ui::InspectStats>().dropped;
}
} // namespace

class TestInspectPage : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void overlayNamedAfterTheMethod()
    {
        // A defect-map model's overlay is its defect map; other methods keep "Heatmap".
        ui::InspectPage page;
        auto factory = [] { return std::make_unique<BrightnessClassifier>(); };
        page.addMethod("map model", factory, true);
        page.addMethod("classifier", factory, false);
        QCOMPARE(page.overlayText(), QStringLiteral("Defect map overlay (H)"));
        auto* method = page.findChild<QComboBox*>(QStringLiteral("inspectMethod"));
        QVERIFY(method);
        method->setCurrentIndex(1);
        QCOMPARE(page.overlayText(), QStringLiteral("Heatmap overlay (H)"));
        method->setCurrentIndex(0);
        QCOMPARE(page.overlayText(), QStringLiteral("Defect map overlay (H)"));
        page.clearMethods();
        page.addMethod("classifier", factory);
        QCOMPARE(page.overlayText(), QStringLiteral("Heatmap overlay (H)"));
    }

    void activeDefectMapModelNamesTheOverlay()
    {
        // The main window offers the project's active model; its record's training config says
        // it is a defect map, and the overlay box is named after it (no file is loaded here).
        const QString dir = m_tmp.filePath(QStringLiteral("pmap"));
        {
            auto store = project::ProjectStore::create(dir.toStdString());
            project::ModelRecord r;
            r.name = "map";
            r.file =
                (std::filesystem::path(dir.toStdString()) / "models" / "map.kizumodel").string();
            r.arch = "squeezenet1_1";
            r.config = R"({"head":"defect_map","keep_aspect":true,"input_size":320})";
            const auto id = store.addModel(r);
            store.setMeta("active_model", store.modelPath(*store.model(id)).string());
        }
        ui::MainWindow w;
        QVERIFY(w.openProject(dir));
        QVERIFY(w.showPage(QStringLiteral("inspect")));
        QCOMPARE(w.inspectPage()->overlayText(), QStringLiteral("Defect map overlay (H)"));
    }

    void verdictsBelongToTheirFrames()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p1").toStdString());
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); }, "brightness");
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("f1"), 12) + "?fps=50");
        page.resize(1200, 700);
        page.show();
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        QSignalSpy stats(page.pipeline(), &ui::InspectPipeline::statsChanged);
        page.startInspection();
        QVERIFY(stopped.wait(60000));
        // On a slow machine (or under ThreadSanitizer) inference may fall behind the 50 fps
        // source: then frames are dropped, and counted. None vanishes.
        QVERIFY(results.count() >= 1);
        QTRY_COMPARE(results.count() + lastDropped(stats), qint64(12));
        for (const auto& args : results) {
            auto r = args.at(0).value<ui::InspectResult>();
            // The verdict was computed on exactly the frame it travels with.
            const bool bright = QColor(r.frame.pixel(5, 5)).red() > 127;
            QCOMPARE(r.state == inspect::State::Ng, bright);
            QCOMPARE(r.sequence % 3 == 0, bright);
        }
        QCOMPARE(page.verdictText(), QString("IDLE"));
        // One row per frame: its verdict, or that it was dropped.
        QCOMPARE(store.inspectionCount(), std::int64_t(12));
        // Each row has its frame's own capture time, not the time of the batch write (all 12
        // rows went in one batch): 12 frames at 50 fps span about 220 ms.
        auto recs = store.inspections(100);
        std::sort(recs.begin(), recs.end(), [](auto& a, auto& b) { return *a.frame < *b.frame; });
        for (std::size_t i = 0; i < recs.size(); ++i) {
            QCOMPARE(recs[i].frame, std::optional<std::int64_t>(std::int64_t(i)));
            if (i) QVERIFY(recs[i].at >= recs[i - 1].at);
        }
        QVERIFY2(recs.back().at - recs.front().at >= 120,
                 qPrintable(QString::number(recs.back().at - recs.front().at)));
        // The last frame on screen goes into the dataset as NG.
        QSignalSpy captured(&page, &ui::InspectPage::imageCaptured);
        QVERIFY(page.captureCurrent(project::Label::Ng));
        QCOMPARE(captured.count(), 1);
        auto img = store.image(captured.at(0).at(0).toLongLong());
        QVERIFY(img);
        QCOMPARE(img->label, project::Label::Ng);
        QCOMPARE(img->source, std::string("camera"));
        QCOMPARE(QString::fromStdString(img->group), page.sessionGroup());
        QVERIFY(page.sessionGroup().startsWith("camera-"));
        QCOMPARE(img->split, project::Split::None);
    }

    // Replaying photos that are in the project already stores no new image: NG results point
    // at the existing images, and a capture refers to the existing one too.
    void replayOfProjectPhotosAddsNoImage()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p4").toStdString());
        // JPEG, as from a real camera: a frame re-encoded as PNG would never match these.
        const QString frames = makeFrames(m_tmp.filePath("f4"), 9, "jpg");
        auto imported = store.importPaths({frames.toStdString()});
        QCOMPARE(imported.imported, 9);
        const auto before = store.countImages();
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("folder:" + frames + "?fps=30");
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        page.startInspection();
        QVERIFY(stopped.wait(60000));
        QCOMPARE(store.countImages(), before);
        int ngKept = 0;
        for (const auto& args : results) {
            const auto r = args.at(0).value<ui::InspectResult>();
            if (r.state != inspect::State::Ng) continue;
            QVERIFY(std::count(imported.ids.begin(), imported.ids.end(), r.imageId) == 1);
            // The very photo the frame came from.
            QCOMPARE(store.image(r.imageId)->fileName(),
                     QString("f%1.jpg").arg(r.sequence, 3, 10, QChar('0')).toStdString());
            ++ngKept;
        }
        QVERIFY(ngKept >= 1);
        for (const auto& rec : store.inspections(100))
            if (rec.imageId)
                QVERIFY(std::count(imported.ids.begin(), imported.ids.end(), *rec.imageId) == 1);
        QSignalSpy captured(&page, &ui::InspectPage::imageCaptured);
        QVERIFY(page.captureCurrent(project::Label::Ok));
        QVERIFY(std::count(imported.ids.begin(), imported.ids.end(),
                           captured.at(0).at(0).toLongLong()) == 1);
        QCOMPARE(store.countImages(), before);
    }

    // NG frames kept during a run reach the status bar's counts without any other action.
    void statusBarCountsFollowKeptFrames()
    {
        const QString dir = m_tmp.filePath("p12");
        project::ProjectStore::create(dir.toStdString());
        ui::MainWindow w;
        QVERIFY(w.openProject(dir));
        QLabel* counts = nullptr;
        for (auto* l : w.statusBar()->findChildren<QLabel*>())
            if (l->text().contains(" images")) counts = l;
        QVERIFY(counts);
        QVERIFY2(counts->text().contains("|  0 images"), qPrintable(counts->text()));
        auto* page = w.inspectPage();
        page->setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                   "brightness");
        page->setSourceUri("folder:" + makeFrames(m_tmp.filePath("f12"), 9, "jpg") + "?fps=30");
        QSignalSpy stopped(page->pipeline(), &ui::InspectPipeline::stopped);
        page->startInspection();
        QVERIFY(stopped.wait(60000));
        const auto n = w.store()->countImages();
        QVERIFY(n >= 1);
        QVERIFY2(counts->text().contains(QString("|  %1 images").arg(n)),
                 qPrintable(counts->text()));
    }

    // Frames from a camera go in as source camera, one group per session, no split.
    void cameraCaptureHasSessionGroupAndNoSplit()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY(cam.start());
        auto store = project::ProjectStore::create(m_tmp.filePath("p5").toStdString());
        store.setTestSplitLocked(true);
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("aravis:127.0.0.1");
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 2, 60000);
        QVERIFY(page.captureCurrent(project::Label::Unlabeled));
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 6, 60000);
        QVERIFY(page.captureCurrent(project::Label::Ng));
        const QString first = page.sessionGroup();
        page.stopInspection();
        project::ImageFilter f;
        f.source = "camera";
        auto images = store.images(f);
        QVERIFY(images.size() >= 1); // two frames of a still fake scene may be equal
        for (const auto& img : images) {
            QCOMPARE(QString::fromStdString(img.group), first);
            QCOMPARE(img.split, project::Split::None);
        }
        QVERIFY(first.startsWith("camera-"));
        // The next session is another group (the name has the start time to the second).
        QTest::qWait(1100);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 8, 60000);
        QVERIFY(page.sessionGroup() != first);
        page.stopInspection();
    }

    // Starting (or typing) a new source clears the old frame, its border and heatmap.
    void newSourceClearsTheView()
    {
        ui::InspectPage page;
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setHeatmapShown(true);
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("f6"), 4) + "?fps=50");
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        page.startInspection();
        QVERIFY(stopped.wait(60000));
        QTRY_VERIFY(!page.shownFrame().isNull());
        QVERIFY(page.heatmapOnScreen());
        QVERIFY(page.shownBorder().has_value());
        page.startInspection(); // the same source again: nothing old is left until a new frame
        QVERIFY(page.shownFrame().isNull());
        QVERIFY(!page.heatmapOnScreen());
        QVERIFY(!page.shownBorder());
        QVERIFY(stopped.wait(60000));
        QTRY_VERIFY(!page.shownFrame().isNull());
        page.setSourceUri("folder:" + m_tmp.filePath("elsewhere"));
        QVERIFY(page.shownFrame().isNull());
        QVERIFY(!page.shownBorder());
    }

    // A method that throws on one frame: that frame is a FAULT on screen, in the counts and in
    // the log (as in the CLI), and inspection goes on with the next frame.
    void classifierExceptionIsAFaultAndInspectionGoesOn()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p13").toStdString());
        ui::InspectPipeline pipeline;
        QSignalSpy results(&pipeline, &ui::InspectPipeline::resultReady);
        QSignalSpy stats(&pipeline, &ui::InspectPipeline::statsChanged);
        QSignalSpy stopped(&pipeline, &ui::InspectPipeline::stopped);
        pipeline.start(
            camera::openSource(
                ("folder:" + makeFrames(m_tmp.filePath("f13"), 8) + "?fps=20").toStdString()),
            std::make_unique<FailingClassifier>(3), QString::fromStdString(store.dir().string()),
            {}, 100);
        QVERIFY(stopped.wait(60000));
        QCOMPARE(results.count(), 8); // a queue of 100: nothing dropped
        int faults = 0, afterFault = 0;
        qint64 faultFrame = -1;
        for (const auto& args : results) {
            const auto r = args.at(0).value<ui::InspectResult>();
            if (r.state == inspect::State::Fault) {
                ++faults;
                faultFrame = r.sequence;
                QVERIFY(r.message.contains("out of memory on the device"));
            } else if (faults) {
                ++afterFault;
            }
        }
        QCOMPARE(faults, 1);
        QCOMPARE(faultFrame, qint64(2));
        QCOMPARE(afterFault, 5);
        QTRY_COMPARE(stats.last().at(0).value<ui::InspectStats>().faults, qint64(1));
        const auto st = stats.last().at(0).value<ui::InspectStats>();
        QCOMPARE(st.ok + st.ng, qint64(7));
        int faultRows = 0;
        for (const auto& r : store.inspections(100))
            if (r.state == inspect::State::Fault) {
                ++faultRows;
                QCOMPARE(r.frame, std::optional<std::int64_t>(2));
                QVERIFY(r.message.find("out of memory") != std::string::npos);
            }
        QCOMPARE(faultRows, 1);
        QCOMPARE(store.inspectionCount(), std::int64_t(8));
    }

    // Frames dropped because inference fell behind each leave a record with their sequence and
    // capture time, so the log accounts for every frame of the source.
    void droppedFramesLeaveARecord()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p14").toStdString());
        ui::InspectPipeline pipeline;
        QSignalSpy results(&pipeline, &ui::InspectPipeline::resultReady);
        QSignalSpy stats(&pipeline, &ui::InspectPipeline::statsChanged);
        QSignalSpy stopped(&pipeline, &ui::InspectPipeline::stopped);
        inspect::InspectionOptions opt;
        opt.saveNgFrames = false;
        pipeline.start(
            camera::openSource(
                ("folder:" + makeFrames(m_tmp.filePath("f14"), 20) + "?fps=200").toStdString()),
            std::make_unique<BrightnessClassifier>(60),
            QString::fromStdString(store.dir().string()), opt, 1);
        QVERIFY(stopped.wait(60000));
        const qint64 dropped = lastDropped(stats);
        QVERIFY2(dropped >= 5, qPrintable(QString::number(dropped))); // 60 ms a frame, 5 ms apart
        QCOMPARE(results.count() + dropped, qint64(20));
        QCOMPARE(store.inspectionCount(), std::int64_t(20));
        std::set<std::int64_t> seen;
        qint64 droppedRows = 0;
        for (const auto& r : store.inspections(100)) {
            QVERIFY(r.frame);
            seen.insert(*r.frame);
            if (r.state == inspect::State::Dropped) {
                ++droppedRows;
                QVERIFY(r.at > 0);
                QVERIFY(!r.imageId);
            }
        }
        QCOMPARE(droppedRows, dropped);
        QCOMPARE(int(seen.size()), 20); // every frame once, judged or dropped
    }

    // Stop returns the banner to IDLE, also from FAULT, and nothing queued overwrites it.
    void stopGivesIdle()
    {
        ui::InspectPage page;
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("f7"), 6) + "?fps=100&loop=1");
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 5, 30000);
        QVERIFY(page.verdictText() == "OK" || page.verdictText() == "NG");
        page.stopInspection();
        QCOMPARE(page.verdictText(), QString("IDLE"));
        QTest::qWait(300); // results queued before the stop must not come back on screen
        QCOMPARE(page.verdictText(), QString("IDLE"));
        QVERIFY(!page.pipeline()->isRunning());

        page.setSourceUri("folder:" + m_tmp.filePath("no-such-folder"));
        QSignalSpy faults(page.pipeline(), &ui::InspectPipeline::faultRaised);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(page.verdictText() == "FAULT", 30000);
        page.stopInspection();
        QCOMPARE(page.verdictText(), QString("IDLE"));
        QTest::qWait(200);
        QCOMPARE(page.verdictText(), QString("IDLE"));
    }

    // "Also show the baseline" takes effect during a run, from the next frame on.
    void secondOpinionToggleTakesEffectAtOnce()
    {
        ui::InspectPage page;
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSecondFactory([] { return std::make_unique<BrightnessClassifier>(); },
                              "the baseline");
        page.setSecondEnabled(false);
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("f8"), 6) + "?fps=60&loop=1");
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 3, 30000);
        for (const auto& args : results)
            QVERIFY(!args.at(0).value<ui::InspectResult>().secondState);
        QVERIFY(page.secondCheckBox()->isEnabled());
        page.secondCheckBox()->setChecked(true);
        auto secondSeen = [&] {
            return results.last().at(0).value<ui::InspectResult>().secondState.has_value();
        };
        QTRY_VERIFY_WITH_TIMEOUT(secondSeen(), 5000);
        page.secondCheckBox()->setChecked(false);
        QTRY_VERIFY_WITH_TIMEOUT(!secondSeen(), 5000);
        page.stopInspection();

        // A second method that cannot be made: the box is disabled for the run, saying why.
        page.setSecondFactory(
            []() -> std::unique_ptr<inspect::Classifier> {
                throw kizu::InvalidArgument("baseline parameters are damaged");
            },
            "the baseline");
        page.startInspection();
        QVERIFY(page.pipeline()->isRunning());
        QVERIFY(!page.secondCheckBox()->isEnabled());
        QVERIFY(page.secondCheckBox()->toolTip().contains("damaged"));
        page.stopInspection();
        QVERIFY(page.secondCheckBox()->isEnabled());
    }

    // "Find cameras" says what it found and lists no device that does not exist.
    void findCamerasSaysWhatItFound()
    {
        ui::InspectPage page;
        QVERIFY(!page.findChild<QComboBox*>()->lineEdit()->placeholderText().isEmpty());
        QVERIFY(page.findChild<QComboBox*>()->lineEdit()->placeholderText().contains("folder:"));
        QSignalSpy searched(&page, &ui::InspectPage::camerasSearched);
        page.refreshCameras();
        QVERIFY(searched.wait(30000));
        auto* box = page.findChild<QComboBox*>();
        for (int i = 0; i < box->count(); ++i) {
            const QString t = box->itemText(i);
            if (t.startsWith("v4l2:"))
                QVERIFY2(QFile::exists("/dev/video" + t.mid(5)), qPrintable(t + " does not exist"));
        }
        if (!QFile::exists("/dev/video0")) QVERIFY(box->findText("v4l2:0") < 0);
        QVERIFY(!page.cameraSearchText().isEmpty());
        if (box->count() == 0) QVERIFY(page.cameraSearchText().startsWith("No camera found"));

        if (!kizu::test::FakeGigECamera::available()) return;
        kizu::test::FakeGigECamera cam;
        QVERIFY(cam.start());
        bool found = false;
        for (int attempt = 0; attempt < 5 && !found; ++attempt) { // discovery may miss once
            page.refreshCameras();
            QVERIFY(searched.wait(30000));
            found = page.cameraSearchText().startsWith("Found") &&
                    box->findText("aravis:", Qt::MatchStartsWith) >= 0;
        }
        QVERIFY2(found, qPrintable(page.cameraSearchText()));
        QVERIFY(page.cameraSearchText().contains("aravis:"));
    }

    // A project without tuned baseline parameters is offered a tune; after it, the offer goes.
    void tuneOfferUntilTuned()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p9").toStdString());
        ui::InspectPage page;
        page.setProject(&store);
        auto* offer = page.tuneOffer();
        QVERIFY(offer->isOffered());
        offer->setTrials(1);
        // Without labeled train images it says what is missing and stays.
        QSignalSpy finished(offer, &ui::BaselineTuneOffer::tuneFinished);
        offer->startTune();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY(offer->statusText().contains("train split"));
        QVERIFY(offer->isOffered());

        makeLabeledProject(store, m_tmp.filePath("labeled9"));
        QSignalSpy progress(offer, &ui::BaselineTuneOffer::tuneProgress);
        offer->tuneButton()->click();
        QVERIFY(offer->isTuning());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.last().at(0).toBool(), true);
        QVERIFY(progress.count() >= 1);
        QVERIFY(!offer->isOffered());
        QVERIFY(ui::BaselineTuneOffer::hasTunedParams(store));
        // Another page (or a later start) on the same project offers nothing.
        ui::InspectPage again;
        again.setProject(&store);
        QVERIFY(!again.tuneOffer()->isOffered());
    }

    void cancelledTuneStoresNothing()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p10").toStdString());
        makeLabeledProject(store, m_tmp.filePath("labeled10"));
        ui::InspectPage page;
        page.setProject(&store);
        auto* offer = page.tuneOffer();
        offer->setTrials(200);
        QSignalSpy finished(offer, &ui::BaselineTuneOffer::tuneFinished);
        offer->startTune();
        offer->cancelTune();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        QVERIFY(offer->isOffered());
        QVERIFY(!ui::BaselineTuneOffer::hasTunedParams(store));
        QVERIFY(offer->tuneButton()->isEnabled());
    }

    // The one-click tune as a user runs it, on BSData's train split (627 photos), timed.
    // Opt-in (KIZU_MEASURE_TUNE=1): it takes tens of seconds.
    void tuneTimeOnBsdata()
    {
        if (qEnvironmentVariableIsEmpty("KIZU_MEASURE_TUNE"))
            QSKIP("set KIZU_MEASURE_TUNE=1 to time the one-click tune on BSData");
        KIZU_REQUIRE_BSDATA(bs);
        auto store = project::ProjectStore::create(m_tmp.filePath("pbs").toStdString());
        QFile manifest(bs + "/manifest.csv");
        QVERIFY(manifest.open(QIODevice::ReadOnly));
        manifest.readLine();
        std::vector<std::filesystem::path> ok, ng;
        while (!manifest.atEnd()) {
            const auto cells = QString::fromUtf8(manifest.readLine()).trimmed().split(u',');
            if (cells.size() < 4 || cells[3] != "train") continue;
            (cells[1] == "ng" ? ng : ok).push_back((bs + "/" + cells[0]).toStdString());
        }
        for (auto* files : {&ok, &ng}) {
            auto rep = store.importPaths(*files);
            store.setLabels(rep.ids, files == &ng ? project::Label::Ng : project::Label::Ok);
            store.setSplit(rep.ids, project::Split::Train);
        }
        ui::InspectPage page;
        page.setProject(&store);
        auto* offer = page.tuneOffer();
        QSignalSpy finished(offer, &ui::BaselineTuneOffer::tuneFinished);
        QElapsedTimer clock;
        clock.start();
        offer->startTune();
        QVERIFY(finished.wait(180000));
        const double secs = clock.elapsed() / 1000.0;
        QVERIFY2(finished.first().first().toBool(), qPrintable(offer->statusText()));
        qInfo("one-click tune on %zu train photos: %.1f s wall; %s", ok.size() + ng.size(), secs,
              qPrintable(offer->statusText()));
        QVERIFY(secs < 90);
    }

    // The Camera group: its settings reach the camera at Start, it is locked while running,
    // saved as the project's station profile and shown again by a page that opens the project;
    // a value outside the camera's range ends the run with FAULT naming the range.
    void cameraGroupProfile()
    {
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        auto store = project::ProjectStore::create(m_tmp.filePath("camera13").toStdString());
        store.setTestSplitLocked(true);
        {
            ui::InspectPage page;
            page.setProject(&store);
            ui::CameraGroup* group = page.cameraGroup();
            QVERIFY(group->settings().empty()); // a new project: the camera's own values
            group->exposureBox()->setValue(2500);
            group->gainBox()->setValue(2);
            group->fpsBox()->setValue(20);
            group->triggerBox()->setCurrentIndex(group->triggerBox()->findData("software"));
            QVERIFY(!group->edgeBox()->isEnabled()); // edge and delay: line triggers only
            page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                      "brightness");
            page.setSourceUri("aravis:127.0.0.1");
            QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
            page.startInspection();
            QVERIFY(!group->isEnabled());
            QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 3, 30000);
            page.stopInspection();
            QVERIFY(group->isEnabled());
            const auto saved = inspect::loadCameraProfile(store);
            QCOMPARE(saved.exposureUs.value_or(0), 2500.0);
            QCOMPARE(saved.trigger.value_or(""), std::string("software"));
            QVERIFY(!saved.pixelFormat);
        }
        // The camera holds what the page asked for.
        auto src = camera::openSource("aravis:127.0.0.1");
        src->open();
        QCOMPARE(src->readout()->exposureUs.value_or(0), 2500.0);
        QCOMPARE(src->readout()->gain.value_or(0), 2.0);
        src->close();
        ui::InspectPage page;
        page.setProject(&store);
        ui::CameraGroup* group = page.cameraGroup();
        QCOMPARE(group->exposureBox()->value(), 2500.0);
        QCOMPARE(group->gainBox()->value(), 2.0);
        QCOMPARE(group->triggerBox()->currentData().toString(), QStringLiteral("software"));
        QCOMPARE(group->exposureBox()->text(), QStringLiteral("2500 µs"));
        QCOMPARE(group->delayBox()->text(), QStringLiteral("camera")); // unset stays unset
        group->gainBox()->setValue(50); // the fake camera's gain goes to 10
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("aravis:127.0.0.1");
        QSignalSpy faults(page.pipeline(), &ui::InspectPipeline::faultRaised);
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        page.startInspection();
        QVERIFY(stopped.wait(20000)); // the run ends: no reconnect fixes a wrong value
        QVERIFY(!faults.isEmpty());
        const QString msg = faults.first().first().toString();
        QVERIFY2(msg.contains("outside the camera's range 0 to 10"), qPrintable(msg));
        QCOMPARE(page.verdictText(), QStringLiteral("FAULT"));
        QVERIFY(group->isEnabled());
    }

    // The Camera group on a live run from the fake camera, for the docs.
    void cameraControlScreenshot()
    {
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (out.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        KIZU_REQUIRE_FAKE_CAMERA();
        kizu::test::FakeGigECamera cam;
        QVERIFY2(cam.start(), qPrintable(cam.error()));
        QDir().mkpath(out);
        auto store = project::ProjectStore::create(m_tmp.filePath("camera14").toStdString());
        camera::CameraSettings profile;
        profile.exposureUs = 4000;
        profile.gain = 2;
        profile.frameRate = 10;
        profile.pixelFormat = "Mono8";
        profile.trigger = "software";
        inspect::saveCameraProfile(store, profile);
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("aravis:127.0.0.1");
        page.resize(1400, 820);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        page.startInspection();
        QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 8, 30000);
        // After Stop: the frames and log stay, and the group is editable (locked while running).
        page.stopInspection();
        QTest::qWait(200);
        QVERIFY(page.grab().save(out + "/inspect_camera_control.png"));
    }

    // A picture of the page after a replay, for a person to look at.
    void screenshot()
    {
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (out.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        QDir().mkpath(out);
        auto store = project::ProjectStore::create(m_tmp.filePath("p11").toStdString());
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.setSecondFactory([] { return std::make_unique<BrightnessClassifier>(); },
                              "the classical baseline");
        page.resize(1400, 820);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTest::qWait(200);
        QVERIFY(page.grab().save(out + "/inspect_empty.png")); // placeholder and Tune offer
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        QSignalSpy searched(&page, &ui::InspectPage::camerasSearched);
        page.refreshCameras();
        QVERIFY(searched.wait(30000));
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("f11"), 7) + "?fps=20");
        page.setHeatmapShown(true);
        page.startInspection();
        QVERIFY(stopped.wait(60000));
        QTest::qWait(200);
        QVERIFY(page.grab().save(out + "/inspect_page.png"));
        // The tune in progress, then done.
        makeLabeledProject(store, m_tmp.filePath("labeled11"));
        auto* offer = page.tuneOffer();
        offer->setTrials(40);
        QSignalSpy progress(offer, &ui::BaselineTuneOffer::tuneProgress);
        QSignalSpy finished(offer, &ui::BaselineTuneOffer::tuneFinished);
        offer->startTune();
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toInt() >= 2, 60000);
        QVERIFY(page.grab().save(out + "/inspect_tuning.png"));
        QVERIFY(finished.count() == 1 || finished.wait(120000));
        QTest::qWait(200);
        QVERIFY(page.grab().save(out + "/inspect_tuned.png"));
    }
};

QTEST_MAIN(TestInspectPage)
#include "test_inspect_page.moc"
