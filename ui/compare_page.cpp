#include "ui/compare_page.h"

#include "core/baseline/baseline.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/evaluate/compare_report.h"
#include "core/evaluate/scoring.h"
#include "core/project/project_store.h"
#include "ui/baseline_panel.h"
#include "ui/baseline_tune_offer.h"
#include "ui/compare_charts.h"
#include "ui/conversions.h"
#include "ui/image_preview.h"
#include "ui/model_overlay.h"
#include "ui/sweep_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPageLayout>
#include <QPrinter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSet>
#include <QShortcut>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextDocument>
#include <QThreadPool>
#include <QVBoxLayout>
#include <QtConcurrent>
#include <qcustomplot.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <mutex>
#include <set>

namespace kizu::ui {

namespace fs = std::filesystem;
using kizu::learn::kNg;
using kizu::learn::kOk;

struct ComparePage::Outcome {
    CompareData data;
    QString error;
    bool cancelled = false;
    int cached = 0;
};

// The model the error browser draws heatmaps with, loaded once per file.
struct ComparePage::ModelCache {
    std::mutex mutex;
    std::string file;
    std::unique_ptr<kizu::learn::Model> model;
};

namespace {
struct Job {
    bool project = false;
    std::string dir; // project or folder
    std::string split;
    std::vector<std::string> models;
    bool baseline = false;
    kizu::baseline::BaselineParams params;
    fs::path cacheDir;
};

QString idleStatus()
{
    return ComparePage::tr("Choose a test set and methods, then Evaluate.");
}
} // namespace

ComparePage::ComparePage(QWidget* parent)
    : QWidget(parent), m_table(new CompareTableModel(this)),
      m_errors(new ErrorListModel(m_table, this)), m_modelCache(std::make_shared<ModelCache>())
{
    m_watcher = new QFutureWatcher<std::shared_ptr<Outcome>>(this);
    connect(m_watcher, &QFutureWatcherBase::finished, this, &ComparePage::onEvaluationDone);

    m_baseline = new BaselinePanel;
    m_views = new QTabWidget;
    m_views->addTab(buildResultsTab(), tr("&Results"));
    m_views->addTab(buildErrorsTab(), tr("Error &browser"));
    m_views->addTab(buildShotsTab(), tr("&Accuracy vs shots"));
    m_views->addTab(m_baseline, tr("Baseline t&uning"));

    // Above everything while the project's baseline is untuned: its defaults would make the
    // baseline's column meaningless.
    m_tuneOffer = new BaselineTuneOffer;
    connect(m_tuneOffer, &BaselineTuneOffer::tuned, this,
            [this] { m_baseline->setParams(m_tuneOffer->tunedParams()); });
    auto* outer = new QVBoxLayout(this);
    outer->addWidget(m_tuneOffer);
    auto* layout = new QHBoxLayout;
    outer->addLayout(layout, 1);
    m_sidebar = buildSidebar();
    layout->addWidget(m_sidebar);
    layout->addWidget(m_views, 1);
    // The tuner has its own side panel; the evaluation controls would only crowd it.
    connect(m_views, &QTabWidget::currentChanged, this,
            [this](int i) { m_sidebar->setVisible(m_views->widget(i) != m_baseline); });

    auto shortcut = [this](const QKeySequence& key, auto fn) {
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, fn);
    };
    shortcut(QKeySequence(Qt::Key_F5), [this] { startEvaluation(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), [this] { startEvaluation(); });
    shortcut(QKeySequence(Qt::Key_Escape), [this] { cancelEvaluation(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_E), [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export comparison report"),
                                                       QStringLiteral("comparison.html"),
                                                       tr("HTML report (*.html);;PDF (*.pdf)"));
        if (!f.isEmpty()) exportReport(f);
    });
    setRunning(false);
}

ComparePage::~ComparePage()
{
    if (m_cancelToken) m_cancelToken->cancel();
    m_watcher->waitForFinished();
}

QWidget* ComparePage::buildSidebar()
{
    auto* side = new QWidget;
    side->setFixedWidth(290);
    auto* l = new QVBoxLayout(side);
    l->setContentsMargins(0, 0, 0, 0);

    auto* dataBox = new QGroupBox(tr("Test set"));
    auto* dl = new QVBoxLayout(dataBox);
    m_source = new QComboBox;
    m_source->addItem(tr("Project: test split"), QStringLiteral("test"));
    m_source->addItem(tr("Project: train split"), QStringLiteral("train"));
    m_source->addItem(tr("Project: all labeled images"), QStringLiteral("all"));
    m_source->addItem(tr("Folder..."), QStringLiteral("folder"));
    m_source->setToolTip(
        tr("The images every method is scored on. A folder holds ok/ and ng/, or a "
           "BSData manifest.csv (its test split is used)."));
    dl->addWidget(m_source);
    m_sourceInfo = new QLabel;
    m_sourceInfo->setWordWrap(true);
    m_sourceInfo->setStyleSheet(QStringLiteral("color: palette(mid);"));
    dl->addWidget(m_sourceInfo);
    connect(m_source, &QComboBox::activated, this, [this](int i) {
        const QString v = m_source->itemData(i).toString();
        if (v == QLatin1String("folder")) {
            const QString dir = QFileDialog::getExistingDirectory(
                this, tr("Test folder (ok/ and ng/, or manifest.csv)"));
            if (dir.isEmpty()) {
                m_source->setCurrentIndex(m_folder.isEmpty() ? 0 : 3);
                return;
            }
            useFolder(dir);
        } else {
            useProjectSplit(v);
        }
    });
    l->addWidget(dataBox);

    auto* methodBox = new QGroupBox(tr("Methods"));
    auto* ml = new QVBoxLayout(methodBox);
    m_models = new QListWidget;
    m_models->setToolTip(tr("Tick the models to compare. The project's models are listed; add any "
                            "other .kizumodel file."));
    m_models->setMinimumHeight(110);
    ml->addWidget(m_models, 1);
    auto* add = new QPushButton(tr("Add model file..."));
    connect(add, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Model files"), QString(), tr("Kizu models (*.kizumodel);;All files (*)"));
        for (const auto& f : files)
            addModelFile(f);
    });
    ml->addWidget(add);
    m_withBaseline = new QCheckBox(tr("Classical baseline (as on its tuning tab)"));
    m_withBaseline->setChecked(true);
    m_withBaseline->setToolTip(tr("The DoG/threshold/labeling baseline with the parameters of the "
                                  "Baseline tuning tab."));
    ml->addWidget(m_withBaseline);
    l->addWidget(methodBox, 1);

