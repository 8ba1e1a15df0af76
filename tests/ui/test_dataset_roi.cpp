// The Dataset page's region of interest and synthetic images: a rectangle and a polygon drawn
// on the preview with the mouse reach the project (undoable), Esc cancels, synthetic images
// wear a badge, have a filter of their own, are counted apart and stay out of the test split.
// With KIZU_SCREENSHOT_DIR set (run under xvfb-run with QT_QPA_PLATFORM=xcb) it saves
// dataset_roi.png there; KIZU_BSDATA (or ../shared/data/bsdata) gives it real photos.
// kizu-test-timeout: 120
#include "core/project/project_roi.h"
#include "core/project/project_store.h"
#include "ui/dataset_page.h"
#include "ui/image_preview.h"
#include "ui/thumbnail_delegate.h"
#include "ui/thumbnail_grid.h"
#include "ui/thumbnail_model.h"

#include <QComboBox>
#include <QLabel>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QUndoStack>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::project;
using kizu::ui::DatasetPage;
using kizu::ui::ThumbnailModel;
namespace fs = std::filesystem;

namespace {
void writeImage(const fs::path& file, int index, int w, int h)
{
    fs::create_directories(file.parent_path());
    cv::Mat small(h / 8, w / 8, CV_8UC3);
    cv::RNG rng(std::uint64_t(index) * 7919 + 1);
    rng.fill(small, cv::RNG::UNIFORM, 60, 190);
    cv::Mat m;
    cv::resize(small, m, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
    QVERIFY(cv::imwrite(file.string(), m));
}

int comboIndex(QComboBox* c, const QString& text)
{
    for (int i = 0; i < c->count(); ++i)
        if (c->itemText(i) == text) return i;
    return -1;
}
} // namespace

class TestDatasetRoi : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::unique_ptr<ProjectStore> m_store;
    std::unique_ptr<DatasetPage> m_page;
    fs::path tmp(const std::string& sub) const
    {
        return fs::path(m_tmp.path().toStdString()) / sub;
    }
    ThumbnailModel* model() const { return m_page->model(); }
    kizu::ui::ImagePreview* preview() const { return m_page->preview(); }
    QPoint viewPoint(double x, double y) const { return preview()->mapFromScene(QPointF(x, y)); }
    int rowOfSource(const std::string& source) const
    {
        for (int r = 0; r < model()->rowCount(); ++r)
            if (model()->record(r) && model()->record(r)->source == source) return r;
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("KizuTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_dataset_roi"));
        QSettings().clear();
        m_store = std::make_unique<ProjectStore>(ProjectStore::create(tmp("project")));
        const QString shots = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        QString bsdata = qEnvironmentVariable("KIZU_BSDATA");
        if (bsdata.isEmpty()) bsdata = QStringLiteral(KIZU_SOURCE_DIR "/../shared/data/bsdata");
        ImportOptions opt;
        if (!shots.isEmpty() && QFileInfo(bsdata + "/ok").isDir()) {
            // Real photos for the picture: a few OK and NG shots of BSData.
            std::vector<fs::path> files;
            for (const char* sub : {"ok", "ng"}) {
                std::vector<fs::path> found;
                for (const auto& e : fs::directory_iterator(bsdata.toStdString() + "/" + sub))
                    found.push_back(e.path());
                std::sort(found.begin(), found.end());
                for (std::size_t k = 0; k < found.size() && k < 9; ++k)
                    files.push_back(found[k]);
            }
            QVERIFY(m_store->importPaths(files, opt).imported >= 6);
            m_store->labelFromFolders("setup");
        } else {
            for (int i = 0; i < 6; ++i)
                writeImage(tmp("src") / ("photo" + std::to_string(i) + ".png"), i, 320, 240);
            QCOMPARE(m_store->importPaths({tmp("src")}, opt).imported, 6);
        }
        for (int i = 0; i < 2; ++i)
            writeImage(tmp("cg") / ("render" + std::to_string(i) + ".png"), 100 + i, 320, 240);
        writeImage(tmp("tr") / "transplant0.png", 200, 320, 240);
        opt.source = kSourceCg;
        opt.label = Label::Ng;
        QCOMPARE(m_store->importPaths({tmp("cg")}, opt).imported, 2);
        opt.source = kSourceTransplant;
        QCOMPARE(m_store->importPaths({tmp("tr")}, opt).imported, 1);

