// The CG Studio page offscreen: a range change reaches the sampled parameters, the preview and
// the variety strip; a lock holds one value; presets survive a save/load round trip; a
// cancelled batch leaves a consistent, resumable folder; a batch into the project imports a
// labeled CG set; export writes PNG, mask, OBJ and JSON; without OpenGL the 3D view says so
// and still gets its mesh. With KIZU_SCREENSHOT_DIR set it saves a picture of the page with
// the mask shown and the lights open, and one with the "On your photos" strip on BSData's OK
// photos (under xvfb-run with QT_QPA_PLATFORM=xcb).
// kizu-test-timeout: 120
#include "common/project_rows.h"
#include "core/cg/cg_project_batch.h"
#include "ui/cg_param_panel.h"
#include "ui/cg_studio_page.h"
#include "ui/cg_viewport.h"
#include "ui/main_window.h"
#include "ui/transplant_strip.h"

#include "core/cg/cg_generator.h"
#include "core/cg/cg_params.h"
#include "core/project/project_store.h"

#include <QAction>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFile>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWindow>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

using kizu::ui::CgParamPanel;
using kizu::ui::CgStudioPage;
using kizu::ui::TransplantStrip;

namespace {

bool waitForPreview(CgStudioPage& page, int ms = 20000)
{
    return QTest::qWaitFor(
        [&] { return page.hasPreview() && page.shownGeneration() == page.requestedGeneration(); },
        ms);
}

// A light preset for fast batches: small images.
void useSmallImages(CgParamPanel* panel)
{
    panel->minEditor(QStringLiteral("camera.imageSize"))->setValue(96);
}

// A window with a button beside the CG Studio page, for the shortcut tests.
struct ShortcutRig {
    QWidget window;
    QPushButton* outside = new QPushButton(QStringLiteral("outside the page"));
    CgStudioPage* page = new CgStudioPage;
    QAction* resetView = nullptr;

    bool open()
    {
        auto* layout = new QVBoxLayout(&window);
        layout->addWidget(outside);
        layout->addWidget(page);
        window.resize(1400, 900);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window)) return false;
        window.activateWindow();
        if (!QTest::qWaitForWindowActive(&window)) return false;
        // The reset-view action (V) has no state to read: its triggers are counted.
        for (QAction* a : page->actions())
            if (a->shortcut() == QKeySequence(Qt::Key_V)) resetView = a;
        return resetView && waitForPreview(*page);
    }

    template <typename Send> void pressAll(Send send)
    {
        QSignalSpy viewResets(resetView, &QAction::triggered);
        const quint64 seed = page->seed();
        const bool mask = page->maskShown();
        const bool highlight = page->viewport()->defectHighlighted();
        send(Qt::Key_R);
        QVERIFY(page->seed() != seed);
        send(Qt::Key_M);
        QCOMPARE(page->maskShown(), !mask);
        send(Qt::Key_H);
        QCOMPARE(page->viewport()->defectHighlighted(), !highlight);
        send(Qt::Key_V);
        QCOMPARE(viewResets.count(), 1);
    }
};

} // namespace

