// Station mode (docs/station.md): the operator's locked Inspect view, the engineer PIN that
// guards leaving it and changing the inspection, deleting images on the Dataset page.
#include "core/project/engineer_pin.h"
#include "core/project/project_store.h"
#include "ui/dataset_page.h"
#include "ui/camera_group.h"
#include "ui/inspect_page.h"
#include "ui/main_window.h"
#include "ui/pin_dialog.h"
#include "ui/thumbnail_grid.h"
#include "ui/thumbnail_model.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QPointer>
#include <QTimer>
#include <QtTest>
#include <functional>
#include <opencv2/imgcodecs.hpp>

using namespace kizu::project;
using kizu::ui::MainWindow;
using kizu::ui::PinDialog;

namespace {
std::string makeProject(const QString& dir, bool withPin)
{
    auto store = ProjectStore::create(dir.toStdString());
    for (int i = 0; i < 4; ++i) {
        cv::Mat m(48, 64, CV_8UC3, cv::Scalar(i * 50, 90, 140));
        std::vector<uchar> buf;
        cv::imencode(".png", m, buf);
        store.addEncodedImage(std::string(buf.begin(), buf.end()), ".png", "test", "",
                              i < 2 ? Label::Ok : Label::Ng);
    }
    if (withPin) setEngineerPin(store, "4711", "eng");
    return dir.toStdString();
}

QPointer<QTimer> g_answer; // the prompt answerer in flight, removed after each test

// Answers the next PIN prompt: each step gets the dialog (types, presses Unlock, checks).
void answerPin(std::vector<std::function<void(PinDialog*)>> steps)
{
    auto* timer = new QTimer;
    g_answer = timer;
    auto remaining = std::make_shared<std::vector<std::function<void(PinDialog*)>>>(std::move(steps));
    QObject::connect(timer, &QTimer::timeout, [timer, remaining] {
        auto* d = qobject_cast<PinDialog*>(QApplication::activeModalWidget());
        if (!d || !d->isVisible()) return;
        auto step = remaining->front();
        remaining->erase(remaining->begin());
        step(d);
        if (remaining->empty()) timer->deleteLater();
    });
    timer->start(20);
}

QMenu* menuNamed(MainWindow& w, const QString& text)
{
    for (QAction* a : w.menuBar()->actions())
        if (a->menu() && a->text().remove('&') == text) return a->menu();
    return nullptr;
}
} // namespace

