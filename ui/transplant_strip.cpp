#include "ui/transplant_strip.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/progress.h"
#include "core/project/project_store.h"
#include "ui/conversions.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace kizu::ui {

namespace cg = kizu::cg;

struct TransplantStripResult {
    quint64 generation = 0;
    quint64 photosGeneration = 0;
    std::shared_ptr<const std::vector<cg::AnalysedPhoto>> photos;
    std::shared_ptr<const std::vector<cg::TransplantResult>> results;
    QList<QImage> tiles, outlined;
    QStringList tips;
    QString error;
    bool cancelled = false;
};

namespace {
constexpr int kTileW = 176, kTileH = 88;

// The transplant scaled into the tile, plain and with the mask's outline in red (drawn after
// scaling, so that it stays one pixel wide and visible).
void makeTiles(const cg::TransplantResult& t, QImage& plain, QImage& outlined)
{
    const double s = std::min(double(kTileW) / t.image.cols, double(kTileH) / t.image.rows);
    const cv::Size size(std::max(1, int(t.image.cols * s)), std::max(1, int(t.image.rows * s)));
    cv::Mat small, smallMask;
    cv::resize(t.image, small, size, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::resize(t.mask, smallMask, size, 0, 0, cv::INTER_AREA);
    plain = toQImage(small).copy();
    outlined = toQImage(cg::drawMaskOutline(small, smallMask > 0, 1)).copy();
}
} // namespace

TransplantStrip::TransplantStrip(QWidget* parent)
    : QGroupBox(tr("On your photos: CG defects transplanted onto the project's OK photos"), parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setSpacing(4);
    auto* top = new QHBoxLayout;
    m_message = new QLabel;
    m_message->setWordWrap(true);
    top->addWidget(m_message, 1);
    m_showMask = new QCheckBox(tr("Mask outline"));
    m_showMask->setToolTip(tr("Outline each transplanted defect's mask in red"));
    connect(m_showMask, &QCheckBox::toggled, this, &TransplantStrip::showTiles);
    top->addWidget(m_showMask);
    m_export = new QPushButton(tr("Export sheet..."));
    m_export->setToolTip(tr("Save a PNG contact sheet: each photo, its transplant, and the "
                            "transplant with its mask outlined"));
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &TransplantStrip::exportSheetDialog);
    top->addWidget(m_export);
    layout->addLayout(top);
    auto* grid = new QHBoxLayout;
    grid->setSpacing(4);
    for (int i = 0; i < kCount; ++i) {
        auto* t = new QLabel;
        t->setFixedSize(kTileW + 4, kTileH + 4);
        t->setAlignment(Qt::AlignCenter);
        t->setStyleSheet(QStringLiteral("background: palette(dark);"));
        m_tileLabels.append(t);
        grid->addWidget(t);
    }
    grid->addStretch(1);
    layout->addLayout(grid);

    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    m_timer->setInterval(300);
    connect(m_timer, &QTimer::timeout, this, &TransplantStrip::start);
    m_watcher = new QFutureWatcher<TransplantStripResult>(this);
    connect(m_watcher, &QFutureWatcherBase::finished, this, [this] { apply(m_watcher->result()); });
    setStore(nullptr);
}

TransplantStrip::~TransplantStrip()
{
    if (m_cancel) m_cancel->cancel();
    m_watcher->disconnect(this);
    m_watcher->waitForFinished();
}

void TransplantStrip::setParams(const cg::CgParams& params)
{
    std::string key = cg::paramsToJson(params).dump();
    if (m_haveParams && key == m_paramsKey) return; // the seed or label of the sample changed
    m_params = params;
    m_paramsKey = std::move(key);
    m_haveParams = true;
    ++m_generation;
    m_timer->start();
}

void TransplantStrip::setStore(project::ProjectStore* store)
{
    m_store = store;
    ++m_generation;
    ++m_photosGeneration;
    m_photos.reset();
    m_results.reset();
    m_photoList.clear();
    m_options = {};
    m_tiles.clear();
    m_outlined.clear();
    QString error;
    if (m_store) {
        try {
            m_photoList = cg::projectOkPhotos(*m_store);
            m_options = cg::projectTransplantOptions(*m_store);
        } catch (const kizu::Error& e) {
            error = QString::fromStdString(e.what());
        }
    }
    m_okPhotos = int(m_photoList.size());
    showTiles();
    if (!error.isEmpty())
        setMessage(error);
    else if (!m_store)
        setMessage(tr("Open a project to see CG defects on its OK photos."));
    else if (m_photoList.empty())
        setMessage(tr("Label some photos OK in Dataset to see CG defects on them."));
    else
        setMessage(tr("Transplanting onto %n OK photo(s)...", nullptr, m_okPhotos));
    if (m_haveParams) m_timer->start();
}

void TransplantStrip::showEvent(QShowEvent* event)
{
    QGroupBox::showEvent(event);
    if (!m_store) return;
    try {
        const auto now = cg::projectOkPhotos(*m_store);
        const bool same =
            std::equal(now.begin(), now.end(), m_photoList.begin(), m_photoList.end(),
                       [](const cg::TransplantPhoto& a, const cg::TransplantPhoto& b) {
                           return a.sha256 == b.sha256;
                       });
        if (!same) setStore(m_store);
    } catch (const kizu::Error&) {
        // setStore reports it when the project is opened again.
    }
}

