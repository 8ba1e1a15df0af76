#include "ui/dataset_page.h"

#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/project/project_roi.h"
#include "ui/conversions.h"
#include "ui/image_preview.h"
#include "ui/label_command.h"
#include "ui/thumbnail_cache.h"
#include "ui/thumbnail_delegate.h"
#include "ui/thumbnail_grid.h"
#include "ui/thumbnail_model.h"
#include "ui/worker_store.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent>
#include <regex>

namespace kizu::ui {

using kizu::project::ImageFilter;
using kizu::project::Label;
using kizu::project::ProjectStore;
using kizu::project::Split;

namespace {

QIcon dotIcon(const QColor& c)
{
    QPixmap pm(14, 14);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(c);
    p.drawEllipse(QRectF(1.5, 1.5, 11, 11));
    return QIcon(pm);
}

QString dot(const QColor& c)
{
    return QStringLiteral("<span style='color:%1'>&#9679;</span>").arg(c.name());
}

struct ImportOutcome {
    kizu::project::ImportReport report;
    QString error;
};

// The store reads the pattern as a std::regex (ECMAScript), so that is what must accept it.
bool groupPatternValid(const QString& text)
{
    try {
        std::regex re(text.toStdString());
        return true;
    } catch (const std::regex_error&) {
        return false;
    }
}

QLabel* caption(const QString& text)
{
    return new QLabel(text);
}

} // namespace

DatasetPage::DatasetPage(QWidget* parent)
    : QWidget(parent), m_cache(new ThumbnailCache(this)),
      m_model(new ThumbnailModel(m_cache, this)), m_grid(new ThumbnailGrid(m_cache)),
      m_preview(new ImagePreview), m_undo(new QUndoStack(this))
{
    setAcceptDrops(true);
    m_grid->setModel(m_model);

    // Actions: the main window puts them in its menus, the page in its toolbar.
    m_importFiles = new QAction(tr("Import &Images..."), this);
    m_importFiles->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    m_importFiles->setToolTip(tr("Import image files (or drop files and folders on this page)"));
    connect(m_importFiles, &QAction::triggered, this, &DatasetPage::chooseFiles);
    m_importFolder = new QAction(tr("Import &Folder..."), this);
    m_importFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    m_importFolder->setToolTip(tr("Import every image under a folder"));
    connect(m_importFolder, &QAction::triggered, this, &DatasetPage::chooseFolder);
    m_undoAction = new QAction(tr("&Undo"), this);
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_undoAction->setEnabled(false);
    connect(m_undoAction, &QAction::triggered, this, &DatasetPage::undo);
    m_redoAction = new QAction(tr("&Redo"), this);
    // Ctrl+Shift+Z everywhere, plus the platform's own (Ctrl+Y on Windows); never twice, or
    // the shortcut would be ambiguous and do nothing.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    if (!redoKeys.contains(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z)))
        redoKeys.prepend(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    m_redoAction->setShortcuts(redoKeys);
    m_redoAction->setEnabled(false);
    connect(m_redoAction, &QAction::triggered, this, &DatasetPage::redo);
    connect(m_undo, &QUndoStack::canUndoChanged, m_undoAction, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::canRedoChanged, m_redoAction, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::undoTextChanged, this, [this](const QString& t) {
        m_undoAction->setText(t.isEmpty() ? tr("&Undo") : tr("&Undo %1").arg(t));
    });
    connect(m_undo, &QUndoStack::redoTextChanged, this, [this](const QString& t) {
        m_redoAction->setText(t.isEmpty() ? tr("&Redo") : tr("&Redo %1").arg(t));
    });

    auto* toolbar = new QToolBar;
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setIconSize(QSize(14, 14));
    toolbar->addAction(m_importFiles);
    toolbar->addAction(m_importFolder);
    toolbar->addSeparator();
    const std::pair<Label, QString> labels[] = {{Label::Ok, tr("OK  (O)")},
                                                {Label::Ng, tr("NG  (N)")},
                                                {Label::Unlabeled, tr("Unlabeled  (U)")}};
    for (const auto& [label, text] : labels) {
        auto* a = toolbar->addAction(dotIcon(ThumbnailDelegate::labelColor(int(label))), text);
        a->setToolTip(tr("Label the selected images %1 and move on to the next unlabeled one")
                          .arg(labelText(label)));
        connect(a, &QAction::triggered, this, [this, l = label] { labelSelected(l); });
        m_labelActions.append(a);
    }
    toolbar->addSeparator();
    toolbar->addAction(m_undoAction);
    toolbar->addAction(m_redoAction);
    m_deleteAction = new QAction(tr("&Delete Images..."), this);
    m_deleteAction->setObjectName(QStringLiteral("deleteImages"));
    m_deleteAction->setShortcut(QKeySequence::Delete);
    m_deleteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_deleteAction->setToolTip(tr("Delete the selected images from the project (asks first; "
                                  "recorded in the audit log)"));
    connect(m_deleteAction, &QAction::triggered, this, &DatasetPage::deleteSelected);
    m_grid->addAction(m_deleteAction);
    m_grid->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    toolbar->addWidget(spacer);
    toolbar->addWidget(new QLabel(tr("Group by ")));
    m_groupPattern = new QLineEdit;
    m_groupPattern->setObjectName(QStringLiteral("groupPattern"));
    m_groupPattern->setPlaceholderText(tr("regex on the file name"));
    m_groupPattern->setToolTip(
        tr("Imported images whose file names give the same first capture group form one group "
           "(near-duplicates: shots of one part). The split never cuts a group.\n"
           "Example: _(\\d+_\\d+)_crop"));
    m_groupPattern->setClearButtonEnabled(true);
    m_groupPattern->setFixedWidth(200);
    m_groupPattern->setText(QSettings().value(QStringLiteral("import/groupRegex")).toString());
    connect(m_groupPattern, &QLineEdit::textChanged, this, [this](const QString& text) {
        const bool ok = groupPatternValid(text);
        m_groupPattern->setStyleSheet(ok ? QString() : QStringLiteral("color: #c0392b;"));
        if (ok) QSettings().setValue(QStringLiteral("import/groupRegex"), text);
    });
    toolbar->addWidget(m_groupPattern);

    // Left: filters over the grid. Right: preview over details, history and split.
    auto* left = new QWidget;
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    ll->setSpacing(4);
    ll->addWidget(buildFilterBar());
    ll->addWidget(m_grid, 1);
    m_counts = new QLabel;
    m_counts->setObjectName(QStringLiteral("countsLabel"));
    m_counts->setTextFormat(Qt::RichText);
    m_counts->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_counts->setContentsMargins(4, 0, 4, 0);
    auto* keys = new QLabel(tr("Keys: O / N / U label, F fit, 1 actual size, Ctrl+Z undo"));
    keys->setStyleSheet(QStringLiteral("color: #6b7078;"));
    auto* footer = new QHBoxLayout;
    footer->setContentsMargins(0, 0, 4, 0);
    footer->addWidget(m_counts, 1);
    footer->addWidget(keys);
    ll->addLayout(footer);

    m_splitter = new QSplitter(Qt::Horizontal);
    m_splitter->addWidget(left);
    m_splitter->addWidget(buildSidePanel());
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);

    auto* content = new QWidget;
    auto* cl = new QVBoxLayout(content);
    cl->setContentsMargins(6, 2, 6, 6);
    cl->setSpacing(4);
    cl->addWidget(toolbar);
    cl->addWidget(m_splitter, 1);

    auto* empty = new QLabel(tr("<h2>No project open</h2><p>Use File &gt; New Project (Ctrl+N) or "
                                "File &gt; Open Project (Ctrl+O).</p>"));
    empty->setAlignment(Qt::AlignCenter);
    empty->setTextFormat(Qt::RichText);
    m_stack = new QStackedWidget;
    m_stack->addWidget(empty);
    m_stack->addWidget(content);
    auto* top = new QVBoxLayout(this);
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_stack);