    m_evaluate = new QPushButton(tr("Evaluate (F5)"));
    m_evaluate->setDefault(true);
    connect(m_evaluate, &QPushButton::clicked, this, &ComparePage::startEvaluation);
    m_cancel = new QPushButton(tr("Cancel (Esc)"));
    connect(m_cancel, &QPushButton::clicked, this, &ComparePage::cancelEvaluation);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_evaluate);
    buttons->addWidget(m_cancel);
    l->addLayout(buttons);
    m_progress = new QProgressBar;
    m_progress->setTextVisible(true);
    l->addWidget(m_progress);
    m_status = new QLabel(idleStatus());
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_status->setWordWrap(true);
    l->addWidget(m_status);
    m_export = new QPushButton(tr("Export report... (Ctrl+E)"));
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export comparison report"),
                                                       QStringLiteral("comparison.html"),
                                                       tr("HTML report (*.html);;PDF (*.pdf)"));
        if (!f.isEmpty()) exportReport(f);
    });
    l->addWidget(m_export);
    return side;
}

QWidget* ComparePage::buildResultsTab()
{
    // The table across the top; below it the operating points (left) and the ROC chart.
    auto* vsplit = new QSplitter(Qt::Vertical);
    m_tableView = new QTableView;
    m_tableView->setModel(m_table);
    m_tableView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tableView->verticalHeader()->hide();
    m_tableView->setWordWrap(false);
    m_tableView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tableView->horizontalHeader()->setSectionResizeMode(CompareTableModel::Method,
                                                          QHeaderView::Stretch);
    m_tableView->setMinimumHeight(90);
    vsplit->addWidget(m_tableView);
    auto* split = new QSplitter(Qt::Horizontal);
    auto* left = new QWidget;
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    auto* title =
        new QLabel(tr("<b>Operating points</b> - move a threshold: its confusion matrix, its row "
                      "and its dot on the ROC chart follow"));
    title->setWordWrap(true);
    ll->addWidget(title);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    auto* points = new QWidget;
    m_pointsLayout = new QVBoxLayout(points);
    m_pointsLayout->addStretch(1);
    scroll->setWidget(points);
    ll->addWidget(scroll, 1);
    split->addWidget(left);
    m_roc = new RocChart;
    m_roc->setTable(m_table);
    split->addWidget(m_roc);
    left->setMinimumWidth(560); // slider, spin box and confusion matrix side by side
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({600, 600});
    vsplit->addWidget(split);
    vsplit->setStretchFactor(0, 0);
    vsplit->setStretchFactor(1, 1);
    vsplit->setSizes({150, 600});
    connect(m_table, &CompareTableModel::metricsChanged, this, [this](int k) {
        if (k < 0 && m_pointsLayout->count() - 1 != m_table->methodCount())
            rebuildOperatingPoints();
    });
    return vsplit;
}

void ComparePage::rebuildOperatingPoints()
{
    while (m_pointsLayout->count() > 1) {
        auto* item = m_pointsLayout->takeAt(0);
        delete item->widget();
        delete item;
    }
    for (int k = 0; k < m_table->methodCount(); ++k) {
        const auto& method = m_table->compareData().methods[std::size_t(k)];
        auto* box = new QWidget;
        auto* h = new QHBoxLayout(box);
        h->setContentsMargins(2, 2, 2, 2);
        auto* swatch = new QLabel;
        swatch->setFixedSize(12, 12);
        swatch->setStyleSheet(
            QStringLiteral("background:%1; border:1px solid black;").arg(methodColor(k).name()));
        auto* v = new QVBoxLayout;
        auto* name = new QLabel(
            QStringLiteral("<b>%1</b>").arg(QString::fromStdString(method.name).toHtmlEscaped()));
        name->setWordWrap(true);
        v->addWidget(name);
        // The slider spans the scores: 0..1 for a model, 0..max margin for the baseline.
        double hi = 1.0;
        if (method.kind == "baseline") {
            hi = std::max(2.0 * method.threshold, 1.0);
            for (float s : method.scores)
                hi = std::max(hi, double(s));
        }
        auto* row = new QHBoxLayout;
        auto* slider = new QSlider(Qt::Horizontal);
        slider->setRange(0, 1000);
        slider->setMinimumWidth(160);
        slider->setObjectName(QStringLiteral("threshold%1").arg(k));
        slider->setToolTip(tr("Threshold: an image is NG when its score reaches it"));
        auto* spin = new QDoubleSpinBox;
        spin->setDecimals(3);
        spin->setRange(0, hi);
        spin->setSingleStep(hi / 100);
        auto* reset = new QPushButton(tr("Own"));
        reset->setToolTip(
            tr("Back to the method's own threshold (chosen on its training data, or the "
               "baseline's rule limit): %1")
                .arg(method.threshold, 0, 'f', 3));
        row->addWidget(slider, 1);
        row->addWidget(spin);
        row->addWidget(reset);
        v->addLayout(row);
        auto* cm = new QTableView;
        cm->setModel(new ConfusionModel(m_table, k, cm));
        cm->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
        cm->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
        cm->setFixedSize(230, 84);
        cm->setSelectionMode(QAbstractItemView::NoSelection);
        cm->setFocusPolicy(Qt::NoFocus);
        h->addWidget(swatch, 0, Qt::AlignTop);
        h->addLayout(v, 1);
        h->addWidget(cm);
        const double t0 = m_table->threshold(k);
        slider->setValue(int(std::lround(t0 / hi * 1000)));
        spin->setValue(t0);
        connect(slider, &QSlider::valueChanged, this, [this, k, hi, spin](int value) {
            const double t = hi * value / 1000.0;
            QSignalBlocker b(spin);
            spin->setValue(t);
            m_table->setThreshold(k, t);
        });
        connect(spin, &QDoubleSpinBox::valueChanged, this, [this, k, hi, slider](double t) {
            QSignalBlocker b(slider);
            slider->setValue(int(std::lround(t / hi * 1000)));
            m_table->setThreshold(k, t);
        });
        connect(reset, &QPushButton::clicked, this,
                [spin, method] { spin->setValue(method.threshold); });
        m_pointsLayout->insertWidget(k, box);
    }
}