        m_page = std::make_unique<DatasetPage>();
        m_page->resize(1400, 860);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
        m_page->setStore(m_store.get());
        QVERIFY(model()->rowCount() >= 9);
    }

    void cleanupTestCase()
    {
        m_page.reset();
        m_store.reset();
    }

    void syntheticBadgeFilterAndCounts()
    {
        QCOMPARE(kizu::ui::ThumbnailDelegate::syntheticBadge("cg"), QString("CG"));
        QCOMPARE(kizu::ui::ThumbnailDelegate::syntheticBadge("transplant"), QString("transplant"));
        QVERIFY(kizu::ui::ThumbnailDelegate::syntheticBadge("import").isEmpty());
        const int cg = rowOfSource("cg");
        QVERIFY(cg >= 0);
        QCOMPARE(model()->data(model()->index(cg), ThumbnailModel::SourceRole).toString(),
                 QString("cg"));

        auto* source = m_page->findChild<QComboBox*>(QStringLiteral("sourceFilter"));
        QVERIFY(source);
        const int all = model()->rowCount();
        const int synthetic = comboIndex(source, "Synthetic (CG, transplant)");
        QVERIFY(synthetic > 0);
        source->setCurrentIndex(synthetic);
        QCOMPARE(model()->rowCount(), 3);
        source->setCurrentIndex(comboIndex(source, "Real photos"));
        QCOMPARE(model()->rowCount(), all - 3);
        for (int r = 0; r < model()->rowCount(); ++r)
            QVERIFY(!isSyntheticSource(model()->record(r)->source));
        source->setCurrentIndex(0);
        QCOMPARE(model()->rowCount(), all);

        QVERIFY2(m_page->sourceSummary()->text().contains("synthetic (CG, transplant): 0 OK, 3 NG"),
                 qPrintable(m_page->sourceSummary()->text()));

        m_page->assignSplit(0.5, 3);
        for (const auto& r : m_store->images())
            if (isSyntheticSource(r.source)) QCOMPARE(r.split, Split::Train);
        auto* summary = m_page->findChild<QLabel*>(QStringLiteral("splitSummary"));
        QVERIFY2(summary->text().contains("3 synthetic images kept in train"),
                 qPrintable(summary->text()));
    }

    void drawRectangleOnThePreview()
    {
        m_page->grid()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(preview()->hasImage(), 10000);
        const QSize size = preview()->imageSize();
        QVERIFY(!projectRoi(*m_store));
        QVERIFY(!m_page->clearRoiButton()->isEnabled());

        m_page->drawRoiButton()->click();
        QVERIFY(preview()->drawing());
        const double x0 = size.width() * 0.125, y0 = size.height() * 0.125;
        const double x1 = size.width() * 0.75, y1 = size.height() * 0.875;
        QWidget* vp = preview()->viewport();
        QTest::mousePress(vp, Qt::LeftButton, {}, viewPoint(x0, y0));
        QTest::mouseMove(vp, viewPoint((x0 + x1) / 2, (y0 + y1) / 2));
        QTest::mouseMove(vp, viewPoint(x1, y1));
        QTest::mouseRelease(vp, Qt::LeftButton, {}, viewPoint(x1, y1));
        QVERIFY(!preview()->drawing());
        QVERIFY(!m_page->drawRoiButton()->isChecked());

        const auto roi = projectRoi(*m_store);
        QVERIFY(roi);
        QCOMPARE(roi->kind, kizu::imaging::Roi::Kind::Rect);
        // Within a screen pixel of the drag (the preview is zoomed to fit).
        const double tol = 1.5 / preview()->zoom() / size.width() + 1e-3;
        QVERIFY2(std::abs(roi->polygon[0].x - 0.125) < tol,
                 qPrintable(QString::number(roi->polygon[0].x)));
        QVERIFY(std::abs(roi->polygon[0].y - 0.125) < tol);
        QVERIFY(std::abs(roi->polygon[2].x - 0.75) < tol);
        QVERIFY(std::abs(roi->polygon[2].y - 0.875) < tol);
        QCOMPARE(preview()->roi(), roi);
        QVERIFY(m_page->clearRoiButton()->isEnabled());

        // Undo and redo write through the store.
        m_page->undo();
        QVERIFY(!projectRoi(*m_store));
        QVERIFY(!preview()->roi());
        m_page->redo();
        QCOMPARE(projectRoi(*m_store), roi);
        // Kept across reopening the project.
        QCOMPARE(projectRoi(ProjectStore::open(m_store->dir())), roi);
    }

    void escCancelsAndClearIsUndoable()
    {
        const auto before = projectRoi(*m_store);
        QVERIFY(before);
        m_page->drawRoiButton()->click();
        QWidget* vp = preview()->viewport();
        QTest::mousePress(vp, Qt::LeftButton, {}, viewPoint(10, 10));
        QTest::mouseMove(vp, viewPoint(60, 60));
        QTest::keyClick(preview(), Qt::Key_Escape);
        QVERIFY(!preview()->drawing());
        QVERIFY(!m_page->drawRoiButton()->isChecked());
        QTest::mouseRelease(vp, Qt::LeftButton, {}, viewPoint(60, 60));
        QCOMPARE(projectRoi(*m_store), before);

        m_page->clearRoiButton()->click();
        QVERIFY(!projectRoi(*m_store));
        QVERIFY(!m_page->clearRoiButton()->isEnabled());
        m_page->undo();
        QCOMPARE(projectRoi(*m_store), before);
    }

    void drawPolygonWithShiftClicks()
    {
        const auto rect = projectRoi(*m_store);
        QVERIFY(rect);
        const QSize size = preview()->imageSize();
        m_page->drawRoiButton()->click();
        QWidget* vp = preview()->viewport();
        const QPointF pts[] = {{0.1, 0.1}, {0.9, 0.2}, {0.6, 0.9}, {0.15, 0.7}};
        QTest::mouseClick(vp, Qt::LeftButton, Qt::ShiftModifier,
                          viewPoint(pts[0].x() * size.width(), pts[0].y() * size.height()));
        for (int k = 1; k < 4; ++k)
            QTest::mouseClick(vp, Qt::LeftButton, {},
                              viewPoint(pts[k].x() * size.width(), pts[k].y() * size.height()));
        QTest::keyClick(preview(), Qt::Key_Return);
        const auto roi = projectRoi(*m_store);
        QVERIFY(roi);
        QCOMPARE(roi->kind, kizu::imaging::Roi::Kind::Polygon);
        QCOMPARE(int(roi->polygon.size()), 4);
        const double tol = 1.5 / preview()->zoom() / std::min(size.width(), size.height()) + 1e-3;
        for (int k = 0; k < 4; ++k) {
            QVERIFY(std::abs(roi->polygon[std::size_t(k)].x - pts[k].x()) < tol);
            QVERIFY(std::abs(roi->polygon[std::size_t(k)].y - pts[k].y()) < tol);
        }
        // One step on the undo stack: undo brings the rectangle back.
        m_page->undo();
        QCOMPARE(projectRoi(*m_store), rect);
    }

    void screenshot()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (outDir.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save dataset_roi.png");
        // A rectangle inside the part's surface, as an operator would draw it.
        setProjectRoi(*m_store, kizu::imaging::Roi::rect(0.08, 0.12, 0.84, 0.7));
        m_page->setStore(m_store.get());
        int ng = -1;
        for (int r = 0; r < model()->rowCount() && ng < 0; ++r)
            if (model()->labelAt(r) == Label::Ng && model()->record(r)->source == "import") ng = r;
        // Room for the preview: half the page.
        for (auto* sp : m_page->findChildren<QSplitter*>())
            if (sp->orientation() == Qt::Horizontal) sp->setSizes({620, 780});
        m_page->grid()->selectRow(std::max(0, ng));
        QTRY_VERIFY_WITH_TIMEOUT(preview()->hasImage(), 10000);
        preview()->fit();
        QTest::qWait(1500); // thumbnails
        QVERIFY(m_page->grab().save(outDir + "/dataset_roi.png"));
    }
};

QTEST_MAIN(TestDatasetRoi)
#include "test_dataset_roi.moc"