class TestCgStudioPage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("KizuTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_cg_studio_page"));
    }

    void rangeChangesSampleAndPreview()
    {
        CgStudioPage page;
        page.setSeed(11);
        page.setSampleNg(true);
        QVERIFY(waitForPreview(page));
        QVERIFY2(page.previewError().isEmpty(), qPrintable(page.previewError()));
        const QImage before = page.previewImage();
        QVERIFY(!before.isNull());
        QTRY_VERIFY_WITH_TIMEOUT(page.stripGeneration() == page.requestedGeneration(), 30000);
        QCOMPARE(page.stripSize(), 12);
        const QImage strip0 = page.stripImage(0);
        QCOMPARE(page.sampled().value("label", std::string()), std::string("ng"));
        for (const auto& l : page.sampled()["lights"]["list"])
            QVERIFY(l["elevationDeg"].get<double>() < 80);

        // Raising the min above the max carries the max along: all lights at 80 deg.
        auto* elevMin = page.paramPanel()->minEditor(QStringLiteral("lights.elevationDeg"));
        auto* elevMax = page.paramPanel()->maxEditor(QStringLiteral("lights.elevationDeg"));
        QVERIFY(elevMin && elevMax);
        const quint64 asked = page.requestedGeneration();
        elevMin->setValue(80);
        QCOMPARE(elevMax->value(), 80.0);
        QVERIFY(page.requestedGeneration() > asked);
        QVERIFY(waitForPreview(page));
        const auto lights = page.sampled()["lights"]["list"];
        QVERIFY(!lights.empty());
        for (const auto& l : lights)
            QCOMPARE(l["elevationDeg"].get<double>(), 80.0);
        QVERIFY(page.previewImage() != before);
        qInfo("preview on screen %.0f ms after the change", page.lastLatencyMs());
        // The 3D view got the sample's lights.
        QCOMPARE(page.viewport()->scene().lights.size(), lights.size());
        for (const auto& l : page.viewport()->scene().lights)
            QCOMPARE(l.elevationDeg, 80.0f);

        // The variety strip follows the same change.
        QTRY_VERIFY_WITH_TIMEOUT(page.stripGeneration() == page.requestedGeneration(), 30000);
        QCOMPARE(page.stripSize(), 12);
        QVERIFY(page.stripImage(0) != strip0);

        // A lock holds one value: lights.count locked at 3.
        auto* countMin = page.paramPanel()->minEditor(QStringLiteral("lights.count"));
        countMin->setValue(3);
        page.paramPanel()->setLocked(QStringLiteral("lights.count"), true);
        QVERIFY(page.paramPanel()->isLocked(QStringLiteral("lights.count")));
        QVERIFY(page.paramPanel()->lockButton(QStringLiteral("lights.count"))->isChecked());
        QCOMPARE(page.paramPanel()->params().lights.count.max, 3.0);
        QVERIFY(waitForPreview(page));
        QCOMPARE(page.sampled()["lights"]["list"].size(), std::size_t(3));
        // Unlocking restores the range it had.
        page.paramPanel()->setLocked(QStringLiteral("lights.count"), false);
        QCOMPARE(page.paramPanel()->params().lights.count.max, 4.0);

        // Reroll gives another seed and another image; OK has no defect.
        const quint64 seed = page.seed();
        const QImage ngImage = page.previewImage();
        page.reroll();
        QVERIFY(page.seed() != seed);
        QVERIFY(waitForPreview(page));
        QVERIFY(page.previewImage() != ngImage);
        page.setSampleNg(false);
        QVERIFY(waitForPreview(page));
        QCOMPARE(page.sampled().value("label", std::string()), std::string("ok"));
        QVERIFY(page.viewport()->scene().mesh.defectIndices.empty());
    }

    void staleRendersAreDropped()
    {
        CgStudioPage page;
        QVERIFY(waitForPreview(page));
        QSignalSpy updated(&page, &CgStudioPage::previewUpdated);
        // Ten changes in a row: only the last one is shown.
        for (int s = 100; s < 110; ++s)
            page.setSeed(quint64(s));
        QVERIFY(waitForPreview(page));
        QCOMPARE(page.sampled()["seed"].get<std::uint64_t>(), std::uint64_t(109));
        QVERIFY2(updated.count() <= 2, qPrintable(QString::number(updated.count())));
    }

    void keyboardShortcuts()
    {
        CgStudioPage page;
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        // Under Xvfb there is no window manager to activate it; offscreen it is at once.
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.setFocus();
        const quint64 seed = page.seed();
        QTest::keyClick(&page, Qt::Key_R);
        QVERIFY(page.seed() != seed);
        page.setSampleNg(true);
        QTest::keyClick(&page, Qt::Key_O);
        QVERIFY(!page.sampleNg());
        QTest::keyClick(&page, Qt::Key_N);
        QVERIFY(page.sampleNg());
        const bool mask = page.maskShown();
        QTest::keyClick(&page, Qt::Key_M);
        QCOMPARE(page.maskShown(), !mask);
        const bool highlight = page.viewport()->defectHighlighted();
        QTest::keyClick(&page, Qt::Key_H);
        QCOMPARE(page.viewport()->defectHighlighted(), !highlight);
        QVERIFY(waitForPreview(page));
    }

    // R, H, M and V while the page is shown, wherever the focus is: on a widget outside the
    // page (the tab bar after a tab click), or in the Qt3D window after a click on the 3D view.
    void shortcutsWithFocusOutsideThePage()
    {
        ShortcutRig rig;
        QVERIFY(rig.open());
        rig.outside->setFocus();
        QTRY_COMPARE(QApplication::focusWidget(), rig.outside);
        rig.pressAll([&](Qt::Key k) { QTest::keyClick(rig.outside, k); });
    }

    void shortcutsAfterClickingThe3DView()
    {
        ShortcutRig rig;
        QVERIFY(rig.open());
        QWindow* view3D = rig.page->viewport()->window3D();
        if (!view3D) QSKIP("no OpenGL here: run under xvfb-run with QT_QPA_PLATFORM=xcb");
        // What a click on the 3D view does: the Qt3D window takes the focus from every widget.
        view3D->requestActivate();
        QTRY_COMPARE(QGuiApplication::focusWindow(), view3D);
        QVERIFY(!QApplication::focusWidget());
        rig.pressAll([&](Qt::Key k) { QTest::keyClick(view3D, k); });
    }

    // In a window of 1200x800 the sections need a vertical scroll bar: it must not cover the
    // Lock buttons, and no section may be wider than the panel.
    void lockColumnIsNotClipped()
    {
        CgStudioPage page;
        page.resize(1200, 800);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        auto* sections = page.paramPanel()->findChild<QToolBox*>();
        QVERIFY(sections);
        int locks = 0;
        for (int i = 0; i < sections->count(); ++i) {
            sections->setCurrentIndex(i);
            auto* scroll = qobject_cast<QScrollArea*>(sections->widget(i));
            QVERIFY(scroll);
            QTest::qWait(50); // the section's layout
            for (QToolButton* lock : scroll->widget()->findChildren<QToolButton*>()) {
                if (lock->text() != QLatin1String("Lock")) continue;
                ++locks;
                const QRect r(lock->mapTo(scroll->viewport(), QPoint(0, 0)), lock->size());
                QVERIFY2(r.right() < scroll->viewport()->width(),
                         qPrintable(QStringLiteral("%1: lock ends at %2, view %3 wide")
                                        .arg(sections->itemText(i))
                                        .arg(r.right())
                                        .arg(scroll->viewport()->width())));
                QVERIFY(lock->width() >= lock->sizeHint().width());
            }
        }
        QVERIFY(locks > 20);
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (!outDir.isEmpty()) {
            sections->setCurrentIndex(1);
            QTest::qWait(300);
            QVERIFY(page.paramPanel()->grab().save(outDir + "/cg_param_panel.png"));
        }
    }

    void viewportWithoutGlStillGetsTheMesh()
    {
        CgStudioPage page;
        page.setSampleNg(true);
        QVERIFY(waitForPreview(page));
        if (QGuiApplication::platformName() == QLatin1String("offscreen"))
            QVERIFY(!page.viewport()->available());
        const auto& mesh = page.viewport()->scene().mesh;
        QVERIFY(mesh.vertexCount() > 1000);
        QVERIFY(mesh.vertexCount() <= std::size_t(160 * 160));
        QVERIFY(!mesh.defectIndices.empty());
        QVERIFY(page.viewport()->defectHighlighted());
    }

    void presetRoundTrip()
    {
        CgParamPanel panel;
        QVERIFY(kizu::cg::presetNames().size() >= 4);
        QVERIFY(panel.loadPreset(QStringLiteral("pitting")));
        QCOMPARE(panel.presetName(), QStringLiteral("pitting"));
        panel.maxEditor(QStringLiteral("scratch.widthUm"))->setValue(140);
        panel.minEditor(QStringLiteral("pit.probability"))->setValue(0.9);
        const nlohmann::json edited = kizu::cg::paramsToJson(panel.params());

        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("plant_a.json"));
        QString error;
        QVERIFY2(panel.savePresetFile(file, &error), qPrintable(error));

        QVERIFY(panel.loadPreset(QStringLiteral("default")));
        QVERIFY(kizu::cg::paramsToJson(panel.params()) != edited);
        QVERIFY2(panel.loadPresetFile(file, &error), qPrintable(error));
        QCOMPARE(kizu::cg::paramsToJson(panel.params()), edited);
        QCOMPARE(panel.presetName(), QStringLiteral("plant_a"));
        QCOMPARE(panel.maxEditor(QStringLiteral("scratch.widthUm"))->value(), 140.0);

        // Reset goes back to the file's values after an edit.
        panel.maxEditor(QStringLiteral("scratch.widthUm"))->setValue(60);
        panel.resetToPreset();
        QCOMPARE(kizu::cg::paramsToJson(panel.params()), edited);

        // A broken file is refused with a message and changes nothing.
        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"scratch\": {\"widthUmm\": [1, 2]}}");
        f.close();
        error.clear();
        QVERIFY(!panel.loadPresetFile(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("widthUmm")), qPrintable(error));
        QCOMPARE(kizu::cg::paramsToJson(panel.params()), edited);
    }

    void cancelledBatchLeavesConsistentFolder()
    {
        CgStudioPage page;
        useSmallImages(page.paramPanel());
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("batch"));
        QSignalSpy progress(&page, &CgStudioPage::batchProgress);
        QSignalSpy finished(&page, &CgStudioPage::batchFinished);
        QVERIFY(page.startBatch(100000, 5, out));
        QVERIFY(page.batchRunning());
        QVERIFY(!page.startBatch(10, 5, out)); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toLongLong() > 0,
                                 30000);
        page.cancelBatch();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(finished.first().at(0).toBool(), true);
        QVERIFY2(finished.first().at(1).toString().isEmpty(),
                 qPrintable(finished.first().at(1).toString()));
        QVERIFY(!page.batchRunning());

        // Every sidecar has its image and mask; nothing else, no half-written files.
        QVERIFY(QFile::exists(out + QStringLiteral("/cg_batch.json")));
        int complete = 0;
        for (const QString sub : {QStringLiteral("ok"), QStringLiteral("ng")}) {
            QDir d(out + u'/' + sub);
            const QStringList json = d.entryList({QStringLiteral("*.json")}, QDir::Files);
            const QStringList png = d.entryList({QStringLiteral("*.png")}, QDir::Files);
            QCOMPARE(png.size(), json.size());
            for (const QString& j : json) {
                const QString stem = j.chopped(5);
                QVERIFY2(QFile::exists(d.filePath(stem + QStringLiteral(".png"))),
                         qPrintable(stem));
                const QString mask =
                    out + QStringLiteral("/masks/") + sub + u'/' + stem + QStringLiteral(".png");
                QVERIFY2(QFile::exists(mask), qPrintable(mask));
                QVERIFY(
                    !cv::imread(d.filePath(stem + QStringLiteral(".png")).toStdString()).empty());
            }
            complete += int(json.size());
        }
        QVERIFY(complete > 0);
        QVERIFY(complete < 100000);
        QDirIterator it(out, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            QVERIFY2(f.endsWith(QLatin1String(".png")) || f.endsWith(QLatin1String(".json")),
                     qPrintable(f));
        }
    }

    void batchIntoProjectImportsLabeledCgSet()
    {
        QTemporaryDir dir;
        auto store = kizu::project::ProjectStore::create(dir.path().toStdString());
        CgStudioPage page;
        useSmallImages(page.paramPanel());
        page.setStore(&store);
        QSignalSpy finished(&page, &CgStudioPage::batchFinished);
        QSignalSpy changed(&page, &CgStudioPage::projectDataChanged);
        QVERIFY(page.startBatch(6, 3, QString()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().at(1).toString().isEmpty(),
                 qPrintable(finished.first().at(1).toString()));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QCOMPARE(changed.count(), 1);
        QVERIFY(page.batchFolder().startsWith(dir.path()));
        kizu::project::ImageFilter f;
        f.source = "cg";
        QCOMPARE(store.countImages(f), std::int64_t(6));
        f.label = kizu::project::Label::Ng;
        QCOMPARE(store.countImages(f), std::int64_t(3));
        QCOMPARE(store.cgBatchCount(), std::int64_t(1));
        // The page runs core's workflow: the same folder, images and cg_batches row as
        // cg::generateBatchIntoProject (which `kizu-cli cg batch --to-project` runs) gives.
        const auto params = page.paramPanel()->params();
        QCOMPARE(page.batchFolder().toStdString(),
                 kizu::cg::projectBatchFolder(store.dir(), params, 3, 6).string());
        QTemporaryDir other;
        kizu::project::ProjectStore::create(other.path().toStdString());
        const auto core =
            kizu::cg::generateBatchIntoProject(other.path().toStdString(), params, 3, 6);
        QCOMPARE(core.imported, 6);
        QCOMPARE(kizu::test::cgImageRows(dir.path()), kizu::test::cgImageRows(other.path()));
        QStringList rows = kizu::test::cgBatchRows(dir.path());
        QCOMPARE(rows.size(), 1);
        rows[0].replace(dir.path(), other.path());
        QCOMPARE(rows, kizu::test::cgBatchRows(other.path()));
        page.setStore(nullptr);
    }

    void exportWritesPngMaskObjJson()
    {
        CgStudioPage page;
        page.setSampleNg(true);
        QVERIFY(waitForPreview(page));
        QTemporaryDir dir;
        const QString prefix = dir.filePath(QStringLiteral("out/sample"));
        QString error;
        QVERIFY2(page.exportSample(prefix, &error), qPrintable(error));
        const cv::Mat img = cv::imread((prefix + QStringLiteral(".png")).toStdString());
        const cv::Mat mask =
            cv::imread((prefix + QStringLiteral("_mask.png")).toStdString(), cv::IMREAD_GRAYSCALE);
        QCOMPARE(img.cols, page.previewImage().width());
        QVERIFY(cv::countNonZero(mask) > 0);
        QFile obj(prefix + QStringLiteral(".obj"));
        QVERIFY(obj.open(QIODevice::ReadOnly));
        QVERIFY(obj.readAll().contains("\nf "));
        QFile json(prefix + QStringLiteral(".json"));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const auto j = nlohmann::json::parse(json.readAll().toStdString());
        QCOMPARE(j["label"].get<std::string>(), std::string("ng"));
        QVERIFY(j.contains("params"));
    }

    void mainWindowShowsProjectPhotos()
    {
        QTemporaryDir dir;
        {
            auto store = kizu::project::ProjectStore::create(dir.path().toStdString());
            // Two "photos" (renders stored as camera images) and one CG image, which the
            // comparison row leaves out.
            const kizu::cg::CgGenerator gen(kizu::cg::CgParams{}, 9);
            store.addEncodedImage(kizu::cg::encodePng(gen.render(0, true).image), "png", "camera",
                                  {}, kizu::project::Label::Ng);
            store.addEncodedImage(kizu::cg::encodePng(gen.render(1, false).image), "png", "camera",
                                  {}, kizu::project::Label::Ok);
            store.addEncodedImage(kizu::cg::encodePng(gen.render(2, false).image), "png", "cg", {},
                                  kizu::project::Label::Ok);
        }
        kizu::ui::MainWindow window;
        auto* page = qobject_cast<CgStudioPage*>(window.pages()->widget(1));
        QVERIFY(page);
        QVERIFY(window.showPage(QStringLiteral("cg")));
        QCOMPARE(window.pages()->currentWidget(), page);
        QVERIFY(window.pageHelp(1).contains(QStringLiteral("Ctrl+B")));
        QVERIFY(window.openProject(dir.path()));
        QTRY_COMPARE_WITH_TIMEOUT(page->realPhotoCount(), 2, 10000);
    }

    void screenshot()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (outDir.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        CgStudioPage page;
        page.setSeed(qEnvironmentVariableIntValue("KIZU_SCREENSHOT_SEED") + 1);
        page.setSampleNg(true);
        page.setMaskShown(true);
        // KIZU_SCREENSHOT_PRESET: a built-in preset to show instead of the default.
        const QString preset = qEnvironmentVariable("KIZU_SCREENSHOT_PRESET");
        if (!preset.isEmpty()) QVERIFY2(page.paramPanel()->loadPreset(preset), qPrintable(preset));
        auto* sections = page.paramPanel()->findChild<QToolBox*>();
        QVERIFY(sections);
        sections->setCurrentIndex(2); // lights
        page.resize(1600, 960);
        page.setWindowTitle(QStringLiteral("Kizu - CG Studio"));
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(waitForPreview(page));
        QTRY_VERIFY_WITH_TIMEOUT(page.stripGeneration() == page.requestedGeneration(), 30000);
        QTest::qWait(500);
        const QString name = preset.isEmpty() ? QStringLiteral("mask") : preset;
        QVERIFY(page.grab().save(outDir + QStringLiteral("/cg_studio_page_%1.png").arg(name)));
        QTest::qWait(qEnvironmentVariableIntValue("KIZU_SCREENSHOT_HOLD_MS"));
    }

    // docs/screenshots/cg_studio_transplant.png: the strip on 12 of BSData's OK photos (spread
    // over the folder), masks outlined.
    void screenshotTransplant()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (outDir.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        QString data = qEnvironmentVariable("KIZU_BSDATA_DIR");
        if (data.isEmpty()) data = qEnvironmentVariable("KIZU_BSDATA", KIZU_BSDATA_DIR_DEFAULT);
        QStringList files = QDir(data + QStringLiteral("/ok")).entryList({"*.jpg", "*.png"});
        if (files.isEmpty()) QSKIP("set KIZU_BSDATA_DIR to BSData for this screenshot");
        QTemporaryDir dir;
        auto store = kizu::project::ProjectStore::create(dir.path().toStdString());
        std::vector<std::filesystem::path> some;
        for (int i = 0; i < 12; ++i)
            some.push_back((data + "/ok/" + files[i * files.size() / 12]).toStdString());
        kizu::project::ImportOptions opt;
        opt.label = kizu::project::Label::Ok;
        QCOMPARE(store.importPaths(some, opt).imported, 12);
        CgStudioPage page;
        page.setStore(&store);
        page.setSeed(7);
        page.setSampleNg(true);
        page.transplantStrip()->setMaskShown(qEnvironmentVariableIntValue("KIZU_SCREENSHOT_MASK"));
        page.resize(1600, 1000);
        page.setWindowTitle(QStringLiteral("Kizu - CG Studio"));
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(waitForPreview(page));
        auto* strip = page.transplantStrip();
        QTRY_VERIFY_WITH_TIMEOUT(!strip->busy() && strip->tileCount() == TransplantStrip::kCount &&
                                     strip->shownGeneration() == strip->requestedGeneration(),
                                 120000);
        QTRY_VERIFY_WITH_TIMEOUT(page.stripGeneration() == page.requestedGeneration(), 30000);
        QTest::qWait(500);
        QVERIFY(page.grab().save(outDir + QStringLiteral("/cg_studio_transplant.png")));
        const QString sheet = qEnvironmentVariable("KIZU_SCREENSHOT_SHEET");
        if (!sheet.isEmpty()) QVERIFY(strip->exportSheet(sheet));
    }
};

QTEST_MAIN(TestCgStudioPage)
#include "test_cg_studio_page.moc"
