#include "ui/train_page.h"

#include "core/common/error.h"
#include "core/common/paths.h"
#include "core/learn/model.h"
#include "core/project/project_store.h"
#include "ui/model_list.h"
#include "ui/model_overlay.h"
#include "ui/train_charts.h"

#include <QAction>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <cmath>

namespace kizu::ui {
using kizu::learn::RunSpec;
using nlohmann::json;

namespace {
QString duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("?");
    const qint64 s = qint64(std::lround(seconds));
    if (s < 60) return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString speedKey(const QString& arch, int size)
{
    return QStringLiteral("train/speed/%1/%2").arg(arch).arg(size);
}

QLabel* note()
{
    auto* l = new QLabel;
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: palette(dark);"));
    return l;
}

QString idleStatus()
{
    return TrainPage::tr("Set up a run on the left and press Start (Ctrl+Return).");
}
} // namespace

TrainPage::TrainPage(QWidget* parent) : QWidget(parent)
{
    m_runner = new TrainRunner(this);
    connect(m_runner, &TrainRunner::progress, this, &TrainPage::onProgress);
    connect(m_runner, &TrainRunner::validated, this,
            [this](const kizu::learn::ValidationPoint& v) { m_charts->addValidation(v); });
    connect(m_runner, &TrainRunner::stage, this,
            [this](const QString& text) { m_status->setText(text); });
    connect(m_runner, &TrainRunner::fitProgress, this, &TrainPage::onFitProgress);
    connect(m_runner, &TrainRunner::finished, this, &TrainPage::onFinished);
    connect(m_runner, &TrainRunner::speedMeasured, this, &TrainPage::onSpeed);

    m_status = new QLabel(idleStatus());
    m_status->setStyleSheet(QStringLiteral("font-size: 14px; font-weight: 600;"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict = new QLabel;
    m_verdict->setWordWrap(true);
    m_verdict->setTextFormat(Qt::RichText);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict->hide();
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(QString());
    m_charts = new TrainCharts;
    m_models = new ModelList;
    connect(m_models, &ModelList::activeModelChanged, this, &TrainPage::activeModelChanged);
    connect(m_models, &ModelList::modelsChanged, this, &TrainPage::modelsChanged);
    connect(m_models, &ModelList::statusMessage, this, &TrainPage::statusMessage);
    connect(m_models, &ModelList::selectionChanged, this, &TrainPage::showReferences);

    auto* live = new QWidget;
    auto* liveLayout = new QVBoxLayout(live);
    liveLayout->setContentsMargins(0, 0, 0, 0);
    liveLayout->addWidget(m_status);
    liveLayout->addWidget(m_verdict);
    liveLayout->addWidget(m_progress);
    // From OK photos only has no curves: in their place, what the model does, in a few lines.
    m_anomalyNote = note();
    m_anomalyNote->setTextFormat(Qt::RichText);
    m_anomalyNote->setText(
        tr("<b>From OK photos only</b>: the model remembers small patches of your OK photos "
           "(the most varied share, set by <i>Memory kept</i>) and marks each place of a new "
           "photo by how unlike every remembered patch it is: its anomaly map. The photo's "
           "worst place decides the verdict; the threshold lets about the <i>False rejects</i> "
           "share of good parts be called NG. No NG photo is needed. Check the model on the "
           "Compare page, where its anomaly map shows what it found."));
    liveLayout->addWidget(m_anomalyNote);
    liveLayout->addWidget(m_charts, 1);
    liveLayout->addStretch(0); // takes the charts' room when they are hidden (From OK photos)
    auto* modelsBox =
        new QGroupBox(tr("Models of this project (select runs to compare their curves)"));
    auto* mb = new QVBoxLayout(modelsBox);
    mb->addWidget(m_models);
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(live);
    right->addWidget(modelsBox);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    auto* scroll = new QScrollArea;
    scroll->setWidget(buildForm());
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumWidth(400);
    scroll->setMaximumWidth(470);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(scroll);
    layout->addWidget(right, 1);

    auto shortcut = [this](const QKeySequence& key, auto fn) {
        auto* a = new QAction(this);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WindowShortcut); // only while this page is shown
        connect(a, &QAction::triggered, this, fn);
        addAction(a);
    };
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), [this] { startTraining(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), [this] { startTraining(); });
    shortcut(QKeySequence(Qt::Key_Escape), [this] { cancelTraining(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_R), [this] { resumeTraining(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_M), [this] { measureSpeed(); });
    setRunning(false);
    onHeadChanged();
    refreshAnomalyTrunks();
    onMethodChanged();
    refreshSpeed();
}

QString TrainPage::head() const
{
    return m_head->currentData().toString();
}

// The size means the long side for a defect map (the photo keeps its aspect) and the square's
// side for a classifier; each head has its own default size, kept unless the operator typed one.
void TrainPage::onHeadChanged()
{
    const bool map = head() == QLatin1String("defect_map");
    const bool keepAspect = kizu::learn::defaultRoute().keepAspectFor(head().toStdString());
    m_size->setSuffix(keepAspect ? tr(" px long side") : tr(" px square side"));
    m_size->setToolTip(
        keepAspect ? tr("The photo's long side in pixels as the network sees it; the photo keeps "
                        "its aspect (a 1130 x 460 photo at 320 becomes about 320 x 130).")
                   : tr("The side of the square the photo is squeezed to, in pixels."));
    // A defect map is fine-tuned with defect-safe crops and flips only (RandAugment cost it on
    // BSData's validation split, docs/results.md); a classifier keeps RandAugment.
    const bool randAugment = !map || kizu::learn::defaultRoute().mapRandAugment;
    m_augment->setText(randAugment ? tr("A&ugmentation (crops, flips, RandAugment)")
                                   : tr("A&ugmentation (defect-safe crops, flips)"));
    if (!m_sizeUserEdited) {
        m_settingSize = true;
        m_size->setValue(kizu::learn::defaultRoute().inputSizeFor(head().toStdString()));
        m_settingSize = false;
    }
    refreshInitChoices();
}

QWidget* TrainPage::budgetBox() const
{
    return m_budgetBox;
}

QString TrainPage::method() const
{
    return m_method->currentData().toString();
}

// From OK photos only needs none of the supervised run's budget, output, initialisation or
// advanced options: they are hidden, and its own settings shown.
void TrainPage::onMethodChanged()
{
    const bool anomaly = isAnomalyMethod();
    m_anomalyBox->setVisible(anomaly);
    m_budgetBox->setVisible(!anomaly);
    m_advancedToggle->setVisible(!anomaly);
    m_advanced->setVisible(!anomaly && m_advancedToggle->isChecked());
    m_modelForm->setRowVisible(m_head, !anomaly);
    m_modelForm->setRowVisible(m_measure->parentWidget(), !anomaly);
    m_modelForm->setRowVisible(m_init, !anomaly);
    m_modelForm->setRowVisible(m_initPathRow, !anomaly);
    m_modelForm->setRowVisible(m_initNote, !anomaly);
    m_charts->setVisible(!anomaly);
    m_anomalyNote->setVisible(anomaly);
    m_start->setText(anomaly ? tr("Start fitting") : tr("Start training"));
    m_start->setToolTip(anomaly ? tr("Ctrl+Return: fit the model on the train split's OK photos")
                                : tr("Ctrl+Return"));
    m_cancel->setToolTip(anomaly
                             ? tr("Esc: stops the fit; nothing is saved")
                             : tr("Esc: stops after the step in flight and keeps a checkpoint to "
                                  "resume"));
    if (!isTraining()) {
        m_status->setText(idleStatus());
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(QString());
    }
    refreshData();
}

// A trunk whose weights file is missing stays listed, greyed out, with the reason as its tooltip.
void TrainPage::refreshAnomalyTrunks()
{
    const std::string arch = m_arch->currentData().toString().toStdString();
    auto* model = qobject_cast<QStandardItemModel*>(m_anomalyTrunk->model());
    int firstUsable = -1;
    for (int i = 0; i < m_anomalyTrunk->count(); ++i) {
        QString why;
        try {
            (void)kizu::learn::anomalyTrunkInit(
                arch, m_anomalyTrunk->itemData(i).toString().toStdString());
        } catch (const kizu::Error& e) {
            why = QString::fromStdString(e.what());
        }
        const bool usable = why.isEmpty();
        if (model) model->item(i)->setEnabled(usable);
        m_anomalyTrunk->setItemData(i, why.isEmpty() ? QVariant() : QVariant(why), Qt::ToolTipRole);
        if (usable && firstUsable < 0) firstUsable = i;
    }
    const int def =
        m_anomalyTrunk->findData(QString::fromStdString(kizu::learn::defaultRoute().anomalyTrunk));
    const int cur = m_anomalyTrunk->currentIndex();
    const bool curUsable = cur >= 0 && (!model || model->item(cur)->isEnabled());
    if (!curUsable)
        m_anomalyTrunk->setCurrentIndex(
            def >= 0 && model && model->item(def)->isEnabled() ? def : std::max(0, firstUsable));
}

kizu::learn::AnomalyRunSpec TrainPage::anomalySpec() const
{
    kizu::learn::AnomalyRunSpec s;
    auto& c = s.config;
    c.arch = m_arch->currentData().toString().toStdString();
    c.init = kizu::learn::anomalyTrunkInit(c.arch,
                                           m_anomalyTrunk->currentData().toString().toStdString());
    c.inputSize = m_anomalySize->value();
    c.keepAspect = kizu::learn::defaultRoute().anomalyKeepAspect;
    c.coresetFraction = m_coreset->value() / 100.0;
    c.falseRejectRate = m_falseReject->value() / 100.0;
    c.seed = std::uint64_t(m_seed->value());
    s.okOnly = m_okOnly->isChecked();
    s.shots = m_shotsMode->isChecked() ? m_shots->value() : 0;
    s.name = m_name->text().trimmed().toStdString();
    s.validationPerClass = m_valPerClass->value();
    return s;
}

bool TrainPage::startAnomaly()
{
    kizu::learn::AnomalyRunSpec s;
    try {
        s = anomalySpec();
    } catch (const kizu::Error& e) {
        showError(tr("Cannot fit"), QString::fromStdString(e.what()));
        return false;
    }
    m_charts->reset(0);
    m_progress->setRange(0, 0); // busy until the first report
    m_progress->setValue(0);
    m_progress->setFormat(QString());
    m_status->setText(tr("Starting: reading the OK photos..."));
    showVerdict({}, {});
    if (!m_runner->startAnomaly(QString::fromStdString(m_store->dir().string()), s,
                                m_threads->value()))
        return false;
    m_elapsed.start();
    setRunning(true);
    Q_EMIT trainingStarted();
    return true;
}

void TrainPage::onFitProgress(qint64 done, qint64 total, const QString& text)
{
    m_progress->setRange(0, int(std::max<qint64>(1, total)));
    m_progress->setValue(int(std::min(done, std::max<qint64>(1, total))));
    m_progress->setFormat(QStringLiteral("%p %"));
    m_status->setText(tr("%1  ·  elapsed %2").arg(text, duration(m_elapsed.elapsed() / 1000.0)));
}

TrainPage::~TrainPage()
{
    shutdown();
}

void TrainPage::shutdown()
{
    if (!m_runner->isRunning()) return;
    m_runner->cancel();
    m_runner->wait();
}

QWidget* TrainPage::buildForm()
{
    auto* form = new QWidget;
    m_formWidget = form;
    auto* v = new QVBoxLayout(form);
    v->setContentsMargins(0, 0, 6, 0);

    // Unfinished run
    m_pendingBox = new QFrame;
    m_pendingBox->setFrameShape(QFrame::StyledPanel);
    m_pendingBox->setStyleSheet(QStringLiteral(
        "QFrame { background: #fff4d6; border: 1px solid #e0b44c; border-radius: 4px; }"
        "QLabel { border: none; }"));
    auto* pb = new QVBoxLayout(m_pendingBox);
    m_pendingText = new QLabel;
    m_pendingText->setWordWrap(true);
    m_resume = new QPushButton(tr("&Resume (Ctrl+R)"));
    m_discard = new QPushButton(tr("Discard"));
    connect(m_resume, &QPushButton::clicked, this, [this] { resumeTraining(); });
    connect(m_discard, &QPushButton::clicked, this, [this] { discardPending(true); });
    auto* pbb = new QHBoxLayout;
    pbb->addWidget(m_resume);
    pbb->addWidget(m_discard);
    pbb->addStretch(1);
    pb->addWidget(m_pendingText);
    pb->addLayout(pbb);
    m_pendingBox->hide();
    v->addWidget(m_pendingBox);

    // Method: supervised training, or an anomaly model from OK photos only (issue 22).
    auto* methodBox = new QGroupBox(tr("Method"));
    auto* mf = new QFormLayout(methodBox);
    m_method = new QComboBox;
    m_method->setObjectName(QStringLiteral("trainMethod"));
    m_method->addItem(tr("Train on OK and NG photos"), QStringLiteral("supervised"));
    m_method->addItem(tr("From OK photos only (PatchCore)"), QStringLiteral("patchcore"));
    m_method->setToolTip(
        tr("<b>Train on OK and NG photos</b>: a network learns what NG looks like from your "
           "labeled photos.<br><b>From OK photos only</b>: for a line with no (or few) NG parts "
           "yet. The model remembers what good surfaces look like and calls a part NG where it "
           "looks unlike every OK photo; it needs no NG photo and takes seconds, not minutes."));
    mf->addRow(tr("&Method"), m_method);
    m_anomalyBox = new QWidget;
    auto* af = new QFormLayout(m_anomalyBox);
    af->setContentsMargins(0, 0, 0, 0);
    m_anomalyTrunk = new QComboBox;
    m_anomalyTrunk->setObjectName(QStringLiteral("anomalyTrunk"));
    m_anomalyTrunk->addItem(tr("ImageNet features"), QStringLiteral("imagenet"));
    m_anomalyTrunk->addItem(tr("CG classifier's features"), QStringLiteral("cg"));
    m_anomalyTrunk->addItem(tr("CG defect map's features"), QStringLiteral("cgmap"));
    m_anomalyTrunk->setToolTip(
        tr("The frozen network that describes each patch of a photo. ImageNet features are the "
           "station's default; the CG ones come from the shipped models trained on rendered "
           "grinding marks. A choice whose weights file is missing is greyed out."));
    m_falseReject = new QDoubleSpinBox;
    m_falseReject->setObjectName(QStringLiteral("falseRejectRate"));
    m_falseReject->setDecimals(1);
    m_falseReject->setRange(0.1, 20);
    m_falseReject->setSingleStep(0.5);
    m_falseReject->setSuffix(tr(" % of good parts"));
    m_falseReject->setValue(kizu::learn::defaultRoute().anomalyFalseReject * 100);
    m_falseReject->setToolTip(
        tr("How many good parts the model may call NG. The NG threshold is set so that about "
           "this share of your OK photos would be rejected. Lower: fewer false alarms but more "
           "missed defects. With labeled NG photos in use, they move the threshold too."));
    m_coreset = new QDoubleSpinBox;
    m_coreset->setObjectName(QStringLiteral("memoryShare"));
    m_coreset->setDecimals(0);
    m_coreset->setRange(1, 100);
    m_coreset->setSingleStep(5);
    m_coreset->setSuffix(tr(" % of the patches"));
    m_coreset->setValue(kizu::learn::defaultRoute().anomalyCoreset * 100);
    m_coreset->setToolTip(
        tr("How much of the OK photos' detail the model keeps in its memory (the most varied "
           "patches are kept first). More: slightly finer judgement, but slower inspection and a "
           "larger model file."));
    m_anomalySize = new QSpinBox;
    m_anomalySize->setObjectName(QStringLiteral("anomalySize"));
    m_anomalySize->setRange(32, 1024);
    m_anomalySize->setSingleStep(32);
    m_anomalySize->setValue(kizu::learn::defaultRoute().anomalyInputSize);
    const bool anomalyAspect = kizu::learn::defaultRoute().anomalyKeepAspect;
    m_anomalySize->setSuffix(anomalyAspect ? tr(" px long side") : tr(" px square side"));
    m_anomalySize->setToolTip(
        tr("The photo's long side in pixels as the model sees it (the photo keeps its aspect). "
           "Larger finds smaller defects but is slower."));
    m_okOnly = new QCheckBox(tr("Ignore &labeled NG photos"));
    m_okOnly->setObjectName(QStringLiteral("okOnly"));
    m_okOnly->setChecked(true);
    m_okOnly->setToolTip(
        tr("On: the model learns from the train split's OK photos alone, as on a line with no "
           "NG part yet. Off: the train split's NG photos move the NG threshold (they are never "
           "remembered as good)."));
    af->addRow(tr("Tr&unk"), m_anomalyTrunk);
    af->addRow(tr("False re&jects"), m_falseReject);
    af->addRow(tr("Memor&y kept"), m_coreset);
    af->addRow(tr("Input si&ze"), m_anomalySize);
    af->addRow(QString(), m_okOnly);
    mf->addRow(m_anomalyBox);
    for (QComboBox* box : {m_method, m_anomalyTrunk}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(16);
    }
    v->addWidget(methodBox);

    // Data
    auto* data = new QGroupBox(tr("Training data"));
    auto* dl = new QGridLayout(data);
    m_shotsMode = new QRadioButton(tr("&Shots per class"));
    m_wholeSplit = new QRadioButton(tr("The &whole train split"));
    auto* group = new QButtonGroup(this);
    group->addButton(m_shotsMode);
    group->addButton(m_wholeSplit);
    m_shotsMode->setChecked(true);
    m_shots = new QSpinBox;
    m_shots->setRange(1, 100000);
    m_shots->setValue(kizu::learn::defaultRoute().shots);
    m_shots->setToolTip(tr("Images per class drawn from the train split with the seed"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, 1000000000);
    m_seed->setValue(int(kizu::learn::defaultRoute().seed));
    m_seed->setPrefix(tr("seed "));
    m_seed->setToolTip(tr("Seed of every random choice: the draw, the augmentation, the sampling"));
    dl->addWidget(m_shotsMode, 0, 0);
    dl->addWidget(m_shots, 0, 1);
    dl->addWidget(m_seed, 0, 2);
    dl->addWidget(m_wholeSplit, 1, 0, 1, 3);
    m_dataInfo = note();
    dl->addWidget(m_dataInfo, 2, 0, 1, 3);
    v->addWidget(data);

    // Model
    auto* model = new QGroupBox(tr("Model"));
    auto* ml = new QFormLayout(model);
    m_modelForm = ml;
    m_arch = new QComboBox;
    for (const auto& a : kizu::learn::architectures())
        m_arch->addItem(QString::fromStdString(a), QString::fromStdString(a));
    m_arch->setCurrentIndex(
        m_arch->findData(QString::fromStdString(kizu::learn::defaultRoute().arch)));
    m_speed = note();
    m_measure = new QPushButton(tr("Measure"));
    m_measure->setToolTip(tr("Time a few training steps of this model here (Ctrl+M)"));
    // The speed note wraps to two lines beside the button; in a widget of its own (not a bare
    // box layout) the form gives the row the wrapped height instead of clipping it to one line.
    auto* speedField = new QWidget;
    auto* speedRow = new QHBoxLayout(speedField);
    speedRow->setContentsMargins(0, 0, 0, 0);
    speedRow->addWidget(m_speed, 1);
    speedRow->addWidget(m_measure, 0, Qt::AlignTop);
    // The network's output (issue 21). Pressing Train with the defaults trains defaultRoute().
    m_head = new QComboBox;
    m_head->addItem(tr("Defect map \u2014 where the defect is"), QStringLiteral("defect_map"));
    m_head->addItem(tr("Image classifier"), QStringLiteral("classifier"));
    m_head->setCurrentIndex(
        std::max(0, m_head->findData(QString::fromStdString(kizu::learn::defaultRoute().head))));
    m_head->setToolTip(
        tr("<b>Defect map</b>: the network marks, for every place in the photo, how likely a "
           "defect is there (0 to 1); the verdict comes from the map, and the photo keeps its "
           "aspect (the size is its long side). Masks of your NG photos, where there are any, "
           "teach it where the defects are.<br><b>Image classifier</b>: one OK/NG score for the "
           "whole photo, squeezed to a square; its heatmap is a class activation map."));
    ml->addRow(tr("&Architecture"), m_arch);
    ml->addRow(tr("Network out&put"), m_head);
    ml->addRow(tr("Speed here"), speedField);
    m_init = new QComboBox;
    // Long entries (file names, "not shipped" notes) are elided in the box (its list shows them
    // whole) instead of widening the form past its scroll area, which clips the controls on the
    // right.
    for (QComboBox* box : {m_arch, m_head, m_init}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(16);
    }
    m_imagenetPath = new QLineEdit;
    m_imagenetPath->setPlaceholderText(tr("torchvision state dict (.pth)"));
    m_browse = new QToolButton;
    m_browse->setText(QStringLiteral("..."));
    auto* inRow = new QHBoxLayout;
    m_initPathRow = inRow;
    inRow->addWidget(m_imagenetPath, 1);
    inRow->addWidget(m_browse);
    m_initNote = note();
    m_initNote->setTextFormat(Qt::RichText);
    m_initNote->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    m_init->setToolTip(tr("Where the network's weights start. The default is the start with the "
                          "best measured results (docs/results.md); Why? under it says which."));
    ml->addRow(tr("&Initialisation"), m_init);
    ml->addRow(QString(), inRow);
    ml->addRow(QString(), m_initNote);
    v->addWidget(model);

    // Budget
    auto* budget = new QGroupBox(tr("Budget"));
    m_budgetBox = budget;
    auto* bl = new QFormLayout(budget);
    m_budget = new QSpinBox;
    m_budget->setRange(1, 10000000);
    m_budget->setValue(int(kizu::learn::defaultRoute().steps));
    m_budgetUnit = new QComboBox;
    m_budgetUnit->addItem(tr("steps"), QStringLiteral("steps"));
    m_budgetUnit->addItem(tr("epochs"), QStringLiteral("epochs"));
    auto* budRow = new QHBoxLayout;
    budRow->addWidget(m_budget, 1);
    budRow->addWidget(m_budgetUnit);
    m_batchSpin = new QSpinBox;
    m_batchSpin->setRange(1, 1024);
    m_batchSpin->setValue(kizu::learn::defaultRoute().batch);
    m_size = new QSpinBox;
    m_size->setRange(32, 1024);
    m_size->setSingleStep(32);
    m_size->setValue(kizu::learn::defaultRoute().inputSizeFor(head().toStdString()));
    m_augment = new QCheckBox(tr("A&ugmentation (crops, flips, RandAugment)"));
    m_augment->setChecked(kizu::learn::defaultRoute().augment);
    // CG defects transplanted onto the OK photos (issue 20); the station's default (off until
    // the sweep shows it helps) is defaultRoute().transplantRatio.
    const double defaultRatio = kizu::learn::defaultRoute().transplantRatio;
    m_transplant = new QCheckBox(tr("Add CG &defects to my OK photos"));
    m_transplant->setChecked(defaultRatio > 0);
    m_transplant->setToolTip(
        tr("Part of every batch is your OK photos with a rendered defect (pits by default) put "
           "on them, labeled NG. The NG threshold is then chosen on held-out photos and "
           "defects instead of the training images."));
    m_transplantRatio = new QDoubleSpinBox;
    m_transplantRatio->setDecimals(2);
    m_transplantRatio->setRange(0.05, 0.95);
    m_transplantRatio->setSingleStep(0.05);
    m_transplantRatio->setValue(
        defaultRatio > 0 ? defaultRatio : kizu::learn::defaultRoute().transplantRatioWhenOn);
    m_transplantRatio->setPrefix(tr("share of each batch: "));
    m_transplantRatio->setEnabled(m_transplant->isChecked());
    connect(m_transplant, &QCheckBox::toggled, m_transplantRatio, &QWidget::setEnabled);
    // The share on a line of its own: beside the check box the row was wider than the form's
    // scroll area, which clipped every control on the right.
    auto* transplantRow = new QVBoxLayout;
    transplantRow->addWidget(m_transplant);
    auto* ratioRow = new QHBoxLayout;
    ratioRow->addSpacing(24);
    ratioRow->addWidget(m_transplantRatio);
    ratioRow->addStretch(1);
    transplantRow->addLayout(ratioRow);
    m_estimate = note();
    bl->addRow(tr("Train for"), budRow);
    bl->addRow(tr("&Batch"), m_batchSpin);
    bl->addRow(tr("Input si&ze"), m_size);
    bl->addRow(QString(), m_augment);
    bl->addRow(QString(), transplantRow);
    bl->addRow(QString(), m_estimate);
    v->addWidget(budget);

    // Advanced, folded away
    m_advancedToggle = new QToolButton;
    m_advancedToggle->setText(tr("Advanced options"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setArrowType(Qt::RightArrow);
    m_advancedToggle->setAutoRaise(true);
    m_advanced = new QWidget;
    auto* al = new QFormLayout(m_advanced);
    al->setContentsMargins(12, 0, 0, 0);
    m_lr = new QDoubleSpinBox;
    m_lr->setDecimals(5);
    m_lr->setRange(0, 10);
    m_lr->setSingleStep(0.001);
    m_lr->setSpecialValueText(tr("auto (0.4 x batch / 1024)"));
    m_weightDecay = new QDoubleSpinBox;
    m_weightDecay->setDecimals(6);
    m_weightDecay->setRange(0, 1);
    m_weightDecay->setSingleStep(1e-5);
    m_weightDecay->setValue(2e-5);
    m_labelSmoothing = new QDoubleSpinBox;
    m_labelSmoothing->setRange(0, 0.5);
    m_labelSmoothing->setSingleStep(0.05);
    m_labelSmoothing->setValue(0.1);
    m_warmup = new QSpinBox;
    m_warmup->setRange(-1, 1000000);
    m_warmup->setValue(-1);
    m_warmup->setSpecialValueText(tr("auto (5% of the steps)"));
    m_balanced = new QCheckBox(tr("Balanced batches (half OK, half NG)"));
    m_balanced->setChecked(true);
    m_valPerClass = new QSpinBox;
    m_valPerClass->setRange(0, 10000);
    m_valPerClass->setValue(kizu::learn::defaultRoute().validationPerClass);
    m_valPerClass->setSpecialValueText(tr("no validation curve"));
    m_valPoints = new QSpinBox;
    m_valPoints->setRange(1, 1000);
    m_valPoints->setValue(10);
    m_checkpointEvery = new QSpinBox;
    m_checkpointEvery->setRange(0, 1000000);
    m_checkpointEvery->setSpecialValueText(tr("auto (a tenth of the run, and every 30 s)"));
    m_threads = new QSpinBox;
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("all cores"));
    m_name = new QLineEdit;
    m_name->setPlaceholderText(tr("run-N"));
    al->addRow(tr("Learning rate"), m_lr);
    al->addRow(tr("Weight decay"), m_weightDecay);
    al->addRow(tr("Label smoothing"), m_labelSmoothing);
    al->addRow(tr("Warm-up steps"), m_warmup);
    al->addRow(QString(), m_balanced);
    al->addRow(tr("Validation images / class"), m_valPerClass);
    al->addRow(tr("Validation points"), m_valPoints);
    al->addRow(tr("Checkpoint every"), m_checkpointEvery);
    al->addRow(tr("Threads"), m_threads);
    m_advanced->hide();
    connect(m_advancedToggle, &QToolButton::toggled, this, [this](bool on) {
        m_advanced->setVisible(on);
        m_advancedToggle->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
    });
    v->addWidget(m_advancedToggle);
    v->addWidget(m_advanced);

    auto* nameRow = new QFormLayout;
    nameRow->addRow(tr("Model &name"), m_name);
    v->addLayout(nameRow);

    m_start = new QPushButton(tr("Start training"));
    m_start->setToolTip(tr("Ctrl+Return"));
    m_start->setDefault(true);
    m_start->setStyleSheet(QStringLiteral("font-weight: 600; padding: 6px;"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(
        tr("Esc: stops after the step in flight and keeps a checkpoint to resume"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start, 1);
    buttons->addWidget(m_cancel);
    v->addLayout(buttons);
    v->addStretch(1);

    connect(m_start, &QPushButton::clicked, this, [this] { startTraining(); });
    connect(m_cancel, &QPushButton::clicked, this, &TrainPage::cancelTraining);
    connect(m_measure, &QPushButton::clicked, this, [this] { measureSpeed(); });
    connect(m_browse, &QToolButton::clicked, this, [this] {
        const QString f =
            QFileDialog::getOpenFileName(this, tr("ImageNet weights"), m_imagenetPath->text(),
                                         tr("PyTorch state dict (*.pth *.pt)"));
        if (f.isEmpty()) return;
        m_imagenetPath->setText(f);
        m_initUserChosen = true;
        m_init->setCurrentIndex(m_init->findData(QStringLiteral("imagenet")));
        updateInitNote();
    });
    connect(m_size, &QSpinBox::valueChanged, this, [this] {
        if (!m_settingSize) m_sizeUserEdited = true;
    });
    connect(m_head, &QComboBox::currentIndexChanged, this, &TrainPage::onHeadChanged);
    connect(m_method, &QComboBox::currentIndexChanged, this, &TrainPage::onMethodChanged);
    connect(m_arch, &QComboBox::currentIndexChanged, this, [this] {
        refreshInitChoices();
        refreshAnomalyTrunks();
        refreshSpeed();
    });
    connect(m_init, &QComboBox::activated, this, [this] { m_initUserChosen = true; });
    connect(m_initNote, &QLabel::linkActivated, this, [this] { showInitReason(); });
    connect(m_init, &QComboBox::currentIndexChanged, this, [this] {
        const QString kind = m_init->currentData().toString();
        updateInitNote();
        // An earlier model fixes the architecture.
        if (kind.startsWith(QLatin1String("model:")) && m_store) {
            if (auto rec = m_store->model(kind.mid(6).toLongLong())) {
                QSignalBlocker b(m_arch);
                m_arch->setCurrentIndex(m_arch->findData(QString::fromStdString(rec->arch)));
                refreshSpeed();
            }
        }
        m_arch->setEnabled(!kind.startsWith(QLatin1String("model:")) && !isTraining());
    });
    for (QSpinBox* s : {m_budget, m_batchSpin, m_size, m_shots})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            refreshSpeed();
            refreshData();
        });
    connect(m_budgetUnit, &QComboBox::currentIndexChanged, this, &TrainPage::updateEstimate);
    connect(m_okOnly, &QCheckBox::toggled, this, &TrainPage::refreshData);
    connect(m_shotsMode, &QRadioButton::toggled, this, [this] {
        m_shots->setEnabled(m_shotsMode->isChecked());
        refreshData();
    });
    return form;
}

QWidget* TrainPage::pendingBanner() const
{
    return m_pendingBox;
}

void TrainPage::setStore(kizu::project::ProjectStore* store)
{
    if (m_runner->isRunning()) shutdown(); // the run stays pending in the old project
    m_store = store;
    // The last project's run, its curves and its "Finished ..." line are not this project's.
    m_charts->reset(0);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setText(idleStatus());
    m_models->setStore(store);
    refreshInitChoices();
    refreshData();
    refreshPending();
    setRunning(false);
}

bool TrainPage::isTraining() const
{
    return m_runner->isRunning();
}

QString TrainPage::statusText() const
{
    return m_status->text();
}

QString TrainPage::initNote() const
{
    return m_initNote->text();
}

void TrainPage::refreshData()
{
    m_trainOk = m_trainNg = m_testOk = m_testNg = 0;
    if (m_store) {
        try {
            const auto s = m_store->stats();
            using L = kizu::project::Label;
            using S = kizu::project::Split;
            m_trainOk = s.counts[int(L::Ok)][int(S::Train)];
            m_trainNg = s.counts[int(L::Ng)][int(S::Train)];
            m_testOk = s.counts[int(L::Ok)][int(S::Test)];
            m_testNg = s.counts[int(L::Ng)][int(S::Test)];
        } catch (const kizu::Error& e) {
            m_dataInfo->setText(QString::fromStdString(e.what()));
            return;
        }
    }
    QString text;
    if (!m_store)
        text = tr("Open a project first.");
    else if (isAnomalyMethod()) {
        // From OK photos only: the OK photos are all it needs; NG photos at most move the
        // threshold.
        if (m_trainOk < 2)
            text = tr("<b>From OK photos only needs at least two OK photos</b> in the train split "
                      "(better 16 or more; now %1): label OK photos and assign the split on the "
                      "Dataset page.")
                       .arg(m_trainOk);
        else {
            text = tr("Train split: %1 OK + %2 NG.").arg(m_trainOk).arg(m_trainNg);
            if (m_shotsMode->isChecked())
                text += tr(" Remembers %1 OK photos drawn with the seed.")
                            .arg(std::min<qint64>(m_shots->value(), m_trainOk));
            else
                text += tr(" Remembers every OK photo.");
            if (m_trainNg > 0)
                text += m_okOnly->isChecked() ? tr(" The NG photos are ignored.")
                                              : tr(" The NG photos move the threshold.");
            text += (m_testOk + m_testNg) > 0
                        ? tr(" The model is measured on the test split (%1 OK + %2 NG).")
                              .arg(m_testOk)
                              .arg(m_testNg)
                        : tr(" <b>No test split</b>: the model gets no test metrics.");
        }
    } else if (m_trainOk == 0 || m_trainNg == 0)
        text = tr("<b>The train split needs OK and NG images</b> (now %1 OK, %2 NG): label images "
                  "and assign the split on the Dataset page.")
                   .arg(m_trainOk)
                   .arg(m_trainNg);
    else {
        text = tr("Train split: %1 OK + %2 NG.").arg(m_trainOk).arg(m_trainNg);
        if (m_shotsMode->isChecked())
            text += tr(" Draws %1 + %2; photos of other groups give the validation curve (else the test split).")
                        .arg(std::min<qint64>(m_shots->value(), m_trainOk))
                        .arg(std::min<qint64>(m_shots->value(), m_trainNg));
        text += (m_testOk + m_testNg) > 0
                    ? tr(" The model is measured on the test split (%1 OK + %2 NG).")
                          .arg(m_testOk)
                          .arg(m_testNg)
                    : tr(" <b>No test split</b>: the model gets no test metrics.");
    }
    m_dataInfo->setText(text);
    updateEstimate();
}

void TrainPage::refreshInitChoices()
{
    const QString arch = m_arch->currentData().toString();
    const QString previous = m_init->currentData().toString();
    QSignalBlocker block(m_init);
    m_init->clear();
    // "cg" is the shipped CG-pretrained weights of the chosen output: defect-map weights for a
    // defect map, classifier weights for a classifier. A defect map without its own shipped
    // weights may still start from the CG classifier's trunk ("cgtrunk"), as defaultInit does.
    const bool map = head() == QLatin1String("defect_map");
    const auto cgClassifier = kizu::defaultCgModel(arch.toStdString());
    const auto cg = map ? kizu::defaultCgMapModel(arch.toStdString()) : cgClassifier;
    const auto imagenet = kizu::findImagenetWeights(arch.toStdString());
    m_init->addItem(
        cg.empty() ? (map ? tr("CG-pretrained defect map (not shipped for %1)").arg(arch)
                          : tr("CG-pretrained (not shipped for %1)").arg(arch))
                   : tr("CG-pretrained (%1)").arg(QString::fromStdString(cg.filename().string())),
        QStringLiteral("cg"));
    if (cg.empty())
        if (auto* model = qobject_cast<QStandardItemModel*>(m_init->model()))
            model->item(0)->setEnabled(false);
    const bool trunk = map && cg.empty() && !cgClassifier.empty();
    if (trunk)
        m_init->addItem(tr("CG-pretrained classifier's trunk (%1)")
                            .arg(QString::fromStdString(cgClassifier.filename().string())),
                        QStringLiteral("cgtrunk"));
    m_init->addItem(tr("ImageNet weights file"), QStringLiteral("imagenet"));
    m_init->addItem(tr("Scratch (random)"), QStringLiteral("scratch"));
    if (m_store) {
        try {
            for (const auto& r : m_store->models())
                m_init->addItem(
                    tr("Earlier model: %1 (%2)")
                        .arg(QString::fromStdString(r.name), QString::fromStdString(r.arch)),
                    QStringLiteral("model:%1").arg(r.id));
        } catch (const kizu::Error&) {
        }
    }
    // A file is for one network: another network gets its own (found, or the one picked for it
    // last time), never the previous network's file.
    if (arch != m_imagenetArch || m_imagenetPath->text().isEmpty() ||
        !QFileInfo::exists(m_imagenetPath->text()))
        m_imagenetPath->setText(
            imagenet.empty()
                ? QSettings().value(QStringLiteral("train/imagenet/") + arch).toString()
                : QString::fromStdString(imagenet.string()));
    m_imagenetArch = arch;
    // The best measured start (core/learn/defaults.h), unless the operator picked one for this
    // network; the note says which is the default and why, one click away.
    const auto def = kizu::learn::defaultInit(arch.toStdString(), head().toStdString());
    if (def.kind == "imagenet" && (m_imagenetPath->text().isEmpty() ||
                                   !QFileInfo::exists(m_imagenetPath->text())))
        m_imagenetPath->setText(QString::fromStdString(def.init.substr(9)));
    // The core's choice knows the files it can find; a file the operator picked for this
    // network before (QSettings) counts as at hand too.
    QString defaultKind = QString::fromStdString(def.kind);
    const bool mapWeights = map && !cg.empty();
    if (mapWeights) {
        defaultKind = QStringLiteral("cg");
    } else {
        for (const auto& k : kizu::learn::initPreference(arch.toStdString())) {
            if (k == "imagenet" && !QFileInfo::exists(m_imagenetPath->text())) continue;
            if (k == "cg" && !trunk && cg.empty()) continue;
            defaultKind =
                k == "cg" && trunk ? QStringLiteral("cgtrunk") : QString::fromStdString(k);
            break;
        }
    }
    int index = m_initUserChosen ? m_init->findData(previous) : -1;
    const bool previousUsable = index >= 0 && !(previous == QLatin1String("cg") && cg.empty()) &&
                                !(previous == QLatin1String("imagenet") &&
                                  !QFileInfo::exists(m_imagenetPath->text()));
    if (!previousUsable) {
        index = m_init->findData(defaultKind);
        m_initUserChosen = false;
    }
    m_init->setCurrentIndex(index);
    m_defaultInitKind = defaultKind;
    m_initReason = QString::fromStdString(def.reason);
    const bool preferredAtHand =
        map ? mapWeights
            : defaultKind ==
                  QString::fromStdString(kizu::learn::initPreference(arch.toStdString()).front());
    m_initFallback = preferredAtHand ? QString() : QString::fromStdString(def.fallbackNote);
    updateInitNote();
}

void TrainPage::updateInitNote()
{
    const QString kind = m_init->currentData().toString();
    m_imagenetPath->setEnabled(kind == QLatin1String("imagenet"));
    m_browse->setEnabled(kind == QLatin1String("imagenet"));
    const QString arch = m_arch->currentData().toString();
    auto kindName = [this](const QString& k) {
        if (k == QLatin1String("imagenet"))
            return tr("ImageNet weights (%1)").arg(QFileInfo(m_imagenetPath->text()).fileName());
        const std::string a = m_arch->currentData().toString().toStdString();
        if (k == QLatin1String("cg"))
            return tr("the shipped CG-pretrained weights (%1)")
                .arg(QString::fromStdString((head() == QLatin1String("defect_map")
                                                 ? kizu::defaultCgMapModel(a)
                                                 : kizu::defaultCgModel(a))
                                                .filename()
                                                .string()));
        if (k == QLatin1String("cgtrunk"))
            return tr("the trunk of the shipped CG-pretrained classifier (%1)")
                .arg(QString::fromStdString(kizu::defaultCgModel(a).filename().string()));
        return tr("scratch (random weights)");
    };
    QString text;
    if (kind == m_defaultInitKind)
        text = tr("<b>Default:</b> %1, the best measured start for %2 here. "
                  "<a href=\"why\">Why?</a>")
                   .arg(kindName(kind), arch);
    else
        text = tr("The default for %1 is %2, the best measured start. <a href=\"why\">Why?</a>")
                   .arg(arch, kindName(m_defaultInitKind));
    if (!m_initFallback.isEmpty())
        text += QStringLiteral("<br><span style='color:#a05a00'>%1</span>")
                    .arg(m_initFallback.toHtmlEscaped());
    m_initNote->setText(text);
}

QString TrainPage::initReason() const
{
    return m_initReason;
}

void TrainPage::showInitReason()
{
    auto* box = new QMessageBox(QMessageBox::Information, tr("Why this initialisation"),
                                m_initReason, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("initReasonBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QString TrainPage::verdictText() const
{
    return m_verdict->isVisibleTo(const_cast<TrainPage*>(this)) ? m_verdict->text() : QString();
}

void TrainPage::showVerdict(const QString& level, const QString& message)
{
    m_verdictLevel = level;
    if (message.isEmpty()) {
        m_verdict->hide();
        return;
    }
    QString bg = QStringLiteral("#eef3f7"), border = QStringLiteral("#9fb3c8"), head;
    if (level == QLatin1String("ok")) {
        bg = QStringLiteral("#e6f4ea");
        border = QStringLiteral("#5b9f6b");
        head = tr("Better than chance on held-out photos.");
    } else if (level == QLatin1String("near_chance")) {
        bg = QStringLiteral("#fde7e7");
        border = QStringLiteral("#c62828");
        head = tr("Warning: this model is near or below chance.");
    } else if (level == QLatin1String("worse_than_baseline")) {
        bg = QStringLiteral("#fff4d6");
        border = QStringLiteral("#e0b44c");
        head = tr("Warning: this model is worse than the classical baseline.");
    } else {
        head = tr("Not checked.");
    }
    m_verdict->setStyleSheet(
        QStringLiteral("QLabel { background: %1; border: 1px solid %2; border-radius: 4px; "
                       "padding: 6px; }")
            .arg(bg, border));
    m_verdict->setText(QStringLiteral("<b>%1</b> %2").arg(head.toHtmlEscaped(),
                                                          message.toHtmlEscaped()));
    m_verdict->show();
}

double TrainPage::cachedSpeed(const QString& arch, int size) const
{
    return QSettings().value(speedKey(arch, size), 0.0).toDouble();
}

void TrainPage::refreshSpeed()
{
    const int size = m_size->value();
    for (int i = 0; i < m_arch->count(); ++i) {
        const QString a = m_arch->itemData(i).toString();
        const double s = cachedSpeed(a, size);
        m_arch->setItemText(
            i, s > 0 ? tr("%1  (%2 img/s at %3 px)").arg(a).arg(s, 0, 'f', 1).arg(size) : a);
    }
    const double s = cachedSpeed(m_arch->currentData().toString(), size);
    m_speed->setText(
        s > 0 ? tr("%1 images/s training at %2 px on this machine").arg(s, 0, 'f', 1).arg(size)
              : tr("Not measured at %1 px yet: press Measure (a few seconds).").arg(size));
    updateEstimate();
}

qint64 TrainPage::trainImageCount() const
{
    if (m_shotsMode->isChecked())
        return std::min<qint64>(m_shots->value(), m_trainOk) +
               std::min<qint64>(m_shots->value(), m_trainNg);
    return m_trainOk + m_trainNg;
}

void TrainPage::updateEstimate()
{
    const bool epochs = m_budgetUnit->currentData().toString() == QLatin1String("epochs");
    const qint64 n = trainImageCount();
    const qint64 steps =
        epochs
            ? (n > 0
                   ? qint64(std::ceil(double(m_budget->value()) * double(n) / m_batchSpin->value()))
                   : 0)
            : m_budget->value();
    const double speed = cachedSpeed(m_arch->currentData().toString(), m_size->value());
    QString text = tr("%1 x %2")
                       .arg(tr("%n step(s)", nullptr, int(steps)))
                       .arg(tr("%n image(s)", nullptr, m_batchSpin->value()));
    if (speed > 0 && steps > 0)
        text += tr(": about %1 here").arg(duration(double(steps) * m_batchSpin->value() / speed));
    m_estimate->setText(text + QLatin1Char('.'));
}

void TrainPage::refreshPending()
{
    m_pending.reset();
    m_pendingSteps = 0;
    if (m_store) {
        try {
            m_pending = kizu::learn::pendingRun(*m_store);
            if (m_pending) m_pendingSteps = kizu::learn::pendingRunSteps(*m_store, *m_pending);
        } catch (const kizu::Error& e) {
            m_pendingText->setText(
                tr("An unfinished run cannot be read: %1").arg(QString::fromStdString(e.what())));
            m_pendingBox->show();
            m_resume->setEnabled(false);
            return;
        }
    }
    m_resume->setEnabled(true);
    if (!m_pending) {
        m_pendingBox->hide();
        if (!isTraining()) m_progress->setFormat(QString());
        return;
    }
    const auto& c = m_pending->spec.config;
    const qint64 total = c.steps;
    m_pendingText->setText(
        tr("<b>An unfinished run</b> (%1: %2, %3, %4) stopped at step %5%6. Resume it from "
           "its checkpoint, or discard it.")
            .arg(QFileInfo(QString::fromStdString(m_pending->file)).completeBaseName(),
                 QString::fromStdString(c.arch), headText(c.head, c.inputSize, c.keepAspect))
            .arg(m_pending->spec.shots > 0 ? tr("%n shot(s)", nullptr, int(m_pending->spec.shots))
                                           : tr("whole split"))
            .arg(m_pendingSteps)
            .arg(total > 0 ? tr(" of %1").arg(total) : QString()));
    m_pendingBox->show();
    if (!isTraining()) {
        // What the checkpoint keeps: later points (a kill between saves) will be trained again.
        auto curves = kizu::learn::pendingRunCurves(*m_store, *m_pending);
        curves.truncate(m_pendingSteps);
        m_charts->reset(total);
        m_charts->setCurves(curves);
        m_progress->setRange(0, int(std::max<qint64>(1, total)));
        m_progress->setValue(int(m_pendingSteps));
        m_progress->setFormat(QStringLiteral("%v / %m steps"));
    }
}

RunSpec TrainPage::spec() const
{
    RunSpec s;
    auto& c = s.config;
    c.arch = m_arch->currentData().toString().toStdString();
    c.inputSize = m_size->value();
    c.head = head().toStdString();
    c.keepAspect = kizu::learn::defaultRoute().keepAspectFor(c.head);
    c.batch = m_batchSpin->value();
    if (m_budgetUnit->currentData().toString() == QLatin1String("epochs"))
        c.epochs = m_budget->value();
    else
        c.steps = m_budget->value();
    c.seed = std::uint64_t(m_seed->value());
    c.lr = m_lr->value();
    c.weightDecay = m_weightDecay->value();
    c.labelSmoothing = m_labelSmoothing->value();
    c.warmupSteps = m_warmup->value();
    c.balanced = m_balanced->isChecked();
    c.threads = m_threads->value();
    if (c.head == "defect_map" && !kizu::learn::defaultRoute().mapRandAugment)
        c.augment.randAugment = false;
    if (!m_augment->isChecked()) {
        c.augment.randAugment = false;
        c.augment.randomResizedCrop = false;
        c.augment.hflip = c.augment.vflip = false;
    }
    c.transplant.ratio = m_transplant->isChecked() ? m_transplantRatio->value() : 0.0;
    const QString kind = m_init->currentData().toString();
    if (kind == QLatin1String("cg")) {
        c.init = "cg:" + (c.head == "defect_map" ? kizu::defaultCgMapModel(c.arch)
                                                 : kizu::defaultCgModel(c.arch))
                             .string();
    } else if (kind == QLatin1String("cgtrunk")) {
        c.init = "cg:" + kizu::defaultCgModel(c.arch).string();
    } else if (kind == QLatin1String("imagenet")) {
        c.init = "imagenet:" + m_imagenetPath->text().toStdString();
    } else if (kind.startsWith(QLatin1String("model:")) && m_store) {
        if (auto rec = m_store->model(kind.mid(6).toLongLong()))
            c.init = m_store->modelPath(*rec).string();
    } else {
        c.init = "scratch";
    }
    s.shots = m_shotsMode->isChecked() ? m_shots->value() : 0;
    s.name = m_name->text().trimmed().toStdString();
    s.validationPerClass = m_valPerClass->value();
    s.validationPoints = m_valPoints->value();
    s.checkpointEverySteps = m_checkpointEvery->value();
    return s;
}

void TrainPage::setSpec(const RunSpec& s)
{
    const auto& c = s.config;
    m_arch->setCurrentIndex(std::max(0, m_arch->findData(QString::fromStdString(c.arch))));
    m_head->setCurrentIndex(std::max(0, m_head->findData(QString::fromStdString(c.head))));
    m_settingSize = true;
    m_size->setValue(c.inputSize);
    m_settingSize = false;
    // A size other than the head's default stays when the head is switched.
    m_sizeUserEdited =
        c.inputSize != kizu::learn::defaultRoute().inputSizeFor(c.head);
    m_batchSpin->setValue(c.batch);
    if (c.epochs > 0) {
        m_budgetUnit->setCurrentIndex(m_budgetUnit->findData(QStringLiteral("epochs")));
        m_budget->setValue(int(std::lround(c.epochs)));
    } else {
        m_budgetUnit->setCurrentIndex(m_budgetUnit->findData(QStringLiteral("steps")));
        m_budget->setValue(int(c.steps));
    }
    m_seed->setValue(int(c.seed));
    m_lr->setValue(c.lr);
    m_weightDecay->setValue(c.weightDecay);
    m_labelSmoothing->setValue(c.labelSmoothing);
    m_warmup->setValue(int(c.warmupSteps));
    m_balanced->setChecked(c.balanced);
    m_threads->setValue(c.threads);
    m_augment->setChecked(c.augment.randAugment || c.augment.randomResizedCrop);
    m_transplant->setChecked(c.transplant.enabled());
    if (c.transplant.enabled()) m_transplantRatio->setValue(c.transplant.ratio);
    const QString init = QString::fromStdString(c.init);
    m_initUserChosen = true; // a loaded run's start stays when the network is switched back
    if (init.startsWith(QLatin1String("cg:"))) {
        // Not the disabled entry (no shipped CG weights for this network): the fallback that
        // refreshInitChoices chose, and explained in the note, stays rather than "cg:" with
        // no file.
        const int cg = m_init->findData(QStringLiteral("cg"));
        const int trunk = m_init->findData(QStringLiteral("cgtrunk"));
        if (trunk >= 0 && init.mid(3).toStdString() == kizu::defaultCgModel(c.arch).string())
            m_init->setCurrentIndex(trunk);
        else if (m_init->model()->flags(m_init->model()->index(cg, 0)) & Qt::ItemIsEnabled)
            m_init->setCurrentIndex(cg);
    } else if (init.startsWith(QLatin1String("imagenet:"))) {
        m_imagenetPath->setText(init.mid(9));
        m_init->setCurrentIndex(m_init->findData(QStringLiteral("imagenet")));
    } else if (init == QLatin1String("scratch")) {
        m_init->setCurrentIndex(m_init->findData(QStringLiteral("scratch")));
    } else if (m_store) {
        for (const auto& r : m_store->models())
            if (m_store->modelPath(r).string() == c.init)
                m_init->setCurrentIndex(m_init->findData(QStringLiteral("model:%1").arg(r.id)));
    }
    m_shotsMode->setChecked(s.shots > 0);
    m_wholeSplit->setChecked(s.shots <= 0);
    if (s.shots > 0) m_shots->setValue(s.shots);
    m_name->setText(QString::fromStdString(s.name));
    m_valPerClass->setValue(s.validationPerClass);
    m_valPoints->setValue(s.validationPoints);
    m_checkpointEvery->setValue(int(s.checkpointEverySteps));
}

void TrainPage::setRunning(bool running)
{
    m_formWidget->setEnabled(true);
    for (QWidget* w : std::initializer_list<QWidget*>{
             m_method,     m_anomalyTrunk, m_falseReject, m_coreset,  m_anomalySize, m_okOnly,
             m_wholeSplit, m_shotsMode,    m_shots,       m_seed,     m_arch,        m_head,
             m_init,       m_imagenetPath, m_browse,      m_budget,   m_budgetUnit,  m_batchSpin,
             m_size,       m_augment,      m_transplant,  m_advanced, m_name,        m_measure,
             m_resume,     m_discard})
        w->setEnabled(!running);
    m_transplantRatio->setEnabled(!running && m_transplant->isChecked());
    m_start->setEnabled(!running && m_store);
    m_cancel->setEnabled(running);
    if (running)
        m_pendingBox->hide(); // shown again if the run ends unfinished
    else if (m_pending)
        m_pendingBox->show();
    if (!running) {
        const QString kind = m_init->currentData().toString();
        m_imagenetPath->setEnabled(kind == QLatin1String("imagenet"));
        m_browse->setEnabled(kind == QLatin1String("imagenet"));
        m_arch->setEnabled(!kind.startsWith(QLatin1String("model:")));
        m_shots->setEnabled(m_shotsMode->isChecked());
    }
}

void TrainPage::showError(const QString& title, const QString& text)
{
    m_status->setText(text);
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    Q_EMIT statusMessage(text);
}

bool TrainPage::startTraining()
{
    if (!m_store || isTraining()) return false;
    // A fit writes a new run-N beside a pending run's checkpoint, which keeps its own name.
    if (isAnomalyMethod()) return startAnomaly();
    if (m_pending) {
        showError(tr("An unfinished run"),
                  tr("This project has an unfinished run. Resume it (Ctrl+R) or discard it before "
                     "starting another."));
        return false;
    }
    const RunSpec s = spec();
    if (m_trainOk == 0 || m_trainNg == 0) {
        showError(tr("Cannot train"),
                  tr("The train split needs both OK and NG images: label images "
                     "and assign the split on the Dataset page first."));
        return false;
    }
    const QString kind = m_init->currentData().toString();
    if (kind == QLatin1String("imagenet") && !QFileInfo::exists(m_imagenetPath->text())) {
        showError(tr("ImageNet weights missing"),
                  tr("The ImageNet weights file \"%1\" does not exist. Pick the torchvision "
                     "state dict (e.g. %2-imagenet.pth) with the ... button, or choose another "
                     "initialisation.")
                      .arg(m_imagenetPath->text(), QString::fromStdString(s.config.arch)));
        return false;
    }
    if (kind == QLatin1String("imagenet"))
        QSettings().setValue(QStringLiteral("train/imagenet/") +
                                 QString::fromStdString(s.config.arch),
                             m_imagenetPath->text());
    m_batch = s.config.batch;
    m_runArch = QString::fromStdString(s.config.arch);
    m_runSize = s.config.inputSize;
    m_charts->reset(s.config.steps);
    m_progress->setRange(0, int(std::max<std::int64_t>(1, s.config.steps)));
    m_progress->setValue(0);
    m_progress->setFormat(QStringLiteral("%v / %m steps"));
    m_status->setText(tr("Starting: reading the training images..."));
    showVerdict({}, {});
    if (!m_runner->start(QString::fromStdString(m_store->dir().string()), s)) return false;
    m_elapsed.start();
    setRunning(true);
    Q_EMIT trainingStarted();
    return true;
}

bool TrainPage::resumeTraining()
{
    if (!m_store || isTraining() || !m_pending) return false;
    setSpec(m_pending->spec); // the form shows what runs
    m_batch = m_pending->spec.config.batch;
    m_runArch = QString::fromStdString(m_pending->spec.config.arch);
    m_runSize = m_pending->spec.config.inputSize;
    const qint64 total = m_pending->spec.config.steps;
    auto curves = kizu::learn::pendingRunCurves(*m_store, *m_pending);
    curves.truncate(m_pendingSteps);
    m_charts->reset(total);
    m_charts->setCurves(curves);
    m_progress->setRange(0, int(std::max<qint64>(1, total)));
    m_progress->setValue(int(m_pendingSteps));
    m_progress->setFormat(QStringLiteral("%v / %m steps"));
    m_status->setText(tr("Resuming from step %1...").arg(m_pendingSteps));
    showVerdict({}, {});
    if (!m_runner->resume(QString::fromStdString(m_store->dir().string()))) return false;
    m_elapsed.start();
    setRunning(true);
    Q_EMIT trainingStarted();
    return true;
}

void TrainPage::cancelTraining()
{
    if (!isTraining()) return;
    m_status->setText(isAnomalyMethod()
                          ? tr("Cancelling the fit...")
                          : tr("Cancelling after the step in flight; a checkpoint is kept..."));
    m_cancel->setEnabled(false);
    m_runner->cancel();
}

void TrainPage::discardPending(bool confirm)
{
    if (!m_store || isTraining()) return;
    if (confirm) {
        const auto answer = QMessageBox::question(
            this, tr("Discard the unfinished run"),
            tr("Discard the unfinished run and its checkpoint? Its training so far is lost."),
            QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Discard) return;
    }
    try {
        kizu::learn::discardPendingRun(*m_store);
    } catch (const kizu::Error& e) {
        showError(tr("Cannot discard the run"), QString::fromStdString(e.what()));
    }
    refreshPending();
    m_charts->reset(0);
    m_status->setText(tr("The unfinished run was discarded."));
}

void TrainPage::onProgress(qint64 step, qint64 total, double loss, double lr,
                           double imagesPerSecond)
{
    if (m_progress->maximum() != total) {
        m_progress->setRange(0, int(total));
        // The x axis follows the real budget (epochs become steps only once the data is read).
        auto curves = m_charts->curves();
        m_charts->reset(total);
        m_charts->setCurves(curves);
    }
    m_progress->setValue(int(step));
    m_charts->addStep(step, loss, lr);
    const double eta =
        imagesPerSecond > 0 ? double(total - step) * double(m_batch) / imagesPerSecond : -1;
    m_status->setText(
        tr("Step %1 / %2  ·  loss %3  ·  lr %4  ·  %5 img/s  ·  elapsed %6  ·  ETA %7")
            .arg(step)
            .arg(total)
            .arg(loss, 0, 'f', 4)
            .arg(lr, 0, 'g', 3)
            .arg(imagesPerSecond, 0, 'f', 1)
            .arg(duration(m_elapsed.elapsed() / 1000.0))
            .arg(duration(eta)));
}

void TrainPage::onFinished(const TrainOutcome& out)
{
    setRunning(false);
    refreshPending();
    refreshInitChoices();
    if (!out.error.isEmpty()) {
        showError(tr("Training failed"), out.error);
        return;
    }
    if (out.cancelled && out.anomaly) {
        const QString text = tr("The fit was cancelled; nothing was saved.");
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setFormat(QString());
        m_status->setText(text);
        Q_EMIT statusMessage(text);
        Q_EMIT trainingFinished(out);
        return;
    }
    if (out.cancelled) {
        const QString text = tr("Cancelled at step %1. The run is kept: resume it (Ctrl+R) or "
                                "discard it.")
                                 .arg(m_pendingSteps);
        m_status->setText(text);
        Q_EMIT statusMessage(text);
        Q_EMIT trainingFinished(out);
        return;
    }
    if (out.imagesPerSecond > 0 && m_store) {
        // A real run is the best measure of this machine's speed.
        QSettings().setValue(speedKey(m_runArch, m_runSize), out.imagesPerSecond);
        refreshSpeed();
    }
    QString text = out.anomaly ? tr("Fitted \"%1\" from %2 in %3: %4 remembered")
                                     .arg(out.modelName)
                                     .arg(tr("%n OK photo(s)", nullptr, int(out.okImages)))
                                     .arg(duration(out.seconds))
                                     .arg(tr("%n patch(es)", nullptr, int(out.memoryPatches)))
                               : tr("Finished \"%1\": %2 in %3")
                                     .arg(out.modelName)
                                     .arg(tr("%n step(s)", nullptr, int(out.steps)))
                                     .arg(duration(out.seconds));
    if (out.anomaly) {
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        m_progress->setFormat(tr("Fitted"));
    }
    if (out.testAccuracy >= 0)
        text += tr("  ·  test accuracy %1, balanced %2, AUC %3")
                    .arg(out.testAccuracy, 0, 'f', 3)
                    .arg(out.testBalancedAccuracy, 0, 'f', 3)
                    .arg(out.testAuc, 0, 'f', 3);
    else
        text += tr("  ·  no test split to measure it on");
    m_status->setText(text);
    showVerdict(out.assessmentLevel, out.assessmentMessage);
    m_models->reload();
    m_models->selectModel(out.modelId);
    Q_EMIT statusMessage(text);
    Q_EMIT trainingFinished(out);
}

bool TrainPage::measureSpeed()
{
    if (isTraining() || isAnomalyMethod()) return false; // a fit has no training speed
    const QString arch = m_arch->currentData().toString();
    if (!m_runner->measureSpeed(arch, m_size->value(), m_batchSpin->value())) return false;
    m_speed->setText(tr("Measuring %1 at %2 px...").arg(arch).arg(m_size->value()));
    setRunning(true);
    m_cancel->setEnabled(true);
    return true;
}

void TrainPage::onSpeed(const QString& arch, int size, double imagesPerSecond, const QString& error)
{
    setRunning(false);
    if (!error.isEmpty()) {
        showError(tr("Cannot measure the speed"), error);
        return;
    }
    if (imagesPerSecond > 0) QSettings().setValue(speedKey(arch, size), imagesPerSecond);
    refreshSpeed();
}

void TrainPage::showReferences(const QList<qint64>& ids)
{
    QList<ChartRun> runs;
    if (m_store)
        for (qint64 id : ids) {
            const auto rec = m_store->model(id);
            if (!rec) continue;
            const json m = json::parse(rec->metrics, nullptr, false);
            if (!m.is_object() || !m.contains("curves")) continue;
            runs.append(
                {QString::fromStdString(rec->name), kizu::learn::Curves::fromJson(m["curves"])});
        }
    m_charts->setReferences(runs);
}

} // namespace kizu::ui