QWidget* ComparePage::buildErrorsTab()
{
    auto* split = new QSplitter(Qt::Horizontal);
    auto* left = new QWidget;
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    auto* filters = new QHBoxLayout;
    m_errorFilter = new QComboBox;
    m_errorFilter->addItem(tr("Errors or disagreements"),
                           int(kizu::learn::ErrorFilter::ErrorsOrDisagreements));
    m_errorFilter->addItem(tr("Errors"), int(kizu::learn::ErrorFilter::Errors));
    m_errorFilter->addItem(tr("Disagreements"), int(kizu::learn::ErrorFilter::Disagreements));
    m_errorFilter->addItem(tr("Every method wrong"), int(kizu::learn::ErrorFilter::AllWrong));
    m_errorFilter->addItem(tr("All images"), int(kizu::learn::ErrorFilter::All));
    m_errorMethod = new QComboBox;
    m_errorMethod->addItem(tr("any method"), -1);
    filters->addWidget(new QLabel(tr("Show")));
    filters->addWidget(m_errorFilter, 1);
    filters->addWidget(new QLabel(tr("of")));
    filters->addWidget(m_errorMethod, 1);
    ll->addLayout(filters);
    auto applyFilter = [this] {
        m_errors->setFilter(kizu::learn::ErrorFilter(m_errorFilter->currentData().toInt()),
                            m_errorMethod->currentData().toInt());
    };
    connect(m_errorFilter, &QComboBox::currentIndexChanged, this, applyFilter);
    connect(m_errorMethod, &QComboBox::currentIndexChanged, this, applyFilter);
    m_errorView = new QTableView;
    m_errorView->setModel(m_errors);
    m_errorView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_errorView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_errorView->verticalHeader()->hide();
    m_errorView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_errorView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_errorView->horizontalHeader()->setStretchLastSection(true);
    m_errorView->setTextElideMode(Qt::ElideMiddle);
    m_errorView->setWordWrap(false);
    connect(m_errors, &QAbstractItemModel::modelReset, this,
            [this] { m_errorView->setColumnWidth(0, 200); });
    ll->addWidget(m_errorView, 1);
    connect(m_errorView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ComparePage::updateSelection);
    // Keep the same image selected when a threshold or a label changes the list.
    connect(m_errors, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        const QModelIndex cur = m_errorView->currentIndex();
        m_selectedImage = cur.isValid() ? qint64(m_errors->imageIndex(cur.row())) : -1;
        m_selectedRow = cur.isValid() ? cur.row() : 0;
    });
    connect(m_errors, &QAbstractItemModel::modelReset, this, [this] {
        if (m_errors->rowCount() == 0) {
            updateSelection();
            return;
        }
        int row = std::min(m_selectedRow, m_errors->rowCount() - 1);
        for (int r = 0; r < m_errors->rowCount(); ++r)
            if (qint64(m_errors->imageIndex(r)) == m_selectedImage) row = r;
        m_errorView->setCurrentIndex(m_errors->index(row, 0));
    });
    split->addWidget(left);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_errorInfo = new QLabel(tr("Evaluate to browse the images the methods get wrong."));
    m_errorInfo->setWordWrap(true);
    m_errorInfo->setTextFormat(Qt::RichText);
    rl->addWidget(m_errorInfo);
    auto* views = new QSplitter(Qt::Vertical);
    auto* b = new QWidget;
    auto* bl = new QVBoxLayout(b);
    bl->setContentsMargins(0, 0, 0, 0);
    bl->addWidget(new QLabel(
        tr("Baseline: blobs that count as defects (green), the deciding blob (red box)")));
    m_baselineView = new ImagePreview;
    bl->addWidget(m_baselineView, 1);
    views->addWidget(b);
    auto* hm = new QWidget;
    auto* hl = new QVBoxLayout(hm);
    hl->setContentsMargins(0, 0, 0, 0);
    auto* hh = new QHBoxLayout;
    m_heatCaption = new QLabel(overlayCaption(false));
    m_heatCaption->setObjectName(QStringLiteral("overlayCaption"));
    hh->addWidget(m_heatCaption);
    m_heatModel = new QComboBox;
    m_heatModel->setObjectName(QStringLiteral("overlayModel"));
    hh->addWidget(m_heatModel, 1);
    hl->addLayout(hh);
    m_heatView = new ImagePreview;
    hl->addWidget(m_heatView, 1);
    views->addWidget(hm);
    rl->addWidget(views, 1);
    connect(m_heatModel, &QComboBox::currentIndexChanged, this, &ComparePage::updateSelection);
    auto* relabel = new QHBoxLayout;
    m_labelOk = new QPushButton(tr("Label OK (O)"));
    m_labelNg = new QPushButton(tr("Label NG (N)"));
    const QString tip =
        tr("The label was wrong: correct it in the project (recorded in the audit log)");
    m_labelOk->setToolTip(tip);
    m_labelNg->setToolTip(tip);
    connect(m_labelOk, &QPushButton::clicked, this, [this] { relabelCurrent(kOk); });
    connect(m_labelNg, &QPushButton::clicked, this, [this] { relabelCurrent(kNg); });
    relabel->addStretch(1);
    relabel->addWidget(m_labelOk);
    relabel->addWidget(m_labelNg);
    rl->addLayout(relabel);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto key = [&](QKeySequence seq, int label) {
        auto* s = new QShortcut(seq, split);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, [this, label] { relabelCurrent(label); });
    };
    key(QKeySequence(Qt::Key_O), kOk);
    key(QKeySequence(Qt::Key_N), kNg);
    return split;
}

