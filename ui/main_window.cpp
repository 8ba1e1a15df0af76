#include "ui/main_window.h"

#include "core/baseline/baseline.h"
#include "core/common/error.h"
#include "core/inspect/baseline_classifier.h"
#include "core/learn/model_classifier.h"
#include "core/learn/train_run.h"
#include "core/learn/versions.h"
#include "core/project/engineer_pin.h"
#include "core/project/project_roi.h"
#include "core/project/project_store.h"
#include "ui/baseline_panel.h"
#include "ui/baseline_tune_offer.h"
#include "ui/cg_studio_page.h"
#include "ui/compare_page.h"
#include "ui/dataset_page.h"
#include "ui/inspect_page.h"
#include "ui/model_overlay.h"
#include "ui/pin_dialog.h"
#include "ui/train_page.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QTabBar>
#include <QTimer>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initKizuResources() { Q_INIT_RESOURCE(kizu); }

namespace kizu::ui {

using kizu::project::Label;
using kizu::project::ProjectStore;
using kizu::project::Split;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    initKizuResources(); // kizu_ui is a static library: its resources must be registered
    setWindowTitle(QStringLiteral("Kizu"));
    setWindowIcon(QIcon(QStringLiteral(":/kizu/icons/kizu.svg")));
    m_pages = new QTabWidget;
    m_pages->setDocumentMode(true);

