// The Compare page offscreen: the metrics table, confusion matrices and error list follow a
// threshold; the ROC chart draws one curve and one operating point per method and moves the
// point live; the shots chart reads an experiment CSV; the whole page evaluates an (untrained)
// model and the baseline on a project in the background, caches the scores, relabels through
// the audited store and exports HTML and PDF reports. With KIZU_SCREENSHOT_DIR and
// KIZU_SCREENSHOT_PROJECT set it saves pictures of the page in the main window (run under
// xvfb-run with QT_QPA_PLATFORM=xcb; KIZU_SCREENSHOT_CSV adds the shots chart). The page and
// kizu-cli compare give the same numbers; a tiny sweep runs, cancels and resumes on the page.
// kizu-test-timeout: 300
#include "ui/baseline_panel.h"
#include "ui/baseline_tune_offer.h"
#include "ui/compare_charts.h"
#include "ui/compare_models.h"
#include "ui/compare_page.h"
#include "ui/inspect_page.h"
#include "ui/main_window.h"
#include "ui/model_overlay.h"
#include "ui/sweep_panel.h"

#include "common/test_support.h"
#include "core/common/fs_util.h"
#include "core/learn/defaults.h"
#include "core/learn/model.h"
#include "core/project/project_store.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace kizu::ui;
using kizu::learn::kNg;
using kizu::learn::kOk;
namespace fs = std::filesystem;

namespace {
kizu::learn::MethodScores method(const std::string& name, std::vector<float> scores,
                                 double threshold, const std::string& kind = "model")
{
    kizu::learn::MethodScores m;
    m.id = m.name = name;
    m.kind = kind;
    m.threshold = threshold;
    m.scores = std::move(scores);
    m.msPerImage = 4.5;
    return m;
}

CompareData sampleData()
{
    CompareData d;
    d.description = QStringLiteral("sample");
    d.labels = {kOk, kOk, kOk, kNg, kNg, kNg};
    for (int i = 0; i < 6; ++i)
        d.items.push_back({"/img/im" + std::to_string(i) + ".png", d.labels[std::size_t(i)], {}});
    d.methods.push_back(method("model", {0.1f, 0.2f, 0.6f, 0.4f, 0.8f, 0.9f}, 0.5));
    d.methods.push_back(method("baseline", {0.0f, 1.5f, 0.2f, 2.0f, 3.0f, 0.5f}, 1.0, "baseline"));
    return d;
}

// A project of 12 photos (every second one NG, with a dark pit): the first eight in the train
// split, the last four in the test split.
kizu::project::ProjectStore makeSplitProject(const fs::path& root)
{
    for (int i = 0; i < 12; ++i) {
        const bool ng = i % 2 == 1;
        cv::RNG rng(std::uint64_t(500 + i));
        cv::Mat im(120, 200, CV_8UC3);
        rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
        if (ng) cv::circle(im, cv::Point(60 + 7 * i, 60), 9, cv::Scalar::all(10), -1);
        fs::create_directories(root / "photos" / (ng ? "ng" : "ok"));
        cv::imwrite(
            (root / "photos" / (ng ? "ng" : "ok") / ("p" + std::to_string(i) + ".png")).string(),
            im);
    }
    auto store = kizu::project::ProjectStore::create(root / "proj");
    store.importPaths({root / "photos"});
    store.labelFromFolders();
    std::vector<std::int64_t> train, test;
    for (const auto& b : store.imageBriefs())
        (train.size() < 8 ? train : test).push_back(b.id);
    store.setSplit(train, kizu::project::Split::Train);
    store.setSplit(test, kizu::project::Split::Test);
    return store;
}

QString cell(QAbstractItemModel& m, int r, int c, int role = Qt::DisplayRole)
{
    return m.data(m.index(r, c), role).toString();
}
} // namespace