QWidget* ComparePage::buildShotsTab()
{
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    m_experimentFiles = new QComboBox;
    m_experimentFiles->setToolTip(
        tr("results.csv files of kizu-cli experiment under the project's experiments/"));
    auto* open = new QPushButton(tr("Open results.csv..."));
    connect(open, &QPushButton::clicked, this, [this] {
        const QString f =
            QFileDialog::getOpenFileName(this, tr("Experiment results"), QString(),
                                         tr("Experiment results (results.csv *.csv)"));
        if (!f.isEmpty()) loadExperimentCsv(f);
    });
    m_metric = new QComboBox;
    m_metric->addItem(tr("accuracy"), QStringLiteral("accuracy"));
    m_metric->addItem(tr("balanced accuracy"), QStringLiteral("balanced_accuracy"));
    m_metric->addItem(tr("NG recall"), QStringLiteral("ng_recall"));
    m_metric->addItem(tr("NG precision"), QStringLiteral("ng_precision"));
    m_metric->addItem(tr("F1"), QStringLiteral("f1"));
    m_metric->addItem(tr("AUC"), QStringLiteral("auc"));
    m_bars = new QComboBox;
    m_bars->addItem(tr("bars: min to max over seeds"));
    m_bars->addItem(tr("bars: standard deviation"));
    bar->addWidget(new QLabel(tr("Results")));
    bar->addWidget(m_experimentFiles, 2);
    bar->addWidget(open);
    bar->addWidget(m_metric);
    bar->addWidget(m_bars);
    l->addLayout(bar);
    connect(m_experimentFiles, &QComboBox::activated, this,
            [this](int i) { loadExperimentCsv(m_experimentFiles->itemData(i).toString()); });
    connect(m_metric, &QComboBox::currentIndexChanged, this, &ComparePage::redrawShots);
    connect(m_bars, &QComboBox::currentIndexChanged, this, &ComparePage::redrawShots);
    m_shots = new ShotsChart;
    l->addWidget(m_shots, 1);
    m_shotsInfo = new QLabel(
        tr("Run a sweep below, or open the results.csv of a kizu-cli experiment run: accuracy "
           "against shots per class, one line per initialisation, the baseline dashed."));
    m_shotsInfo->setWordWrap(true);
    l->addWidget(m_shotsInfo);
    // The sweep itself (the same runner as kizu-cli experiment run); the chart follows its
    // results.csv as rows finish.
    m_sweep = new SweepPanel;
    l->addWidget(m_sweep);
    connect(m_sweep, &SweepPanel::rowFinished, this,
            [this](const QString& csv) { loadExperimentCsv(csv); });
    return w;
}

void ComparePage::setProject(kizu::project::ProjectStore* store)
{
    if (m_cancelToken) m_cancelToken->cancel();
    m_store = store;
    m_tuneOffer->setProject(store);
    m_table->setData({});
    // The cleared results take their summary, progress and method lists with them.
    m_status->setText(idleStatus());
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_export->setEnabled(false);
    if (m_store && m_folder.isEmpty())
        useProjectSplit(m_split);
    else if (!m_store && m_folder.isEmpty())
        m_sourceInfo->setText(tr("No project open: choose a folder."));
    refreshModelList();
    refreshExperimentFiles();
    m_sweep->setProject(store);
}

void ComparePage::useProjectSplit(const QString& split)
{
    m_folder.clear();
    m_split = split;
    const int i = m_source->findData(split);
    if (i >= 0) m_source->setCurrentIndex(i);
    if (!m_store) {
        m_sourceInfo->setText(tr("No project open."));
        return;
    }
    kizu::project::ImageFilter f;
    if (split != QLatin1String("all"))
        f.split = kizu::project::splitFromString(split.toStdString());
    std::int64_t ok = 0, ng = 0;
    for (const auto& b : m_store->imageBriefs(f)) {
        if (b.label == kizu::project::Label::Ok) ++ok;
        if (b.label == kizu::project::Label::Ng) ++ng;
    }
    m_sourceInfo->setText(tr("%1 OK and %2 NG labeled images").arg(ok).arg(ng));
}