    m_dataset = new DatasetPage;
    m_pages->addTab(m_dataset, tr("&Dataset"));
    connect(this, &MainWindow::projectChanged, m_dataset, &DatasetPage::setStore);
    connect(m_dataset, &DatasetPage::projectDataChanged, this, &MainWindow::refreshCounts);
    // A region drawn on the Dataset page is what the baseline panel looks at from then on.
    connect(m_dataset, &DatasetPage::projectDataChanged, this, &MainWindow::updateBaselineRoi);
    connect(m_dataset, &DatasetPage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    m_cgStudio = new CgStudioPage;
    m_pages->addTab(m_cgStudio, tr("&CG Studio"));
    connect(this, &MainWindow::projectChanged, m_cgStudio, &CgStudioPage::setStore);
    connect(m_cgStudio, &CgStudioPage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_cgStudio, &CgStudioPage::projectDataChanged, this, [this] {
        refreshCounts();
        if (m_store) m_dataset->setStore(m_store.get());
    });
    m_train = new TrainPage;
    m_pages->addTab(m_train, tr("&Train"));
    connect(this, &MainWindow::projectChanged, m_train, &TrainPage::setStore);
    connect(m_train, &TrainPage::activeModelChanged, this, &MainWindow::updateInspectMethods);
    connect(m_train, &TrainPage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    // Compare: models and the classical baseline side by side; the baseline's tuner is one of
    // its tabs.
    m_compare = new ComparePage;
    m_baseline = m_compare->baselinePanel();
    m_pages->addTab(m_compare, tr("C&ompare"));
    connect(this, &MainWindow::projectChanged, m_compare, &ComparePage::setProject);
    connect(m_compare, &ComparePage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_compare, &ComparePage::projectDataChanged, this, [this] {
        refreshCounts();
        if (m_store) m_dataset->setStore(m_store.get());
    });
    connect(m_baseline, &BaselinePanel::paramsChanged, this, [this] {
        if (m_store) m_store->setMeta("baseline_params", m_baseline->params().toJson().dump());
        // Parameters of the user's own (tuned, loaded or edited) replace the defaults.
        m_compare->tuneOffer()->refresh();
        m_inspect->tuneOffer()->refresh();
    });
    // Any change of the model list (a run finished, a model renamed, deleted or made active)
    // shows on the Compare page at once, not only after the project is opened again.
    connect(m_train, &TrainPage::modelsChanged, m_compare, &ComparePage::refreshModels);
    m_inspect = new InspectPage;
    m_pages->addTab(m_inspect, tr("&Inspect"));
    connect(this, &MainWindow::projectChanged, m_inspect, &InspectPage::setProject);
    auto inspectStored = [this] {
        refreshCounts();
        if (m_store) m_dataset->setStore(m_store.get());
    };
    connect(m_inspect, &InspectPage::imageCaptured, this, inspectStored);
    connect(m_inspect, &InspectPage::projectDataChanged, this, inspectStored);
    connect(m_inspect->tuneOffer(), &BaselineTuneOffer::tuned, this, [this] {
        m_baseline->setParams(m_inspect->tuneOffer()->tunedParams());
        updateInspectMethods();
        statusBar()->showMessage(m_inspect->tuneOffer()->statusText(), 20000);
    });
    connect(m_compare->tuneOffer(), &BaselineTuneOffer::tuned, this,
            [this] { statusBar()->showMessage(m_compare->tuneOffer()->statusText(), 20000); });
    connect(m_pages, &QTabWidget::currentChanged, this, [this](int index) {
        // Station mode keeps the Inspect page (a page mnemonic must not leave it).
        if (m_station && m_pages->widget(index) != m_inspect) {
            m_pages->setCurrentWidget(m_inspect);
            return;
        }
        if (m_pages->widget(index) == m_inspect) updateInspectMethods();
    });
    connect(m_inspect, &InspectPage::leaveStationRequested, this, &MainWindow::leaveStationMode);
    m_relock = new QTimer(this);
    m_relock->setSingleShot(true);
    connect(m_relock, &QTimer::timeout, this, [this] {
        m_engineerUntil = 0;
        if (m_station) {
            setStationLocked(true);
            statusBar()->showMessage(tr("Station locked again."), 8000);
        }
    });
    setCentralWidget(m_pages);

    m_counts = new QLabel;
    statusBar()->addPermanentWidget(m_counts);
    buildMenus();

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry"))) resize(1280, 800);
    refreshCounts();
}

bool MainWindow::showPage(const QString& name)
{
    const QStringList names{"dataset", "cg", "train", "compare", "inspect"};
    const int k = names.indexOf(name.toLower());
    if (k < 0) return false;
    m_pages->setCurrentIndex(k);
    return true;
}

void MainWindow::updateInspectMethods()
{
    m_inspect->clearMethods();
    if (m_store) {
        if (auto active = m_store->meta("active_model"); active && !active->empty()) {
            const std::string file = *active;
            // The model's record says what it draws: a defect map, an anomaly map (PatchCore)
            // or a class activation map.
            Overlay overlay = Overlay::Heatmap;
            try {
                if (const auto id = kizu::learn::activeModelId(*m_store))
                    if (const auto r = m_store->model(*id))
                        overlay =
                            overlayOf(recordHead(nlohmann::json::parse(r->config, nullptr, false)));
            } catch (const kizu::Error&) {
            }
            m_inspect->addMethod(
                tr("Active model: %1").arg(QFileInfo(QString::fromStdString(file)).fileName()),
                [file] { return std::make_unique<kizu::learn::ModelClassifier>(file); }, overlay);
        }
    }
    const auto params = m_baseline->params();
    auto baseline = [params] { return std::make_unique<kizu::inspect::BaselineClassifier>(params); };
    m_inspect->addMethod(tr("Classical baseline"), baseline);
    m_inspect->setSecondFactory(baseline, tr("the classical baseline"));
}

void MainWindow::updateBaselineImages()
{
    QList<BaselineImage> list;
    if (m_store) {
        // The train split when there is one, else every labeled image: the panel's tuner
        // fits its parameters to these images, and tuning must never see the test split.
        kizu::project::ImageFilter f;
        f.split = Split::Train;
        auto images = m_store->images(f);
        if (images.empty()) images = m_store->images();
        for (const auto& img : images) {
            if (img.label == Label::Unlabeled) continue;
            list.append({QString::fromStdString(m_store->imagePath(img).string()),
                         img.label == Label::Ng ? BaselineImage::Label::Ng : BaselineImage::Label::Ok});
        }
        if (auto saved = m_store->meta("baseline_params")) {
            try {
                m_baseline->setParams(kizu::baseline::BaselineParams::fromJson(nlohmann::json::parse(*saved)));
            } catch (const std::exception&) {
                // stale or hand-edited parameters: keep the panel's own
            }
        } else {
            // A project without parameters gets the defaults, not the previous project's; the
            // store is not written, so the Tune offer stays until the user tunes or edits.
            const QSignalBlocker quiet(m_baseline);
            m_baseline->setParams(kizu::baseline::BaselineParams{});
        }
    }
    m_baseline->setImages(list);
    updateBaselineRoi();
}

void MainWindow::updateBaselineRoi()
{
    std::optional<kizu::imaging::Roi> roi;
    try {
        if (m_store) roi = kizu::project::projectRoi(*m_store);
    } catch (const kizu::Error& e) {
        statusBar()->showMessage(QString::fromStdString(e.what()));
    }
    m_baseline->setRoi(roi);
}

QString MainWindow::pageHelp(int index) const
{
    switch (index) {
    case 0:
        return tr("<h3>Dataset</h3><p>Turn photos into a labeled set. Import files or folders "
                  "(Ctrl+I, Ctrl+Shift+I, or drag and drop), then label at keyboard speed.</p>"
                  "<table cellpadding='3'>"
                  "<tr><td><b>O</b> / <b>N</b> / <b>U</b></td><td>label OK / NG / unlabeled; "
                  "the selection moves to the next unlabeled image</td></tr>"
                  "<tr><td><b>Arrows, Page Up/Down, Home/End</b></td><td>move</td></tr>"
                  "<tr><td><b>Ctrl+Z</b> / <b>Ctrl+Shift+Z</b></td><td>undo / redo (the audit "
                  "log keeps both)</td></tr>"
                  "<tr><td><b>F</b> / <b>1</b> / wheel</td><td>preview: fit / 1:1 / zoom</td></tr>"
                  "</table><p>The split box assigns train/test by group, so near-duplicates "
                  "never straddle it; lock the test split once results depend on it.</p>");
    case 1:
        return tr("<h3>CG Studio</h3><p>Tune the domain-randomized CG renders until they look "
                  "like your parts. Every range of the generator is on the left (min and max; "
                  "<b>Lock</b> holds one value); the 3D view and the training image show the "
                  "same seed and follow each change. The strip compares 12 renders with the "
                  "project's photos. Batches run in the background into a folder or into the "
                  "project as source <tt>cg</tt>.</p><table cellpadding='3'>"
                  "<tr><td><b>R</b></td><td>reroll: a new seed</td></tr>"
                  "<tr><td><b>N</b> / <b>O</b></td><td>render the sample NG / OK</td></tr>"
                  "<tr><td><b>H</b> / <b>M</b></td><td>highlight the defect in 3D / overlay "
                  "the mask</td></tr>"
                  "<tr><td><b>V</b></td><td>reset the 3D view (right drag orbits, left drag "
                  "pans, the wheel zooms)</td></tr>"
                  "<tr><td><b>Ctrl+E</b></td><td>export PNG, mask, OBJ and JSON</td></tr>"
                  "<tr><td><b>Ctrl+B</b></td><td>start a batch</td></tr></table>"
                  "<p>Presets save and load as JSON for <tt>kizu-cli cg batch --params</tt>.</p>");
    case 2:
        return tr("<h3>Train</h3><p>Fine-tune a model on a few labeled photos per class, from "
                  "the shipped CG-pretrained weights (or an ImageNet file, scratch, or an earlier "
                  "model). Training runs in the background; the charts show the loss, the "
                  "learning rate and the validation accuracy as it goes. Each finished run "
                  "becomes a model of the project, measured on the test split.</p>"
                  "<table cellpadding='3'>"
                  "<tr><td><b>Ctrl+Return</b></td><td>start training</td></tr>"
                  "<tr><td><b>Esc</b></td><td>cancel (a checkpoint is kept)</td></tr>"
                  "<tr><td><b>Ctrl+R</b></td><td>resume the unfinished run (also after the "
                  "application was closed or killed)</td></tr>"
                  "<tr><td><b>Ctrl+M</b></td><td>measure the model's training speed here</td></tr>"
                  "<tr><td><b>F2</b> / <b>Del</b> / <b>Ctrl+E</b></td><td>model list: rename / "
                  "delete / export</td></tr>"
                  "<tr><td><b>Ctrl+Shift+A</b></td><td>make the selected model the station's "
                  "active model (Inspect page)</td></tr></table>"
                  "<p>Select several models to lay their curves over the charts. The same from the "
                  "command line: <tt>kizu-cli train</tt>, <tt>kizu-cli model list|rename|delete|"
                  "export|activate</tt>.</p>");
    case 3:
        return tr(
            "<h3>Compare</h3><p>Deep models and the classical baseline on the same test "
            "set (a project split or a folder). Tick the methods, then Evaluate; scores are "
            "cached per method and dataset, so a second run is instant.</p>"
            "<table cellpadding='3'>"
            "<tr><td><b>F5</b> / <b>Ctrl+Enter</b></td><td>evaluate</td></tr>"
            "<tr><td><b>Esc</b></td><td>cancel the evaluation</td></tr>"
            "<tr><td><b>Ctrl+E</b></td><td>export the report (HTML or PDF)</td></tr>"
            "<tr><td><b>Alt+R</b> / <b>Alt+B</b> / <b>Alt+A</b> / <b>Alt+U</b></td><td>results, "
            "error browser, accuracy against shots, baseline tuning</td></tr>"
            "<tr><td><b>O</b> / <b>N</b></td><td>in the error browser: the label was wrong, "
            "relabel the image OK / NG (audited)</td></tr></table>"
            "<p><b>Results</b>: metrics per method, a threshold slider per method with its "
            "confusion matrix, and the ROC curves with each operating point. <b>Error "
            "browser</b>: images where the methods err or disagree, with the baseline's blobs "
            "and the model's overlay (a defect map's probability of a defect, or a classifier's "
            "heatmap). <b>Accuracy vs shots</b>: the results.csv of "
            "<tt>kizu-cli experiment</tt>. <b>Baseline tuning</b>: the baseline's parameters, "
            "saved in the project and used by Compare and Inspect. Command line: "
            "<tt>kizu-cli compare</tt>.</p>");
    case 4:
        return tr("<h3>Inspect</h3><p>Live OK/NG inspection. Choose a source (a GigE Vision "
                  "or USB3 Vision camera, a USB camera as v4l2:N, a video, or a folder replay) "
                  "and a method, then start.</p><table cellpadding='3'>"
                  "<tr><td><b>F5</b> / <b>Esc</b></td><td>start / stop</td></tr>"
                  "<tr><td><b>C</b></td><td>store the frame on screen in the project</td></tr>"
                  "<tr><td><b>H</b></td><td>overlay: the model's defect map (or "
                  "heatmap)</td></tr></table>"
                  "<p>A camera that stops delivering shows <b>FAULT</b>, never OK, and is "
                  "reconnected with back-off. NG frames and every verdict are stored in the "
                  "project.</p>");
    default:
        return {};
    }
}

void MainWindow::showPageHelp()
{
    QMessageBox box(this);
    box.setWindowTitle(tr("Kizu Help"));
    box.setTextFormat(Qt::RichText);
    box.setText(pageHelp(m_pages->currentIndex()));
    box.exec();
}

void MainWindow::showAbout()
{
    QMessageBox::about(
        this, tr("About Kizu"),
        tr("<h3>Kizu %1</h3><p>Few-shot inspection of ground metal surfaces, with CG pretraining "
           "and a classical DoG/threshold baseline.</p>"
           "<p>Qt %2 &middot; LibTorch %3 &middot; OpenCV %4</p>"
           "<p><b>Data</b>: the BSData photos (Schlagenhauf et al., KIT wbk, Data in Brief 39, "
           "2021) are licensed CC BY-SA 4.0 and are not shipped. <b>Weights</b>: ImageNet "
           "SqueezeNet 1.1 (Iandola et al., BSD 2-Clause) when the user provides it; Kizu's "
           "CG-pretrained weights are made from synthetic renders only.</p>")
            .arg(QStringLiteral(KIZU_VERSION), QString::fromLatin1(qVersion()),
                 QString::fromStdString(kizu::learn::torchVersion()),
                 QString::fromStdString(kizu::learn::opencvVersion())));
}

MainWindow::~MainWindow()
{
    m_cgStudio->cancelBatch();
    m_inspect->stopInspection();
    m_train->shutdown(); // the run stays pending, resumable when the project is opened again
    m_dataset->setStore(nullptr); // before the store it points to closes
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newAct = file->addAction(tr("&New Project..."), this, &MainWindow::newProject);
    newAct->setShortcut(QKeySequence::New);
    QAction* openAct = file->addAction(tr("&Open Project..."), this, &MainWindow::openProjectDialog);
    openAct->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(m_dataset->importFilesAction());
    file->addAction(m_dataset->importFolderAction());
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_dataset->undoAction());
    edit->addAction(m_dataset->redoAction());

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList pageNames{tr("Dataset"), tr("CG Studio"), tr("Train"), tr("Compare"), tr("Inspect")};
    for (int k = 0; k < pageNames.size(); ++k) {
        QAction* a = view->addAction(pageNames[k], this, [this, k] { m_pages->setCurrentIndex(k); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + k)));
    }