class TestComparePage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qputenv("KIZU_NO_DIALOGS", "1"); }

    void tableFollowsThreshold()
    {
        CompareTableModel table;
        QSignalSpy changed(&table, &CompareTableModel::metricsChanged);
        table.setData(sampleData());
        QCOMPARE(table.rowCount(), 2);
        QCOMPARE(table.columnCount(), int(CompareTableModel::ColumnCount));
        QCOMPARE(cell(table, 0, CompareTableModel::Method), QStringLiteral("model"));
        // model at 0.5: tp 2 (0.8, 0.9), fn 1 (0.4), fp 1 (0.6), tn 2.
        QCOMPARE(cell(table, 0, CompareTableModel::Accuracy), QStringLiteral("0.667"));
        QCOMPARE(cell(table, 0, CompareTableModel::F1), QStringLiteral("0.667"));
        QCOMPARE(cell(table, 0, CompareTableModel::MsPerImage), QStringLiteral("4.5"));
        ConfusionModel cm(&table, 0);
        QCOMPARE(cm.data(cm.index(1, 1), Qt::UserRole).toLongLong(), 2LL); // true NG found
        QCOMPARE(cm.data(cm.index(1, 0), Qt::UserRole).toLongLong(), 1LL); // missed
        QCOMPARE(cm.data(cm.index(0, 1), Qt::UserRole).toLongLong(), 1LL); // false alarm
        QSignalSpy cmChanged(&cm, &QAbstractItemModel::dataChanged);
        changed.clear();
        table.setThreshold(0, 0.35);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().first().toInt(), 0);
        QCOMPARE(cmChanged.count(), 1);
        QCOMPARE(cm.data(cm.index(1, 1), Qt::UserRole).toLongLong(), 3LL);
        QCOMPARE(cm.data(cm.index(1, 0), Qt::UserRole).toLongLong(), 0LL);
        QCOMPARE(table.data(table.index(0, CompareTableModel::NgRecall), Qt::UserRole).toDouble(),
                 1.0);
        // AUC does not depend on the threshold; the baseline row is untouched.
        const double auc =
            table.data(table.index(0, CompareTableModel::Auc), Qt::UserRole).toDouble();
        table.setThreshold(0, 0.85);
        QCOMPARE(table.data(table.index(0, CompareTableModel::Auc), Qt::UserRole).toDouble(), auc);
        QCOMPARE(cell(table, 1, CompareTableModel::Threshold), QStringLiteral("1.000"));
        // A corrected label recomputes every method.
        table.setThreshold(0, 0.5);
        table.setLabel(2, kNg); // score 0.6 now a true NG for the model
        QCOMPARE(cm.data(cm.index(1, 1), Qt::UserRole).toLongLong(), 3LL);
        QCOMPARE(cm.data(cm.index(0, 1), Qt::UserRole).toLongLong(), 0LL);
    }

    void errorListFilters()
    {
        CompareTableModel table;
        ErrorListModel errors(&table);
        table.setData(sampleData());
        // model wrong on 2 and 3; baseline wrong on 1 and 5. Image 0 and 4: both right.
        errors.setFilter(kizu::learn::ErrorFilter::Errors);
        QCOMPARE(errors.rowCount(), 4);
        QCOMPARE(errors.columnCount(), 4);
        errors.setFilter(kizu::learn::ErrorFilter::Errors, 1);
        QCOMPARE(errors.rowCount(), 2);
        for (int r = 0; r < errors.rowCount(); ++r)
            QVERIFY(errors.data(errors.index(r, 3), Qt::UserRole).toBool());
        errors.setFilter(kizu::learn::ErrorFilter::All);
        QCOMPARE(errors.rowCount(), 6);
        // The list follows a threshold: at 0.05 every OK image is a model error.
        errors.setFilter(kizu::learn::ErrorFilter::Errors, 0);
        table.setThreshold(0, 0.05);
        QCOMPARE(errors.rowCount(), 3);
        QVERIFY(cell(errors, 0, 2).startsWith(QStringLiteral("NG")));
        QCOMPARE(cell(errors, 0, 1), QStringLiteral("OK"));
    }

    void rocChartFollowsThreshold()
    {
        CompareTableModel table;
        RocChart chart;
        chart.resize(480, 480);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setTable(&table);
        // Before an evaluation: no curves, no (empty) legend.
        QVERIFY(!chart.plot()->legend->visible());
        table.setData(sampleData());
        QCOMPARE(chart.curveCount(), 2);
        QCOMPARE(chart.plot()->plottableCount(), 1 + 2 + 2); // chance line, curves, points
        QCOMPARE(chart.plot()->legend->itemCount(), 2);
        // The legend sits outside the axes, where it covers no curve.
        QVERIFY(chart.plot()->legend->visible());
        chart.plot()->replot();
        QVERIFY(!chart.plot()->legend->outerRect().intersects(chart.plot()->axisRect()->rect()));
        QVERIFY(chart.plot()->legend->outerRect().height() > 20);
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (!outDir.isEmpty()) QVERIFY(chart.grab().save(outDir + "/roc_legend.png"));
        QPointF p = chart.operatingPoint(0);
        QVERIFY(qAbs(p.x() - 1.0 / 3.0) < 1e-9);
        QVERIFY(qAbs(p.y() - 2.0 / 3.0) < 1e-9);
        table.setThreshold(0, 0.95); // nothing is NG
        p = chart.operatingPoint(0);
        QCOMPARE(p, QPointF(0, 0));
        table.setThreshold(0, 0.0); // everything is NG
        QCOMPARE(chart.operatingPoint(0), QPointF(1, 1));
        // The curve of the model runs from (0,0) to (1,1).
        auto* curve = qobject_cast<QCPCurve*>(chart.plot()->plottable(1));
        QVERIFY(curve);
        QCOMPARE(curve->data()->at(0)->key, 0.0);
        QCOMPARE(curve->data()->at(curve->data()->size() - 1)->value, 1.0);
    }

    void shotsChart()
    {
        QTemporaryDir tmp;
        const QString csv = tmp.filePath(QStringLiteral("results.csv"));
        kizu::writeFileAtomic(
            csv.toStdString(),
            "arch,size,init,shots,seed,steps,accuracy,balanced_accuracy,ng_precision,ng_recall,"
            "f1,auc,threshold,train_seconds,eval_seconds,test_images\n"
            "squeezenet1_1,128,imagenet,2,1,50,0.6,0.6,0.6,0.6,0.6,0.7,0.5,1,1,10\n"
            "squeezenet1_1,128,imagenet,2,2,50,0.7,0.7,0.7,0.7,0.7,0.7,0.5,1,1,10\n"
            "squeezenet1_1,128,imagenet,8,1,50,0.9,0.9,0.9,0.9,0.9,0.9,0.5,1,1,10\n"
            "squeezenet1_1,128,cg,2,1,50,0.75,0.7,0.7,0.7,0.7,0.7,0.5,1,1,10\n"
            "squeezenet1_1,128,baseline,2,1,0,0.65,0.6,0.6,0.6,0.6,0.7,1,1,1,10\n"
            "squeezenet1_1,128,baseline,8,1,0,0.66,0.6,0.6,0.6,0.6,0.7,1,1,1,10\n");
        ComparePage page;
        QVERIFY(page.loadExperimentCsv(csv));
        auto* plot = page.shotsChart()->plot();
        QCOMPARE(page.shotsChart()->seriesCount(), 3);
        QCOMPARE(plot->xAxis->scaleType(), QCPAxis::stLogarithmic);
        // imagenet at 2 shots: the mean of two seeds, error bars from min to max.
        QCOMPARE(plot->graph(0)->data()->at(0)->key, 2.0);
        QVERIFY(qAbs(plot->graph(0)->data()->at(0)->value - 0.65) < 1e-9);
        QCOMPARE(plot->graph(2)->name(), QStringLiteral("classical baseline"));
        QCOMPARE(plot->graph(2)->pen().style(), Qt::DashLine);
        auto* bars = qobject_cast<QCPErrorBars*>(plot->plottable(1));
        QVERIFY(bars);
        QVERIFY(qAbs(bars->data()->at(0).errorMinus - 0.05) < 1e-9);
        QVERIFY(qAbs(bars->data()->at(0).errorPlus - 0.05) < 1e-9);
        // A damaged file is refused with the line named, and the chart is kept.
        kizu::writeFileAtomic(
            csv.toStdString(),
            "arch,size,init,shots,seed,steps,accuracy,balanced_accuracy,ng_precision,ng_recall,"
            "f1,auc,threshold,train_seconds,eval_seconds,test_images\n"
            "squeezenet1_1,128,cg,two,1,50,0.75,0.7,0.7,0.7,0.7,0.7,0.5,1,1,10\n");
        QVERIFY(!page.loadExperimentCsv(csv));
        QVERIFY2(page.lastError().contains(QStringLiteral("line 2")), qPrintable(page.lastError()));
        QCOMPARE(page.shotsChart()->seriesCount(), 3);
        QVERIFY(!page.loadExperimentCsv(tmp.filePath(QStringLiteral("missing.csv"))));
        QVERIFY(page.lastError().contains(QStringLiteral("no finished runs")));
    }

    void modelListFollowsTheProject()
    {
        // A model registered while the page is open (trained on the Train page) is listed and
        // checked once the page is told the list changed; check marks of listed models stay;
        // a deleted record leaves; a file added by hand stays.
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        auto store = kizu::project::ProjectStore::create(root / "proj");
        auto addRecord = [&](const std::string& name) {
            kizu::project::ModelRecord r;
            r.name = name;
            r.file = (root / (name + ".kizumodel")).string();
            r.arch = "squeezenet1_1";
            return store.addModel(r);
        };
        const auto first = addRecord("first");
        ComparePage page;
        page.setProject(&store);
        QCOMPARE(page.checkedModels().size(), 0); // opened: only the active model is checked
        const QString byHand = QString::fromStdString((root / "by_hand.kizumodel").string());
        page.addModelFile(byHand);
        const auto second = addRecord("second");
        page.refreshModels();
        const QString secondFile = QString::fromStdString((root / "second.kizumodel").string());
        QCOMPARE(page.checkedModels(), (QStringList{secondFile, byHand}));
        store.deleteModel(second);
        store.renameModel(first, "renamed");
        page.refreshModels();
        QCOMPARE(page.checkedModels(), QStringList{byHand});
    }

    void evaluatesProject()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        // Eight photos in ok/ and ng/; NG ones carry a dark pit.
        for (int i = 0; i < 8; ++i) {
            const bool ng = i % 2 == 1;
            cv::RNG rng(std::uint64_t(300 + i));
            cv::Mat im(120, 200, CV_8UC3);
            rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
            if (ng) cv::circle(im, cv::Point(100, 60), 9, cv::Scalar::all(10), -1);
            fs::create_directories(root / "photos" / (ng ? "ng" : "ok"));
            cv::imwrite((root / "photos" / (ng ? "ng" : "ok") / ("p" + std::to_string(i) + ".png"))
                            .string(),
                        im);
        }
        auto store = kizu::project::ProjectStore::create(root / "proj");
        store.importPaths({root / "photos"});
        store.labelFromFolders();
        std::vector<std::int64_t> ids;
        for (const auto& b : store.imageBriefs())
            ids.push_back(b.id);
        store.setSplit(ids, kizu::project::Split::Test);
        kizu::learn::ModelInfo info;
        info.inputSize = 64;
        const fs::path modelFile = root / "tiny.kizumodel";
        kizu::learn::Model::create(info, "scratch", 3).save(modelFile);
        kizu::learn::setTorchThreads(1);

        ComparePage page;
        page.resize(1200, 760);
        page.setProject(&store);
        page.addModelFile(QString::fromStdString(modelFile.string()));
        kizu::baseline::BaselineParams params;
        params.minArea = 40;
        params.minContrast = 10;
        params.marginX = 0;
        page.baselinePanel()->setParams(params);
        QCOMPARE(page.checkedModels().size(), 1);
        QSignalSpy finished(&page, &ComparePage::evaluationFinished);
        // Cancelled at once: no results, nothing cached, the page is ready again.
        page.startEvaluation();
        QVERIFY(page.isRunning());
        page.cancelEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(finished.first().first().toBool(), false);
        QCOMPARE(page.table()->methodCount(), 0);
        QVERIFY(!fs::exists(root / "proj" / "cache" / "eval") ||
                fs::is_empty(root / "proj" / "cache" / "eval"));
        QVERIFY(!page.isRunning());
        finished.clear();
        page.startEvaluation();
        QVERIFY(page.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(page.lastError()));
        QCOMPARE(page.table()->methodCount(), 2);
        QCOMPARE(page.table()->compareData().items.size(), std::size_t(8));
        const auto& bm = page.table()->metrics(1).metrics;
        QCOMPARE(bm.accuracy, 1.0); // the baseline sees the pits
        // Scores were cached per method and dataset hash; a second run takes them from there.
        QCOMPARE(int(std::distance(fs::directory_iterator(root / "proj" / "cache" / "eval"),
                                   fs::directory_iterator())),
                 2);
        finished.clear();
        page.startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QVERIFY(page.table()->compareData().methods[0].fromCache);
        QVERIFY(page.table()->compareData().methods[1].fromCache);
        auto* status = page.findChild<QLabel*>(QStringLiteral("compareStatus"));
        QVERIFY(status);
        QVERIFY2(status->text().startsWith(QLatin1String("2 methods on 8 images")),
                 qPrintable(status->text()));
        QVERIFY(page.rocChart()->plot()->legend->visible());

        // Relabel from the error browser: the store records it in the audit log.
        page.views()->setCurrentIndex(1);
        page.errorList()->setFilter(kizu::learn::ErrorFilter::All);
        QCOMPARE(page.errorList()->rowCount(), 8);
        page.errorView()->setCurrentIndex(page.errorList()->index(0, 0));
        const std::size_t image = page.errorList()->imageIndex(0);
        const int oldLabel = page.table()->compareData().labels[image];
        const int newLabel = oldLabel == kNg ? kOk : kNg;
        QSignalSpy dataChanged(&page, &ComparePage::projectDataChanged);
        const auto auditBefore = store.auditLog().size();
        page.relabelCurrent(newLabel);
        QCOMPARE(dataChanged.count(), 1);
        QCOMPARE(store.auditLog().size(), auditBefore + 1);
        const auto rec = store.image(page.table()->compareData().imageIds[image]);
        QVERIFY(rec);
        QCOMPARE(rec->label, newLabel == kNg ? kizu::project::Label::Ng : kizu::project::Label::Ok);
        QCOMPARE(page.table()->compareData().labels[image], newLabel);
        QVERIFY(page.table()->metrics(1).metrics.accuracy <
                1.0); // the baseline is now "wrong" once
        // Evaluating again after the relabel takes every score from the cache (the images did
        // not change) and measures against the new label.
        finished.clear();
        page.startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QVERIFY(page.table()->compareData().methods[0].fromCache);
        QVERIFY(page.table()->compareData().methods[1].fromCache);
        QCOMPARE(page.table()->compareData().labels[image], newLabel);
        QVERIFY(page.table()->metrics(1).metrics.accuracy < 1.0);

        // Reports.
        const QString html = tmp.filePath(QStringLiteral("report.html"));
        QVERIFY2(page.exportReport(html), qPrintable(page.lastError()));
        const QString text = QString::fromStdString(kizu::readFile(html.toStdString()));
        QVERIFY(text.contains(QStringLiteral("tiny.kizumodel")));
        QVERIFY(text.contains(QStringLiteral("baseline")));
        QVERIFY(text.contains(QStringLiteral("<svg")));
        QVERIFY(text.contains(QStringLiteral("data:image/jpeg;base64,")));
        // The report's ROC chart is valid SVG.
        const int a = text.indexOf(QStringLiteral("<svg")),
                  b = text.indexOf(QStringLiteral("</svg>"));
        QVERIFY(a >= 0 && b > a);
        QSvgRenderer svg(text.mid(a, b + 6 - a).toUtf8());
        QVERIFY(svg.isValid());
        const QString pdf = tmp.filePath(QStringLiteral("report.pdf"));
        QVERIFY2(page.exportReport(pdf), qPrintable(page.lastError()));
        QFile f(pdf);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.read(5) == "%PDF-");
        QVERIFY(f.size() > 10000);
        // Nothing to compare: a clear message, no run.
        page.setBaselineIncluded(false);
        page.addModelFile(QString::fromStdString(modelFile.string()), {}, false);
        page.startEvaluation();
        QVERIFY(!page.isRunning());
        QVERIFY(page.lastError().contains(QStringLiteral("at least one")));
        // One method: the summary says "1 method", not "1 methods".
        page.setBaselineIncluded(true);
        finished.clear();
        page.startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QVERIFY2(status->text().startsWith(QLatin1String("1 method on 8 images")),
                 qPrintable(status->text()));
        // Another project (here none): the results go, and so do their summary and legend.
        page.setProject(nullptr);
        QCOMPARE(page.table()->methodCount(), 0);
        QCOMPARE(status->text(), QStringLiteral("Choose a test set and methods, then Evaluate."));
        QVERIFY(!page.rocChart()->plot()->legend->visible());
    }

    // The error browser names a model's overlay after its network output: a defect-map
    // model's is "Defect map" (its probability of a defect, 0 to 1), a classifier's keeps the
    // class-activation wording.
    void overlayCaptionFollowsTheModel()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        for (int i = 0; i < 4; ++i) {
            const bool ng = i % 2 == 1;
            cv::RNG rng(std::uint64_t(500 + i));
            cv::Mat im(80, 160, CV_8UC3);
            rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
            if (ng) cv::circle(im, cv::Point(80, 40), 7, cv::Scalar::all(10), -1);
            fs::create_directories(root / "photos" / (ng ? "ng" : "ok"));
            cv::imwrite((root / "photos" / (ng ? "ng" : "ok") / ("p" + std::to_string(i) + ".png"))
                            .string(),
                        im);
        }
        auto store = kizu::project::ProjectStore::create(root / "proj");
        store.importPaths({root / "photos"});
        store.labelFromFolders();
        std::vector<std::int64_t> ids;
        for (const auto& b : store.imageBriefs())
            ids.push_back(b.id);
        store.setSplit(ids, kizu::project::Split::Test);
        kizu::learn::setTorchThreads(1);
        kizu::learn::ModelInfo classifier;
        classifier.inputSize = 64;
        const fs::path classifierFile = root / "classifier.kizumodel";
        kizu::learn::Model::create(classifier, "scratch", 3).save(classifierFile);
        kizu::learn::ModelInfo map = classifier;
        map.head = "defect_map";
        map.keepAspect = true;
        const fs::path mapFile = root / "map.kizumodel";
        kizu::learn::Model::create(map, "scratch", 3).save(mapFile);

        ComparePage page;
        page.resize(1200, 760);
        page.setProject(&store);
        page.setBaselineIncluded(false);
        page.addModelFile(QString::fromStdString(classifierFile.string()));
        page.addModelFile(QString::fromStdString(mapFile.string()));
        QSignalSpy finished(&page, &ComparePage::evaluationFinished);
        page.startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(page.lastError()));
        page.views()->setCurrentIndex(1);
        page.errorList()->setFilter(kizu::learn::ErrorFilter::All);
        QVERIFY(page.errorList()->rowCount() > 0);
        auto* models = page.findChild<QComboBox*>(QStringLiteral("overlayModel"));
        QVERIFY(models);
        QCOMPARE(models->count(), 2);
        QSignalSpy preview(&page, &ComparePage::previewReady);
        for (const bool wantMap : {true, false, true}) {
            int k = -1;
            for (int i = 0; i < models->count(); ++i)
                if (models->itemData(i).toString().endsWith(
                        wantMap ? QLatin1String("/map.kizumodel")
                                : QLatin1String("/classifier.kizumodel")))
                    k = i;
            QVERIFY(k >= 0);
            preview.clear();
            models->setCurrentIndex(k);
            if (!page.errorView()->currentIndex().isValid())
                page.errorView()->setCurrentIndex(page.errorList()->index(0, 0));
            QTRY_VERIFY_WITH_TIMEOUT(preview.count() >= 1, 30000);
            QCOMPARE(page.overlayCaptionText(), kizu::ui::overlayCaption(wantMap));
            QCOMPARE(page.overlayCaptionText().startsWith(QLatin1String("Defect map")), wantMap);
        }
    }

    // The page and kizu-cli compare score through one core function (core/evaluate/
    // scoring.h): the same project, model and baseline parameters give the same numbers, to
    // the last bit, also when each side scores on its own (the CLI without the cache).
    void sameNumbersAsCli()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        auto store = makeSplitProject(root);
        kizu::learn::ModelInfo info;
        info.inputSize = 64;
        const fs::path modelFile = root / "tiny.kizumodel";
        kizu::learn::Model::create(info, "scratch", 5).save(modelFile);
        kizu::learn::setTorchThreads(1);
        kizu::baseline::BaselineParams params;
        params.minArea = 40;
        params.minContrast = 10;
        params.marginX = 0;
        const fs::path paramsFile = root / "params.json";
        kizu::writeFileAtomic(paramsFile, params.toJson().dump());

        ComparePage page;
        page.setProject(&store);
        page.addModelFile(QString::fromStdString(modelFile.string()));
        page.baselinePanel()->setParams(params);
        page.setBaselineIncluded(true);
        QSignalSpy finished(&page, &ComparePage::evaluationFinished);
        page.startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(page.lastError()));
        QCOMPARE(page.table()->methodCount(), 2);
        QVERIFY(!page.table()->compareData().methods[0].fromCache);

        const auto r = kizu::test::runCli(
            {"-p", QString::fromStdString((root / "proj").string()), "compare", "--models",
             QString::fromStdString(modelFile.string()), "--baseline", "--baseline-params",
             QString::fromStdString(paramsFile.string()), "--no-cache", "--threads", "1",
             "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["images"].toInt(), int(page.table()->compareData().items.size()));
        QCOMPARE(j["images"].toInt(), 4); // the test split
        const auto methods = j["methods"].toArray();
        QCOMPARE(methods.size(), 2);
        for (int k = 0; k < 2; ++k) {
            const auto m = methods[k].toObject();
            QVERIFY(!m["cached"].toBool());
            const auto& page_ = page.table()->metrics(k);
            const auto& pm = page_.metrics;
            QCOMPARE(m["name"].toString().toStdString(),
                     page.table()->compareData().methods[std::size_t(k)].name);
            QCOMPARE(m["threshold"].toDouble(), pm.threshold);
            QCOMPARE(m["accuracy"].toDouble(), pm.accuracy);
            QCOMPARE(m["balanced_accuracy"].toDouble(), pm.balancedAccuracy);
            QCOMPARE(m["ng_recall"].toDouble(), pm.ngRecall);
            QCOMPARE(m["ng_precision"].toDouble(), pm.ngPrecision);
            QCOMPARE(m["auc"].toDouble(), pm.auc);
            QCOMPARE(m["f1"].toDouble(), page_.f1);
            const auto c = m["confusion"].toObject();
            QCOMPARE(qint64(c["tp"].toInteger()), qint64(pm.tp));
            QCOMPARE(qint64(c["fp"].toInteger()), qint64(pm.fp));
            QCOMPARE(qint64(c["tn"].toInteger()), qint64(pm.tn));
            QCOMPARE(qint64(c["fn"].toInteger()), qint64(pm.fn));
        }
        QCOMPARE(page.table()->metrics(1).metrics.accuracy, 1.0); // the baseline sees the pits
    }

    // The "Accuracy vs shots" tab runs the sweep itself: a tiny one (2 shot counts x scratch
    // and the baseline x 2 seeds) is cancelled after its first row, resumed (finished rows are
    // kept, not redone), and a third run has nothing left to do; the chart follows the rows.
    // The weight and parameter files are the CLI's --imagenet, --cg and --baseline-start: they
    // round-trip through the widgets, and a missing one stops the sweep before any run with
    // core's message naming the file.
    void sweepTakesTheCliFiles()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        auto store = makeSplitProject(root);
        ComparePage page;
        SweepPanel* sweep = page.sweepPanel();
        page.setProject(&store);
        auto o = sweep->options();
        QVERIFY(o.imagenetWeights.empty() && o.cgModel.empty() && o.baselineStart.empty());
        const std::string missing = (root / "no-such-imagenet.pth").string();
        o.imagenetWeights = missing;
        o.cgModel = (root / "cg.kizumodel").string();
        o.baselineStart = (root / "start.json").string();
        o.inits = {"imagenet"};
        o.shots = "1";
        o.seeds = {1};
        sweep->setOptions(o);
        const auto back = sweep->options();
        QCOMPARE(back.imagenetWeights, o.imagenetWeights);
        QCOMPARE(back.cgModel, o.cgModel);
        QCOMPARE(back.baselineStart, o.baselineStart);
        auto* field = sweep->findChild<QLineEdit*>(QStringLiteral("sweepImagenetFile"));
        QVERIFY(field);
        QCOMPARE(field->text(), QString::fromStdString(missing));

        QSignalSpy finished(sweep, &SweepPanel::finished);
        sweep->start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY2(sweep->lastError().contains(QStringLiteral("no-such-imagenet.pth")),
                 qPrintable(sweep->lastError()));
        QVERIFY(!fs::exists(fs::path(sweep->outputDir().toStdString()) / "results.csv"));
    }

    void sweepRunsCancelsAndResumes()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        auto store = makeSplitProject(root);
        kizu::learn::setTorchThreads(1);
        ComparePage page;
        SweepPanel* sweep = page.sweepPanel();
        QVERIFY(sweep);
        sweep->start(); // no project yet
        QVERIFY(!sweep->isRunning());
        QVERIFY2(sweep->lastError().contains(QStringLiteral("Open a project")),
                 qPrintable(sweep->lastError()));
        page.setProject(&store);
        auto o = sweep->options();
        QCOMPARE(o.inits, (std::vector<std::string>{"scratch", "imagenet", "cg", "baseline"}));
        o.arch = "squeezenet1_1";
        o.size = 32;
        o.steps = 20;
        o.batch = 2;
        o.shots = "1,2";
        o.seeds = {7, 8};
        o.inits = {"scratch", "baseline"};
        o.baselineTrials = 3;
        sweep->setOptions(o);
        QCOMPARE(sweep->options().steps, std::int64_t(20));
        QCOMPARE(sweep->options().inits, o.inits);
        // The starts with CG defect transplants are offered too (unticked by default).
        auto t = o;
        t.inits = {"imagenet", "imagenet+transplant", "cg+transplant"};
        sweep->setOptions(t);
        QCOMPARE(sweep->options().inits, t.inits);
        QCOMPARE(sweep->options().transplant, kizu::learn::defaultRoute().transplantRatioWhenOn);
        sweep->setOptions(o);
        const QString csv = sweep->outputDir() + QStringLiteral("/results.csv");
        QVERIFY(csv.contains(QStringLiteral("experiments")));

        QSignalSpy finished(sweep, &SweepPanel::finished);
        QSignalSpy rows(sweep, &SweepPanel::rowFinished);
        // Cancel as soon as the first row is in.
        auto once = std::make_shared<bool>(false);
        connect(sweep, &SweepPanel::rowFinished, sweep, [sweep, once] {
            if (!*once) sweep->cancel();
            *once = true;
        });
        sweep->start();
        QVERIFY(sweep->isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY2(sweep->lastError().isEmpty(), qPrintable(sweep->lastError()));
        QVERIFY2(sweep->statusText().contains(QStringLiteral("Cancelled")),
                 qPrintable(sweep->statusText()));
        const auto first = kizu::experiment::readResults(csv.toStdString());
        QVERIFY2(!first.empty() && first.size() < 8, qPrintable(QString::number(first.size())));
        QCOMPARE(first[0].key.init, std::string("scratch"));
        QCOMPARE(rows.first().first().toString(), csv);
        QVERIFY(page.shotsChart()->seriesCount() >= 1); // the chart follows the rows

        // Resume: the rest is done, the rows already there are kept as they were.
        finished.clear();
        sweep->start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(sweep->lastError()));
        const auto all = kizu::experiment::readResults(csv.toStdString());
        QCOMPARE(all.size(), std::size_t(8));
        for (const auto& r : first) {
            auto same =
                std::find_if(all.begin(), all.end(), [&](const auto& x) { return x.key == r.key; });
            QVERIFY(same != all.end());
            QCOMPARE(same->trainSeconds, r.trainSeconds); // not trained again
            QCOMPARE(same->accuracy, r.accuracy);
        }
        QCOMPARE(page.shotsChart()->seriesCount(), 2); // scratch and the baseline
        QVERIFY(fs::exists(fs::path(sweep->outputDir().toStdString()) / "table.md"));

        // Everything done: a rerun changes nothing.
        const std::string before = kizu::readFile(csv.toStdString());
        finished.clear();
        sweep->start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY(finished.first().first().toBool());
        QVERIFY2(sweep->statusText().contains(QStringLiteral("0 runs this time")),
                 qPrintable(sweep->statusText()));
        QCOMPARE(kizu::readFile(csv.toStdString()), before);
    }

    // A project without tuned baseline parameters: Compare (and Inspect, through the main
    // window) offer "Tune on the train split"; one tune on Compare stores the parameters, the
    // baseline panel takes them, and both offers go.
    void tuneOfferUntilTuned()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        fs::create_directories(root / "photos" / "ok");
        fs::create_directories(root / "photos" / "ng");
        for (int i = 0; i < 10; ++i) {
            const bool ng = i % 2 == 1;
            cv::RNG rng(std::uint64_t(500 + i));
            cv::Mat im(96, 160, CV_8UC3);
            rng.fill(im, cv::RNG::UNIFORM, cv::Scalar::all(120), cv::Scalar::all(140));
            if (ng) cv::circle(im, cv::Point(80, 48), 8, cv::Scalar::all(10), -1);
            cv::imwrite((root / "photos" / (ng ? "ng" : "ok") / ("q" + std::to_string(i) + ".png"))
                            .string(),
                        im);
        }
        {
            auto store = kizu::project::ProjectStore::create(root / "proj");
            store.importPaths({root / "photos"});
            store.labelFromFolders();
            std::vector<std::int64_t> ids;
            for (const auto& b : store.imageBriefs())
                ids.push_back(b.id);
            store.setSplit(ids, kizu::project::Split::Train);
        }
        MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString((root / "proj").string())));
        ComparePage* page = w.comparePage();
        auto* offer = page->tuneOffer();
        auto* inspectOffer = w.inspectPage()->tuneOffer();
        QVERIFY(offer->isOffered());
        QVERIFY(inspectOffer->isOffered());
        QVERIFY(offer->statusText().contains(QStringLiteral("not tuned")));
        const auto defaults = page->baselinePanel()->params();
        if (const QString out = qEnvironmentVariable("KIZU_SCREENSHOT_DIR"); !out.isEmpty()) {
            w.resize(1500, 900);
            w.show();
            QVERIFY(w.showPage(QStringLiteral("compare")));
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTest::qWait(200);
            QDir().mkpath(out);
            QVERIFY(w.grab().save(out + QStringLiteral("/compare_tune_offer.png")));
        }
        offer->setTrials(2);
        QSignalSpy finished(offer, &BaselineTuneOffer::tuneFinished);
        offer->tuneButton()->click();
        QVERIFY(offer->isTuning());
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.first().first().toBool(), qPrintable(offer->statusText()));
        QVERIFY(!offer->isOffered());
        QVERIFY(!inspectOffer->isOffered());
        QVERIFY(page->baselinePanel()->params() == offer->tunedParams());
        QVERIFY(!(offer->tunedParams() == defaults));
        // Kept in the project: opened again, nothing is offered.
        MainWindow again;
        QVERIFY(again.openProject(QString::fromStdString((root / "proj").string())));
        QVERIFY(!again.comparePage()->tuneOffer()->isOffered());
        QVERIFY(again.comparePage()->baselinePanel()->params() == offer->tunedParams());
    }

    void screenshot()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        const QString project = qEnvironmentVariable("KIZU_SCREENSHOT_PROJECT");
        if (outDir.isEmpty() || project.isEmpty())
            QSKIP("set KIZU_SCREENSHOT_DIR and KIZU_SCREENSHOT_PROJECT to save screenshots");
        MainWindow w;
        QVERIFY(w.openProject(project));
        w.resize(1560, 960);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.showPage(QStringLiteral("compare")));
        ComparePage* page = w.comparePage();
        const QString params = qEnvironmentVariable("KIZU_SCREENSHOT_PARAMS");
        if (!params.isEmpty())
            page->baselinePanel()->setParams(
                kizu::baseline::BaselineParams::load(params.toStdString()));
        for (const auto& m :
             qEnvironmentVariable("KIZU_SCREENSHOT_MODELS").split(u',', Qt::SkipEmptyParts))
            page->addModelFile(m);
        const QString csv = qEnvironmentVariable("KIZU_SCREENSHOT_CSV");
        if (!csv.isEmpty()) QVERIFY(page->loadExperimentCsv(csv));
        QSignalSpy finished(page, &ComparePage::evaluationFinished);
        page->startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 110000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(page->lastError()));
        QTest::qWait(400);
        QVERIFY(w.grab().save(outDir + QStringLiteral("/compare_page.png")));
        QSignalSpy preview(page, &ComparePage::previewReady);
        page->views()->setCurrentIndex(1);
        page->errorView()->setCurrentIndex(page->errorList()->index(0, 0));
        preview.wait(30000);
        QTest::qWait(400);
        QVERIFY(w.grab().save(outDir + QStringLiteral("/compare_errors.png")));
        // The HTML report, and its first chart drawn to a picture to look at.
        const QString html = outDir + QStringLiteral("/compare_report.html");
        QVERIFY2(page->exportReport(html), qPrintable(page->lastError()));
        const QString text = QString::fromStdString(kizu::readFile(html.toStdString()));
        const int a = text.indexOf(QStringLiteral("<svg")),
                  b = text.indexOf(QStringLiteral("</svg>"));
        QSvgRenderer svg(text.mid(a, b + 6 - a).toUtf8());
        QVERIFY(svg.isValid());
        QImage roc(svg.defaultSize(), QImage::Format_RGB32);
        roc.fill(Qt::white);
        QPainter painter(&roc);
        svg.render(&painter);
        painter.end();
        QVERIFY(roc.save(outDir + QStringLiteral("/compare_report_roc.png")));
        QVERIFY(page->exportReport(outDir + QStringLiteral("/compare_report.pdf")));
        if (!csv.isEmpty()) {
            page->views()->setCurrentIndex(2);
            QTest::qWait(400);
            QVERIFY(w.grab().save(outDir + QStringLiteral("/compare_shots.png")));
        }
    }
};

QTEST_MAIN(TestComparePage)
#include "test_compare_page.moc"
