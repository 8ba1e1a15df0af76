// The main window's first run: with no project open, offer a demo project made on the spot
// (labeled CG renders, or the BSData photos when $KIZU_BSDATA names them) and a guided tour of
// the five pages. MainWindow members kept out of main_window.cpp.
#include "core/common/error.h"
#include "core/project/manifest.h"
#include "ui/cg_studio_page.h"
#include "ui/cg_viewport.h"
#include "ui/guided_tour.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <filesystem>

namespace kizu::ui {

QString MainWindow::defaultDemoDir()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (base.isEmpty()) base = QDir::homePath();
    QString dir = QDir(base).filePath(QStringLiteral("Kizu Demo"));
    // A folder of that name that is not a demo project (someone's files) is left alone.
    for (int n = 2; QFileInfo::exists(dir) &&
                    !kizu::project::ProjectStore::isProject(dir.toStdString());
         ++n)
        dir = QDir(base).filePath(QStringLiteral("Kizu Demo %1").arg(n));
    return dir;
}

bool MainWindow::createDemoProject(const QString& dir)
{
    if (kizu::project::ProjectStore::isProject(dir.toStdString())) return openProject(dir);
    const bool existed = QFileInfo::exists(dir);
    const QString bsdata = qEnvironmentVariable("KIZU_BSDATA");

    QProgressDialog progress(tr("Making the demo project in %1...").arg(dir), tr("Cancel"), 0, 0,
                             this);
    progress.setWindowTitle(tr("Demo project"));
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(0);
    progress.setValue(0);
    progress.show();

    kizu::CancelToken cancel;
    std::atomic<std::int64_t> done{0}, total{0};
    QString error;
    // The work runs off the UI thread; the dialog polls its counters.
    QThread* worker = QThread::create([&] {
        try {
            kizu::project::makeDemoProject(
                dir.toStdString(), bsdata.toStdString(),
                [&](const kizu::Progress& p) {
                    done = p.done;
                    total = p.total;
                },
                &cancel);
        } catch (const kizu::Error& e) {
            error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
    });
    QEventLoop loop;
    connect(worker, &QThread::finished, &loop, &QEventLoop::quit);
    connect(&progress, &QProgressDialog::canceled, &loop, [&] {
        cancel.cancel();
        progress.setLabelText(tr("Cancelling..."));
    });
    QTimer poll;
    connect(&poll, &QTimer::timeout, &progress, [&] {
        if (progress.wasCanceled() && !cancel.cancelled()) cancel.cancel();
        if (total > 0) {
            progress.setMaximum(int(total));
            progress.setValue(int(std::min<std::int64_t>(done, total)));
        }
    });
    poll.start(100);
    worker->start();
    loop.exec();
    worker->wait();
    delete worker;
    poll.stop();
    progress.reset();

    if (cancel.cancelled() || !error.isEmpty()) {
        // A half-made demo is of no use: remove what was made (only a folder made here).
        if (!existed) {
            std::error_code ec;
            std::filesystem::remove_all(dir.toStdString(), ec);
        }
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Demo project"),
                                 tr("The demo project could not be made: %1").arg(error));
        return false;
    }
    return openProject(dir);
}

void MainWindow::offerFirstRun()
{
    if (m_store) return;
    QMessageBox box(this);
    box.setWindowTitle(tr("Welcome to Kizu"));
    box.setTextFormat(Qt::RichText);
    box.setText(tr("<h3>Welcome to Kizu</h3><p>Kizu finds scratches and pits on ground metal "
                   "with a model pretrained on computer graphics and fine-tuned on a few of "
                   "your photos.</p><p>No project is open. Start with a <b>demo project</b> "
                   "(labeled renders made on the spot in a few seconds) and a short tour "
                   "of the five pages, or create or open a project of your own.</p>"));
    QPushButton* demo = box.addButton(tr("Create Demo Project"), QMessageBox::AcceptRole);
    QPushButton* create = box.addButton(tr("New Project..."), QMessageBox::ActionRole);
    QPushButton* open = box.addButton(tr("Open Project..."), QMessageBox::ActionRole);
    QPushButton* later = box.addButton(tr("Not Now"), QMessageBox::RejectRole);
    box.setDefaultButton(demo);
    box.setEscapeButton(later);
    box.exec();
    QSettings().setValue(QStringLiteral("firstRun/offered"), true);
    if (box.clickedButton() == demo) {
        if (createDemoProject(defaultDemoDir())) startTour();
    } else if (box.clickedButton() == create) {
        newProject();
    } else if (box.clickedButton() == open) {
        openProjectDialog();
    }
}

QVector<GuidedTour::Step> MainWindow::tourSteps() const
{
    return {
        {0, tr("1. Dataset"),
         tr("Import photos (Ctrl+I, or drop them here) and label them at keyboard speed: "
            "<b>O</b> for OK, <b>N</b> for NG. The split box keeps near-duplicates on one side "
            "of the train/test split. Every label change is audited and can be undone.")},
        {1, tr("2. CG Studio"),
         tr("The training images made by computer graphics: grinding marks with scratches, pits, "
            "dents and cracks. Tune the randomization until the renders look like your parts; "
            "generate batches for pretraining.")},
        {2, tr("3. Train"),
         tr("Fine-tune a model from the shipped CG-pretrained weights on a few labeled photos "
            "per class. The defaults finish in a few minutes on an ordinary PC; the result "
            "becomes a model of the project.")},
        {3, tr("4. Compare"),
         tr("The deep model beside the classical baseline (DoG filter, threshold, labeling) on "
            "the same test images: accuracy, ROC, confusion matrices, and the images where they "
            "disagree.")},
        {4, tr("5. Inspect"),
         tr("Live OK/NG on the line: choose a camera (GigE Vision, USB, video or a folder "
            "replay) and press <b>F5</b>. A camera fault shows FAULT, never OK. "
            "Press <b>F1</b> on any page for its help and shortcuts.")},
    };
}

void MainWindow::startTour()
{
    if (!m_tour) {
        m_tour = new GuidedTour(this, m_pages, tourSteps());
        // The 3D view is a native window, drawn above the tour: the card must stay off it.
        if (m_cgStudio) m_tour->addKeepClear(m_cgStudio->viewport());
        connect(m_tour, &GuidedTour::finished, this,
                [] { QSettings().setValue(QStringLiteral("tour/done"), true); });
    }
    m_tour->start();
}

} // namespace kizu::ui
