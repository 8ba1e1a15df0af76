// The Train page's "From OK photos only (PatchCore)" method (issue 22) offscreen, on small
// projects of synthetic photos with the shipped CG classifier as the frozen trunk: the choice
// hides the supervised controls and shows its own; Start fits on the OK photos alone (the
// project has no NG photo in its train split), and the model appears in the list as an
// anomaly map with test metrics; Compare scores it and names its overlay "Anomaly map", Inspect
// too; a single OK photo gives the operator the core's message; a cancelled fit leaves nothing.
// With KIZU_SCREENSHOT_DIR set (under xvfb-run, QT_QPA_PLATFORM=xcb) it also saves the Train
// page after a fit and Compare's error browser with the anomaly map.
// kizu-test-timeout: 600
#include "ui/train_page.h"

#include "core/common/paths.h"
#include "core/learn/defaults.h"
#include "core/learn/model.h"
#include "core/learn/model_classifier.h"
#include "core/learn/train_run.h"
#include "core/project/project_store.h"
#include "ui/compare_models.h"
#include "ui/compare_page.h"
#include "ui/inspect_page.h"
#include "ui/inspect_pipeline.h"
#include "ui/main_window.h"
#include "ui/model_list.h"
#include "ui/model_overlay.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using kizu::project::Label;
using kizu::project::ProjectStore;
using kizu::project::Split;
using kizu::ui::TrainOutcome;
using kizu::ui::TrainPage;
namespace fs = std::filesystem;

namespace {

// Ground-metal-like stripes; NG photos carry a dark scratch across them.
std::string photo(int seed, bool ng, int w = 96, int h = 96)
{
    cv::RNG rng(std::uint64_t(seed) * 7919 + 1);
    cv::Mat g(h, w, CV_32F);
    for (int y = 0; y < g.rows; ++y)
        for (int x = 0; x < g.cols; ++x)
            g.at<float>(y, x) = float(140 + 15 * std::sin(6.283 * (y + seed) / 6.0));
    cv::Mat noise(g.size(), CV_32F);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    g += noise;
    if (ng) {
        const int y0 = h / 5 + seed % (h / 2);
        cv::line(g, {w / 10, y0}, {w - w / 10, y0 + h / 10 + seed % (h / 5)}, cv::Scalar(30),
                 std::max(3, w / 40), cv::LINE_AA);
    }
    cv::Mat u8, bgr;
    g.convertTo(u8, CV_8U);
    cv::cvtColor(u8, bgr, cv::COLOR_GRAY2BGR);
    std::vector<uchar> buf;
    cv::imencode(".png", bgr, buf);
    return std::string(buf.begin(), buf.end());
}

// okTrain OK photos in the train split (no NG there), and a test split of OK and NG photos.
void makeProject(const QString& dir, int okTrain, int testPerClass, int w = 96, int h = 96)
{
    auto store = ProjectStore::create(dir.toStdString());
    std::vector<std::int64_t> train, test;
    for (int i = 0; i < okTrain; ++i)
        train.push_back(store.addEncodedImage(photo(i, false, w, h), ".png", "test",
                                              "ok" + std::to_string(i), Label::Ok));
    for (int i = 0; i < 2 * testPerClass; ++i) {
        const bool ng = i % 2 == 1;
        test.push_back(store.addEncodedImage(photo(100 + i, ng, w, h), ".png", "test",
                                             "t" + std::to_string(i), ng ? Label::Ng : Label::Ok));
    }
    store.setSplit(train, Split::Train);
    if (!test.empty()) store.setSplit(test, Split::Test);
}

// Chooses From OK photos only with the shipped CG classifier's features at a small size.
bool chooseAnomaly(TrainPage& page, int size)
{
    auto* method = page.methodCombo();
    method->setCurrentIndex(method->findData(QStringLiteral("patchcore")));
    auto* trunk = page.anomalyTrunkCombo();
    const int cg = trunk->findData(QStringLiteral("cg"));
    auto* model = qobject_cast<QStandardItemModel*>(trunk->model());
    if (cg < 0 || !model || !model->item(cg)->isEnabled()) return false;
    trunk->setCurrentIndex(cg);
    page.anomalySizeSpin()->setValue(size);
    return true;
}

QMessageBox* visibleMessageBox(QWidget* parent)
{
    for (auto* box : parent->findChildren<QMessageBox*>())
        if (box->isVisible()) return box;
    return nullptr;
}

} // namespace

