#include "ui/cg_studio_page.h"

#include "core/cg/cg_batch.h"
#include "core/cg/cg_generator.h"
#include "core/cg/cg_mesh.h"
#include "core/cg/cg_project_batch.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/progress.h"
#include "core/project/project_store.h"
#include "ui/cg_param_panel.h"
#include "ui/cg_viewport.h"
#include "ui/conversions.h"
#include "ui/transplant_strip.h"

#include <QAction>
#include <QApplication>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>

namespace kizu::ui {

namespace cg = kizu::cg;
using kizu::project::Label;
using kizu::project::ProjectStore;

// Results of the background jobs, by value: the UI thread owns everything it shows.
struct CgPreviewResult {
    quint64 generation = 0;
    QImage image, mask;
    cv::Mat bgr, maskMat, height;
    double pixelUm = 0;
    nlohmann::json sampled;
    CgViewScene scene;
    double renderMs = 0;
    QString error;
};

struct CgStripResult {
    quint64 generation = 0;
    QList<QImage> images;
    QList<bool> ng;
    QString error;
};

struct CgBatchOutcome {
    cg::BatchResult result;
    int imported = 0;
    bool intoProject = false;
    QString folder;
    QString error;
};

namespace {

constexpr int kMeshVertices = 160 * 160; // smooth orbiting on a software renderer
constexpr double kHeightScale = 10;      // microns over millimetres: exaggerate the relief
constexpr int kStripCount = 12;
constexpr int kTile = 76;

// The next seed of a reroll: a fixed hash of the current one, so a session of rerolls can be
// retraced and every render still names its seed.
quint64 nextSeed(quint64 s)
{
    std::uint64_t z = s + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return 1 + z % (quint64(INT_MAX) - 1);
}

CgViewScene sceneOf(const cg::CgSample& s)
{
    CgViewScene scene;
    scene.zScale = float(kHeightScale);
    scene.mesh =
        cg::buildHeightMesh(s.heightMap, s.pixelSizeUm, kMeshVertices, kHeightScale, s.mask);
    const auto& j = s.sampled;
    if (j.contains("lights") && j["lights"].contains("list"))
        for (const auto& l : j["lights"]["list"])
            scene.lights.push_back({l.value("azimuthDeg", 0.f), l.value("elevationDeg", 45.f),
                                    l.value("temperatureK", 5500.f), l.value("intensity", 1.f)});
    if (j.contains("material")) {
        const auto& m = j["material"];
        if (m.contains("baseColorRgb") && m["baseColorRgb"].size() == 3) {
            auto c = [&](int k) {
                return std::clamp(m["baseColorRgb"][k].get<double>(), 0.0, 1.0);
            };
            scene.baseColor = QColor::fromRgbF(float(c(0)), float(c(1)), float(c(2)));
        }
        scene.metallic = m.value("metallic", 0.9f);
        scene.roughness = m.value("roughness", 0.3f);
    }
    return scene;
}

QImage tileOf(const QImage& image, int size)
{
    if (image.isNull()) return {};
    const int side = std::min(image.width(), image.height());
    return image.copy((image.width() - side) / 2, (image.height() - side) / 2, side, side)
        .scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

QLabel* makeTile()
{
    auto* t = new QLabel;
    t->setFixedSize(kTile + 4, kTile + 4);
    t->setAlignment(Qt::AlignCenter);
    t->setStyleSheet(QStringLiteral("background: palette(dark);"));
    return t;
}

QString formatDuration(double seconds)
{
    if (seconds < 60) return QStringLiteral("%1 s").arg(int(seconds + 0.5));
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(int(seconds) / 60).arg(int(seconds) % 60);
    return QStringLiteral("%1 h %2 min").arg(int(seconds) / 3600).arg(int(seconds) % 3600 / 60);
}

} // namespace

CgStudioPage::CgStudioPage(QWidget* parent) : QWidget(parent)
{
    m_previewPool = new QThreadPool(this);
    m_previewPool->setMaxThreadCount(1);
    m_batchPool = new QThreadPool(this);
    m_batchPool->setMaxThreadCount(1);
    buildUi();
    connect(m_panel, &CgParamPanel::paramsChanged, this, &CgStudioPage::paramsChanged);
    connect(m_panel, &CgParamPanel::statusMessage, this, &CgStudioPage::statusMessage);
    paramsChanged();
}

CgStudioPage::~CgStudioPage()
{
    // The jobs own copies of what they use; wait so none finishes into a destroyed page.
    if (m_batchCancelToken) m_batchCancelToken->cancel();
    for (QFutureWatcherBase* w : std::initializer_list<QFutureWatcherBase*>{
             m_previewWatcher, m_stripWatcher, m_realWatcher, m_batchWatcher}) {
        w->disconnect(this);
        w->waitForFinished();
    }
}

void CgStudioPage::buildUi()
{
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(6, 6, 6, 6);
    auto* split = new QSplitter(Qt::Horizontal);
    outer->addWidget(split);

    m_panel = new CgParamPanel;
    // At least as wide as its rows need (the Lock column included), which may be over 370.
    m_panel->setMinimumWidth(std::max(370, m_panel->minimumSizeHint().width()));
    split->addWidget(m_panel);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(4, 0, 0, 0);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    split->setSizes({440, 1100});

    // Sample bar: seed, label, view toggles, export.
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Seed")));
    m_seed = new QSpinBox;
    m_seed->setRange(0, INT_MAX);
    m_seed->setValue(QSettings().value(QStringLiteral("cg/seed"), 7).toInt());
    m_seed->setToolTip(tr("The sample's seed: the same seed and parameters give the same image"));
    m_seed->setKeyboardTracking(false);
    connect(m_seed, &QSpinBox::valueChanged, this, &CgStudioPage::paramsChanged);
    bar->addWidget(m_seed);
    auto* rerollButton = new QToolButton;
    rerollButton->setText(tr("Reroll (R)"));
    rerollButton->setToolTip(tr("A new seed: another sample from the same ranges (R)"));
    connect(rerollButton, &QToolButton::clicked, this, &CgStudioPage::reroll);
    bar->addWidget(rerollButton);
    bar->addSpacing(12);
    m_label = new QButtonGroup(this);
    auto* ng = new QRadioButton(tr("NG"));
    auto* ok = new QRadioButton(tr("OK"));
    ng->setToolTip(tr("Render the sample with defects (N)"));
    ok->setToolTip(tr("Render the sample without defects (O)"));
    m_label->addButton(ng, 1);
    m_label->addButton(ok, 0);
    ng->setChecked(true);
    connect(m_label, &QButtonGroup::idClicked, this, &CgStudioPage::paramsChanged);
    bar->addWidget(ng);
    bar->addWidget(ok);
    bar->addSpacing(12);
    m_highlight = new QCheckBox(tr("Highlight defect (H)"));
    m_highlight->setChecked(true);
    m_highlight->setToolTip(tr("Paint the defect's triangles red in the 3D view"));
    m_showMask = new QCheckBox(tr("Mask (M)"));
    m_showMask->setToolTip(tr("Overlay the defect mask on the training image"));
    bar->addWidget(m_highlight);
    bar->addWidget(m_showMask);
    auto* resetView = new QToolButton;
    resetView->setText(tr("Reset view (V)"));
    bar->addWidget(resetView);
    bar->addStretch(1);
    auto* exportButton = new QToolButton;
    exportButton->setText(tr("Export... (Ctrl+E)"));
    exportButton->setToolTip(tr("Save this sample as PNG, mask PNG, OBJ mesh and JSON sidecar"));
    connect(exportButton, &QToolButton::clicked, this, &CgStudioPage::exportDialog);
    bar->addWidget(exportButton);
    rl->addLayout(bar);

    // 3D view and training image side by side.
    auto* views = new QSplitter(Qt::Horizontal);
    m_viewport = new CgViewport;
    views->addWidget(m_viewport);
    connect(m_highlight, &QCheckBox::toggled, m_viewport, &CgViewport::setDefectHighlighted);
    m_viewport->setDefectHighlighted(true);
    connect(resetView, &QToolButton::clicked, m_viewport, &CgViewport::resetView);
    auto* imageBox = new QWidget;
    auto* il = new QVBoxLayout(imageBox);
    il->setContentsMargins(0, 0, 0, 0);
    m_imageView = new QLabel;
    m_imageView->setAlignment(Qt::AlignCenter);
    m_imageView->setMinimumSize(300, 300);
    m_imageView->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    m_imageView->setToolTip(tr("The training image the generator makes for this seed"));
    m_imageInfo = new QLabel;
    m_imageInfo->setWordWrap(true);
    m_imageInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    il->addWidget(m_imageView, 1);
    il->addWidget(m_imageInfo);
    views->addWidget(imageBox);
    views->setSizes({600, 420});
    connect(m_showMask, &QCheckBox::toggled, this, &CgStudioPage::showPreviewImage);
    rl->addWidget(views, 1);

    // Variety strip and the project's photos.
    auto* strip = new QGroupBox(tr("Variety: 12 renders from these ranges (seed, indices 0-11)"));
    auto* sg = new QGridLayout(strip);
    sg->setSpacing(4);
    for (int i = 0; i < kStripCount; ++i) {
        m_stripTiles.append(makeTile());
        sg->addWidget(m_stripTiles.last(), 0, i);
        m_realTiles.append(makeTile());
        sg->addWidget(m_realTiles.last(), 2, i);
    }
    m_realCaption = new QLabel(tr("Open a project to see its photos here for comparison."));
    m_realCaption->setStyleSheet(QStringLiteral("color: palette(mid);"));
    sg->addWidget(m_realCaption, 1, 0, 1, kStripCount);
    sg->setColumnStretch(kStripCount, 1);
    rl->addWidget(strip);
    m_stripTimer = new QTimer(this);
    m_stripTimer->setSingleShot(true);
    m_stripTimer->setInterval(250);
    connect(m_stripTimer, &QTimer::timeout, this, &CgStudioPage::startStrip);
    m_transplants = new TransplantStrip;
    connect(m_transplants, &TransplantStrip::statusMessage, this, &CgStudioPage::statusMessage);
    rl->addWidget(m_transplants);

    // Batch generation in the background.
    auto* batch = new QGroupBox(tr("Batch"));
    auto* bl = new QHBoxLayout(batch);
    bl->addWidget(new QLabel(tr("Images")));
    m_batchCount = new QSpinBox;
    m_batchCount->setRange(2, 10'000'000);
    m_batchCount->setSingleStep(100);
    m_batchCount->setValue(QSettings().value(QStringLiteral("cg/batchCount"), 1000).toInt());
    m_batchCount->setToolTip(tr("Number of images, half OK and half NG"));
    bl->addWidget(m_batchCount);
    bl->addWidget(new QLabel(tr("Seed")));
    m_batchSeed = new QSpinBox;
    m_batchSeed->setRange(0, INT_MAX);
    m_batchSeed->setValue(1);
    bl->addWidget(m_batchSeed);
    bl->addWidget(new QLabel(tr("into")));
    m_batchTarget = new QComboBox;
    m_batchTarget->addItem(tr("a folder..."));
    m_batchTarget->addItem(tr("the project (CG set)"));
    m_batchTarget->setToolTip(tr("A folder gets ok/, ng/ and masks/ (resumable); the project "
                                 "also imports the images, labeled, as source \"cg\""));
    bl->addWidget(m_batchTarget);
    m_batchStart = new QPushButton(tr("Generate (Ctrl+B)"));
    connect(m_batchStart, &QPushButton::clicked, this, &CgStudioPage::startBatchFromControls);
    bl->addWidget(m_batchStart);
    m_batchBar = new QProgressBar;
    m_batchBar->setRange(0, 1);
    m_batchBar->setValue(0);
    bl->addWidget(m_batchBar, 1);
    m_batchRate = new QLabel;
    m_batchRate->setMinimumWidth(220);
    bl->addWidget(m_batchRate);
    m_batchCancel = new QPushButton(tr("Cancel"));
    m_batchCancel->setEnabled(false);
    m_batchCancel->setToolTip(tr("Stop the batch; finished images are kept and a new run with "
                                 "the same settings resumes it"));
    connect(m_batchCancel, &QPushButton::clicked, this, &CgStudioPage::cancelBatch);
    bl->addWidget(m_batchCancel);
    rl->addWidget(batch);

    auto addShortcut = [this](const QKeySequence& key, auto slot) {
        auto* a = new QAction(this);
        a->setShortcut(key);
        // While the page is shown, wherever the focus is: a click on the 3D view moves it into
        // the Qt3D window, outside every widget, where a widget-scoped shortcut never fires.
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
    };
    addShortcut(QKeySequence(Qt::Key_R), [this] { reroll(); });
    addShortcut(QKeySequence(Qt::Key_N), [this] { setSampleNg(true); });
    addShortcut(QKeySequence(Qt::Key_O), [this] { setSampleNg(false); });
    addShortcut(QKeySequence(Qt::Key_H), [this] { m_highlight->toggle(); });
    addShortcut(QKeySequence(Qt::Key_M), [this] { m_showMask->toggle(); });
    addShortcut(QKeySequence(Qt::Key_V), [this] { m_viewport->resetView(); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_E), [this] { exportDialog(); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_B), [this] { startBatchFromControls(); });

    m_previewWatcher = new QFutureWatcher<CgPreviewResult>(this);
    connect(m_previewWatcher, &QFutureWatcherBase::finished, this,
            [this] { applyPreview(m_previewWatcher->result()); });
    m_stripWatcher = new QFutureWatcher<CgStripResult>(this);
    connect(m_stripWatcher, &QFutureWatcherBase::finished, this,
            [this] { applyStrip(m_stripWatcher->result()); });
    m_realWatcher = new QFutureWatcher<QList<QImage>>(this);
    connect(m_realWatcher, &QFutureWatcherBase::finished, this, [this] {
        m_realImages = m_realWatcher->result();
        for (int i = 0; i < m_realTiles.size(); ++i)
            m_realTiles[i]->setPixmap(i < m_realImages.size() ? QPixmap::fromImage(m_realImages[i])
                                                              : QPixmap());
    });
    m_batchWatcher = new QFutureWatcher<CgBatchOutcome>(this);
    connect(m_batchWatcher, &QFutureWatcherBase::finished, this,
            [this] { batchDone(m_batchWatcher->result()); });
}

quint64 CgStudioPage::seed() const
{
    return quint64(m_seed->value());
}

void CgStudioPage::setSeed(quint64 seed)
{
    m_seed->setValue(int(std::min<quint64>(seed, INT_MAX)));
}

bool CgStudioPage::sampleNg() const
{
    return m_label->checkedId() == 1;
}

void CgStudioPage::setSampleNg(bool ng)
{
    if (sampleNg() == ng) return;
    m_label->button(ng ? 1 : 0)->setChecked(true);
    paramsChanged();
}

bool CgStudioPage::maskShown() const
{
    return m_showMask->isChecked();
}

void CgStudioPage::setMaskShown(bool on)
{
    m_showMask->setChecked(on);
}

void CgStudioPage::reroll()
{
    setSeed(nextSeed(seed()));
}

void CgStudioPage::paramsChanged()
{
    ++m_generation;
    m_changeClock.restart();
    QSettings().setValue(QStringLiteral("cg/seed"), m_seed->value());
    startPreview();
    m_stripTimer->start();
    m_transplants->setParams(m_panel->params());
}

void CgStudioPage::startPreview()
{
    if (m_previewWatcher->isRunning()) return; // picked up when the running one ends
    const quint64 generation = m_generation;
    const cg::CgParams params = m_panel->params();
    const std::uint64_t seed = this->seed();
    const bool ng = sampleNg();
    m_previewWatcher->setFuture(QtConcurrent::run(m_previewPool, [=] {
        CgPreviewResult r;
        r.generation = generation;
        QElapsedTimer clock;
        clock.start();
        try {
            const cg::CgGenerator gen(params, seed);
            cg::CgSample s = gen.render(0, ng);
            r.scene = sceneOf(s);
            r.image = toQImage(s.image);
            r.mask = toQImage(s.mask);
            r.bgr = s.image;
            r.maskMat = s.mask;
            r.height = s.heightMap;
            r.pixelUm = s.pixelSizeUm;
            r.sampled = std::move(s.sampled);
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        r.renderMs = double(clock.nsecsElapsed()) / 1e6;
        return r;
    }));
}

void CgStudioPage::applyPreview(const CgPreviewResult& r)
{
    if (r.generation != m_generation) {
        startPreview(); // stale: drop it and render what is asked for now
        return;
    }
    m_shownGeneration = r.generation;
    m_lastLatencyMs = double(m_changeClock.nsecsElapsed()) / 1e6;
    if (!r.error.isEmpty()) {
        m_previewError = r.error;
        m_imageInfo->setText(
            QStringLiteral("<span style='color:#d04040'>%1</span>").arg(r.error.toHtmlEscaped()));
        Q_EMIT statusMessage(r.error);
        Q_EMIT previewUpdated();
        return;
    }
    m_previewError.clear();
    // The first preview's clock started with the page, not with a change: no latency for it.
    const bool first = m_image.isNull();
    m_image = r.image;
    m_mask = r.mask;
    m_sampleImage = r.bgr;
    m_sampleMask = r.maskMat;
    m_sampleHeight = r.height;
    m_samplePixelUm = r.pixelUm;
    m_sampled = r.sampled;
    m_viewport->setScene(r.scene);
    showPreviewImage();

    QStringList kinds;
    for (const auto& d : m_sampled.value("defects", nlohmann::json::array()))
        if (d.contains("kind")) kinds << QString::fromStdString(d["kind"].get<std::string>());
    const auto& mat = m_sampled["material"];
    const auto& cam = m_sampled["camera"];
    m_imageInfo->setText(
        tr("<b>%1</b>%2 · %3, roughness %4 · %5 · field %6 mm, tilt %7° · "
           "%8 px<br><span style='color:gray'>rendered in %9 ms%10</span>")
            .arg(sampleNg() ? tr("NG") : tr("OK"),
                 kinds.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(kinds.join(", ")),
                 QString::fromStdString(mat.value("family", std::string("?"))))
            .arg(mat.value("roughness", 0.0), 0, 'f', 2)
            .arg(tr("%n light(s)", nullptr, int(m_sampled["lights"]["list"].size())))
            .arg(cam.value("fieldOfViewMm", 0.0), 0, 'f', 2)
            .arg(cam.value("tiltDeg", 0.0), 0, 'f', 1)
            .arg(m_image.width())
            .arg(r.renderMs, 0, 'f', 0)
            .arg(first ? QString()
                       : tr(", on screen %1 ms after the change").arg(m_lastLatencyMs, 0, 'f', 0)));
    Q_EMIT previewUpdated();
}

void CgStudioPage::showPreviewImage()
{
    if (m_image.isNull()) return;
    QImage shown = m_image.convertToFormat(QImage::Format_RGB32);
    if (m_showMask->isChecked() && !m_mask.isNull()) {
        QImage overlay(shown.size(), QImage::Format_ARGB32_Premultiplied);
        overlay.fill(Qt::transparent);
        for (int y = 0; y < m_mask.height(); ++y) {
            const uchar* m = m_mask.constScanLine(y);
            auto* o = reinterpret_cast<QRgb*>(overlay.scanLine(y));
            for (int x = 0; x < m_mask.width(); ++x)
                if (m[x]) o[x] = qRgba(150, 0, 0, 150); // premultiplied red, 60 %
        }
        QPainter p(&shown);
        p.drawImage(0, 0, overlay);
    }
    const QSize area = m_imageView->size();
    const int side = std::max(64, std::min(area.width(), area.height()));
    // Whole multiples when they fit keep the pixels crisp.
    const int factor = std::max(1, side / std::max(1, shown.width()));
    const int target = shown.width() * factor <= side && factor > 1 ? shown.width() * factor : side;
    m_imageView->setPixmap(QPixmap::fromImage(
        shown.scaled(target, target, Qt::KeepAspectRatio,
                     factor > 1 ? Qt::FastTransformation : Qt::SmoothTransformation)));
}

void CgStudioPage::startStrip()
{
    if (m_stripWatcher->isRunning()) {
        m_stripTimer->start(); // try again once the running strip is done
        return;
    }
    const quint64 generation = m_generation;
    m_stripRequested = generation;
    const cg::CgParams params = m_panel->params();
    const std::uint64_t seed = this->seed();
    m_stripWatcher->setFuture(QtConcurrent::run([=] {
        CgStripResult r;
        r.generation = generation;
        try {
            const cg::CgGenerator gen(params, seed);
            for (const auto& s : cg::renderRange(gen, 0, kStripCount)) {
                r.images.append(tileOf(toQImage(s.image), kTile));
                r.ng.append(s.ng);
            }
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        return r;
    }));
}

void CgStudioPage::applyStrip(const CgStripResult& r)
{
    if (r.generation != m_generation) {
        m_stripTimer->start(); // stale
        return;
    }
    if (!r.error.isEmpty()) return; // the preview shows the same error
    m_stripShown = r.generation;
    m_stripImages = r.images;
    for (int i = 0; i < m_stripTiles.size() && i < r.images.size(); ++i) {
        QImage tile(kTile + 4, kTile + 4, QImage::Format_RGB32);
        tile.fill(r.ng[i] ? QColor(200, 50, 50) : QColor(60, 150, 80));
        QPainter p(&tile);
        p.drawImage(2, 2, r.images[i]);
        p.end();
        m_stripTiles[i]->setPixmap(QPixmap::fromImage(tile));
        m_stripTiles[i]->setToolTip(r.ng[i] ? tr("NG render, index %1").arg(i)
                                            : tr("OK render, index %1").arg(i));
    }
    Q_EMIT stripUpdated();
}

int CgStudioPage::stripSize() const
{
    return int(m_stripImages.size());
}

QImage CgStudioPage::stripImage(int i) const
{
    return m_stripImages.value(i);
}

int CgStudioPage::realPhotoCount() const
{
    return int(m_realImages.size());
}

void CgStudioPage::setStore(ProjectStore* store)
{
    m_store = store;
    m_batchTarget->setItemText(1,
                               store ? tr("the project (CG set)") : tr("the project (none open)"));
    loadRealPhotos();
    m_transplants->setStore(store);
}

void CgStudioPage::loadRealPhotos()
{
    QStringList files;
    QStringList labels;
    if (m_store) {
        try {
            // Photos, not CG renders: NG ones first (the defects to imitate), then OK ones.
            for (Label label : {Label::Ng, Label::Ok}) {
                kizu::project::ImageFilter f;
                f.label = label;
                f.limit = 400;
                int taken = 0;
                for (const auto& img : m_store->images(f)) {
                    if (img.source == "cg") continue;
                    files << QString::fromStdString(m_store->imagePath(img).string());
                    labels << (label == Label::Ng ? tr("NG photo") : tr("OK photo"));
                    if (++taken == kStripCount / 2) break;
                }
            }
            if (files.isEmpty()) {
                kizu::project::ImageFilter f;
                f.limit = kStripCount;
                for (const auto& img : m_store->images(f))
                    if (img.source != "cg") {
                        files << QString::fromStdString(m_store->imagePath(img).string());
                        labels << tr("photo");
                    }
            }
        } catch (const kizu::Error& e) {
            Q_EMIT statusMessage(QString::fromStdString(e.what()));
        }
    }
    for (int i = 0; i < m_realTiles.size(); ++i) {
        m_realTiles[i]->clear();
        m_realTiles[i]->setToolTip(i < files.size() ? labels[i] + QLatin1Char('\n') + files[i]
                                                    : QString());
    }
    m_realCaption->setText(
        !m_store ? tr("Open a project to see its photos here for comparison.")
        : files.isEmpty()
            ? tr("The project has no photos yet: import some on the Dataset page to compare.")
            : tr("Photos from the project (centre squares; NG first), for comparison:"));
    m_realWatcher->waitForFinished();
    m_realWatcher->setFuture(QtConcurrent::run([files] {
        QList<QImage> out;
        for (const QString& f : files) {
            // A quarter-size decode is plenty for a thumbnail and much faster for JPEG.
            cv::Mat m = cv::imread(f.toStdString(), cv::IMREAD_REDUCED_COLOR_4);
            if (m.empty()) m = cv::imread(f.toStdString(), cv::IMREAD_COLOR);
            out.append(tileOf(toQImage(m), kTile));
        }
        return out;
    }));
}

bool CgStudioPage::exportSample(const QString& prefix, QString* error)
{
    if (m_sampleImage.empty()) {
        if (error) *error = tr("There is no sample to export yet: wait for the preview.");
        return false;
    }
    try {
        const std::string base = prefix.toStdString();
        const std::filesystem::path parent = std::filesystem::path(base).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent);
        kizu::writeFileAtomic(base + ".png", cg::encodePng(m_sampleImage));
        kizu::writeFileAtomic(base + "_mask.png", cg::encodePng(m_sampleMask));
        cg::writeObj(m_sampleHeight, m_samplePixelUm, base + ".obj");
        nlohmann::json sidecar = m_sampled;
        sidecar["params"] = cg::paramsToJson(m_panel->params());
        kizu::writeFileAtomic(base + ".json", sidecar.dump(2) + "\n");
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

void CgStudioPage::exportDialog()
{
    if (m_sampleImage.empty()) return;
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("cg/exportDir"), QDir::homePath()).toString();
    const QString name = QStringLiteral("cg_%1_%2.png").arg(seed()).arg(sampleNg() ? "ng" : "ok");
    QString file =
        QFileDialog::getSaveFileName(this, tr("Export the sample (PNG, mask, OBJ, JSON)"),
                                     QDir(dir).filePath(name), tr("PNG image (*.png)"));
    if (file.isEmpty()) return;
    settings.setValue(QStringLiteral("cg/exportDir"), QFileInfo(file).absolutePath());
    if (file.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) file.chop(4);
    QString error;
    if (!exportSample(file, &error)) {
        QMessageBox::warning(this, tr("Export failed"), error);
        return;
    }
    Q_EMIT statusMessage(tr("Exported %1.png, _mask.png, .obj and .json").arg(file));
}

bool CgStudioPage::batchRunning() const
{
    return m_batchWatcher->isRunning();
}

void CgStudioPage::startBatchFromControls()
{
    if (batchRunning()) return;
    QSettings settings;
    settings.setValue(QStringLiteral("cg/batchCount"), m_batchCount->value());
    QString folder;
    if (m_batchTarget->currentIndex() == 0) {
        folder = QFileDialog::getExistingDirectory(
            this, tr("Folder for the CG batch"),
            settings.value(QStringLiteral("cg/batchDir"), QDir::homePath()).toString());
        if (folder.isEmpty()) return;
        settings.setValue(QStringLiteral("cg/batchDir"), folder);
    } else if (!m_store) {
        QMessageBox::information(this, tr("No project open"),
                                 tr("Open a project first (File > Open Project), or choose a "
                                    "folder as the batch's destination."));
        return;
    }
    startBatch(m_batchCount->value(), quint64(m_batchSeed->value()), folder);
}

bool CgStudioPage::startBatch(int count, quint64 seed, const QString& folder)
{
    if (batchRunning()) {
        Q_EMIT statusMessage(tr("A batch is already running; cancel it first."));
        return false;
    }
    cg::CgParams params;
    try {
        params = m_panel->params();
        cg::validate(params);
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot start the batch"), QString::fromStdString(e.what()));
        return false;
    }
    const bool intoProject = folder.isEmpty();
    QString dir = folder;
    std::filesystem::path projectDir;
    if (intoProject) {
        if (!m_store) {
            Q_EMIT statusMessage(tr("Open a project first, or give a folder for the batch."));
            return false;
        }
        projectDir = m_store->dir();
        dir = QString::fromStdString(
            cg::projectBatchFolder(projectDir, params, seed, count).string());
    }
    m_batchFolder = dir;
    auto cancel = std::make_shared<kizu::CancelToken>();
    m_batchCancelToken = cancel;
    m_batchBar->setRange(0, count);
    m_batchBar->setValue(0);
    m_batchRate->setText(tr("starting..."));
    m_batchStart->setEnabled(false);
    m_batchCancel->setEnabled(true);
    m_batchClock.start();
    m_batchFirstDone = -1;

    // Progress crosses to the UI thread at most about 10 times a second.
    QPointer<CgStudioPage> self(this);
    auto throttle = std::make_shared<QElapsedTimer>();
    throttle->start();
    kizu::ProgressFn progress = [self, throttle](const kizu::Progress& p) {
        if (throttle->elapsed() < 100 && p.done != p.total) return;
        throttle->restart();
        const QString stage = QString::fromStdString(p.stage);
        QMetaObject::invokeMethod(
            qApp,
            [self, p, stage] {
                if (self) self->batchProgressed(p.done, p.total, stage);
            },
            Qt::QueuedConnection);
    };
    const std::filesystem::path out = dir.toStdString();
    m_batchWatcher->setFuture(QtConcurrent::run(m_batchPool, [=] {
        CgBatchOutcome o;
        o.intoProject = intoProject;
        o.folder = dir;
        try {
            if (intoProject) {
                const auto r = cg::generateBatchIntoProject(projectDir, params, seed, count,
                                                            progress, cancel.get());
                o.result = r.render;
                o.imported = r.imported;
            } else {
                o.result = cg::generateBatch(params, seed, count, out, {}, progress, cancel.get());
            }
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        o.result.cancelled = o.result.cancelled || cancel->cancelled();
        return o;
    }));
    Q_EMIT statusMessage(tr("Batch of %n image(s) started into %1", nullptr, count).arg(dir));
    return true;
}

void CgStudioPage::batchProgressed(qint64 done, qint64 total, const QString& stage)
{
    if (!batchRunning()) return;
    if (total > 0) m_batchBar->setRange(0, int(total));
    m_batchBar->setValue(int(done));
    // The rate counts this run's renders, not the images a resumed batch found done.
    if (m_batchFirstDone < 0 && stage != QLatin1String("import")) m_batchFirstDone = done;
    const double s = m_batchClock.elapsed() / 1000.0;
    const double rate = s > 0 ? (done - std::max<qint64>(0, m_batchFirstDone)) / s : 0;
    if (stage == QLatin1String("import")) {
        m_batchRate->setText(tr("importing %1 / %2").arg(done).arg(total));
    } else {
        const QString eta =
            rate > 0 && total > done ? formatDuration((total - done) / rate) : QStringLiteral("-");
        m_batchRate->setText(tr("%1 images/s · ETA %2").arg(rate, 0, 'f', 1).arg(eta));
    }
    Q_EMIT batchProgress(done, total);
}

void CgStudioPage::cancelBatch()
{
    if (m_batchCancelToken) m_batchCancelToken->cancel();
    m_batchRate->setText(tr("cancelling..."));
}

void CgStudioPage::batchDone(const CgBatchOutcome& o)
{
    m_batchStart->setEnabled(true);
    m_batchCancel->setEnabled(false);
    m_batchCancelToken.reset();
    const double s = m_batchClock.elapsed() / 1000.0;
    const auto& r = o.result;
    QString text;
    if (!o.error.isEmpty()) {
        text = tr("Batch failed: %1").arg(o.error);
        m_batchRate->setText(tr("failed"));
        QMessageBox* box = new QMessageBox(QMessageBox::Warning, tr("Batch failed"), o.error,
                                           QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    } else if (r.cancelled) {
        text = tr("Batch cancelled: %n image(s) kept in %1; start the same batch again to "
                  "resume it.",
                  nullptr, int(r.rendered + r.skipped))
                   .arg(o.folder);
        m_batchRate->setText(tr("cancelled"));
    } else {
        m_batchBar->setValue(m_batchBar->maximum());
        m_batchRate->setText(tr("%1 images/s · done in %2")
                                 .arg(s > 0 ? r.rendered / s : 0.0, 0, 'f', 1)
                                 .arg(formatDuration(s)));
        text = o.intoProject
                   ? tr("Batch done: %n image(s) in %1, %2 in the project as source \"cg\".",
                        nullptr, int(r.total))
                         .arg(o.folder)
                         .arg(o.imported)
                   : tr("Batch done: %n image(s) in %1 (%2 rendered, %3 already there).", nullptr,
                        int(r.total))
                         .arg(o.folder)
                         .arg(r.rendered)
                         .arg(r.skipped);
    }
    if (o.intoProject && o.imported > 0) Q_EMIT projectDataChanged();
    Q_EMIT statusMessage(text);
    Q_EMIT batchFinished(r.cancelled, o.error);
}

} // namespace kizu::ui