void ComparePage::useFolder(const QString& dir)
{
    m_folder = dir;
    m_source->setCurrentIndex(3);
    m_sourceInfo->setText(QDir::toNativeSeparators(dir));
}

void ComparePage::addModelFile(const QString& file, const QString& name, bool checked)
{
    const QString abs = QFileInfo(file).absoluteFilePath();
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->data(Qt::UserRole).toString() == abs) {
            m_models->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
            return;
        }
    auto* item = new QListWidgetItem(name.isEmpty() ? QFileInfo(abs).fileName() : name);
    item->setData(Qt::UserRole, abs);
    item->setToolTip(QDir::toNativeSeparators(abs));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    if (!QFileInfo::exists(abs)) {
        item->setForeground(QColor(198, 40, 40));
        item->setToolTip(tr("%1 is missing").arg(QDir::toNativeSeparators(abs)));
    }
    m_models->addItem(item);
}

QStringList ComparePage::checkedModels() const
{
    QStringList out;
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->checkState() == Qt::Checked)
            out << m_models->item(i)->data(Qt::UserRole).toString();
    return out;
}

void ComparePage::setBaselineIncluded(bool on)
{
    m_withBaseline->setChecked(on);
}

void ComparePage::refreshModelList()
{
    // Called when the project opens and whenever its model list changes on any page: models
    // already listed keep their check mark, a model that has just appeared is checked (the one
    // just trained is the one to compare), files added by hand stay, removed records go.
    QHash<QString, bool> wasChecked;
    QStringList byHand;
    QSet<QString> fromProject;
    for (int i = 0; i < m_models->count(); ++i) {
        const auto* item = m_models->item(i);
        const QString file = item->data(Qt::UserRole).toString();
        wasChecked.insert(file, item->checkState() == Qt::Checked);
        if (!item->data(Qt::UserRole + 1).toBool()) byHand << file;
    }
    const bool firstFill = m_modelsStore != m_store;
    m_modelsStore = m_store;
    m_models->clear();
    if (!m_store) return;
    QString active;
    if (auto a = m_store->meta("active_model"); a && !a->empty())
        active = QFileInfo(QString::fromStdString(*a)).absoluteFilePath();
    auto checkedFor = [&](const QString& file, bool isActive) {
        if (firstFill) return isActive;
        auto it = wasChecked.constFind(file);
        return it == wasChecked.constEnd() ? true : *it;
    };
    for (const auto& rec : m_store->models()) {
        const QString file =
            QFileInfo(QString::fromStdString(m_store->modelPath(rec).string())).absoluteFilePath();
        const bool isActive = file == active;
        addModelFile(file,
                     QString::fromStdString(rec.name) + (isActive ? tr(" (active)") : QString()),
                     checkedFor(file, isActive));
        fromProject.insert(file);
    }
    if (!active.isEmpty() && !fromProject.contains(active)) {
        addModelFile(active, QFileInfo(active).fileName() + tr(" (active)"),
                     checkedFor(active, true));
        fromProject.insert(active);
    }
    for (int i = 0; i < m_models->count(); ++i)
        m_models->item(i)->setData(Qt::UserRole + 1,
                                   fromProject.contains(m_models->item(i)->data(Qt::UserRole)
                                                            .toString()));
    if (!firstFill)
        for (const QString& file : byHand)
            addModelFile(file, {}, wasChecked.value(file));
}

void ComparePage::refreshModels()
{
    refreshModelList();
}

bool ComparePage::isRunning() const
{
    return m_watcher->isRunning();
}

void ComparePage::setRunning(bool running)
{
    m_evaluate->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_source->setEnabled(!running);
    m_models->setEnabled(!running);
    m_withBaseline->setEnabled(!running);
    m_export->setEnabled(!running && m_table->methodCount() > 0);
    if (!running) m_progress->setRange(0, 1);
}

void ComparePage::fail(const QString& title, const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
    Q_EMIT statusMessage(message);
    if (isVisible() && !qEnvironmentVariableIsSet("KIZU_NO_DIALOGS"))
        QMessageBox::warning(this, title, message);
}

