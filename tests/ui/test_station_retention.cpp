// The Inspect page under the free-disk floor (set above the real free space): inspection goes
// on, no NG frame is kept, the warning shows on the page and is logged once; and the Results
// tab's Retention... dialog shows the defaults and saves the project's policy.
// kizu-test-timeout: 120
#include "common/test_classifiers.h"
#include "core/inspect/retention.h"
#include "core/project/project_store.h"
#include "ui/inspect_page.h"
#include "ui/results_view.h"
#include "ui/retention_dialog.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

using namespace kizu;

namespace {
QStringList g_warnings;
QtMessageHandler g_previous = nullptr;
void collect(QtMsgType type, const QMessageLogContext& ctx, const QString& msg)
{
    if (type == QtWarningMsg) g_warnings << msg;
    if (g_previous) g_previous(type, ctx, msg);
}
} // namespace

class TestStationRetention : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void floorWarnsOnceAndInspectionGoesOn()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p").toStdString());
        const auto free = inspect::freeDiskBytes(store.dir());
        QVERIFY(free);
        inspect::saveRetentionPolicy(store, {30, 20, double(*free) / 1e9 + 1.0});
        const QString frames = m_tmp.filePath("frames");
        QDir().mkpath(frames);
        for (int i = 0; i < 8; ++i) // all bright: NG for the brightness method
            QVERIFY(cv::imwrite(QString("%1/f%2.png").arg(frames).arg(i).toStdString(),
                                cv::Mat(40, 60, CV_8UC3, cv::Scalar::all(200 + i))));
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<test::BrightnessClassifier>(); },
                                  "brightness");
        page.setSourceUri("folder:" + frames + "?fps=50");
        page.resize(1200, 700);
        page.show();
        QCOMPARE(page.diskWarningText(), QString());
        QSignalSpy results(page.pipeline(), &ui::InspectPipeline::resultReady);
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        g_warnings.clear();
        g_previous = qInstallMessageHandler(collect);
        page.startInspection();
        const bool ended = stopped.wait(60000);
        qInstallMessageHandler(g_previous);
        QVERIFY(ended);
        QVERIFY(results.count() >= 1);
        for (const auto& args : results) {
            const auto r = args.at(0).value<ui::InspectResult>();
            QCOMPARE(r.state, inspect::State::Ng);
            QCOMPARE(r.imageId, qint64(-1)); // not kept
            QVERIFY(r.diskBelowFloor);
        }
        QVERIFY2(page.diskWarningText().contains("under the floor"),
                 qPrintable(page.diskWarningText()));
        auto* label = page.findChild<QLabel*>("inspectDiskWarning");
        QVERIFY(label && label->isVisible());
        QCOMPARE(g_warnings.filter("under the floor").size(), 1); // once, not per frame
        QCOMPARE(store.countImages(), std::int64_t(0));
        QCOMPARE(store.inspectionCount(), std::int64_t(results.count()));
        // The Results tab says why a result has no frame.
        page.resultsView()->refresh();
        page.resultsView()->selectRow(0);
        QVERIFY2(page.resultsView()->imageNote().contains("under the retention floor"),
                 qPrintable(page.resultsView()->imageNote()));
    }

    void retentionDialogShowsDefaultsAndSaves()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("d").toStdString());
        ui::ResultsView view;
        view.setProject(&store);
        bool seen = false;
        QTimer::singleShot(0, this, [&] {
            auto* dialog = qobject_cast<ui::RetentionDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            seen = true;
            // The defaults are shown, beside the fields and in them for a new project.
            QCOMPARE(dialog->findChild<QDoubleSpinBox*>("retentionDays")->value(), 30.0);
            QVERIFY(!dialog->findChildren<QLabel*>().isEmpty());
            bool defaultShown = false;
            for (auto* l : dialog->findChildren<QLabel*>())
                defaultShown |= l->text().contains("default 20 GB");
            QVERIFY(defaultShown);
            dialog->findChild<QDoubleSpinBox*>("retentionDays")->setValue(7);
            dialog->findChild<QDoubleSpinBox*>("retentionMaxGb")->setValue(0); // no limit
            dialog->accept();
        });
        view.editRetention();
        QVERIFY(seen);
        const auto p = inspect::loadRetentionPolicy(store);
        QCOMPARE(p.days, 7.0);
        QCOMPARE(p.maxGb, 0.0);
        QCOMPARE(p.minFreeGb, 2.0);
    }
};

QTEST_MAIN(TestStationRetention)
#include "test_station_retention.moc"