    QMenu* station = menuBar()->addMenu(tr("&Station"));
    m_enterStation = station->addAction(tr("&Station Mode (Operator)"), this,
                                        [this] { enterStationMode(); });
    m_enterStation->setObjectName(QStringLiteral("enterStation"));
    m_enterStation->setToolTip(tr("Full screen on the Inspect page; leaving it, and changing the "
                                  "model, threshold, labels, split or images, needs the "
                                  "engineer PIN"));
    m_engineerUnlock = station->addAction(tr("&Engineer Unlock (%1 min)...")
                                              .arg(kEngineerUnlockMinutes),
                                          this, [this] {
                                              requireEngineer(tr("Unlock the station's settings "
                                                                 "for %1 minutes")
                                                                  .arg(kEngineerUnlockMinutes));
                                          });
    m_leaveStation = station->addAction(tr("&Leave Station Mode... (Esc when stopped)"), this,
                                        &MainWindow::leaveStationMode);
    m_leaveStation->setObjectName(QStringLiteral("leaveStation"));
    m_engineerUnlock->setVisible(false);
    m_leaveStation->setVisible(false);
    m_engineerMenus = {file, edit, view};

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* pageHelp = help->addAction(tr("Help on This Page"), this, &MainWindow::showPageHelp);
    pageHelp->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&Guided Tour"), this, &MainWindow::startTour);
    help->addAction(tr("&About Kizu"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    updateProjectActions();
}

void MainWindow::updateProjectActions()
{
    m_dataset->importFilesAction()->setEnabled(m_store != nullptr);
    m_dataset->importFolderAction()->setEnabled(m_store != nullptr);
}

bool MainWindow::openProject(const QString& dir)
{
    if (m_dataset->importRunning()) {
        QMessageBox::information(this, tr("Import running"),
                                 tr("Wait for the import to finish, or cancel it, before "
                                    "opening another project."));
        return false;
    }
    if (m_train->isTraining()) {
        QMessageBox::information(this, tr("Training running"),
                                 tr("Cancel the training on the Train page (Esc) before opening "
                                    "another project; it can be resumed later."));
        return false;
    }
    std::unique_ptr<ProjectStore> store;
    try {
        store = std::make_unique<ProjectStore>(ProjectStore::open(dir.toStdString()));
    } catch (const kizu::Error& e) {
        std::error_code ec;
        if (std::filesystem::is_directory(dir.toStdString(), ec) &&
            !ProjectStore::isProject(dir.toStdString())) {
            offerNewProject(dir);
            return false;
        }
        QMessageBox::warning(this, tr("Cannot open project"), QString::fromStdString(e.what()));
        return false;
    }
    // Pages switch to the new store before the old one closes.
    m_store.swap(store);
    Q_EMIT projectChanged(m_store.get());
    updateBaselineImages();
    store.reset();
    updateProjectActions();
    const QString abs = QFileInfo(dir).absoluteFilePath();
    setWindowTitle(tr("Kizu - %1").arg(QFileInfo(abs).fileName()));
    rememberRecent(abs);
    QSettings().setValue(QStringLiteral("project/last"), abs);
    refreshCounts();
    return true;
}

void MainWindow::refreshCounts()
{
    if (!m_store) {
        m_counts->setText(tr("No project open"));
        return;
    }
    kizu::project::Stats s;
    try {
        s = m_store->stats();
    } catch (const kizu::Error& e) {
        statusBar()->showMessage(QString::fromStdString(e.what()));
        return;
    }
    const auto ok = s.byLabel(Label::Ok), ng = s.byLabel(Label::Ng),
               un = s.byLabel(Label::Unlabeled);
    const auto train = s.bySplit(Split::Train), test = s.bySplit(Split::Test);
    m_counts->setText(tr("%1  |  %2  |  OK %3  ·  NG %4  ·  unlabeled %5  |  train %6  ·  "
                         "test %7")
                          .arg(QDir(QString::fromStdString(m_store->dir().string())).dirName())
                          .arg(tr("%n image(s)", nullptr, int(s.total())))
                          .arg(ok)
                          .arg(ng)
                          .arg(un)
                          .arg(train)
                          .arg(test));
}

void MainWindow::offerNewProject(const QString& dir)
{
    // A folder of photos chosen by mistake is the usual case on the first day: say what a
    // project is and offer to make one rather than only refusing. Not exec(): tests and
    // workers keep their event loop.
    auto* box = new QMessageBox(QMessageBox::Question, tr("Not a Kizu project"),
                                tr("%1 is not a Kizu project (it has no %2).")
                                    .arg(QDir::toNativeSeparators(dir),
                                         QString::fromLatin1(ProjectStore::kDatabaseName)),
                                QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("notAProject"));
    box->setInformativeText(
        tr("Create a project with File > New Project (Ctrl+N), here or in a new folder, then "
           "import the photos on the Dataset page."));
    QPushButton* here = box->addButton(tr("New Project Here"), QMessageBox::AcceptRole);
    here->setObjectName(QStringLiteral("newProjectHere"));
    QPushButton* elsewhere = box->addButton(tr("New Project..."), QMessageBox::ActionRole);
    elsewhere->setObjectName(QStringLiteral("newProjectElsewhere"));
    box->setDefaultButton(here);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, dir, here, elsewhere](QAbstractButton* b) {
        if (b == here) createProjectIn(dir);
        else if (b == elsewhere) QMetaObject::invokeMethod(this, &MainWindow::newProject, Qt::QueuedConnection);
    });
    box->open();
}

