// The Dataset page under the offscreen platform: labeling by key presses reaches the database
// and its audit log, undo and redo write back, filters count right, a cancelled import leaves
// a consistent project, thumbnails and the preview load, and the split control works.
// kizu-test-timeout: 240
#include "core/common/error.h"
#include "core/project/project_store.h"
#include "ui/dataset_page.h"
#include "ui/image_preview.h"
#include "ui/main_window.h"
#include "ui/thumbnail_cache.h"
#include "ui/thumbnail_grid.h"
#include "ui/thumbnail_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>
#include <QtTest>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

using namespace kizu::project;
using kizu::ui::DatasetPage;
using kizu::ui::ThumbnailModel;
namespace fs = std::filesystem;

namespace {
void writeImage(const fs::path& file, int index, int w, int h)
{
    fs::create_directories(file.parent_path());
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(index * 7 % 256, (index * 13) % 256, 90));
    cv::circle(m, {(index * 17) % w, (index * 11) % h}, 9 + index % 20, cv::Scalar(255, 255, 255),
               -1);
    cv::putText(m, std::to_string(index), {10, h / 2}, cv::FONT_HERSHEY_SIMPLEX, 1.0,
                cv::Scalar(0, 0, 0), 2);
    QVERIFY(cv::imwrite(file.string(), m));
}

int comboIndex(QComboBox* c, const QString& text)
{
    for (int i = 0; i < c->count(); ++i)
        if (c->itemText(i) == text) return i;
    return -1;
}
} // namespace