void ComparePage::startEvaluation()
{
    if (isRunning()) return;
    m_lastError.clear();
    Job job;
    job.models.clear();
    for (const auto& m : checkedModels()) {
        if (!QFileInfo::exists(m)) {
            fail(tr("Model missing"),
                 tr("The model file %1 does not exist. Untick it or add the file again.")
                     .arg(QDir::toNativeSeparators(m)));
            return;
        }
        job.models.push_back(m.toStdString());
    }
    job.baseline = m_withBaseline->isChecked();
    job.params = m_baseline->params();
    if (job.models.empty() && !job.baseline) {
        fail(tr("Nothing to compare"), tr("Tick at least one model or the classical baseline."));
        return;
    }
    if (!m_folder.isEmpty()) {
        job.dir = m_folder.toStdString();
    } else if (m_store) {
        job.project = true;
        job.dir = m_store->dir().string();
        job.split = m_split == QLatin1String("all") ? std::string() : m_split.toStdString();
        job.cacheDir = m_store->dir() / "cache" / "eval";
    } else {
        fail(tr("No test set"), tr("Open a project or choose a test folder first."));
        return;
    }
    m_cancelToken = std::make_shared<kizu::CancelToken>();
    auto token = m_cancelToken;
    QPointer<ComparePage> self(this);
    auto lastPost = std::make_shared<double>(0.0);
    auto post = [self, lastPost](qint64 done, qint64 total, const QString& stage) {
        const double now = monotonicSeconds();
        if (done != total && now - *lastPost < 0.1) return; // about 10 updates a second
        *lastPost = now;
        QMetaObject::invokeMethod(
            self.data(),
            [self, done, total, stage] {
                if (self) self->showProgress(done, total, stage);
            },
            Qt::QueuedConnection);
    };
    setRunning(true);
    m_progress->setRange(0, 0);
    m_status->setText(tr("Listing the test set..."));
    auto future = QtConcurrent::run([job, token, post]() -> std::shared_ptr<Outcome> {
        auto out = std::make_shared<Outcome>();
        try {
            // The same test set and scores as kizu-cli compare (core/evaluate/scoring.h).
            post(0, 0, QObject::tr("hashing the test set"));
            auto set = job.project ? kizu::learn::projectTestSet(job.dir, job.split)
                                   : kizu::learn::folderTestSet(job.dir);
            kizu::learn::ScoringRequest request;
            for (const auto& m : job.models)
                request.models.push_back(m);
            request.baseline = job.baseline;
            request.baselineParams = job.params;
            request.cacheDir = job.cacheDir;
            auto scored = kizu::learn::scoreTestSet(
                set, request,
                [&](const kizu::Progress& p) {
                    post(p.done, p.total, QString::fromStdString(p.stage));
                },
                token.get());
            out->cancelled = scored.cancelled;
            out->cached = scored.fromCache;
            CompareData& d = out->data;
            d.description = QString::fromStdString(set.description);
            d.items = std::move(set.items);
            d.imageIds = std::move(set.imageIds);
            d.names = std::move(set.names);
            d.labels = std::move(set.labels);
            d.imagesHash = std::move(set.imagesHash);
            d.methods = std::move(scored.methods);
        } catch (const std::exception& e) {
            out->error = QString::fromStdString(e.what());
        }
        return out;
    });
    m_watcher->setFuture(future);
}

void ComparePage::showProgress(qint64 done, qint64 total, const QString& stage)
{
    if (!isRunning()) return;
    if (total <= 0) {
        m_progress->setRange(0, 0);
    } else {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(1000 * done / total));
    }
    m_status->setText(tr("Scoring: %1").arg(stage));
}

void ComparePage::cancelEvaluation()
{
    if (!isRunning() || !m_cancelToken) return;
    m_cancelToken->cancel();
    m_status->setText(tr("Cancelling after the image in flight..."));
}

void ComparePage::onEvaluationDone()
{
    auto out = m_watcher->result();
    setRunning(false);
    if (!out || out->cancelled) {
        m_status->setText(
            tr("Cancelled. Finished methods were cached; Evaluate again to continue."));
        Q_EMIT evaluationFinished(false);
        return;
    }
    if (!out->error.isEmpty()) {
        fail(tr("Evaluation failed"), out->error);
        Q_EMIT evaluationFinished(false);
        return;
    }
    const int n = int(out->data.items.size());
    const int methods = int(out->data.methods.size());
    const QString description = out->data.description;
    m_drawnKey.clear();
    m_table->setData(std::move(out->data));
    rebuildOperatingPoints();
    m_errorMethod->blockSignals(true);
    m_errorMethod->clear();
    m_errorMethod->addItem(tr("any method"), -1);
    m_heatModel->blockSignals(true);
    m_heatModel->clear();
    for (int k = 0; k < methods; ++k) {
        const auto& m = m_table->compareData().methods[std::size_t(k)];
        m_errorMethod->addItem(QString::fromStdString(m.name), k);
        if (m.kind == "model")
            m_heatModel->addItem(QString::fromStdString(m.name), QString::fromStdString(m.file));
    }
    if (m_heatModel->count() == 0) m_heatModel->addItem(tr("(no model compared)"), QString());
    m_errorMethod->blockSignals(false);
    m_heatModel->blockSignals(false);
    m_errors->setFilter(kizu::learn::ErrorFilter(m_errorFilter->currentData().toInt()), -1);
    m_export->setEnabled(methods > 0);
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    const QString msg =
        tr("%1 on %2 (%3)%4; %5 with errors or disagreements.")
            .arg(tr("%n method(s)", nullptr, methods))
            .arg(tr("%n image(s)", nullptr, n))
            .arg(description)
            .arg(out->cached ? tr(", %1 from the cache").arg(out->cached) : QString())
            .arg(tr("%n image(s)", nullptr, m_errors->rowCount()));
    m_status->setText(msg);
    Q_EMIT statusMessage(msg);
    Q_EMIT evaluationFinished(true);
}