void TransplantStrip::start()
{
    if (!m_store || m_photoList.empty() || !m_haveParams) return;
    if (m_watcher->isRunning()) {
        // Stale work: stop it between transplants; its end starts this change's.
        if (m_cancel) m_cancel->cancel();
        return;
    }
    m_cancel = std::make_shared<kizu::CancelToken>();
    const auto cancel = m_cancel;
    const quint64 generation = m_generation, photosGeneration = m_photosGeneration;
    const auto list = m_photoList;
    const auto options = m_options;
    const auto params = m_params;
    auto photos = m_photos;
    m_watcher->setFuture(QtConcurrent::run([=]() mutable {
        TransplantStripResult r;
        r.generation = generation;
        r.photosGeneration = photosGeneration;
        try {
            if (!photos) {
                auto loaded =
                    cg::loadFirstTransplantPhotos(list, kSeed, kCount, options, cancel.get());
                if (!loaded.empty())
                    photos =
                        std::make_shared<const std::vector<cg::AnalysedPhoto>>(std::move(loaded));
            }
            r.photos = photos;
            if (!photos || cancel->cancelled()) {
                r.cancelled = true;
                return r;
            }
            auto results = cg::transplantEach(*photos, params, kSeed, options, cancel.get());
            if (results.empty()) {
                r.cancelled = true;
                return r;
            }
            for (std::size_t i = 0; i < results.size(); ++i) {
                QImage plain, outlined;
                makeTiles(results[i], plain, outlined);
                r.tiles.append(plain);
                r.outlined.append(outlined);
                const auto& a = (*photos)[i].analysis;
                r.tips.append(tr("Transplant %1 onto %2\ngrinding %3 deg, %4 px/mm%5")
                                  .arg(i)
                                  .arg(QString::fromStdString((*photos)[i].photo.name))
                                  .arg(a.grindAngleDeg, 0, 'f', 0)
                                  .arg(a.pxPerMm, 0, 'f', 0)
                                  .arg(a.pxPerMmEstimated ? tr(" (estimated)") : QString()));
            }
            r.results =
                std::make_shared<const std::vector<cg::TransplantResult>>(std::move(results));
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
        }
        return r;
    }));
}

void TransplantStrip::apply(const TransplantStripResult& r)
{
    // The photos stay valid for later changes of the same project, even from stale work.
    if (r.photosGeneration == m_photosGeneration && r.photos && !m_photos) m_photos = r.photos;
    if (r.generation != m_generation || r.cancelled) {
        m_timer->start(); // stale: do what is asked for now
        return;
    }
    m_shownGeneration = r.generation;
    if (!r.error.isEmpty()) {
        setMessage(r.error);
        Q_EMIT statusMessage(r.error);
        Q_EMIT updated();
        return;
    }
    m_results = r.results;
    m_tiles = r.tiles;
    m_outlined = r.outlined;
    for (int i = 0; i < m_tileLabels.size(); ++i)
        m_tileLabels[i]->setToolTip(r.tips.value(i));
    setMessage(tr("Transplants 0-%1 (seed %2) onto the project's OK photos (%n in all); "
                  "kizu-cli cg transplant --project P --seed %2 writes the same images.",
                  nullptr, m_okPhotos)
                   .arg(kCount - 1)
                   .arg(kSeed));
    showTiles();
    Q_EMIT updated();
}

void TransplantStrip::showTiles()
{
    for (int i = 0; i < m_tileLabels.size(); ++i) {
        const QImage img = tileImage(i);
        if (img.isNull())
            m_tileLabels[i]->clear();
        else
            m_tileLabels[i]->setPixmap(QPixmap::fromImage(img));
    }
    m_export->setEnabled(m_results && !m_results->empty());
}

QImage TransplantStrip::tileImage(int i) const
{
    return (m_showMask->isChecked() ? m_outlined : m_tiles).value(i);
}

bool TransplantStrip::busy() const
{
    return m_watcher->isRunning() || m_timer->isActive();
}

QString TransplantStrip::message() const
{
    return m_message->text();
}

void TransplantStrip::setMessage(const QString& text)
{
    m_message->setText(text);
}

bool TransplantStrip::maskShown() const
{
    return m_showMask->isChecked();
}

void TransplantStrip::setMaskShown(bool on)
{
    m_showMask->setChecked(on);
}

bool TransplantStrip::exportSheet(const QString& file, QString* error)
{
    if (!m_results || !m_photos || m_results->empty()) {
        if (error) *error = tr("There are no transplants to export yet.");
        return false;
    }
    try {
        std::vector<cv::Mat> photos;
        for (const auto& p : *m_photos)
            photos.push_back(p.image);
        const cv::Mat sheet = cg::transplantSheet(photos, *m_results);
        std::vector<std::uint8_t> bytes;
        if (!cv::imencode(".png", sheet, bytes, {cv::IMWRITE_PNG_COMPRESSION, 6}))
            throw kizu::FormatError("Could not encode the contact sheet.");
        kizu::writeFileAtomic(file.toStdString(), std::string(bytes.begin(), bytes.end()));
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

void TransplantStrip::exportSheetDialog()
{
    QString file = QFileDialog::getSaveFileName(this, tr("Export contact sheet"),
                                                QStringLiteral("cg_transplants.png"),
                                                tr("PNG images (*.png)"));
    if (file.isEmpty()) return;
    if (!file.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive)) file += QStringLiteral(".png");
    QString error;
    if (exportSheet(file, &error))
        Q_EMIT statusMessage(tr("Saved %1").arg(file));
    else
        Q_EMIT statusMessage(error);
}

} // namespace kizu::ui