    connect(m_grid, &ThumbnailGrid::labelRequested, this, &DatasetPage::labelSelected);
    connect(m_grid, &ThumbnailGrid::fitRequested, m_preview, &ImagePreview::fit);
    connect(m_grid, &ThumbnailGrid::actualSizeRequested, m_preview, &ImagePreview::actualSize);
    connect(m_grid, &ThumbnailGrid::undoRequested, this, &DatasetPage::undo);
    connect(m_grid, &ThumbnailGrid::redoRequested, this, &DatasetPage::redo);
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &DatasetPage::currentChanged);
    connect(m_grid->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &DatasetPage::currentChanged);
    connect(m_model, &ThumbnailModel::countsChanged, this, &DatasetPage::updateCounts);
    connect(m_preview, &ImagePreview::roiDrawn, this,
            [this](const kizu::imaging::Roi& roi) { setRoi(roi); });
    connect(m_preview, &ImagePreview::drawingFinished, this, [this] {
        QSignalBlocker block(m_drawRoi);
        m_drawRoi->setChecked(false);
    });
    connect(m_preview, &ImagePreview::zoomChanged, this,
            [this](double z) { m_zoom->setText(QStringLiteral("%1 %").arg(qRound(z * 100))); });

    QSettings settings;
    m_splitter->restoreState(settings.value(QStringLiteral("dataset/splitter")).toByteArray());
    m_sideSplitter->restoreState(settings.value(QStringLiteral("dataset/side")).toByteArray());
    m_grid->setCellWidth(settings.value(QStringLiteral("dataset/cellWidth"), 188).toInt());
    setStore(nullptr);
}

DatasetPage::~DatasetPage()
{
    saveSettings();
    if (m_importCancel) m_importCancel->cancel();
}

void DatasetPage::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("dataset/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("dataset/side"), m_sideSplitter->saveState());
    settings.setValue(QStringLiteral("dataset/cellWidth"), m_grid->cellWidth());
}

QWidget* DatasetPage::buildFilterBar()
{
    auto* bar = new QWidget;
    auto* l = new QHBoxLayout(bar);
    l->setContentsMargins(2, 0, 2, 0);
    l->setSpacing(6);
    auto combo = [&](const QString& name, const QString& text) {
        auto* c = new QComboBox;
        c->setObjectName(name);
        c->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        l->addWidget(caption(text));
        l->addWidget(c);
        return c;
    };
    m_labelFilter = combo(QStringLiteral("labelFilter"), tr("Label"));
    m_labelFilter->addItem(tr("All"), -1);
    m_labelFilter->addItem(dotIcon(ThumbnailDelegate::labelColor(1)), tr("OK"), int(Label::Ok));
    m_labelFilter->addItem(dotIcon(ThumbnailDelegate::labelColor(2)), tr("NG"), int(Label::Ng));
    m_labelFilter->addItem(dotIcon(ThumbnailDelegate::labelColor(0)), tr("Unlabeled"),
                           int(Label::Unlabeled));
    m_splitFilter = combo(QStringLiteral("splitFilter"), tr("Split"));
    m_splitFilter->addItem(tr("All"), -1);
    m_splitFilter->addItem(tr("Train"), int(Split::Train));
    m_splitFilter->addItem(tr("Test"), int(Split::Test));
    m_splitFilter->addItem(tr("None"), int(Split::None));
    m_sourceFilter = combo(QStringLiteral("sourceFilter"), tr("Source"));
    m_groupFilter = combo(QStringLiteral("groupFilter"), tr("Group"));
    m_groupFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_groupFilter->setMinimumContentsLength(8);
    m_sort = combo(QStringLiteral("sortOrder"), tr("Sort"));
    m_sort->addItem(tr("Name A-Z"), 0);
    m_sort->addItem(tr("Name Z-A"), 1);
    m_sort->addItem(tr("Oldest first"), 2);
    m_sort->addItem(tr("Newest first"), 3);
    m_sort->addItem(tr("Import order"), 4);
    // Connected once all exist: filling the first combo already changes its index.
    for (QComboBox* c : {m_labelFilter, m_splitFilter, m_sourceFilter, m_groupFilter, m_sort})
        connect(c, &QComboBox::currentIndexChanged, this, &DatasetPage::applyFilter);
    l->addStretch(1);
    return bar;
}

