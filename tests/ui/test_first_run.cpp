// First run: the demo project is made on the spot (labeled CG renders) and opened; cancelling
// it leaves nothing behind; the guided tour walks the five pages with Next/Back/Esc.
// kizu-test-timeout: 180
#include "core/project/project_store.h"
#include "ui/cg_studio_page.h"
#include "ui/cg_viewport.h"
#include "ui/guided_tour.h"
#include "ui/main_window.h"

#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace kizu::project;

class TestFirstRun : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("KizuTest");
        QCoreApplication::setApplicationName("test_first_run");
        QSettings().clear();
        qunsetenv("KIZU_BSDATA"); // the CG demo, as on a machine without the photos
    }

    void demoProjectIsMadeAndOpened()
    {
        kizu::ui::MainWindow w;
        const QString dir = m_tmp.filePath("demo");
        QVERIFY(w.createDemoProject(dir));
        QVERIFY(w.store());
        const auto stats = w.store()->stats();
        QCOMPARE(stats.total(), std::int64_t(160));
        QCOMPARE(stats.byLabel(Label::Ok), std::int64_t(80));
        QCOMPARE(stats.byLabel(Label::Ng), std::int64_t(80));
        QVERIFY(stats.bySplit(Split::Test) > 0 && stats.bySplit(Split::Train) > 0);
        QCOMPARE(QSettings().value("project/recent").toStringList().value(0),
                 QFileInfo(dir).absoluteFilePath());
        // Asking again opens the same project instead of making another.
        kizu::ui::MainWindow w2;
        QVERIFY(w2.createDemoProject(dir));
        QCOMPARE(w2.store()->stats().total(), std::int64_t(160));
    }

    void cancelledDemoLeavesNothing()
    {
        kizu::ui::MainWindow w;
        const QString dir = m_tmp.filePath("cancelled");
        bool sawDialog = false;
        QTimer timer;
        connect(&timer, &QTimer::timeout, [&] {
            for (auto* top : QApplication::topLevelWidgets())
                if (auto* d = qobject_cast<QProgressDialog*>(top); d && d->isVisible()) {
                    sawDialog = true;
                    if (auto* b = d->findChild<QPushButton*>()) b->click(); // as a person would
                }
        });
        timer.start(30);
        QVERIFY(!w.createDemoProject(dir));
        QVERIFY(sawDialog);
        QVERIFY(!w.store());
        QVERIFY(!QFileInfo::exists(dir));
    }

    void defaultDemoDirAvoidsForeignFolders()
    {
        const QString first = kizu::ui::MainWindow::defaultDemoDir();
        QVERIFY(first.endsWith("Kizu Demo"));
        QDir().mkpath(first);
        QFile f(first + "/notes.txt"); // someone's folder, not a project
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const QString second = kizu::ui::MainWindow::defaultDemoDir();
        QVERIFY(second.endsWith("Kizu Demo 2"));
        QDir(first).removeRecursively();
    }

    void screenshots()
    {
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (out.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR (under Xvfb) to save screenshots");
        kizu::ui::MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // The welcome offer: grabbed, then answered "Not Now".
        bool grabbed = false;
        QTimer::singleShot(800, [&] {
            for (auto* top : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) {
                    grabbed = box->grab().save(out + "/first_run_welcome.png");
                    for (auto* b : box->buttons())
                        if (b->text().contains("Not Now")) b->click();
                }
        });
        w.offerFirstRun();
        QVERIFY(grabbed);
        QVERIFY(w.createDemoProject(m_tmp.filePath("shots-demo")));
        w.startTour();
        QTest::keyClick(w.tour(), Qt::Key_Right);
        QTest::keyClick(w.tour(), Qt::Key_Right);
        QTest::qWait(1500);
        QVERIFY(w.grab().save(out + "/guided_tour.png"));
        QTest::keyClick(w.tour(), Qt::Key_Escape);
    }

    // The 3D view is a native window drawn above every widget: a card under it is cut off.
    void tourCardStaysClearOfThe3DView()
    {
        kizu::ui::MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.startTour();
        auto* tour = w.tour();
        QTest::keyClick(tour, Qt::Key_Right);
        QCOMPARE(w.pages()->currentIndex(), 1);
        QVERIFY(tour->currentTitle().contains("CG Studio"));
        QWidget* view = w.cgStudioPage()->viewport();
        QVERIFY(view->isVisible());
        const QRect viewRect(view->mapTo(&w, QPoint(0, 0)), view->size());
        QWidget* card = tour->card();
        const QRect cardRect(card->mapTo(&w, QPoint(0, 0)), card->size());
        QVERIFY2(!cardRect.intersects(viewRect),
                 qPrintable(QStringLiteral("card %1,%2 %3x%4 over the 3D view %5,%6 %7x%8")
                                .arg(cardRect.x())
                                .arg(cardRect.y())
                                .arg(cardRect.width())
                                .arg(cardRect.height())
                                .arg(viewRect.x())
                                .arg(viewRect.y())
                                .arg(viewRect.width())
                                .arg(viewRect.height())));
        QVERIFY(w.rect().contains(cardRect));
        QPushButton* next = tour->nextButton();
        const QRect nextRect(next->mapTo(&w, QPoint(0, 0)), next->size());
        QVERIFY(cardRect.contains(nextRect));
        QVERIFY(next->width() >= next->sizeHint().width());
        QVERIFY(next->visibleRegion().boundingRect() == next->rect());
        // The page under the tour gets no single keys: R would reroll the CG sample.
        const quint64 seed = w.cgStudioPage()->seed();
        QTest::keyClick(tour, Qt::Key_R);
        QCOMPARE(w.cgStudioPage()->seed(), seed);
        QCOMPARE(tour->step(), 1);
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (!out.isEmpty()) {
            QTest::qWait(1500);
            // From the screen: a widget grab leaves out the native 3D window.
            QVERIFY(w.screen()->grabWindow(w.winId()).save(out + "/guided_tour_cg_studio.png"));
        }
        QTest::keyClick(tour, Qt::Key_Escape);
    }

    void tourWalksThePages()
    {
        kizu::ui::MainWindow w;
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.startTour();
        auto* tour = w.tour();
        QVERIFY(tour && tour->isVisible());
        QCOMPARE(tour->stepCount(), 5);
        QCOMPARE(w.pages()->currentIndex(), 0);
        QSignalSpy finished(tour, &kizu::ui::GuidedTour::finished);
        QTest::keyClick(tour, Qt::Key_Right);
        QTest::keyClick(tour, Qt::Key_Right);
        QCOMPARE(tour->step(), 2);
        QCOMPARE(w.pages()->currentIndex(), 2);
        QVERIFY(tour->currentTitle().contains("Train"));
        QTest::keyClick(tour, Qt::Key_Left);
        QCOMPARE(w.pages()->currentIndex(), 1);
        QTest::keyClick(tour, Qt::Key_Escape);
        QVERIFY(!tour->isVisible());
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).toBool(), false);
        QVERIFY(QSettings().value("tour/done").toBool());
        // Again, to the end with Next.
        w.startTour();
        QCOMPARE(w.pages()->currentIndex(), 0);
        for (int i = 0; i < 5; ++i) QTest::keyClick(tour, Qt::Key_Return);
        QVERIFY(!tour->isVisible());
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(0).toBool(), true);
        QCOMPARE(w.pages()->currentIndex(), 4);
    }
};

QTEST_MAIN(TestFirstRun)
#include "test_first_run.moc"