class TestTrainPatchCore : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;
    QString m_modelFile;
    qint64 m_modelId = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        m_project = m_dir.filePath(QStringLiteral("ok-only"));
        makeProject(m_project, 8, 3);
    }

    void methodChoiceSwapsTheControls()
    {
        TrainPage page;
        page.resize(1400, 900);
        page.show();
        QCOMPARE(page.method(), QStringLiteral("supervised"));
        QVERIFY(page.budgetBox()->isVisibleTo(&page));
        QVERIFY(page.headCombo()->isVisibleTo(&page));
        QVERIFY(!page.anomalyTrunkCombo()->isVisibleTo(&page));
        auto* method = page.methodCombo();
        const int k = method->findData(QStringLiteral("patchcore"));
        QVERIFY(k >= 0);
        QCOMPARE(method->itemText(k), QStringLiteral("From OK photos only (PatchCore)"));
        method->setCurrentIndex(k);
        QVERIFY(page.isAnomalyMethod());
        // The supervised run's budget, output and initialisation go; PatchCore's settings come.
        QVERIFY(!page.budgetBox()->isVisibleTo(&page));
        QVERIFY(!page.headCombo()->isVisibleTo(&page));
        QVERIFY(page.anomalyTrunkCombo()->isVisibleTo(&page));
        QVERIFY(page.falseRejectSpin()->isVisibleTo(&page));
        QVERIFY(page.coresetSpin()->isVisibleTo(&page));
        QVERIFY(page.okOnlyBox()->isVisibleTo(&page));
        QCOMPARE(page.startButton()->text(), QStringLiteral("Start fitting"));
        // The station's defaults (core/learn/defaults.h), in percent on the form.
        const auto& route = kizu::learn::defaultRoute();
        QCOMPARE(page.falseRejectSpin()->value(), route.anomalyFalseReject * 100);
        QCOMPARE(page.coresetSpin()->value(), route.anomalyCoreset * 100);
        QCOMPARE(page.anomalySizeSpin()->value(), route.anomalyInputSize);
        QVERIFY(page.okOnlyBox()->isChecked());
        if (!chooseAnomaly(page, 64)) QSKIP("the shipped CG classifier is missing (models/)");
        page.falseRejectSpin()->setValue(2.5);
        page.coresetSpin()->setValue(20);
        page.okOnlyBox()->setChecked(false);
        const auto s = page.anomalySpec();
        QCOMPARE(s.config.falseRejectRate, 0.025);
        QCOMPARE(s.config.coresetFraction, 0.2);
        QCOMPARE(s.config.inputSize, 64);
        QVERIFY(!s.okOnly);
        QVERIFY2(QString::fromStdString(s.config.init).startsWith(QLatin1String("cg:")),
                 s.config.init.c_str());
        // Every new control is reachable from the keyboard: its label has a mnemonic.
        for (QWidget* w : std::initializer_list<QWidget*>{
                 page.methodCombo(), page.anomalyTrunkCombo(), page.falseRejectSpin(),
                 page.coresetSpin(), page.anomalySizeSpin()}) {
            QLabel* label = nullptr;
            for (auto* l : page.findChildren<QLabel*>())
                if (l->buddy() == w) label = l;
            QVERIFY2(label && label->text().contains(QLatin1Char('&')),
                     qPrintable(w->objectName()));
            QVERIFY2(!w->toolTip().isEmpty(), qPrintable(w->objectName()));
        }
        QVERIFY(page.okOnlyBox()->text().contains(QLatin1Char('&')));
        // Back to supervised training: its controls return.
        method->setCurrentIndex(method->findData(QStringLiteral("supervised")));
        QVERIFY(page.budgetBox()->isVisibleTo(&page));
        QVERIFY(!page.anomalyTrunkCombo()->isVisibleTo(&page));
        QCOMPARE(page.startButton()->text(), QStringLiteral("Start training"));
    }

    // The model list reads a record's output where registerModel keeps it: the training
    // configuration under "train_config" (supervised runs), "method" for a PatchCore fit.
    void modelListReadsRegisteredConfigs()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p")).toStdString());
        kizu::project::ModelRecord map;
        map.name = "map";
        map.file = "models/map.kizumodel";
        map.arch = "squeezenet1_1";
        map.config = R"({"train_config":{"head":"defect_map","keep_aspect":true,"input_size":320},)"
                     R"("input_size":320,"init":"scratch"})";
        store.addModel(map);
        kizu::project::ModelRecord pc = map;
        pc.name = "pc";
        pc.config = R"({"train_config":{"method":"patchcore","input_size":320,"keep_aspect":true},)"
                    R"("method":"patchcore","input_size":320})";
        store.addModel(pc);
        kizu::project::ModelRecord cls = map;
        cls.name = "cls";
        cls.config = R"({"train_config":{"head":"classifier","input_size":128},"input_size":128})";
        store.addModel(cls);
        kizu::ui::ModelList list;
        list.setStore(&store);
        QTableWidget* t = list.table();
        QCOMPARE(t->rowCount(), 3);
        QStringList sizes;
        for (int r = 0; r < t->rowCount(); ++r)
            sizes << t->item(r, kizu::ui::ModelList::Name)->text() + QLatin1Char(':') +
                         t->item(r, kizu::ui::ModelList::Size)->text();
        sizes.sort();
        QCOMPARE(sizes, QStringList({QStringLiteral("cls:classifier, 128 px"),
                                     QStringLiteral("map:defect map, 320 px long side"),
                                     QStringLiteral("pc:anomaly map, 320 px long side")}));
    }

    // In the main window, the new controls' mnemonics clash with no page tab, no menu and no
    // other control shown with them (Alt+letter would only cycle between them).
    void mnemonicsAreUnique()
    {
        QTemporaryDir dir;
        makeProject(dir.filePath(QStringLiteral("m")), 2, 0);
        kizu::ui::MainWindow w;
        QVERIFY(w.openProject(dir.filePath(QStringLiteral("m"))));
        w.showPage(QStringLiteral("train"));
        w.resize(1600, 1000);
        w.show();
        TrainPage* page = w.trainPage();
        page->methodCombo()->setCurrentIndex(
            page->methodCombo()->findData(QStringLiteral("patchcore")));
        auto mnemonic = [](const QString& text) {
            const int k = text.indexOf(QLatin1Char('&'));
            return k >= 0 && k + 1 < text.size() ? text.at(k + 1).toLower() : QChar();
        };
        QMultiMap<QChar, QString> taken;
        auto* tabs = w.findChild<QTabWidget*>();
        QVERIFY(tabs);
        for (int i = 0; i < tabs->count(); ++i)
            taken.insert(mnemonic(tabs->tabText(i)), tabs->tabText(i));
        for (auto* menu : w.menuBar()->findChildren<QMenu*>(Qt::FindDirectChildrenOnly))
            taken.insert(mnemonic(menu->title()), menu->title());
        for (auto* label : page->findChildren<QLabel*>())
            if (label->buddy() && label->isVisibleTo(page))
                taken.insert(mnemonic(label->text()), label->text());
        for (auto* button : page->findChildren<QAbstractButton*>())
            if (button->isVisibleTo(page)) taken.insert(mnemonic(button->text()), button->text());
        taken.remove(QChar());
        QStringList mine{page->okOnlyBox()->text()};
        for (auto* label : page->findChildren<QLabel*>())
            for (QWidget* w : std::initializer_list<QWidget*>{
                     page->methodCombo(), page->anomalyTrunkCombo(), page->falseRejectSpin(),
                     page->coresetSpin(), page->anomalySizeSpin()})
                if (label->buddy() == w) mine << label->text();
        QCOMPARE(mine.size(), 6);
        for (const QString& text : mine)
            QVERIFY2(!mnemonic(text).isNull() && taken.count(mnemonic(text)) == 1,
                     qPrintable(text + QStringLiteral(" clashes with: ") +
                                QStringList(taken.values(mnemonic(text))).join(", ")));
    }

    void fitFromOkPhotosOnly()
    {
        auto store = ProjectStore::open(m_project.toStdString());
        TrainPage page;
        page.setStore(&store);
        if (!chooseAnomaly(page, 64)) QSKIP("the shipped CG classifier is missing (models/)");
        QSignalSpy finished(&page, &TrainPage::trainingFinished);
        QSignalSpy progress(page.runner(), &kizu::ui::TrainRunner::fitProgress);
        page.startButton()->click();
        QVERIFY(page.isTraining());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
        const auto out = finished.first().first().value<TrainOutcome>();
        QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
        QVERIFY(!out.cancelled);
        QVERIFY(out.anomaly);
        QVERIFY(progress.count() > 0);
        QCOMPARE(out.okImages, 8);
        QVERIFY(out.memoryPatches > 0);
        QVERIFY(out.modelId > 0);
        // Measured on the test split (3 OK + 3 NG), and checked against chance there.
        QVERIFY(out.testAuc >= 0);
        QVERIFY2(page.statusText().startsWith(QLatin1String("Fitted")),
                 qPrintable(page.statusText()));
        QVERIFY2(page.statusText().contains(QLatin1String("test accuracy")),
                 qPrintable(page.statusText()));
        QVERIFY(!page.verdictText().isEmpty());
        // Registered as an anomaly model and listed as one.
        const auto models = store.models();
        QCOMPARE(models.size(), std::size_t(1));
        const auto cfg = nlohmann::json::parse(models[0].config);
        QCOMPARE(QString::fromStdString(kizu::ui::recordHead(cfg)), QStringLiteral("anomaly"));
        m_modelFile = QString::fromStdString(store.modelPath(models[0]).string());
        m_modelId = models[0].id;
        QVERIFY(kizu::learn::Model::load(m_modelFile.toStdString()).info().anomaly());
        QTableWidget* t = page.modelList()->table();
        QCOMPARE(t->rowCount(), 1);
        QCOMPARE(t->item(0, kizu::ui::ModelList::Size)->text(),
                 QStringLiteral("anomaly map, 64 px long side"));
        QVERIFY(t->item(0, kizu::ui::ModelList::Auc)->text() != QLatin1String("-"));
        QVERIFY(!page.isTraining());
        QVERIFY(page.startButton()->isEnabled());
    }

    void anomalyModelOnCompareAndInspect()
    {
        if (m_modelFile.isEmpty()) QSKIP("no anomaly model was fitted");
        auto store = ProjectStore::open(m_project.toStdString());
        {
            kizu::ui::ComparePage page;
            page.resize(1200, 760);
            page.setProject(&store);
            page.setBaselineIncluded(false);
            page.addModelFile(m_modelFile);
            QSignalSpy finished(&page, &kizu::ui::ComparePage::evaluationFinished);
            page.startEvaluation();
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
            QVERIFY2(finished.first().first().toBool(), qPrintable(page.lastError()));
            QCOMPARE(page.table()->methodCount(), 1);
            const auto& m = page.table()->metrics(0).metrics;
            QCOMPARE(m.n, 6);
            QCOMPARE(m.tp + m.fp + m.tn + m.fn, 6); // the confusion matrix counts every photo
            QVERIFY(m.roc.size() >= 2);
            // The model's own threshold (0.5 on its scale) is the operating point.
            QCOMPARE(page.table()->threshold(0), 0.5);
            page.views()->setCurrentIndex(1);
            page.errorList()->setFilter(kizu::learn::ErrorFilter::All);
            QVERIFY(page.errorList()->rowCount() > 0);
            QSignalSpy preview(&page, &kizu::ui::ComparePage::previewReady);
            page.errorView()->setCurrentIndex(page.errorList()->index(0, 0));
            QTRY_VERIFY_WITH_TIMEOUT(preview.count() >= 1, 30000);
            QCOMPARE(page.overlayCaptionText(),
                     kizu::ui::overlayCaption(kizu::ui::Overlay::AnomalyMap));
            QVERIFY(page.overlayCaptionText().startsWith(QLatin1String("Anomaly map")));
        }
        {
            // Inspect's live view: the model judges frames from a folder and draws its map.
            const QString frames = m_dir.filePath(QStringLiteral("frames"));
            QVERIFY(QDir().mkpath(frames));
            for (int i = 0; i < 3; ++i) {
                std::ofstream f((frames + QStringLiteral("/f%1.png").arg(i)).toStdString(),
                                std::ios::binary);
                f << photo(200 + i, i == 1);
            }
            kizu::ui::InspectPage page;
            const std::string file = m_modelFile.toStdString();
            page.addMethod(
                QStringLiteral("anomaly"),
                [file] { return std::make_unique<kizu::learn::ModelClassifier>(file); },
                kizu::ui::Overlay::AnomalyMap);
            QCOMPARE(page.overlayText(), QStringLiteral("Anomaly map overlay (H)"));
            page.setHeatmapShown(true);
            page.setSourceUri(QStringLiteral("folder:") + frames + QStringLiteral("?fps=50"));
            QSignalSpy stopped(page.pipeline(), &kizu::ui::InspectPipeline::stopped);
            page.startInspection();
            QVERIFY(stopped.wait(120000));
            QTRY_VERIFY(!page.shownFrame().isNull());
            QVERIFY(page.heatmapOnScreen());
        }
        kizu::learn::activateModel(store, m_modelId);
        kizu::ui::MainWindow w;
        QVERIFY(w.openProject(m_project));
        QVERIFY(w.showPage(QStringLiteral("inspect")));
        QCOMPARE(w.inspectPage()->overlayText(), QStringLiteral("Anomaly map overlay (H)"));
    }

    void singleOkPhotoSaysWhatToDo()
    {
        const QString dir = m_dir.filePath(QStringLiteral("single"));
        makeProject(dir, 1, 0);
        auto store = ProjectStore::open(dir.toStdString());
        TrainPage page;
        page.setStore(&store);
        if (!chooseAnomaly(page, 64)) QSKIP("the shipped CG classifier is missing (models/)");
        QSignalSpy finished(&page, &TrainPage::trainingFinished);
        page.startButton()->click();
        // The core's message reaches the operator (status line and a message box), no crash.
        QTRY_VERIFY_WITH_TIMEOUT(!page.isTraining(), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(visibleMessageBox(&page) != nullptr, 10000);
        QMessageBox* box = visibleMessageBox(&page);
        QVERIFY2(box->text().contains(QLatin1String("at least two OK photos")),
                 qPrintable(box->text()));
        QVERIFY(page.statusText().contains(QLatin1String("at least two OK photos")));
        QCOMPARE(finished.count(), 0); // a failure is not a finished run
        box->close();
        QVERIFY(store.models().empty());
        QVERIFY(page.startButton()->isEnabled());
    }

    void cancelLeavesNothing()
    {
        const QString dir = m_dir.filePath(QStringLiteral("cancel"));
        makeProject(dir, 8, 0);
        auto store = ProjectStore::open(dir.toStdString());
        TrainPage page;
        page.setStore(&store);
        if (!chooseAnomaly(page, 320)) QSKIP("the shipped CG classifier is missing (models/)");
        QSignalSpy finished(&page, &TrainPage::trainingFinished);
        QVERIFY(page.startTraining());
        QVERIFY(page.cancelButton()->isEnabled());
        page.cancelButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        const auto out = finished.first().first().value<TrainOutcome>();
        QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
        QVERIFY(out.cancelled);
        QVERIFY(page.statusText().contains(QLatin1String("nothing was saved")));
        QVERIFY(store.models().empty());
        QCOMPARE(page.modelList()->table()->rowCount(), 0);
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(fs::path(dir.toStdString()) / "models", ec))
            QFAIL(qPrintable(QStringLiteral("left behind: ") +
                             QString::fromStdString(e.path().string())));
        QVERIFY(!kizu::learn::pendingRun(store)); // nothing to resume either
        // Let alone, the same fit finishes: a new line's project has no test split yet.
        page.anomalySizeSpin()->setValue(64);
        QVERIFY(page.startTraining());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 300000);
        const auto done = finished.last().first().value<TrainOutcome>();
        QVERIFY2(done.error.isEmpty(), qPrintable(done.error));
        QVERIFY(!done.cancelled);
        QCOMPARE(store.models().size(), std::size_t(1));
        QVERIFY2(page.statusText().contains(QLatin1String("no test split")),
                 qPrintable(page.statusText()));
    }

    // KIZU_SCREENSHOT_DIR under xvfb-run: the Train page after a fit (From OK photos only
    // chosen) and Compare's error browser with the anomaly map, on a project of larger photos
    // (square ones: on 320 x 200 photos every test photo, OK ones too, scored about 0.85 with the
    // core of f8db4e0, a fit/inference difference for wide photos that core has to look into).
    void screenshots()
    {
        const QString outDir = qEnvironmentVariable("KIZU_SCREENSHOT_DIR");
        if (outDir.isEmpty()) QSKIP("set KIZU_SCREENSHOT_DIR to save screenshots");
        const QString dir = m_dir.filePath(QStringLiteral("shots"));
        makeProject(dir, 16, 6, 256, 256);
        kizu::ui::MainWindow window;
        QVERIFY(window.openProject(dir));
        window.showPage(QStringLiteral("train"));
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrainPage* page = window.trainPage();
        if (!chooseAnomaly(*page, 320)) QSKIP("the shipped CG classifier is missing (models/)");
        // The station's default trunk when its weights are at hand.
        auto* trunk = page->anomalyTrunkCombo();
        const int imagenet = trunk->findData(QStringLiteral("imagenet"));
        if (qobject_cast<QStandardItemModel*>(trunk->model())->item(imagenet)->isEnabled())
            trunk->setCurrentIndex(imagenet);
        page->startButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 300000);
        QVERIFY2(page->statusText().startsWith(QLatin1String("Fitted")),
                 qPrintable(page->statusText()));
        page->methodCombo()->setFocus();
        QTest::qWait(400);
        QVERIFY(window.grab().save(outDir + QStringLiteral("/train_page_patchcore.png")));

        auto* store = window.store();
        const auto models = store->models();
        QCOMPARE(models.size(), std::size_t(1));
        window.showPage(QStringLiteral("compare"));
        kizu::ui::ComparePage* compare = window.comparePage();
        compare->setBaselineIncluded(true);
        compare->addModelFile(QString::fromStdString(store->modelPath(models[0]).string()));
        QSignalSpy finished(compare, &kizu::ui::ComparePage::evaluationFinished);
        compare->startEvaluation();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(compare->lastError()));
        compare->views()->setCurrentIndex(1);
        compare->errorList()->setFilter(kizu::learn::ErrorFilter::All);
        QSignalSpy preview(compare, &kizu::ui::ComparePage::previewReady);
        // An NG photo: the anomaly map lights up on its scratch.
        int row = 0;
        for (int r = 0; r < compare->errorList()->rowCount(); ++r)
            if (compare->table()->compareData().labels.at(compare->errorList()->imageIndex(r)) ==
                kizu::learn::kNg) {
                row = r;
                break;
            }
        compare->errorView()->setCurrentIndex(compare->errorList()->index(row, 0));
        QTRY_VERIFY_WITH_TIMEOUT(preview.count() >= 1, 60000);
        QTest::qWait(400);
        QVERIFY(compare->overlayCaptionText().startsWith(QLatin1String("Anomaly map")));
        QVERIFY(window.grab().save(outDir + QStringLiteral("/compare_anomaly_map.png")));
    }
};

QTEST_MAIN(TestTrainPatchCore)
#include "test_train_patchcore.moc"