QWidget* DatasetPage::buildSidePanel()
{
    // Preview with its own small bar.
    auto* previewPanel = new QWidget;
    auto* pl = new QVBoxLayout(previewPanel);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->setSpacing(2);
    auto* pbar = new QHBoxLayout;
    pbar->setContentsMargins(2, 0, 2, 0);
    m_previewTitle = new QLabel;
    m_previewTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_previewTitle->setMinimumWidth(80);
    m_previewTitle->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* fit = new QToolButton;
    fit->setText(tr("Fit"));
    fit->setToolTip(tr("Fit the image to the view (F)"));
    connect(fit, &QToolButton::clicked, m_preview, &ImagePreview::fit);
    auto* one = new QToolButton;
    one->setText(tr("1:1"));
    one->setToolTip(tr("One image pixel per screen pixel (1)"));
    connect(one, &QToolButton::clicked, m_preview, &ImagePreview::actualSize);
    m_zoom = new QLabel;
    m_zoom->setMinimumWidth(44);
    m_zoom->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_drawRoi = new QToolButton;
    m_drawRoi->setObjectName(QStringLiteral("drawRoi"));
    m_drawRoi->setText(tr("Draw region"));
    m_drawRoi->setCheckable(true);
    m_drawRoi->setToolTip(
        tr("Draw the region of interest: the part of every image that models, the baseline and "
           "inspection look at.\nDrag: a rectangle. Shift+click: polygon points (double-click or "
           "Enter closes the polygon). Esc cancels."));
    connect(m_drawRoi, &QToolButton::toggled, m_preview, &ImagePreview::setDrawing);
    m_clearRoi = new QToolButton;
    m_clearRoi->setObjectName(QStringLiteral("clearRoi"));
    m_clearRoi->setText(tr("Clear region"));
    m_clearRoi->setToolTip(tr("Remove the region of interest: whole images are used"));
    m_clearRoi->setEnabled(false);
    connect(m_clearRoi, &QToolButton::clicked, this, [this] { setRoi(std::nullopt); });
    pbar->addWidget(m_previewTitle, 1);
    pbar->addWidget(m_drawRoi);
    pbar->addWidget(m_clearRoi);
    pbar->addWidget(m_zoom);
    pbar->addWidget(fit);
    pbar->addWidget(one);
    pl->addLayout(pbar);
    pl->addWidget(m_preview, 1);

    // Details and label history of the current image.
    auto* info = new QWidget;
    auto* il = new QVBoxLayout(info);
    il->setContentsMargins(0, 4, 0, 0);
    il->setSpacing(4);
    m_details = new QLabel;
    m_details->setTextFormat(Qt::RichText);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    il->addWidget(m_details);
    auto* historyBox = new QGroupBox(tr("Label history"));
    auto* hl = new QVBoxLayout(historyBox);
    hl->setContentsMargins(4, 4, 4, 4);
    m_history = new QTableWidget(0, 3);
    m_history->setObjectName(QStringLiteral("historyTable"));
    m_history->setHorizontalHeaderLabels({tr("Time"), tr("User"), tr("Change")});
    m_history->verticalHeader()->hide();
    m_history->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_history->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_history->horizontalHeader()->setStretchLastSection(true);
    m_history->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_history->setSelectionMode(QAbstractItemView::NoSelection);
    m_history->setFocusPolicy(Qt::NoFocus);
    m_history->setAlternatingRowColors(true);
    m_history->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    hl->addWidget(m_history);
    il->addWidget(historyBox, 1);

    // Split control.
    auto* splitBox = new QGroupBox(tr("Train/test split (by group)"));
    auto* sl = new QGridLayout(splitBox);
    sl->setContentsMargins(8, 6, 8, 6);
    sl->setHorizontalSpacing(8);
    m_testFraction = new QDoubleSpinBox;
    m_testFraction->setObjectName(QStringLiteral("testFraction"));
    m_testFraction->setRange(0.0, 0.9);
    m_testFraction->setSingleStep(0.05);
    m_testFraction->setDecimals(2);
    m_testFraction->setValue(
        QSettings().value(QStringLiteral("dataset/testFraction"), 0.25).toDouble());
    m_testFraction->setToolTip(tr("Share of images that go to the test split; whole groups move "
                                  "together, so near-duplicates never straddle the split"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, 999999);
    m_seed->setValue(QSettings().value(QStringLiteral("dataset/seed"), 1).toInt());
    m_seed->setToolTip(tr("The same seed gives the same split"));
    m_assignSplit = new QPushButton(tr("Assign split"));
    connect(m_assignSplit, &QPushButton::clicked, this, &DatasetPage::confirmAssignSplit);
    m_lockTest = new QCheckBox(tr("Lock the test split"));
    m_lockTest->setObjectName(QStringLiteral("lockTest"));
    m_lockTest->setToolTip(tr("While locked, test images stay in test: a new assignment only "
                              "places images that have no split yet"));
    connect(m_lockTest, &QCheckBox::toggled, this, &DatasetPage::setSplitLocked);
    m_splitSummary = new QLabel;
    m_splitSummary->setObjectName(QStringLiteral("splitSummary"));
    m_splitSummary->setWordWrap(true);
    m_sourceSummary = new QLabel;
    m_sourceSummary->setObjectName(QStringLiteral("sourceSummary"));
    m_sourceSummary->setWordWrap(true);
    m_sourceSummary->setToolTip(tr("Synthetic images (CG renders, transplanted defects) are used "
                                   "for training only: they are never put in the test split"));
    sl->addWidget(caption(tr("Test fraction")), 0, 0);
    sl->addWidget(m_testFraction, 0, 1);
    sl->addWidget(caption(tr("Seed")), 0, 2);
    sl->addWidget(m_seed, 0, 3);
    sl->addWidget(m_assignSplit, 0, 4);
    sl->addWidget(m_lockTest, 1, 0, 1, 2);
    sl->addWidget(m_splitSummary, 1, 2, 1, 3);
    sl->addWidget(m_sourceSummary, 2, 0, 1, 5);
    sl->setColumnStretch(5, 1);
    il->addWidget(splitBox);

    m_sideSplitter = new QSplitter(Qt::Vertical);
    m_sideSplitter->addWidget(previewPanel);
    m_sideSplitter->addWidget(info);
    m_sideSplitter->setStretchFactor(0, 3);
    m_sideSplitter->setStretchFactor(1, 2);
    m_sideSplitter->setChildrenCollapsible(false);
    return m_sideSplitter;
}

void DatasetPage::setStore(ProjectStore* store)
{
    if (m_importCancel) m_importCancel->cancel();
    m_undo->clear();
    m_store = store;
    m_shownId = -1;
    // The last split's summary described the previous project.
    m_splitSummary->clear();
    m_drawRoi->setChecked(false);
    m_drawRoi->setEnabled(store);
    {
        std::optional<kizu::imaging::Roi> roi;
        try {
            if (store) roi = kizu::project::projectRoi(*store);
        } catch (const kizu::Error& e) {
            Q_EMIT statusMessage(QString::fromStdString(e.what()));
        }
        m_preview->setRoi(roi);
        m_clearRoi->setEnabled(bool(roi));
    }
    m_cache->setProject(store ? QString::fromStdString(store->dir().string()) : QString());
    m_stack->setCurrentIndex(store ? 1 : 0);
    for (QComboBox* c : {m_labelFilter, m_splitFilter, m_sort}) {
        QSignalBlocker block(c);
        c->setCurrentIndex(0);
    }
    refillChoices();
    {
        QSignalBlocker block(m_lockTest);
        try {
            m_lockTest->setChecked(store && store->testSplitLocked());
        } catch (const kizu::Error&) {
            m_lockTest->setChecked(false);
        }
    }
    try {
        m_model->setStore(store, currentFilter());
    } catch (const kizu::Error& e) {
        m_model->setStore(nullptr, {});
        showError(tr("Cannot read the project"), QString::fromStdString(e.what()));
    }
    // Tiles shaped like the project's images (a production series shares one size).
    if (auto first = m_model->record(0); first && first->height > 0)
        m_grid->setImageAspect(double(first->width) / first->height);
    // Back where the operator left off in this project, else at the start.
    const int resume = store ? m_model->rowOf(QSettings().value(resumeKey()).toLongLong()) : -1;
    if (m_model->rowCount() > 0)
        m_grid->selectRow(std::max(0, resume));
    else
        currentChanged();
    if (resume > 0) // once the page has its final size and the grid its layout
        QTimer::singleShot(0, m_grid, [this, id = m_model->idAt(resume)] {
            if (int r = m_model->rowOf(id); r >= 0)
                m_grid->scrollTo(m_model->index(r), QAbstractItemView::PositionAtCenter);
        });
    m_grid->setFocus();
}

QString DatasetPage::resumeKey() const
{
    // One key per project folder; the path is hashed because QSettings reads '/' as a group.
    const QByteArray dir =
        m_store ? QByteArray::fromStdString(m_store->dir().string()) : QByteArray();
    return QStringLiteral("dataset/resume/") +
           QString::fromLatin1(
               QCryptographicHash::hash(dir, QCryptographicHash::Sha1).toHex().left(16));
}

void DatasetPage::refillChoices()
{
    std::vector<std::string> sources, groups;
    if (m_store) {
        try {
            sources = m_store->sources();
            groups = m_store->groups();
        } catch (const kizu::Error& e) {
            Q_EMIT statusMessage(QString::fromStdString(e.what()));
        }
    }
    auto refill = [](QComboBox* c, const std::vector<std::string>& items) {
        QSignalBlocker block(c);
        const QVariant keep = c->currentData();
        c->clear();
        c->addItem(DatasetPage::tr("All"), QVariant());
        for (const auto& s : items)
            c->addItem(QString::fromStdString(s), QString::fromStdString(s));
        const int i = keep.isValid() ? c->findData(keep) : 0;
        c->setCurrentIndex(std::max(0, i));
    };
    const QVariant keepSource = m_sourceFilter->currentData();
    refill(m_sourceFilter, sources);
    {
        // Real and synthetic as a whole, after All: the ints tell them from source names.
        QSignalBlocker block(m_sourceFilter);
        m_sourceFilter->insertItem(1, tr("Real photos"), 0);
        m_sourceFilter->insertItem(2, tr("Synthetic (CG, transplant)"), 1);
        m_sourceFilter->setItemData(
            2,
            tr("CG renders and CG defects transplanted onto photos: training only, never "
               "in the test split"),
            Qt::ToolTipRole);
        const int i = keepSource.isValid() ? m_sourceFilter->findData(keepSource) : 0;
        m_sourceFilter->setCurrentIndex(std::max(0, i));
    }
    refill(m_groupFilter, groups);
    m_groupFilter->setEnabled(!groups.empty());
}

ImageFilter DatasetPage::currentFilter() const
{
    ImageFilter f;
    if (int v = m_labelFilter->currentData().toInt(); v >= 0) f.label = Label(v);
    if (int v = m_splitFilter->currentData().toInt(); v >= 0) f.split = Split(v);
    if (auto v = m_sourceFilter->currentData(); v.typeId() == QMetaType::Int)
        f.synthetic = v.toInt() == 1;
    else if (v.isValid())
        f.source = v.toString().toStdString();
    if (auto v = m_groupFilter->currentData(); v.isValid()) f.group = v.toString().toStdString();
    switch (m_sort->currentData().toInt()) {
    case 0:
        f.sort = ImageFilter::Sort::Name;
        break;
    case 1:
        f.sort = ImageFilter::Sort::Name;
        f.descending = true;
        break;
    case 2:
        f.sort = ImageFilter::Sort::CapturedAt;
        break;
    case 3:
        f.sort = ImageFilter::Sort::CapturedAt;
        f.descending = true;
        break;
    default:
        f.sort = ImageFilter::Sort::Id;
        break;
    }
    return f;
}

void DatasetPage::applyFilter()
{
    const qint64 keep = m_shownId;
    try {
        m_model->setFilter(currentFilter());
    } catch (const kizu::Error& e) {
        showError(tr("Cannot read the project"), QString::fromStdString(e.what()));
        return;
    }
    const int row = m_model->rowOf(keep);
    if (m_model->rowCount() > 0)
        m_grid->selectRow(row >= 0 ? row : 0);
    else
        currentChanged();
}

void DatasetPage::reload()
{
    if (!m_store) return;
    refillChoices();
    applyFilter();
}

void DatasetPage::updateSourceSummary()
{
    if (!m_store) {
        m_sourceSummary->clear();
        return;
    }
    kizu::project::Stats st;
    try {
        st = m_store->stats();
    } catch (const kizu::Error&) {
        return;
    }
    const auto num = [](qint64 n) { return QLocale().toString(n); };
    QString text = tr("Real: %1 OK, %2 NG")
                       .arg(num(st.realByLabel(Label::Ok)), num(st.realByLabel(Label::Ng)));
    if (st.syntheticTotal() > 0)
        text += tr("; synthetic (CG, transplant): %1 OK, %2 NG, train only")
                    .arg(num(st.syntheticByLabel(Label::Ok)), num(st.syntheticByLabel(Label::Ng)));
    m_sourceSummary->setText(text);
}

void DatasetPage::updateCounts()
{
    updateSourceSummary();
    const auto c = m_model->counts();
    const auto num = [](qint64 n) { return QLocale().toString(n); };
    m_counts->setText(
        tr("<b>%1</b> shown &nbsp; %2 OK %3 &nbsp; %4 NG %5 &nbsp; %6 unlabeled %7 &nbsp;|&nbsp; "
           "train %8 &nbsp; test %9 &nbsp; no split %10")
            .arg(num(c.total), dot(ThumbnailDelegate::labelColor(1)), num(c.byLabel[1]),
                 dot(ThumbnailDelegate::labelColor(2)), num(c.byLabel[2]),
                 dot(ThumbnailDelegate::labelColor(0)), num(c.byLabel[0]), num(c.bySplit[1]),
                 num(c.bySplit[2]))
            .arg(num(c.bySplit[0])));
}

void DatasetPage::currentChanged()
{
    const QModelIndex cur = m_grid->currentIndex();
    const int selected = int(m_grid->selectionModel()->selectedIndexes().size());
    for (QAction* a : m_labelActions)
        a->setEnabled(m_store && (selected > 0 || cur.isValid()));
    if (!cur.isValid()) {
        m_shownId = -1;
        m_preview->showMessage(m_store && m_model->rowCount() == 0
                                   ? tr("Drop image files or folders here,\nor use Import Images.")
                                   : QString());
        m_previewTitle->clear();
        m_zoom->clear();
        m_details->setText(m_store ? tr("No image selected.") : QString());
        m_history->setRowCount(0);
        return;
    }
    const auto rec = m_model->record(cur.row());
    if (!rec) return;
    if (rec->id != m_shownId) {
        m_shownId = rec->id;
        QSettings().setValue(resumeKey(), qint64(rec->id));
        m_preview->showFile(QString::fromStdString(m_store->imagePath(*rec).string()));
        m_previewTitle->setText(QStringLiteral("<b>%1</b>")
                                    .arg(QString::fromStdString(rec->fileName()).toHtmlEscaped()));
        m_previewTitle->setToolTip(QString::fromStdString(rec->originalPath));
    }
    const Label label = m_model->labelAt(cur.row());
    const Split split = m_model->splitAt(cur.row());
    QString text =
        tr("%1 %2 &nbsp;·&nbsp; %3 &nbsp;·&nbsp; %4 x %5 px &nbsp;·&nbsp; group %6 "
           "&nbsp;·&nbsp; source %7 &nbsp;·&nbsp; id %8")
            .arg(dot(ThumbnailDelegate::labelColor(int(label))), labelText(label),
                 split == Split::None ? tr("no split") : QString::fromStdString(splitName(split)))
            .arg(rec->width)
            .arg(rec->height)
            .arg(rec->group.empty() ? tr("(none)")
                                    : QString::fromStdString(rec->group).toHtmlEscaped(),
                 QString::fromStdString(rec->source).toHtmlEscaped())
            .arg(rec->id);
    if (selected > 1)
        text = tr("<b>%n image(s) selected</b> &nbsp;·&nbsp; ", nullptr, int(selected)) + text;
    m_details->setText(text);
    refreshHistory();
}

void DatasetPage::refreshHistory()
{
    m_history->setRowCount(0);
    if (!m_store || m_shownId < 0) return;
    std::vector<kizu::project::AuditEntry> log;
    try {
        log = m_store->auditLog(m_shownId);
    } catch (const kizu::Error& e) {
        Q_EMIT statusMessage(QString::fromStdString(e.what()));
        return;
    }
    m_history->setRowCount(int(log.size()));
    int row = 0;
    for (auto it = log.rbegin(); it != log.rend(); ++it, ++row) { // newest first
        auto* t = new QTableWidgetItem(
            QDateTime::fromMSecsSinceEpoch(it->at).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        auto* u = new QTableWidgetItem(QString::fromStdString(it->user));
        auto* c = new QTableWidgetItem(
            QStringLiteral("%1  \u2192  %2").arg(labelText(it->oldLabel), labelText(it->newLabel)));
        c->setForeground(ThumbnailDelegate::labelColor(int(it->newLabel)).darker(110));
        m_history->setItem(row, 0, t);
        m_history->setItem(row, 1, u);
        m_history->setItem(row, 2, c);
    }
}

QList<int> DatasetPage::targetRows() const
{
    // The selected images, or the current one when none is selected.
    QList<int> rows = m_grid->selectedRows();
    if (rows.isEmpty() && m_grid->currentIndex().isValid())
        rows.append(m_grid->currentIndex().row());
    return rows;
}

void DatasetPage::labelSelected(Label label)
{
    if (!m_store || m_model->rowCount() == 0) return;
    const QList<int> rows = targetRows();
    if (rows.isEmpty()) return;
    std::vector<qint64> ids;
    std::vector<Label> old;
    for (int r : rows)
        if (m_model->labelAt(r) != label) {
            ids.push_back(m_model->idAt(r));
            old.push_back(m_model->labelAt(r));
        }
    if (!ids.empty())
        m_undo->push(new LabelCommand(
            std::move(ids), std::move(old), label,
            [this](const std::vector<qint64>& i, Label l) { return applyLabels(i, l); }));
    // On to the next image that still needs a label.
    const int next = m_model->nextUnlabeled(rows.last());
    if (next >= 0) {
        m_grid->selectRow(next);
    } else {
        m_grid->selectRow(std::min(rows.last() + 1, m_model->rowCount() - 1));
        Q_EMIT statusMessage(tr("Every image in this view has a label."));
    }
}

bool DatasetPage::applyLabels(const std::vector<qint64>& ids, Label label)
{
    if (!m_store) return false;
    try {
        m_store->setLabels(std::vector<std::int64_t>(ids.begin(), ids.end()), label);
    } catch (const kizu::Error& e) {
        showError(tr("Cannot save the label"), QString::fromStdString(e.what()));
        return false;
    }
    m_model->applyLabels(ids, label);
    currentChanged(); // details and history of the current image
    Q_EMIT projectDataChanged();
    return true;
}

void DatasetPage::deleteSelected()
{
    if (!m_store || m_model->rowCount() == 0) return;
    const QList<int> rows = targetRows();
    if (rows.isEmpty()) return;
    std::vector<qint64> ids;
    int inTest = 0;
    for (int r : rows) {
        ids.push_back(m_model->idAt(r));
        inTest += m_model->splitAt(r) == Split::Test;
    }
    const int n = int(ids.size());
    const auto answer = QMessageBox::question(
        this, tr("Delete images"),
        tr("Delete %n image(s) from the project?", "", n) + QStringLiteral("<p>") +
            tr("Their labels go, and their files under images/ are removed. This cannot be "
               "undone: importing a file again brings it back unlabeled. The audit log records "
               "each deletion."),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return;
    bool force = false;
    if (inTest > 0 && m_store->testSplitLocked()) {
        const auto again = QMessageBox::warning(
            this, tr("Locked test split"),
            tr("%n of these images are in the locked test split, which measures every model: "
               "deleting them changes what the models' test results mean. Delete them anyway?",
               "", inTest),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (again != QMessageBox::Yes) return;
        force = true;
    }
    deleteImages(ids, force);
}

int DatasetPage::deleteImages(const std::vector<qint64>& ids, bool force)
{
    if (!m_store || ids.empty()) return 0;
    kizu::project::DeleteReport rep;
    try {
        rep = m_store->deleteImages(std::vector<std::int64_t>(ids.begin(), ids.end()), force);
    } catch (const kizu::Error& e) {
        showError(tr("Cannot delete the images"), QString::fromStdString(e.what()));
        return -1;
    }
    m_undo->clear(); // its label steps may name deleted images
    reload();
    Q_EMIT projectDataChanged();
    Q_EMIT statusMessage(tr("Deleted %n image(s).", "", rep.deleted));
    return rep.deleted;
}

void DatasetPage::selectIds(const std::vector<qint64>& ids)
{
    QItemSelection sel;
    int first = -1;
    for (qint64 id : ids)
        if (int r = m_model->rowOf(id); r >= 0) {
            sel.select(m_model->index(r), m_model->index(r));
            if (first < 0 || r < first) first = r;
        }
    if (first < 0) return;
    m_grid->selectionModel()->setCurrentIndex(m_model->index(first), QItemSelectionModel::NoUpdate);
    m_grid->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
    m_grid->scrollTo(m_model->index(first));
}

void DatasetPage::undo()
{
    if (!m_undo->canUndo()) return;
    // The images whose labels come back are selected, so the operator sees what changed.
    const auto* cmd = dynamic_cast<const LabelCommand*>(m_undo->command(m_undo->index() - 1));
    const std::vector<qint64> ids = cmd ? cmd->ids() : std::vector<qint64>{};
    m_undo->undo();
    selectIds(ids);
}

void DatasetPage::redo()
{
    if (!m_undo->canRedo()) return;
    const auto* cmd = dynamic_cast<const LabelCommand*>(m_undo->command(m_undo->index()));
    const std::vector<qint64> ids = cmd ? cmd->ids() : std::vector<qint64>{};
    m_undo->redo();
    selectIds(ids);
}

QString DatasetPage::importStartDir() const
{
    // Where the last import came from, else the project folder (not the program's working
    // directory, which means nothing to the operator).
    const QString last = QSettings().value(QStringLiteral("dataset/importDir")).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
    return m_store ? QString::fromStdString(m_store->dir().string()) : QString();
}

void DatasetPage::chooseFiles()
{
    if (!m_store) return;
    QSettings settings;
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Import images"), importStartDir(),
        tr("Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff);;All files (*)"));
    if (files.isEmpty()) return;
    settings.setValue(QStringLiteral("dataset/importDir"), QFileInfo(files.first()).absolutePath());
    importPaths(files);
}

void DatasetPage::chooseFolder()
{
    if (!m_store) return;
    QSettings settings;
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Import a folder of images"), importStartDir());
    if (dir.isEmpty()) return;
    settings.setValue(QStringLiteral("dataset/importDir"), dir);
    importPaths({dir});
}

bool DatasetPage::importPaths(const QStringList& paths)
{
    if (!m_store) {
        showError(tr("No project open"), tr("Open or create a project before importing images."));
        return false;
    }
    if (m_importCancel || paths.isEmpty()) return false;
    auto cancel = std::make_shared<kizu::CancelToken>();
    m_importCancel = cancel;

    auto* dialog = new QProgressDialog(tr("Looking for images..."), tr("Cancel"), 0, 0, this);
    dialog->setWindowTitle(tr("Importing images"));
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setMinimumDuration(400);
    dialog->setAutoClose(false);
    dialog->setAutoReset(false);
    dialog->setMinimumWidth(460);
    connect(dialog, &QProgressDialog::canceled, this, &DatasetPage::cancelImport);

    const std::filesystem::path dir = m_store->dir();
    std::vector<std::filesystem::path> files;
    for (const QString& p : paths)
        files.emplace_back(p.toStdString());
    kizu::project::ImportOptions options;
    if (groupPatternValid(m_groupPattern->text()))
        options.groupRegex = m_groupPattern->text().toStdString();

    // Progress crosses to the UI thread about 20 times a second, queued on the dialog.
    QPointer<QProgressDialog> guard(dialog);
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    // The worker may report once more after the page is gone (closing mid-import), so it
    // posts to the application object and the UI side checks its guards there.
    QPointer<DatasetPage> self(this);
    kizu::ProgressFn progress = [self, guard, timer](const kizu::Progress& p) {
        if (timer->elapsed() < 50 && p.done != p.total) return;
        timer->restart();
        const QString item = QFileInfo(QString::fromStdString(p.item)).fileName();
        QMetaObject::invokeMethod(
            qApp,
            [self, guard, p, item] {
                if (!self || !guard) return;
                guard->setMaximum(int(p.total));
                guard->setValue(int(p.done));
                guard->setLabelText(
                    tr("Importing %1 of %2\n%3").arg(p.done).arg(p.total).arg(item));
                Q_EMIT self->importProgress(p.done, p.total);
            },
            Qt::QueuedConnection);
    };

    auto* watcher = new QFutureWatcher<ImportOutcome>(this);
    connect(watcher, &QFutureWatcher<ImportOutcome>::finished, this, [this, watcher, guard] {
        watcher->deleteLater();
        if (guard) guard->deleteLater();
        m_importCancel.reset();
        const ImportOutcome out = watcher->result();
        const auto& r = out.report;
        try {
            reload();
        } catch (const kizu::Error& e) {
            Q_EMIT statusMessage(QString::fromStdString(e.what()));
        }
        Q_EMIT projectDataChanged();
        Q_EMIT importFinished(r.imported, r.duplicates, r.skipped, r.cancelled);
        if (r.imported > 0) m_splitSummary->clear(); // new images have no split yet
        if (!out.error.isEmpty()) {
            showError(tr("Import failed"), out.error);
            return;
        }
        const QString summary =
            tr("%1 imported (%5 grouped with a near-duplicate), %2 already in the project, "
               "%3 skipped%4")
                .arg(r.imported)
                .arg(r.duplicates)
                .arg(r.skipped)
                .arg(r.cancelled ? tr(" (cancelled; everything imported so far is kept)")
                                 : QString())
                .arg(r.nearDuplicates);
        Q_EMIT statusMessage(tr("Import: %1").arg(summary));
        if (r.skipped > 0) {
            // Each skipped file by its full path and why: the operator has to find it.
            QString details;
            for (const auto& issue : r.issues)
                details += QString::fromStdString(issue.path) + QStringLiteral(": ") +
                           QString::fromStdString(issue.reason) + QLatin1Char('\n');
            auto* box = new QMessageBox(QMessageBox::Information, tr("Import finished"),
                                        summary + QLatin1Char('.'), QMessageBox::Ok, this);
            box->setObjectName(QStringLiteral("importReport"));
            QStringList firstNames;
            for (std::size_t k = 0; k < r.issues.size() && k < 3; ++k)
                firstNames << QFileInfo(QString::fromStdString(r.issues[k].path)).fileName();
            box->setInformativeText(
                tr("Skipped: %1%2. Each file and why is listed under Show Details.")
                    .arg(firstNames.join(QStringLiteral(", ")))
                    .arg(r.issues.size() > 3 ? tr(" and %1 more").arg(r.issues.size() - 3)
                                             : QString()));
            box->setDetailedText(details);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
    });
    watcher->setFuture(QtConcurrent::run([dir, files, options, progress, cancel] {
        ImportOutcome out;
        try {
            auto store = openWorkerStore(dir); // ui/worker_store.h
            out.report = store.importPaths(files, options, progress, cancel.get());
        } catch (const std::exception& e) {
            out.error = QString::fromStdString(e.what());
        }
        return out;
    }));
    return true;
}

void DatasetPage::cancelImport()
{
    if (m_importCancel) m_importCancel->cancel();
}

void DatasetPage::dragEnterEvent(QDragEnterEvent* event)
{
    if (!m_store || m_importCancel || !event->mimeData()->hasUrls()) return;
    for (const QUrl& u : event->mimeData()->urls())
        if (u.isLocalFile()) {
            event->acceptProposedAction();
            m_grid->setDropHint(true);
            return;
        }
}

void DatasetPage::dragLeaveEvent(QDragLeaveEvent* event)
{
    m_grid->setDropHint(false);
    QWidget::dragLeaveEvent(event);
}

void DatasetPage::dropEvent(QDropEvent* event)
{
    m_grid->setDropHint(false);
    QStringList paths;
    for (const QUrl& u : event->mimeData()->urls())
        if (u.isLocalFile()) paths.append(u.toLocalFile());
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    // After the drop returns: the drag source must not wait on our dialog.
    QMetaObject::invokeMethod(
        this, [this, paths] { importPaths(paths); }, Qt::QueuedConnection);
}

void DatasetPage::confirmAssignSplit()
{
    if (!m_store) return;
    QSettings settings;
    settings.setValue(QStringLiteral("dataset/testFraction"), m_testFraction->value());
    settings.setValue(QStringLiteral("dataset/seed"), m_seed->value());
    try {
        const auto st = m_store->stats();
        const qint64 placed = st.bySplit(Split::Train) + st.bySplit(Split::Test);
        const auto preview =
            m_store->previewSplit(m_testFraction->value(), quint64(m_seed->value()));
        if (preview.changedImages > 0) {
            const auto answer = QMessageBox::question(
                this, tr("Assign split"),
                tr("%n image(s) already in a split; this would move %1 of them between train "
                   "and test. Lock the test split first to keep today's test images where they "
                   "are.\n\nReassign anyway?",
                   nullptr, int(placed))
                    .arg(preview.changedImages));
            if (answer != QMessageBox::Yes) return;
        }
    } catch (const kizu::Error& e) {
        showError(tr("Cannot assign the split"), QString::fromStdString(e.what()));
        return;
    }
    assignSplit(m_testFraction->value(), quint64(m_seed->value()));
}

void DatasetPage::assignSplit(double testFraction, quint64 seed)
{
    if (!m_store) return;
    kizu::project::SplitReport rep;
    try {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        rep = m_store->assignSplit(testFraction, seed);
        QApplication::restoreOverrideCursor();
    } catch (const kizu::Error& e) {
        QApplication::restoreOverrideCursor();
        showError(tr("Cannot assign the split"), QString::fromStdString(e.what()));
        return;
    }
    QString summary = tr("train %1 (%2), test %3 (%4); %5 from near-duplicates")
                          .arg(rep.trainImages)
                          .arg(tr("%n group(s)", nullptr, int(rep.trainGroups)))
                          .arg(rep.testImages)
                          .arg(tr("%n group(s)", nullptr, int(rep.testGroups)))
                          .arg(tr("%n group(s)", nullptr, int(rep.nearDuplicateGroups)));
    if (rep.syntheticImages > 0)
        summary += tr("; %n synthetic image(s) kept in train", nullptr, int(rep.syntheticImages));
    m_splitSummary->setText(summary);
    reload();
    Q_EMIT projectDataChanged();
    Q_EMIT statusMessage(tr("Split assigned: %1 train and %2 test images.")
                             .arg(rep.trainImages)
                             .arg(rep.testImages));
}

void DatasetPage::setSplitLocked(bool locked)
{
    if (!m_store) return;
    try {
        m_store->setTestSplitLocked(locked);
    } catch (const kizu::Error& e) {
        showError(tr("Cannot change the lock"), QString::fromStdString(e.what()));
        QSignalBlocker block(m_lockTest);
        m_lockTest->setChecked(!locked);
        return;
    }
    Q_EMIT statusMessage(locked ? tr("Test split locked: test images stay in test.")
                                : tr("Test split unlocked."));
}

void DatasetPage::setRoi(const std::optional<kizu::imaging::Roi>& roi)
{
    if (!m_store) return;
    std::optional<kizu::imaging::Roi> old;
    try {
        old = kizu::project::projectRoi(*m_store);
    } catch (const kizu::Error&) {
        // an unreadable region is replaced; undo then clears
    }
    if (old == roi) return;
    m_undo->push(
        new RoiCommand(old, roi, [this](const RoiCommand::Roi& r) { return applyRoi(r); }));
}

bool DatasetPage::applyRoi(const std::optional<kizu::imaging::Roi>& roi)
{
    if (!m_store) return false;
    try {
        kizu::project::setProjectRoi(*m_store, roi);
    } catch (const kizu::Error& e) {
        showError(tr("Cannot store the region of interest"), QString::fromStdString(e.what()));
        return false;
    }
    m_preview->setRoi(roi);
    m_clearRoi->setEnabled(bool(roi));
    Q_EMIT projectDataChanged();
    Q_EMIT statusMessage(roi ? tr("Region of interest set: models, the baseline and inspection "
                                  "now look only inside it.")
                             : tr("Region of interest cleared: whole images are used."));
    return true;
}

void DatasetPage::showError(const QString& title, const QString& text)
{
    // Not exec(): an error must not stop the event loop that workers report through.
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    Q_EMIT statusMessage(text);
}

} // namespace kizu::ui