class TestStation : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("KizuTest");
        QCoreApplication::setApplicationName("test_station");
        QSettings().clear();
    }

    void cleanup() { delete g_answer.data(); }

    void stationHidesEditingAndThePinGuardsLeaving()
    {
        const auto dir = makeProject(m_tmp.filePath("p1"), true);
        MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(dir)));
        w.show();
        QVERIFY(w.enterStationMode(false));
        QVERIFY(w.isStationMode());
        QCOMPARE(w.pages()->currentWidget(), static_cast<QWidget*>(w.inspectPage()));
        QVERIFY(!w.pages()->tabBar()->isVisible());
        QVERIFY(!menuNamed(w, "File")->menuAction()->isVisible());
        QVERIFY(!w.datasetPage()->importFilesAction()->isEnabled()); // its shortcut too
        QVERIFY(!w.inspectPage()->findChild<QComboBox*>("inspectMethod")->isEnabled());
        QVERIFY(!w.inspectPage()->cameraGroup()->isEnabled()); // exposure, trigger: the engineer's
        QVERIFY(w.leaveStationAction()->isVisible());
        w.pages()->setCurrentIndex(0); // a page mnemonic does not leave the Inspect page
        QCOMPARE(w.pages()->currentWidget(), static_cast<QWidget*>(w.inspectPage()));
        // Esc (inspection stopped) asks the PIN: a wrong one is refused, the right one leaves.
        QString wrongMessage;
        answerPin({[&](PinDialog* d) {
                       d->pinEdit()->setText("0000");
                       d->tryAccept();
                       wrongMessage = d->messageLabel()->text();
                   },
                   [](PinDialog* d) {
                       d->pinEdit()->setText("4711");
                       d->tryAccept();
                   }});
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.inspectPage()->setFocus();
        QTest::keyClick(w.inspectPage(), Qt::Key_Escape);
        QVERIFY2(wrongMessage.contains("Wrong PIN"), qPrintable(wrongMessage));
        QVERIFY(!w.isStationMode());
        QVERIFY(w.pages()->tabBar()->isVisible());
        QVERIFY(w.datasetPage()->importFilesAction()->isEnabled());
        QVERIFY(!w.datasetPage()->undoAction()->isEnabled()); // as it was: nothing to undo
        QVERIFY(w.inspectPage()->findChild<QComboBox*>("inspectMethod")->isEnabled());
        QVERIFY(w.inspectPage()->cameraGroup()->isEnabled());
        AuditFilter f;
        f.action = "station";
        QCOMPARE(int(w.store()->audit(f).size()), 2); // entered, left
    }

    void cancelledPinKeepsTheStationAndEngineerUnlockHolds()
    {
        const auto dir = makeProject(m_tmp.filePath("p2"), true);
        MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(dir)));
        QVERIFY(w.enterStationMode(false));
        answerPin({[](PinDialog* d) { d->reject(); }});
        QVERIFY(!w.leaveStationMode());
        QVERIFY(w.isStationMode());
        QVERIFY(!w.engineerUnlocked());
        answerPin({[](PinDialog* d) {
            d->pinEdit()->setText("4711");
            d->tryAccept();
        }});
        QVERIFY(w.requireEngineer("change the method"));
        QVERIFY(w.engineerUnlocked());
        QVERIFY(w.inspectPage()->findChild<QComboBox*>("inspectMethod")->isEnabled());
        QVERIFY(w.requireEngineer("again")); // no second prompt while unlocked
        QVERIFY(w.isStationMode());
        QVERIFY(!w.pages()->tabBar()->isVisible()); // the other pages stay hidden
    }

    void firstUseSetsThePin()
    {
        const auto dir = makeProject(m_tmp.filePath("p3"), false);
        MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(dir)));
        QString differ;
        answerPin({[&](PinDialog* d) {
                       QVERIFY(d->settingNewPin());
                       d->pinEdit()->setText("2468");
                       d->repeatEdit()->setText("2469");
                       d->tryAccept();
                       differ = d->messageLabel()->text();
                   },
                   [](PinDialog* d) {
                       d->pinEdit()->setText("2468");
                       d->repeatEdit()->setText("2468");
                       d->tryAccept();
                   }});
        QVERIFY(w.enterStationMode(false));
        QVERIFY(differ.contains("differ"));
        QVERIFY(checkEngineerPin(*w.store(), "2468"));
    }

    void datasetPageDeletesImages()
    {
        const auto dir = makeProject(m_tmp.filePath("p4"), false);
        auto store = ProjectStore::open(dir);
        kizu::ui::DatasetPage page;
        page.setStore(&store);
        QCOMPARE(page.deleteAction()->shortcut(), QKeySequence(QKeySequence::Delete));
        QVERIFY(page.grid()->actions().contains(page.deleteAction())); // its context menu
        const qint64 id = page.model()->idAt(0);
        const auto file = store.imagePath(*store.image(id));
        // The action asks first: Cancel keeps the image, Yes deletes it.
        page.grid()->selectRow(0);
        auto answer = [](QMessageBox::StandardButton which) {
            QTimer::singleShot(50, [which] {
                if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
                    box->button(which)->click();
            });
        };
        answer(QMessageBox::Cancel);
        page.deleteAction()->trigger();
        QCOMPARE(page.model()->rowCount(), 4);
        answer(QMessageBox::Yes);
        page.deleteAction()->trigger();
        QCOMPARE(page.model()->rowCount(), 3);
        QVERIFY(!store.image(id));
        QVERIFY(!std::filesystem::exists(file));
        QCOMPARE(store.audit().back().action, std::string("delete"));
        // The locked test split: refused (the page says why), forced on request.
        const qint64 next = page.model()->idAt(0);
        store.setSplit({next}, Split::Test);
        store.setTestSplitLocked(true);
        QTimer::singleShot(50, [] {
            if (auto* box = QApplication::activeModalWidget()) box->close();
        });
        QCOMPARE(page.deleteImages({next}), -1);
        QCOMPARE(page.deleteImages({next}, true), 1);
        QCOMPARE(store.countImages(), std::int64_t(2));
    }

    void screenshots()
    {
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (out.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR (under Xvfb) to save screenshots");
        const auto dir = makeProject(m_tmp.filePath("shots"), true);
        MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(dir)));
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.enterStationMode(false));
        QTest::qWait(500);
        QVERIFY(w.grab().save(out + "/station_locked.png"));
        bool grabbed = false;
        answerPin({[&](PinDialog* d) {
            d->pinEdit()->setText("0000");
            d->tryAccept();
            QTest::qWait(200);
            grabbed = d->grab().save(out + "/station_pin_prompt.png");
            d->reject();
        }});
        QVERIFY(!w.leaveStationMode());
        QVERIFY(grabbed);
    }
};

QTEST_MAIN(TestStation)
#include "test_station.moc"