void ComparePage::updateSelection()
{
    const QModelIndex cur = m_errorView->currentIndex();
    const bool project = m_store && !m_table->compareData().imageIds.empty();
    m_labelOk->setEnabled(cur.isValid() && project);
    m_labelNg->setEnabled(cur.isValid() && project);
    if (!cur.isValid()) {
        m_drawnKey.clear();
        m_errorInfo->setText(m_table->methodCount()
                                 ? tr("No image in this filter.")
                                 : tr("Evaluate to browse the images the methods get wrong."));
        m_baselineView->showMessage(tr("No image selected"));
        m_heatView->showMessage(QString());
        return;
    }
    const auto& d = m_table->compareData();
    const auto& v = m_errors->verdicts(cur.row());
    const std::size_t index = v.index;
    QStringList said;
    for (int k = 0; k < int(v.predicted.size()); ++k) {
        const bool wrong = v.predicted[std::size_t(k)] != v.label;
        said << QStringLiteral("<span style='color:%1'>%2: %3 (%4)</span>")
                    .arg(wrong ? QStringLiteral("#c62828") : QStringLiteral("#1a7f37"),
                         shortMethodName(d.methods[std::size_t(k)]).toHtmlEscaped(),
                         verdictText(v.predicted[std::size_t(k)]),
                         QString::number(d.methods[std::size_t(k)].scores[index], 'f', 3));
    }
    const QString info = tr("<b>%1</b> - labeled <b>%2</b><br>%3")
                             .arg(imageName(d, index).toHtmlEscaped(), verdictText(v.label),
                                  said.join(QStringLiteral(" &nbsp; ")));
    m_errorInfo->setText(
        info +
        (project ? QString() : tr("<br><i>A folder test set cannot be relabeled here.</i>")));
    const std::string path = d.items[index].path.string();
    const QString drawKey =
        QString::fromStdString(path) + QLatin1Char('|') + m_heatModel->currentData().toString();
    if (drawKey == m_drawnKey) return; // the same picture is already shown (or on its way)
    m_drawnKey = drawKey;
    const quint64 gen = ++m_previewGeneration;
    bool withBaseline = false;
    for (const auto& m : d.methods)
        withBaseline |= m.kind == "baseline";
    const auto params = m_baseline->params();
    const std::string modelFile = m_heatModel->currentData().toString().toStdString();
    auto cache = m_modelCache;
    QPointer<ComparePage> self(this);
    m_baselineView->showMessage(tr("Drawing..."));
    m_heatView->showMessage(tr("Drawing..."));
    (void)QtConcurrent::run([self, gen, path, withBaseline, params, modelFile, cache, info] {
        QImage b, h;
        std::string head;
        QString error;
        try {
            cv::Mat im = cv::imread(path, cv::IMREAD_COLOR);
            if (im.empty()) throw kizu::IoError("Cannot read " + path + ".");
            b = toQImage(withBaseline ? kizu::learn::annotatedImage(im, &params, nullptr) : im);
            if (!modelFile.empty()) {
                std::lock_guard lock(cache->mutex);
                if (cache->file != modelFile) {
                    cache->model =
                        std::make_unique<kizu::learn::Model>(kizu::learn::Model::load(modelFile));
                    cache->file = modelFile;
                }
                h = toQImage(kizu::learn::annotatedImage(im, nullptr, cache->model.get()));
                head = cache->model->info().head;
            }
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, gen, b, h, head, info, error] {
                if (!self) return;
                if (!error.isEmpty()) {
                    self->m_drawnKey.clear();
                    self->m_baselineView->showMessage(error);
                    self->m_heatView->showMessage(error);
                    return;
                }
                self->showPreview(gen, b, h, overlayOf(head), info);
            },
            Qt::QueuedConnection);
    });
}

void ComparePage::showPreview(quint64 generation, const QImage& baseline, const QImage& heat,
                              Overlay overlay, const QString&)
{
    if (generation != m_previewGeneration) return; // a newer selection is being drawn
    m_baselineView->showImage(baseline);
    if (heat.isNull()) {
        m_heatView->showMessage(tr("Add a model to the comparison to see where it finds defects."));
    } else {
        // A defect map is drawn on its absolute scale (probability 0 to 1), an anomaly map too
        // (0.5 at the threshold), a classifier's map as its class activation; the caption says
        // which.
        m_heatCaption->setText(overlayCaption(overlay));
        m_heatView->showImage(heat);
    }
    Q_EMIT previewReady();
}

QString ComparePage::overlayCaptionText() const
{
    return m_heatCaption->text();
}

void ComparePage::relabelCurrent(int label)
{
    const QModelIndex cur = m_errorView->currentIndex();
    const auto& d = m_table->compareData();
    if (!cur.isValid() || !m_store || d.imageIds.empty()) return;
    const std::size_t index = m_errors->imageIndex(cur.row());
    const int row = cur.row();
    try {
        const int changed =
            m_store->setLabel(d.imageIds.at(index),
                              label == kNg ? kizu::project::Label::Ng : kizu::project::Label::Ok);
        if (changed == 0) return;
    } catch (const kizu::Error& e) {
        fail(tr("Cannot relabel"), QString::fromStdString(e.what()));
        return;
    }
    const QString name = imageName(d, index);
    m_table->setLabel(index, label); // the error list refreshes from the table
    if (m_errors->rowCount() > 0)
        m_errorView->setCurrentIndex(m_errors->index(std::min(row, m_errors->rowCount() - 1), 0));
    const QString msg = tr("%1 is now labeled %2 (recorded in the audit log); metrics updated.")
                            .arg(name, verdictText(label));
    m_status->setText(msg);
    Q_EMIT statusMessage(msg);
    Q_EMIT projectDataChanged();
}

void ComparePage::refreshExperimentFiles()
{
    m_experimentFiles->clear();
    if (!m_store) return;
    for (const auto& f : kizu::learn::findExperimentResults(m_store->dir())) {
        const QString file = QString::fromStdString(f.string());
        m_experimentFiles->addItem(QFileInfo(file).dir().dirName() + QStringLiteral("/results.csv"),
                                   file);
    }
    if (m_experimentFiles->count() > 0)
        loadExperimentCsv(m_experimentFiles->itemData(0).toString());
}