bool MainWindow::createProjectIn(const QString& dir)
{
    try {
        ProjectStore::create(dir.toStdString());
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot create project"), QString::fromStdString(e.what()));
        return false;
    }
    return openProject(dir);
}

QString MainWindow::projectDialogStart() const
{
    // The open project's folder, else the last one: new and recent projects live near it.
    if (m_store) return QString::fromStdString(m_store->dir().string());
    return QSettings().value(QStringLiteral("project/last")).toString();
}

void MainWindow::newProject()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("New project folder"), projectDialogStart());
    if (dir.isEmpty()) return;
    createProjectIn(dir);
}

void MainWindow::openProjectDialog()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Open project folder"), projectDialogStart());
    if (!dir.isEmpty()) openProject(dir);
}

void MainWindow::rememberRecent(const QString& dir)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("project/recent")).toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > 8) recent.removeLast();
    settings.setValue(QStringLiteral("project/recent"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("project/recent")).toStringList();
    for (const QString& dir : recent)
        m_recentMenu->addAction(dir, this, [this, dir] { openProject(dir); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::enterStationMode(bool fullScreen)
{
    if (m_station) return true;
    if (!m_store) {
        QMessageBox::information(this, tr("Station mode"),
                                 tr("Open a project first: station mode inspects with the "
                                    "project's active model and keeps its results."));
        return false;
    }
    if (!kizu::project::hasEngineerPin(*m_store) &&
        !PinDialog::ask(m_store.get(), tr("Enter station mode"), this))
        return false;
    m_station = true;
    m_engineerUntil = 0;
    m_pages->setCurrentWidget(m_inspect);
    setStationLocked(true);
    m_wasMaximized = isMaximized();
    if (fullScreen) showFullScreen();
    try {
        m_store->appendAudit("station", "project", "engineer", "operator");
    } catch (const kizu::Error& e) { // the station still locks; the log could not say so
        statusBar()->showMessage(QString::fromStdString(e.what()), 15000);
    }
    statusBar()->showMessage(tr("Station mode: Esc (with inspection stopped) or Station > Leave "
                                "asks the engineer PIN."),
                             15000);
    return true;
}

bool MainWindow::leaveStationMode()
{
    if (!m_station) return true;
    if (!PinDialog::ask(m_store.get(), tr("Leave station mode"), this)) return false;
    m_station = false;
    m_engineerUntil = 0;
    m_relock->stop();
    setStationLocked(false);
    if (isFullScreen()) m_wasMaximized ? showMaximized() : showNormal();
    try {
        if (m_store) m_store->appendAudit("station", "project", "operator", "engineer");
    } catch (const kizu::Error& e) {
        statusBar()->showMessage(QString::fromStdString(e.what()), 15000);
    }
    return true;
}

bool MainWindow::engineerUnlocked() const
{
    return !m_station || QDateTime::currentMSecsSinceEpoch() < m_engineerUntil;
}

bool MainWindow::requireEngineer(const QString& why)
{
    if (engineerUnlocked()) return true;
    if (!PinDialog::ask(m_store.get(), why, this)) return false;
    m_engineerUntil = QDateTime::currentMSecsSinceEpoch() + kEngineerUnlockMinutes * 60'000LL;
    m_relock->start(kEngineerUnlockMinutes * 60'000);
    setStationLocked(false);
    statusBar()->showMessage(tr("Engineer unlock: the station locks again in %1 minutes.")
                                 .arg(kEngineerUnlockMinutes),
                             15000);
    return true;
}

// Locked: only the Inspect page, no menus that change the project, the Inspect page's method
// and settings locked. Unlocked in station mode (engineer PIN): the Inspect page's controls
// work again, the other pages stay hidden until station mode is left.
void MainWindow::setStationLocked(bool locked)
{
    m_pages->tabBar()->setVisible(!m_station);
    for (QMenu* menu : m_engineerMenus) {
        menu->menuAction()->setVisible(!m_station);
        // Their shortcuts too: disabled in station mode, as they were when it is left.
        for (QAction* a : menu->actions()) {
            if (a->isSeparator() || a->menu()) continue;
            if (m_station && !m_menuStates.contains(a)) {
                m_menuStates.insert(a, a->isEnabled());
                a->setEnabled(false);
            } else if (!m_station && m_menuStates.contains(a)) {
                a->setEnabled(m_menuStates.take(a));
            }
        }
    }
    if (!m_station) updateProjectActions();
    m_enterStation->setVisible(!m_station);
    m_leaveStation->setVisible(m_station);
    m_engineerUnlock->setVisible(m_station);
    m_engineerUnlock->setEnabled(locked);
    m_inspect->setStationLocked(m_station && locked);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // The operator cannot close the station: closing is leaving station mode.
    if (m_station && !leaveStationMode()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace kizu::ui
