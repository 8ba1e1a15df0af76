#include "ui/sweep_panel.h"

#include "core/common/clock.h"
#include "core/learn/model.h"
#include "core/project/project_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <chrono>

namespace kizu::ui {

namespace fs = std::filesystem;

struct SweepPanel::Outcome {
    QString error;
    bool cancelled = false;
    std::size_t done = 0, pending = 0, rows = 0;
};

namespace {
const char* const kInits[] = {
    "station", "scratch", "imagenet", "cg", "baseline", "imagenet+transplant", "cg+transplant"};

QSpinBox* spin(int lo, int hi, int value, const QString& tip)
{
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setToolTip(tip);
    return s;
}
} // namespace

SweepPanel::SweepPanel(QWidget* parent)
    : QWidget(parent), m_watcher(new QFutureWatcher<std::shared_ptr<Outcome>>(this))
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* box = new QGroupBox(tr("Run a sweep on this project (as kizu-cli experiment run)"));
    outer->addWidget(box);
    auto* grid = new QGridLayout(box);
    m_arch = new QComboBox;
    for (const auto& a : kizu::learn::architectures())
        m_arch->addItem(QString::fromStdString(a), QString::fromStdString(a));
    m_arch->setToolTip(tr("The network every run fine-tunes (kizu-cli experiment --model)"));
    m_size = spin(16, 1024, 128, tr("Input size in pixels (--size)"));
    m_steps = spin(1, 1000000, 150, tr("Training steps per run (--steps)"));
    m_batch = spin(1, 1024, 16, tr("Images per training step (--batch)"));
    m_shots = new QLineEdit;
    m_shots->setToolTip(tr("Shots per class: 1,2,4,8 or max (powers of two up to the smaller "
                           "class) or max:N (--shots)"));
    m_seeds = new QLineEdit;
    m_seeds->setToolTip(tr("One run per seed and cell, e.g. 1,2,3 (--seeds)"));
    m_baselineTrials = spin(
        1, 100000, 40, tr("Tuner trials of the classical baseline per run (--baseline-trials)"));
    auto* inits = new QHBoxLayout;
    for (const char* name : kInits) {
        auto* c = new QCheckBox(QString::fromLatin1(name));
        c->setObjectName(QStringLiteral("sweepInit_%1").arg(QLatin1String(name)));
        inits->addWidget(c);
        m_inits.push_back(c);
    }
    m_inits[0]->setToolTip(tr("What the Train page starts from when you just press Train"));
    m_inits[4]->setToolTip(
        tr("The classical DoG/threshold/labeling method, tuned on the same shots"));
    for (int i : {5, 6})
        m_inits[std::size_t(i)]->setToolTip(
            tr("That start, with CG defects transplanted onto the OK photos of the same shots in "
               "half of every batch (--transplant 0.5)"));
    inits->addStretch(1);
    m_run = new QPushButton(tr("&Run sweep"));
    m_run->setObjectName(QStringLiteral("runSweep"));
    m_run->setToolTip(tr("Shots x initialisation x seed on the project's train split, each run "
                         "measured on its test split. Finished runs are kept: run again with "
                         "the same settings to continue a stopped sweep."));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setObjectName(QStringLiteral("cancelSweep"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(tr("Open a project to run a sweep on it."));
    m_status->setObjectName(QStringLiteral("sweepStatus"));
    m_status->setWordWrap(true);

    // The files behind the starts, as --imagenet, --cg and --baseline-start; each with a
    // browse button, empty meaning the CLI's default.
    auto fileField = [this](const QString& name, const QString& placeholder, const QString& tip,
                            const QString& filter) {
        auto* edit = new QLineEdit;
        edit->setObjectName(name);
        edit->setPlaceholderText(placeholder);
        edit->setToolTip(tip);
        edit->setClearButtonEnabled(true);
        auto* browse = new QPushButton(tr("..."));
        browse->setToolTip(tip);
        browse->setMaximumWidth(32);
        connect(browse, &QPushButton::clicked, this, [this, edit, filter] {
            const QString f =
                QFileDialog::getOpenFileName(this, edit->toolTip(), edit->text(), filter);
            if (!f.isEmpty()) edit->setText(f);
        });
        auto* box = new QHBoxLayout;
        box->setContentsMargins(0, 0, 0, 0);
        box->addWidget(edit, 1);
        box->addWidget(browse);
        return std::make_pair(edit, box);
    };
    auto [imagenetEdit, imagenetBox] = fileField(
        QStringLiteral("sweepImagenetFile"), tr("torchvision's file, found in $KIZU_WEIGHTS_DIR"),
        tr("ImageNet weights of the model in torchvision's .pth format (--imagenet)"),
        tr("PyTorch weights (*.pth *.pt);;All files (*)"));
    auto [cgEdit, cgBox] =
        fileField(QStringLiteral("sweepCgFile"), tr("the shipped CG-pretrained model"),
                  tr("A CG-pretrained model (kizu-cli pretrain) for the cg start (--cg)"),
                  tr("Kizu models (*.kizumodel);;All files (*)"));
    auto [baselineEdit, baselineBox] =
        fileField(QStringLiteral("sweepBaselineStart"), tr("the default parameters"),
                  tr("Baseline parameters the tuner starts from (--baseline-start)"),
                  tr("Baseline parameters (*.json);;All files (*)"));
    m_imagenetFile = imagenetEdit;
    m_cgFile = cgEdit;
    m_baselineStart = baselineEdit;

    int row = 0;
    grid->addWidget(new QLabel(tr("Model")), row, 0);
    grid->addWidget(m_arch, row, 1);
    grid->addWidget(new QLabel(tr("Size")), row, 2);
    grid->addWidget(m_size, row, 3);
    grid->addWidget(new QLabel(tr("Steps")), row, 4);
    grid->addWidget(m_steps, row, 5);
    grid->addWidget(new QLabel(tr("Batch")), row, 6);
    grid->addWidget(m_batch, row, 7);
    ++row;
    grid->addWidget(new QLabel(tr("Shots")), row, 0);
    grid->addWidget(m_shots, row, 1);
    grid->addWidget(new QLabel(tr("Seeds")), row, 2);
    grid->addWidget(m_seeds, row, 3);
    grid->addWidget(new QLabel(tr("Baseline trials")), row, 4);
    grid->addWidget(m_baselineTrials, row, 5);
    grid->addWidget(m_run, row, 6);
    grid->addWidget(m_cancel, row, 7);
    ++row;
    grid->addWidget(new QLabel(tr("Starts")), row, 0);
    grid->addLayout(inits, row, 1, 1, 7);
    ++row;
    grid->addWidget(new QLabel(tr("ImageNet")), row, 0);
    grid->addLayout(imagenetBox, row, 1);
    grid->addWidget(new QLabel(tr("CG model")), row, 2);
    grid->addLayout(cgBox, row, 3);
    grid->addWidget(new QLabel(tr("Baseline start")), row, 4);
    grid->addLayout(baselineBox, row, 5, 1, 3);
    ++row;
    grid->addWidget(m_progress, row, 0, 1, 2);
    grid->addWidget(m_status, row, 2, 1, 6);
    // The text fields take the room; the numbers stay as wide as they need.
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(3, 2);

    setOptions(kizu::learn::defaultSweepOptions());
    connect(m_run, &QPushButton::clicked, this, &SweepPanel::start);
    connect(m_cancel, &QPushButton::clicked, this, &SweepPanel::cancel);
    connect(m_watcher, &QFutureWatcher<std::shared_ptr<Outcome>>::finished, this,
            &SweepPanel::onDone);
    setProject(nullptr);
}

SweepPanel::~SweepPanel()
{
    if (m_token) m_token->cancel();
    m_watcher->waitForFinished();
}

void SweepPanel::setProject(kizu::project::ProjectStore* store)
{
    if (isRunning()) cancel();
    m_store = store;
    m_run->setEnabled(store && !isRunning());
    m_status->setText(store ? tr("Choose the runs, then Run sweep. Results go to %1.")
                                  .arg(QDir::toNativeSeparators(outputDir()))
                            : tr("Open a project to run a sweep on it."));
}

kizu::learn::SweepOptions SweepPanel::options() const
{
    auto o = kizu::learn::defaultSweepOptions();
    o.arch = m_arch->currentData().toString().toStdString();
    o.size = m_size->value();
    o.steps = m_steps->value();
    o.batch = m_batch->value();
    o.shots = m_shots->text().trimmed().toStdString();
    o.seeds.clear();
    for (const auto& s : m_seeds->text().split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const auto v = s.trimmed().toULongLong(&ok);
        if (ok) o.seeds.push_back(v);
    }
    o.inits.clear();
    for (auto* c : m_inits)
        if (c->isChecked()) o.inits.push_back(c->text().toStdString());
    o.baselineTrials = m_baselineTrials->value();
    o.imagenetWeights = m_imagenetFile->text().trimmed().toStdString();
    o.cgModel = m_cgFile->text().trimmed().toStdString();
    o.baselineStart = m_baselineStart->text().trimmed().toStdString();
    return o;
}

void SweepPanel::setOptions(const kizu::learn::SweepOptions& o)
{
    const int a = m_arch->findData(QString::fromStdString(o.arch));
    if (a >= 0) m_arch->setCurrentIndex(a);
    m_size->setValue(o.size);
    m_steps->setValue(int(o.steps));
    m_batch->setValue(o.batch);
    m_shots->setText(QString::fromStdString(o.shots));
    QStringList seeds;
    for (auto s : o.seeds)
        seeds << QString::number(s);
    m_seeds->setText(seeds.join(u','));
    for (auto* c : m_inits)
        c->setChecked(std::find(o.inits.begin(), o.inits.end(), c->text().toStdString()) !=
                      o.inits.end());
    m_baselineTrials->setValue(o.baselineTrials);
    m_imagenetFile->setText(QString::fromStdString(o.imagenetWeights));
    m_cgFile->setText(QString::fromStdString(o.cgModel));
    m_baselineStart->setText(QString::fromStdString(o.baselineStart));
    if (m_store && !isRunning()) setProject(m_store);
}

bool SweepPanel::isRunning() const
{
    return m_watcher->isRunning();
}

QString SweepPanel::outputDir() const
{
    if (!m_store) return {};
    const QString name = QStringLiteral("%1-%2px-%3steps-b%4")
                             .arg(m_arch->currentData().toString())
                             .arg(m_size->value())
                             .arg(m_steps->value())
                             .arg(m_batch->value());
    return QString::fromStdString((m_store->dir() / "experiments" / name.toStdString()).string());
}

QString SweepPanel::statusText() const
{
    return m_status->text();
}

void SweepPanel::fail(const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
}

void SweepPanel::setRunning(bool running)
{
    m_run->setEnabled(!running && m_store);
    m_cancel->setEnabled(running);
    for (QWidget* w : std::initializer_list<QWidget*>{m_arch, m_size, m_steps, m_batch, m_shots,
                                                      m_seeds, m_baselineTrials})
        w->setEnabled(!running);
    for (auto* c : m_inits)
        c->setEnabled(!running);
}

void SweepPanel::start()
{
    if (isRunning()) return;
    m_lastError.clear();
    if (!m_store) {
        fail(tr("Open a project first: a sweep draws its shots from the project's train split "
                "and measures every run on its test split."));
        return;
    }
    const auto o = options();
    if (o.seeds.empty()) {
        fail(tr("Give at least one seed (numbers separated by commas, e.g. 1,2,3)."));
        return;
    }
    if (o.inits.empty()) {
        fail(tr("Tick at least one start (scratch, imagenet, cg, baseline, station)."));
        return;
    }
    const fs::path project = m_store->dir();
    const fs::path out = outputDir().toStdString();
    m_runningCsv = QString::fromStdString((out / "results.csv").string());
    m_token = std::make_shared<kizu::CancelToken>();
    auto token = m_token;
    QPointer<SweepPanel> self(this);
    setRunning(true);
    m_progress->setRange(0, 0);
    m_status->setText(tr("Reading the project's train and test splits..."));
    auto future = QtConcurrent::run([=]() -> std::shared_ptr<Outcome> {
        auto result = std::make_shared<Outcome>();
        try {
            const kizu::learn::SweepData data{kizu::learn::listProject(project, "train"),
                                              kizu::learn::listProject(project, "test"),
                                              "project " + project.string()};
            const auto plan = kizu::learn::planSweep(out, o, data);
            result->pending = plan.pending.size();
            double last = 0;
            auto post = [&](const kizu::learn::SweepProgress& p) {
                const double now = monotonicSeconds();
                // About 10 updates a second; a finished row always goes through.
                if (!p.finished && p.step != 0 && now - last < 0.1) return;
                last = now;
                kizu::learn::SweepProgress copy = p;
                const bool row = p.finished != nullptr;
                copy.finished = nullptr;
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, copy, row] {
                        if (!self) return;
                        self->showProgress(copy);
                        if (row) Q_EMIT self->rowFinished(self->m_runningCsv);
                    },
                    Qt::QueuedConnection);
            };
            post({0, plan.pending.size(), {}, 0, 0, nullptr, 0, 0});
            const auto r = kizu::learn::runSweep(plan, o, data, post, token.get());
            result->done = r.done;
            result->rows = r.rows.size();
            result->cancelled = r.cancelled;
        } catch (const std::exception& e) {
            result->error = QString::fromStdString(e.what());
        }
        return result;
    });
    m_watcher->setFuture(future);
}