bool ComparePage::loadExperimentCsv(const QString& file)
{
    try {
        auto runs = kizu::experiment::readResults(file.toStdString());
        if (runs.empty())
            throw kizu::FormatError(file.toStdString() +
                                    " holds no finished runs (or does not exist); "
                                    "kizu-cli experiment run writes one row per finished run.");
        m_runs = std::move(runs);
    } catch (const kizu::Error& e) {
        fail(tr("Cannot read experiment results"), QString::fromStdString(e.what()));
        return false;
    }
    if (m_experimentFiles->findData(file) < 0)
        m_experimentFiles->addItem(QDir::toNativeSeparators(file), file);
    m_experimentFiles->setCurrentIndex(m_experimentFiles->findData(file));
    redrawShots();
    std::set<std::uint64_t> seeds;
    for (const auto& r : m_runs)
        seeds.insert(r.key.seed);
    m_shotsInfo->setText(tr("%1 over %2 from %3. Mean over seeds; bars over seeds; dashed: "
                            "the classical baseline tuned on the same shots.")
                             .arg(tr("%n run(s)", nullptr, int(m_runs.size())))
                             .arg(tr("%n seed(s)", nullptr, int(seeds.size())))
                             .arg(QDir::toNativeSeparators(file)));
    return true;
}

void ComparePage::redrawShots()
{
    if (m_runs.empty()) return;
    const auto series =
        kizu::learn::shotSeries(m_runs, m_metric->currentData().toString().toStdString());
    m_shots->setSeries(series, m_metric->currentText(),
                       m_bars->currentIndex() == 0 ? ErrorBars::MinMax : ErrorBars::StdDev);
}

bool ComparePage::exportReport(const QString& file)
{
    if (m_table->methodCount() == 0) {
        fail(tr("Nothing to report"),
             tr("Evaluate first: the report holds the table, the charts and the worst errors."));
        return false;
    }
    const bool pdf = file.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive);
    const auto& d = m_table->compareData();
    kizu::learn::CompareReport r;
    r.data = QStringLiteral("%1 (%2)")
                 .arg(d.description, tr("%n image(s)", nullptr, int(d.items.size())))
                 .toStdString();
    r.createdAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString();
    for (int k = 0; k < m_table->methodCount(); ++k)
        r.methods.push_back({d.methods[std::size_t(k)].name, m_table->metrics(k),
                             d.methods[std::size_t(k)].msPerImage});
    if (!m_runs.empty())
        r.shots = kizu::learn::shotSeries(m_runs, m_metric->currentData().toString().toStdString());
    const auto all = kizu::learn::imageVerdicts(d.methods, m_table->thresholds(), d.labels);
    const auto worst = kizu::learn::filterVerdicts(all, kizu::learn::ErrorFilter::Errors);
    const kizu::baseline::BaselineParams params = m_baseline->params();
    bool withBaseline = false;
    for (const auto& m : d.methods)
        withBaseline |= m.kind == "baseline";
    QList<QImage> errorImages;
    for (std::size_t i = 0; i < worst.size() && i < 12; ++i) {
        const auto& v = worst[i];
        kizu::learn::ReportError e;
        e.path = imageName(d, v.index).toStdString();
        e.label = v.label;
        e.predicted = v.predicted;
        for (const auto& m : d.methods)
            e.scores.push_back(m.scores[v.index]);
        cv::Mat im = cv::imread(d.items[v.index].path.string(), cv::IMREAD_COLOR);
        if (!im.empty()) {
            cv::Mat shown = withBaseline ? kizu::learn::annotatedImage(im, &params, nullptr) : im;
            if (pdf) {
                e.imageUri = QStringLiteral("err%1.png").arg(i).toStdString();
                errorImages << toQImage(shown).scaled(260, 260, Qt::KeepAspectRatio,
                                                      Qt::SmoothTransformation);
            } else {
                e.imageUri = kizu::learn::jpegDataUri(shown, 260);
            }
        }
        r.errors.push_back(std::move(e));
    }
    try {
        if (!pdf) {
            kizu::writeFileAtomic(file.toStdString(), kizu::learn::compareReportHtml(r));
        } else {
            // QTextDocument draws no SVG: the charts go in as pictures of the page's own plots.
            r.rocImage = "roc.png";
            if (!m_runs.empty()) r.shotsImage = "shots.png";
            QTextDocument doc;
            doc.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("roc.png")),
                            m_roc->plot()->toPixmap(560, 440).toImage());
            if (!m_runs.empty())
                doc.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("shots.png")),
                                m_shots->plot()->toPixmap(620, 380).toImage());
            for (int i = 0; i < errorImages.size(); ++i)
                doc.addResource(QTextDocument::ImageResource,
                                QUrl(QStringLiteral("err%1.png").arg(i)), errorImages[i]);
            doc.setHtml(QString::fromStdString(kizu::learn::compareReportHtml(r)));
            const QString tmp = file + QStringLiteral(".part");
            {
                QPrinter printer(QPrinter::HighResolution);
                printer.setOutputFormat(QPrinter::PdfFormat);
                printer.setOutputFileName(tmp);
                printer.setPageOrientation(QPageLayout::Landscape);
                doc.print(&printer);
            }
            QFile::remove(file);
            if (!QFile::rename(tmp, file))
                throw kizu::IoError("Cannot write " + file.toStdString() +
                                    "; check the folder's permissions.");
        }
    } catch (const kizu::Error& e) {
        fail(tr("Cannot write the report"), QString::fromStdString(e.what()));
        return false;
    }
    const QString msg = tr("Report written to %1").arg(QDir::toNativeSeparators(file));
    m_status->setText(msg);
    Q_EMIT statusMessage(msg);
    return true;
}

} // namespace kizu::ui
