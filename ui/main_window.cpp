#include "ui/main_window.h"

#include "core/common/error.h"
#include "core/project/project_store.h"
#include "ui/dataset_page.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initKizuResources() { Q_INIT_RESOURCE(kizu); }

namespace kizu::ui {

using kizu::project::Label;
using kizu::project::ProjectStore;
using kizu::project::Split;

namespace {
QWidget* comingPage(const QString& sentence)
{
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    auto* text = new QLabel(sentence);
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);
    text->setStyleSheet(QStringLiteral("color: palette(mid); font-size: 15px;"));
    l->addWidget(text);
    return w;
}
} // namespace

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
    connect(m_dataset, &DatasetPage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    m_pages->addTab(comingPage(tr("CG Studio will preview and tune the domain-randomized "
                                  "scratch renders in 3D.")),
                    tr("&CG Studio"));
    m_pages->addTab(comingPage(tr("Train will fine-tune a model from CG-pretrained weights on "
                                  "a few labeled photos per class.")),
                    tr("&Train"));
    m_pages->addTab(comingPage(tr("Compare will put the deep model and the classical "
                                  "DoG/threshold baseline side by side on the same images.")),
                    tr("C&ompare"));
    m_pages->addTab(comingPage(tr("Inspect will run live camera OK/NG inspection with the "
                                  "active model.")),
                    tr("&Inspect"));
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

MainWindow::~MainWindow()
{
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
    std::unique_ptr<ProjectStore> store;
    try {
        store = std::make_unique<ProjectStore>(ProjectStore::open(dir.toStdString()));
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot open project"), QString::fromStdString(e.what()));
        return false;
    }
    // Pages switch to the new store before the old one closes.
    m_store.swap(store);
    Q_EMIT projectChanged(m_store.get());
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
    m_counts->setText(tr("%1  |  %2 images  |  OK %3  ·  NG %4  ·  unlabeled %5  |  train %6  ·  "
                         "test %7")
                          .arg(QDir(QString::fromStdString(m_store->dir().string())).dirName())
                          .arg(s.total())
                          .arg(ok)
                          .arg(ng)
                          .arg(un)
                          .arg(train)
                          .arg(test));
}

void MainWindow::newProject()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("New project folder"));
    if (dir.isEmpty()) return;
    try {
        ProjectStore::create(dir.toStdString());
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot create project"), QString::fromStdString(e.what()));
        return;
    }
    openProject(dir);
}

void MainWindow::openProjectDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
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

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace kizu::ui
