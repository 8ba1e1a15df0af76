// The Inspect page on the line (docs/line.md): a run with the project's Modbus output on
// answers a real libmodbus client with the counter, the page shows the line's state, and the
// Results tab lists, filters, charts and exports what the run recorded, showing a kept NG frame
// with its heat map. With KIZU_SCREENSHOT_DIR set, a picture of the Results tab.
#include "common/test_classifiers.h"
#include "core/line/line_config.h"
#include "core/project/project_store.h"
#include "ui/inspect_page.h"
#include "ui/results_view.h"

#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <modbus/modbus.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <qcustomplot.h>

using namespace kizu;
using kizu::test::BrightnessClassifier;

namespace {
// n frames, every other one bright (NG for the brightness method) with a dark scratch.
QString makeFrames(const QString& dir, int n)
{
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i) {
        cv::Mat m(60, 80, CV_8UC3, cv::Scalar::all(i % 2 ? 200 : 60));
        cv::line(m, {10, 10 + i}, {70, 40}, cv::Scalar::all(i % 2 ? 40 : 90), 2);
        cv::imwrite(QStringLiteral("%1/%2.png").arg(dir).arg(i, 3, 10, QChar('0')).toStdString(),
                    m);
    }
    return dir;
}
} // namespace

class TestLineResults : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    // A run of `frames` frames with the Modbus output on; the PLC client's counter reading.
    void runWithModbus(ui::InspectPage& page, project::ProjectStore& store, int frames)
    {
        line::LineConfig cfg;
        cfg.modbus = "127.0.0.1:0";
        line::saveLineConfig(store, cfg);
        page.setSourceUri("folder:" + makeFrames(m_tmp.filePath("frames"), frames) + "?fps=10");
        QSignalSpy stopped(page.pipeline(), &ui::InspectPipeline::stopped);
        page.startInspection();
        QVERIFY(page.lineOutputs() && page.lineOutputs()->modbus);
        const int port = page.lineOutputs()->modbus->port();
        modbus_t* plc = modbus_new_tcp("127.0.0.1", port);
        QCOMPARE(modbus_connect(plc), 0);
        std::uint16_t ir[4] = {};
        QTRY_VERIFY_WITH_TIMEOUT(modbus_read_input_registers(plc, 0, 4, ir) == 4 && ir[3] >= 3,
                                 10000);
        QCOMPARE(int(ir[1]), 1); // running
        QTRY_VERIFY(page.lineStatusText().contains("Modbus 127.0.0.1:"));
        modbus_close(plc);
        modbus_free(plc);
        QVERIFY(stopped.wait(30000));
        QVERIFY(!page.lineOutputs()); // the outputs end with the run
    }

private Q_SLOTS:
    void runWithModbusThenResultsTab()
    {
        auto store = project::ProjectStore::create(m_tmp.filePath("p1").toStdString());
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.resize(1300, 800);
        runWithModbus(page, store, 8);

        page.tabs()->setCurrentWidget(page.resultsView());
        ui::ResultsView* results = page.resultsView();
        QCOMPARE(results->rowCount(), 8);
        QVERIFY2(results->summaryText().contains("4 NG") &&
                     results->summaryText().contains("NG rate 50.0"),
                 qPrintable(results->summaryText()));
        project::InspectionFilter ng;
        ng.state = inspect::State::Ng;
        results->setFilter(ng);
        QCOMPARE(results->rowCount(), 4);
        QVERIFY(results->chart()->plottableCount() >= 2); // OK and NG bars
        QSignalSpy heat(results, &ui::ResultsView::heatmapDone);
        results->selectRow(0);
        QVERIFY(!results->shownImage().isNull()); // the kept NG frame
        QVERIFY(heat.wait(10000));
        QVERIFY2(results->heatmapShown(), qPrintable(results->imageNote()));
        const QString csv = m_tmp.filePath("ng.csv");
        QVERIFY(results->exportCsv(csv));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto lines = f.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 5);
        QVERIFY(lines[0].startsWith("id,time,at_ms,verdict"));
        QVERIFY(lines[1].contains(",NG,") && lines[1].contains("brightness-0.5"));
        project::InspectionFilter none;
        none.partId = "no such part";
        results->setFilter(none);
        QCOMPARE(results->rowCount(), 0);
    }

    void screenshot()
    {
        const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (out.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save a screenshot");
        QDir().mkpath(out);
        auto store = project::ProjectStore::create(m_tmp.filePath("p2").toStdString());
        ui::InspectPage page;
        page.setProject(&store);
        page.setClassifierFactory([] { return std::make_unique<BrightnessClassifier>(); },
                                  "brightness");
        page.resize(1400, 860);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        runWithModbus(page, store, 30);
        page.tabs()->setCurrentWidget(page.resultsView());
        QSignalSpy heat(page.resultsView(), &ui::ResultsView::heatmapDone);
        page.resultsView()->selectRow(0); // the newest: an NG frame (every other frame is NG)
        heat.wait(5000);
        QTest::qWait(300);
        QVERIFY(page.grab().save(out + "/inspect_results.png"));
    }
};

QTEST_MAIN(TestLineResults)
#include "test_line_results.moc"