class TestDatasetPage : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_projectDir;
    std::unique_ptr<ProjectStore> m_store;
    std::unique_ptr<DatasetPage> m_page;

    fs::path tmp(const std::string& sub) const
    {
        return fs::path(m_tmp.path().toStdString()) / sub;
    }
    ThumbnailModel* model() const { return m_page->model(); }
    Label storedLabel(int row) const { return m_store->image(model()->idAt(row))->label; }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("KizuTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_dataset_page"));
        QSettings().clear();
        // 24 photos in 8 groups of 3 (320x240: large enough for the disk thumbnail cache) and
        // 6 "cg" renders.
        for (int i = 0; i < 24; ++i)
            writeImage(tmp("src") /
                           ("part_" + std::to_string(i / 3) + "_shot" + std::to_string(i) + ".png"),
                       i, 320, 240);
        for (int i = 0; i < 6; ++i)
            writeImage(tmp("cg") / ("render" + std::to_string(i) + ".png"), 100 + i, 96, 64);
        m_projectDir = tmp("project");
        m_store = std::make_unique<ProjectStore>(ProjectStore::create(m_projectDir));
        ImportOptions opt;
        opt.groupRegex = "part_(\\d+)_";
        QCOMPARE(m_store->importPaths({tmp("src")}, opt).imported, 24);
        opt = {};
        opt.source = "cg";
        QCOMPARE(m_store->importPaths({tmp("cg")}, opt).imported, 6);
        // A few labels before the page opens, so that "next unlabeled" has something to skip.
        const auto all = m_store->images(
            {std::nullopt, std::nullopt, std::nullopt, std::nullopt, ImageFilter::Sort::Name});
        m_store->setLabels({all[1].id, all[2].id}, Label::Ok, "setup");
        m_store->setLabels({all[3].id}, Label::Ng, "setup");

        m_page = std::make_unique<DatasetPage>();
        m_page->resize(1200, 800);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
        m_page->setStore(m_store.get());
        QCOMPARE(model()->rowCount(), 30);
    }

    void cleanupTestCase()
    {
        m_page.reset();
        m_store.reset();
    }

    void keyLabelingWritesStoreAndUndoRestores()
    {
        auto* grid = m_page->grid();
        grid->setFocus();
        grid->selectRow(0);
        QCOMPARE(storedLabel(0), Label::Unlabeled);
        const qint64 id0 = model()->idAt(0);
        const auto auditBefore = m_store->auditLog(id0).size();

        QTest::keyClick(grid, Qt::Key_N);
        QCOMPARE(m_store->image(id0)->label, Label::Ng);
        auto log = m_store->auditLog(id0);
        QCOMPARE(log.size(), auditBefore + 1);
        QCOMPARE(log.back().oldLabel, Label::Unlabeled);
        QCOMPARE(log.back().newLabel, Label::Ng);
        QCOMPARE(log.back().user, ProjectStore::defaultUser());
        // Rows 1..3 were labeled in setup: the selection skips them.
        QCOMPARE(grid->currentIndex().row(), 4);
        QCOMPARE(grid->selectedRows(), QList<int>{4});

        QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(m_store->image(id0)->label, Label::Unlabeled);
        log = m_store->auditLog(id0);
        QCOMPARE(log.size(), auditBefore + 2); // the undo is a change of its own
        QCOMPARE(log.back().oldLabel, Label::Ng);
        QCOMPARE(log.back().newLabel, Label::Unlabeled);
        QCOMPARE(grid->currentIndex().row(), 0); // back on the image that changed
        QCOMPARE(model()->labelAt(0), Label::Unlabeled);
        // The history panel shows the selected image's entries, newest first.
        QTableWidget* history = m_page->historyTable();
        QCOMPARE(history->rowCount(), int(log.size()));
        QVERIFY(history->item(0, 2)->text().contains(QStringLiteral("NG")));
        QVERIFY(history->item(0, 2)->text().endsWith(QStringLiteral("unlabeled")));

        QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(m_store->image(id0)->label, Label::Ng);
        QCOMPARE(m_store->auditLog(id0).size(), auditBefore + 3);
        QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(m_store->image(id0)->label, Label::Unlabeled);

        // O and U too; U on an unlabeled image is no change and writes nothing.
        grid->selectRow(0);
        QTest::keyClick(grid, Qt::Key_O);
        QCOMPARE(m_store->image(id0)->label, Label::Ok);
        grid->selectRow(0);
        QTest::keyClick(grid, Qt::Key_U);
        QCOMPARE(m_store->image(id0)->label, Label::Unlabeled);
        const auto n = m_store->auditLog(id0).size();
        grid->selectRow(0);
        QTest::keyClick(grid, Qt::Key_U);
        QCOMPARE(m_store->auditLog(id0).size(), n);
        QCOMPARE(grid->currentIndex().row(), 4); // still moves on
    }

    void arrowKeysMove()
    {
        auto* grid = m_page->grid();
        grid->selectRow(0);
        QTest::keyClick(grid, Qt::Key_Right);
        QCOMPARE(grid->currentIndex().row(), 1);
        // Down goes to the cell below (same column, next line of the wrapped grid).
        QTest::keyClick(grid, Qt::Key_Down);
        const int below = grid->currentIndex().row();
        QVERIFY(below > 2);
        QCOMPARE(grid->visualRect(grid->currentIndex()).x(),
                 grid->visualRect(model()->index(1)).x());
        QTest::keyClick(grid, Qt::Key_Up);
        QCOMPARE(grid->currentIndex().row(), 1);
        QTest::keyClick(grid, Qt::Key_PageDown);
        QVERIFY(grid->currentIndex().row() > below);
        QTest::keyClick(grid, Qt::Key_End);
        QCOMPARE(grid->currentIndex().row(), model()->rowCount() - 1);
        QTest::keyClick(grid, Qt::Key_Home);
        QCOMPARE(grid->currentIndex().row(), 0);
    }

    void selectManyLabelMany()
    {
        auto* grid = m_page->grid();
        grid->selectRow(2); // OK from setup; 3 is NG; 4 and 5 unlabeled
        QTest::keyClick(grid, Qt::Key_Right, Qt::ShiftModifier);
        QTest::keyClick(grid, Qt::Key_Right, Qt::ShiftModifier);
        QTest::keyClick(grid, Qt::Key_Right, Qt::ShiftModifier);
        QCOMPARE(grid->selectedRows(), (QList<int>{2, 3, 4, 5}));
        const Label before[] = {storedLabel(2), storedLabel(3), storedLabel(4), storedLabel(5)};
        QCOMPARE(before[1], Label::Ng);
        QTest::keyClick(grid, Qt::Key_N);
        for (int r = 2; r <= 5; ++r)
            QCOMPARE(storedLabel(r), Label::Ng);
        QCOMPARE(grid->currentIndex().row(), 6);
        m_page->undo();
        for (int r = 2; r <= 5; ++r)
            QCOMPARE(storedLabel(r), before[r - 2]);
        QCOMPARE(grid->selectedRows(), (QList<int>{2, 4, 5})); // those that changed
        // Every change and every undo is in the audit log.
        QCOMPARE(m_store->auditLog(model()->idAt(4)).back().newLabel, Label::Unlabeled);
        QCOMPARE(m_store->auditLog(model()->idAt(2)).back().oldLabel, Label::Ng);
    }

    void filterCounts()
    {
        auto* label = m_page->findChild<QComboBox*>(QStringLiteral("labelFilter"));
        auto* split = m_page->findChild<QComboBox*>(QStringLiteral("splitFilter"));
        auto* source = m_page->findChild<QComboBox*>(QStringLiteral("sourceFilter"));
        auto* group = m_page->findChild<QComboBox*>(QStringLiteral("groupFilter"));
        auto* counts = m_page->findChild<QLabel*>(QStringLiteral("countsLabel"));
        QVERIFY(label && split && source && group && counts);

        // Three photos in test, one of them OK (CG renders never go to test).
        std::vector<std::int64_t> photos;
        std::int64_t render = 0;
        for (int r = 0; r < model()->rowCount(); ++r) {
            if (model()->record(r)->source != "import") render = model()->idAt(r);
            else if (photos.size() < 3) photos.push_back(model()->idAt(r));
        }
        QVERIFY(render > 0);
        QCOMPARE(int(photos.size()), 3);
        m_store->setLabels({photos[0]}, Label::Ok, "test");
        QVERIFY_THROWS_EXCEPTION(kizu::InvalidArgument,
                                 m_store->setSplit({render}, Split::Test));
        m_store->setSplit(photos, Split::Test);
        m_page->reload();
        const auto s = m_store->stats();

        label->setCurrentIndex(comboIndex(label, QStringLiteral("NG")));
        QCOMPARE(model()->rowCount(), int(s.byLabel(Label::Ng)));
        QCOMPARE(model()->counts().byLabel[int(Label::Ng)], s.byLabel(Label::Ng));
        QCOMPARE(model()->counts().byLabel[int(Label::Ok)], 0);
        QVERIFY(
            counts->text().contains(QStringLiteral("<b>%1</b> shown").arg(s.byLabel(Label::Ng))));
        for (int r = 0; r < model()->rowCount(); ++r)
            QCOMPARE(storedLabel(r), Label::Ng);

        label->setCurrentIndex(comboIndex(label, QStringLiteral("OK")));
        split->setCurrentIndex(comboIndex(split, QStringLiteral("Test")));
        QCOMPARE(model()->rowCount(), int(s.counts[int(Label::Ok)][int(Split::Test)]));
        QVERIFY(model()->rowCount() >= 1);
        label->setCurrentIndex(0);
        QCOMPARE(model()->rowCount(), 3);
        QCOMPARE(model()->counts().bySplit[int(Split::Test)], 3);
        split->setCurrentIndex(0);

        QVERIFY(comboIndex(source, QStringLiteral("cg")) > 0);
        source->setCurrentIndex(comboIndex(source, QStringLiteral("cg")));
        QCOMPARE(model()->rowCount(), 6);
        QCOMPARE(model()->counts().byLabel[int(Label::Unlabeled)],
                 m_store->countImages({Label::Unlabeled, std::nullopt, std::string("cg")}));
        QCOMPARE(model()->counts().byLabel[int(Label::Ok)],
                 m_store->countImages({Label::Ok, std::nullopt, std::string("cg")}));
        source->setCurrentIndex(0);
        group->setCurrentIndex(comboIndex(group, QStringLiteral("5")));
        QCOMPARE(model()->rowCount(), 3);
        group->setCurrentIndex(0);
        QCOMPARE(model()->rowCount(), 30);

        // Sorting: name descending reverses name ascending.
        auto* sort = m_page->findChild<QComboBox*>(QStringLiteral("sortOrder"));
        const qint64 firstByName = model()->idAt(0);
        sort->setCurrentIndex(comboIndex(sort, QStringLiteral("Name Z-A")));
        QCOMPARE(model()->idAt(29), firstByName);
        sort->setCurrentIndex(0);
        QCOMPARE(model()->idAt(0), firstByName);
    }

    void thumbnailsAndPreview()
    {
        int row = 0;
        while (row < model()->rowCount() && model()->record(row) &&
               model()->record(row)->source != "import")
            ++row; // a 320x240 photo
        QVERIFY(row < model()->rowCount() && model()->record(row));
        m_page->grid()->selectRow(row);
        // Thumbnails of visible cells arrive from the pool and land in the disk cache.
        QTRY_VERIFY_WITH_TIMEOUT(!model()
                                      ->data(model()->index(row), ThumbnailModel::ThumbnailRole)
                                      .value<QPixmap>()
                                      .isNull(),
                                 10000);
        const auto rec = *model()->record(row);
        QVERIFY(rec.width >= kizu::ui::ThumbnailCache::kDiskSide);
        const fs::path thumb =
            m_projectDir / "cache" / "thumbs" / rec.hash.substr(0, 2) / (rec.hash + ".jpg");
        QTRY_VERIFY(fs::exists(thumb));
        const QPixmap pm =
            model()->data(model()->index(row), ThumbnailModel::ThumbnailRole).value<QPixmap>();
        QVERIFY(pm.width() <= m_page->thumbnails()->displaySize().width());

        auto* preview = m_page->preview();
        QTRY_VERIFY_WITH_TIMEOUT(preview->hasImage(), 10000);
        QCOMPARE(preview->imageSize(), QSize(320, 240));
        QTest::keyClick(m_page->grid(), Qt::Key_1);
        QCOMPARE(preview->zoom(), 1.0);
        QTest::keyClick(m_page->grid(), Qt::Key_F);
        QVERIFY(preview->zoom() != 1.0);
        const double fitted = preview->zoom();
        preview->zoomBy(2.0);
        QVERIFY(qAbs(preview->zoom() - 2 * fitted) < 1e-6);
    }

    void thumbnailRequestsScrolledAwayAreDropped()
    {
        kizu::ui::ThumbnailCache cache;
        cache.setProject(QString::fromStdString(tmp("thumbs_only").string())); // cold
        QSignalSpy ready(&cache, &kizu::ui::ThumbnailCache::ready);
        const auto all = m_store->images();
        for (const auto& r : all)
            QVERIFY(cache
                        .get(r.id, QString::fromStdString(m_store->imagePath(r).string()),
                             QString::fromStdString(r.hash))
                        .isNull());
        QVERIFY(cache.pending() > 0);
        // The view scrolled: only the last image is still on screen. Jobs already running may
        // finish; every queued one is dropped.
        cache.retainOnly({all.back().id});
        const int maxThreads = std::max(1, QThread::idealThreadCount() - 1);
        QVERIFY2(cache.pending() <= maxThreads + 1, qPrintable(QString::number(cache.pending())));
        cache.waitForIdle();
        QTRY_COMPARE(cache.pending(), 0);
        QVERIFY(ready.size() <= maxThreads + 1);
        QVERIFY(ready.size() >= 1);
        kizu::ui::ThumbnailCache::State state;
        // Served last-in first-out, the image still on screen was made.
        QVERIFY(!cache.get(all.back().id, {}, {}, &state).isNull());
        QCOMPARE(state, kizu::ui::ThumbnailCache::State::Ready);
        // A file that cannot be read fails once and is not retried.
        cache.get(-5, QStringLiteral("/nonexistent.png"), QStringLiteral("00ff"));
        QTRY_COMPARE(cache.pending(), 0);
        cache.get(-5, QStringLiteral("/nonexistent.png"), QStringLiteral("00ff"), &state);
        QCOMPARE(state, kizu::ui::ThumbnailCache::State::Failed);
        QCOMPARE(cache.pending(), 0);
    }

    void splitControl()
    {
        m_page->assignSplit(0.25, 7);
        const auto all = m_store->images();
        std::map<std::string, std::set<Split>> byGroup;
        int test = 0;
        for (const auto& r : all) {
            QVERIFY(r.split != Split::None);
            if (!r.group.empty()) byGroup[r.group].insert(r.split);
            test += r.split == Split::Test;
        }
        for (const auto& [g, splits] : byGroup)
            QCOMPARE(int(splits.size()), 1); // no group cut
        QVERIFY(test >= 3 && test <= 12);
        for (int r = 0; r < model()->rowCount(); ++r)
            QCOMPARE(model()->splitAt(r), m_store->image(model()->idAt(r))->split);

        auto* lock = m_page->findChild<QCheckBox*>(QStringLiteral("lockTest"));
        lock->setChecked(true);
        QVERIFY(m_store->testSplitLocked());
        std::vector<std::int64_t> testIds;
        for (const auto& r : all)
            if (r.split == Split::Test) testIds.push_back(r.id);
        m_page->assignSplit(0.5, 99); // locked: today's test images stay
        for (auto id : testIds)
            QCOMPARE(m_store->image(id)->split, Split::Test);
        lock->setChecked(false);
        QVERIFY(!m_store->testSplitLocked());
    }

    void cancelledImportLeavesConsistentProject()
    {
        for (int i = 0; i < 300; ++i)
            writeImage(tmp("many") / ("m" + std::to_string(i) + ".png"), 1000 + i, 200, 150);
        auto store = std::make_unique<ProjectStore>(ProjectStore::create(tmp("p_cancel")));
        DatasetPage page;
        page.resize(900, 600);
        page.show();
        page.setStore(store.get());
        QSignalSpy progress(&page, &DatasetPage::importProgress);
        QSignalSpy finished(&page, &DatasetPage::importFinished);

        // Cancelled right after the start.
        QVERIFY(page.importPaths({QString::fromStdString(tmp("many").string())}));
        QVERIFY(page.importRunning());
        QVERIFY(!page.importPaths({QStringLiteral("/nonexistent")})); // one at a time
        page.cancelImport();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.last().at(3).toBool(), true);
        const int first = finished.last().at(0).toInt();
        QVERIFY(first < 300);

        // Cancelled after some images went in.
        QVERIFY(page.importPaths({QString::fromStdString(tmp("many").string())}));
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toLongLong() >= 5,
                                 30000);
        page.cancelImport();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.last().at(3).toBool(), true);
        const int second = finished.last().at(0).toInt();
        QVERIFY(first + second < 300);
        QVERIFY(first + second >= 5);

        // Consistent: the rows match what was reported, each has its file, SQLite is happy,
        // and the page shows them.
        QCOMPARE(store->integrityCheck(), std::string("ok"));
        QCOMPARE(store->countImages(), qint64(first + second));
        for (const auto& r : store->images())
            QVERIFY(fs::exists(store->imagePath(r)));
        QCOMPARE(page.model()->rowCount(), first + second);

        // Importing again completes the set without duplicates; a bad file is skipped and
        // reported (dropped on the page like from a file manager).
        {
            std::ofstream(tmp("many") / "broken.png") << "not a png";
        }
        auto* pattern = page.findChild<QLineEdit*>(QStringLiteral("groupPattern"));
        QVERIFY(pattern);
        pattern->setText(QStringLiteral("^m(\\d)"));
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(QString::fromStdString(tmp("many").string()))});
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton,
                              Qt::NoModifier);
        QCoreApplication::sendEvent(&page, &enter);
        QVERIFY(enter.isAccepted());
        QVERIFY(page.grid()->dropHint());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&page, &drop);
        QVERIFY(!page.grid()->dropHint());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(0).toInt(), 300 - first - second);
        QCOMPARE(finished.last().at(1).toInt(), first + second);
        QCOMPARE(finished.last().at(2).toInt(), 1);
        QCOMPARE(finished.last().at(3).toBool(), false);
        QCOMPARE(store->countImages(), qint64(300));
        QCOMPARE(page.model()->rowCount(), 300);
        QCOMPARE(store->integrityCheck(), std::string("ok"));
        // The group pattern applied to what this import added: first digit of the name. (The
        // cancelled imports had no pattern: near-duplicates among them have "dup-" groups.)
        int grouped = 0;
        for (const auto& r : store->images())
            if (!r.group.empty() && !isNearDuplicateGroup(r.group)) {
                ++grouped;
                QCOMPARE(r.group, r.fileName().substr(1, 1));
            }
        QCOMPARE(grouped, 300 - first - second);
        page.setStore(nullptr);
    }

    void importReportNamesEachSkippedFile()
    {
        const fs::path src = tmp("mixed");
        writeImage(src / "ok" / "good1.png", 501, 200, 150);
        writeImage(src / "ok" / "good2.png", 502, 200, 150);
        fs::create_directories(src / "ng_polygons");
        std::ofstream(src / "ng_polygons" / "good1.json") << "{\"polygons\": []}";
        std::ofstream(src / "ok" / "broken.png") << "not a png";
        fs::create_directories(tmp("x.jpg")); // a folder named like an image
        auto store = std::make_unique<ProjectStore>(ProjectStore::create(tmp("p_report")));
        DatasetPage page;
        page.resize(1100, 700);
        page.show();
        page.setStore(store.get());
        // The previous split's summary belongs to the previous project.
        auto* summary = page.findChild<QLabel*>(QStringLiteral("splitSummary"));
        QVERIFY(summary);
        page.assignSplit(0.25, 1);
        QVERIFY(!summary->text().isEmpty());
        page.setStore(nullptr);
        QVERIFY(summary->text().isEmpty());
        page.setStore(store.get());

        QSignalSpy finished(&page, &DatasetPage::importFinished);
        QVERIFY(page.importPaths({QString::fromStdString(src.string()),
                                  QString::fromStdString(tmp("x.jpg").string())}));
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.last().at(0).toInt(), 2);
        QCOMPARE(finished.last().at(2).toInt(), 3);
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = page.findChild<QMessageBox*>(QStringLiteral("importReport"))));
        const QString details = box->detailedText();
        for (const fs::path& p : {src / "ng_polygons" / "good1.json", src / "ok" / "broken.png",
                                  tmp("x.jpg")})
            QVERIFY2(details.contains(QString::fromStdString(p.string()) + QStringLiteral(": ")),
                     qPrintable(details));
        QVERIFY2(details.contains(QStringLiteral("JSON")), qPrintable(details));
        QVERIFY2(details.contains(QStringLiteral("is a folder")), qPrintable(details));
        QVERIFY2(box->informativeText().contains(QStringLiteral("good1.json")),
                 qPrintable(box->informativeText()));

        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (!outDir.isEmpty()) {
            for (auto* b : box->findChildren<QPushButton*>())
                if (b->text().contains(QStringLiteral("Details"))) b->click();
            QTest::qWait(300);
            QVERIFY(box->grab().save(outDir + QStringLiteral("/dataset_import_report.png")));
            QVERIFY(page.window()->grab().save(outDir + QStringLiteral("/dataset_page_after_import.png")));
        }
        box->close();
        page.setStore(nullptr);
    }

    void mainWindowOpensProject()
    {
        kizu::ui::MainWindow w;
        w.show();
        QVERIFY(w.openProject(QString::fromStdString(m_projectDir.string())));
        QCOMPARE(w.datasetPage()->model()->rowCount(), 30);
        const auto counts = w.statusBar()->findChildren<QLabel*>();
        bool found = false;
        for (auto* l : counts)
            found |= l->text().contains(QStringLiteral("30 images"));
        QVERIFY(found);
        QCOMPARE(QSettings().value(QStringLiteral("project/last")).toString(),
                 QString::fromStdString(fs::absolute(m_projectDir).string()));
        // Labeling on the page updates the window's counts.
        w.datasetPage()->grid()->selectRow(0);
        const auto before = w.store()->stats().byLabel(Label::Ng);
        QTest::keyClick(w.datasetPage()->grid(), Qt::Key_N);
        QCOMPARE(w.store()->stats().byLabel(Label::Ng), before + 1);
        found = false;
        for (auto* l : counts)
            found |= l->text().contains(QStringLiteral("NG %1").arg(before + 1));
        QVERIFY(found);
    }
};

QTEST_MAIN(TestDatasetPage)
#include "test_dataset_page.moc"