void SweepPanel::cancel()
{
    if (!isRunning() || !m_token) return;
    m_token->cancel();
    m_status->setText(tr("Cancelling the run in flight (finished runs are kept)..."));
}

void SweepPanel::showProgress(const kizu::learn::SweepProgress& p)
{
    if (!isRunning() || (m_token && m_token->cancelled())) return;
    if (p.runsTotal == 0) {
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        m_status->setText(tr("Nothing left to run: every run of these settings is done."));
        return;
    }
    m_progress->setRange(0, int(p.runsTotal) * 100);
    const int within = p.steps > 0 ? int(100 * std::min(p.step, p.steps) / p.steps) : 0;
    m_progress->setValue(int(p.runsDone) * 100 + (p.runsDone < p.runsTotal ? within : 0));
    QString text = tr("Run %1 of %2: %3, %4, seed %5")
                       .arg(std::min(p.runsDone + 1, p.runsTotal))
                       .arg(p.runsTotal)
                       .arg(QString::fromStdString(p.run.init))
                       .arg(tr("%n shot(s) per class", nullptr, p.run.shots))
                       .arg(p.run.seed);
    if (p.steps > 0) text += tr(", step %1 of %2").arg(p.step).arg(p.steps);
    if (p.runsDone > 0 && p.etaSeconds > 0)
        text += tr("; about %1 min left").arg(std::max(1, int(p.etaSeconds / 60 + 0.5)));
    m_status->setText(text);
}

void SweepPanel::onDone()
{
    auto out = m_watcher->result();
    setRunning(false);
    m_progress->setRange(0, 1);
    if (!out->error.isEmpty()) {
        m_progress->setValue(0);
        fail(out->error);
        Q_EMIT finished(false);
        return;
    }
    if (out->cancelled) {
        m_progress->setValue(0);
        m_status->setText(tr("Cancelled after %1 of %2; Run sweep again to continue (finished "
                             "runs are kept).")
                              .arg(tr("%n run(s)", nullptr, int(out->done)))
                              .arg(int(out->pending)));
        Q_EMIT finished(false);
        return;
    }
    m_progress->setValue(1);
    m_status->setText(tr("Sweep done: %1 this time, %2 in %3.")
                          .arg(tr("%n run(s)", nullptr, int(out->done)))
                          .arg(tr("%n row(s)", nullptr, int(out->rows)))
                          .arg(QDir::toNativeSeparators(m_runningCsv)));
    Q_EMIT finished(true);
}

} // namespace kizu::ui
