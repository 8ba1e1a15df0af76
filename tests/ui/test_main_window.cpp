// The main window opens a project and shows its counts; recent projects are remembered.
#include "core/project/project_store.h"
#include "ui/main_window.h"

#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

using namespace kizu::project;

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("KizuTest");
        QCoreApplication::setApplicationName("test_main_window");
        QSettings().clear();
    }

    void opensProjectAndShowsCounts()
    {
        const std::string dir = m_tmp.filePath("p").toStdString();
        {
            auto store = ProjectStore::create(dir);
            for (int i = 0; i < 5; ++i) {
                cv::Mat m(8, 8, CV_8UC3, cv::Scalar(i * 40, 1, 2));
                std::vector<uchar> buf;
                cv::imencode(".png", m, buf);
                store.addEncodedImage(std::string(buf.begin(), buf.end()), ".png", "test", "",
                                      i < 3 ? Label::Ok : Label::Ng);
            }
        }
        kizu::ui::MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(dir)));
        QVERIFY(w.store());
        QCOMPARE(w.pages()->count(), 5);
        QStringList texts;
        for (auto* l : w.statusBar()->findChildren<QLabel*>()) texts << l->text();
        const QString all = texts.join('|');
        QVERIFY2(all.contains("5 images") && all.contains("OK 3") && all.contains("NG 2"),
                 qPrintable(all));
        QCOMPARE(QSettings().value("project/recent").toStringList().value(0),
                 QFileInfo(QString::fromStdString(dir)).absoluteFilePath());
        QCOMPARE(QSettings().value("project/last").toString(),
                 QFileInfo(QString::fromStdString(dir)).absoluteFilePath());
    }

    void folderThatIsNotAProjectOffersNewProject()
    {
        // A folder of photos opened by mistake: the window says what is wrong and offers to
        // create a project there (File > New Project), instead of only refusing.
        const QString dir = m_tmp.filePath("photos");
        QVERIFY(QDir().mkpath(dir));
        kizu::ui::MainWindow w;
        w.show();
        QVERIFY(!w.openProject(dir));
        QVERIFY(!w.store());
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = w.findChild<QMessageBox*>(QStringLiteral("notAProject"))));
        QVERIFY(box->isVisible());
        QVERIFY2(box->text().contains(QStringLiteral("not a Kizu project")), qPrintable(box->text()));
        QVERIFY2(box->informativeText().contains(QStringLiteral("File > New Project")),
                 qPrintable(box->informativeText()));
        auto* here = box->findChild<QPushButton*>(QStringLiteral("newProjectHere"));
        QVERIFY(here);
        QVERIFY(box->findChild<QPushButton*>(QStringLiteral("newProjectElsewhere")));
        if (const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR"); !out.isEmpty()) {
            QTest::qWait(200);
            QVERIFY(box->grab().save(out + QStringLiteral("/not_a_project.png")));
        }
        here->click();
        QTRY_VERIFY(w.store());
        QVERIFY(ProjectStore::isProject(dir.toStdString()));
        QCOMPARE(QFileInfo(QString::fromStdString(w.store()->dir().string())).absoluteFilePath(),
                 QFileInfo(dir).absoluteFilePath());
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
