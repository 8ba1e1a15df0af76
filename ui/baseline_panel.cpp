#include "ui/baseline_panel.h"

#include "core/baseline/baseline_eval.h"
#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"
#include "core/imaging/image_io.h"
#include "ui/conversions.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace kizu::ui {

using namespace kizu::baseline;

// Paints an image scaled to fit, keeping its aspect ratio.
class BaselineImageView : public QWidget {
public:
    explicit BaselineImageView(QWidget* parent = nullptr) : QWidget(parent)
    {
        setMinimumSize(320, 160);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }
    void setImage(const QImage& image)
    {
        m_image = image;
        update();
    }
    void setText(const QString& text)
    {
        m_text = text;
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.fillRect(rect(), QColor(40, 40, 40));
        if (!m_image.isNull()) {
            QSize s = m_image.size().scaled(size(), Qt::KeepAspectRatio);
            QRect target(QPoint((width() - s.width()) / 2, (height() - s.height()) / 2), s);
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.drawImage(target, m_image);
        } else {
            p.setPen(QColor(200, 200, 200));
            p.drawText(rect(), Qt::AlignCenter, m_text);
        }
    }

private:
    QImage m_image;
    QString m_text = tr("No image");
};

namespace {

constexpr int kSliderSteps = 1000;

int sliderFor(const ParamSpec& s, double v)
{
    return int(std::lround((std::clamp(v, s.min, s.max) - s.min) / (s.max - s.min) * kSliderSteps));
}

double valueFor(const ParamSpec& s, int pos)
{
    return s.min + (s.max - s.min) * pos / kSliderSteps;
}

} // namespace

BaselinePanel::BaselinePanel(QWidget* parent) : QWidget(parent)
{
    m_pool.setMaxThreadCount(2); // one preview, one tune
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(40);
    connect(m_debounce, &QTimer::timeout, this, &BaselinePanel::process);
    buildUi();
    setParams(BaselineParams{});
}

BaselinePanel::~BaselinePanel()
{
    m_cancelToken.cancel();
    m_pool.waitForDone();
}

void BaselinePanel::buildUi()
{
    auto* root = new QHBoxLayout(this);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    root->addWidget(splitter);

    // Left: parameters and tuning.
    auto* left = new QWidget(splitter);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(left);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(buildParamEditors());
    leftLayout->addWidget(scroll, 1);

    auto* fileRow = new QHBoxLayout;
    auto* load = new QPushButton(tr("Load..."), left);
    auto* save = new QPushButton(tr("Save..."), left);
    auto* reset = new QPushButton(tr("Defaults"), left);
    load->setToolTip(tr("Load parameters from a JSON file"));
    save->setToolTip(tr("Save these parameters as JSON (for kizu-cli baseline eval --params)"));
    connect(load, &QPushButton::clicked, this, &BaselinePanel::loadParamsFile);
    connect(save, &QPushButton::clicked, this, &BaselinePanel::saveParamsFile);
    connect(reset, &QPushButton::clicked, this, &BaselinePanel::resetParams);
    fileRow->addWidget(load);
    fileRow->addWidget(save);
    fileRow->addWidget(reset);
    leftLayout->addLayout(fileRow);

    auto* tuneBox = new QGroupBox(tr("Tune on the labeled images"), left);
    auto* tuneLayout = new QGridLayout(tuneBox);
    m_trials = new QSpinBox(tuneBox);
    m_trials->setRange(1, 5000);
    m_trials->setValue(40);
    m_trials->setToolTip(tr("Image-stage candidates to try; each is scored with many blob rules"));
    m_seed = new QSpinBox(tuneBox);
    m_seed->setRange(0, 1'000'000);
    m_seed->setValue(1);
    m_tune = new QPushButton(tr("Tune"), tuneBox);
    m_tune->setToolTip(tr("Search parameters that maximise balanced accuracy on the labeled "
                          "images; the current parameters are the starting point"));
    m_cancel = new QPushButton(tr("Cancel"), tuneBox);
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar(tuneBox);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_tuneStatus = new QLabel(tr("Not tuned yet."), tuneBox);
    m_tuneStatus->setWordWrap(true);
    tuneLayout->addWidget(new QLabel(tr("Trials"), tuneBox), 0, 0);
    tuneLayout->addWidget(m_trials, 0, 1);
    tuneLayout->addWidget(new QLabel(tr("Seed"), tuneBox), 0, 2);
    tuneLayout->addWidget(m_seed, 0, 3);
    tuneLayout->addWidget(m_tune, 1, 0, 1, 2);
    tuneLayout->addWidget(m_cancel, 1, 2, 1, 2);
    tuneLayout->addWidget(m_progress, 2, 0, 1, 4);
    tuneLayout->addWidget(m_tuneStatus, 3, 0, 1, 4);
    connect(m_tune, &QPushButton::clicked, this, &BaselinePanel::startTune);
    connect(m_cancel, &QPushButton::clicked, this, &BaselinePanel::cancelTune);
    leftLayout->addWidget(tuneBox);

    // Right: image selector, overlay switches, verdict and the image.
    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    auto* selectRow = new QHBoxLayout;
    auto* prev = new QPushButton(QStringLiteral("\u25C0"), right);
    auto* next = new QPushButton(QStringLiteral("\u25B6"), right);
    prev->setToolTip(tr("Previous image"));
    next->setToolTip(tr("Next image"));
    prev->setFixedWidth(36);
    next->setFixedWidth(36);
    m_imageSelect = new QComboBox(right);
    m_imageSelect->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_imageSelect->setMinimumContentsLength(30);
    connect(prev, &QPushButton::clicked, this,
            [this] { setCurrentIndex(std::max(0, currentIndex() - 1)); });
    connect(next, &QPushButton::clicked, this,
            [this] { setCurrentIndex(std::min(int(m_images.size()) - 1, currentIndex() + 1)); });
    connect(m_imageSelect, &QComboBox::currentIndexChanged, this, &BaselinePanel::scheduleProcess);
    selectRow->addWidget(prev);
    selectRow->addWidget(m_imageSelect, 1);
    selectRow->addWidget(next);
    rightLayout->addLayout(selectRow);

    auto* overlayRow = new QHBoxLayout;
    m_showResponse = new QCheckBox(tr("DoG response"), right);
    m_showMask = new QCheckBox(tr("Binary mask"), right);
    m_showBlobs = new QCheckBox(tr("Deciding blobs"), right);
    m_showMask->setChecked(true);
    m_showBlobs->setChecked(true);
    for (auto* c : {m_showResponse, m_showMask, m_showBlobs}) {
        overlayRow->addWidget(c);
        connect(c, &QCheckBox::toggled, this, &BaselinePanel::scheduleProcess);
    }
    overlayRow->addStretch(1);
    rightLayout->addLayout(overlayRow);

    m_verdict = new QLabel(tr("-"), right);
    m_verdict->setAlignment(Qt::AlignCenter);
    m_verdict->setMinimumHeight(44);
    QFont f = m_verdict->font();
    f.setPointSizeF(f.pointSizeF() * 1.6);
    f.setBold(true);
    m_verdict->setFont(f);
    m_verdict->setAutoFillBackground(true);
    rightLayout->addWidget(m_verdict);
    m_details = new QLabel(right);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rightLayout->addWidget(m_details);
    m_view = new BaselineImageView(right);
    rightLayout->addWidget(m_view, 1);

    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({420, 900});
}

QWidget* BaselinePanel::buildParamEditors()
{
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    QGroupBox* groups[2] = {new QGroupBox(tr("Image stage"), box),
                            new QGroupBox(tr("Blob rules"), box)};
    QFormLayout* forms[2];
    for (int i = 0; i < 2; ++i) {
        forms[i] = new QFormLayout(groups[i]);
        forms[i]->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        layout->addWidget(groups[i]);
    }
    layout->addStretch(1);

    for (const ParamSpec& spec : paramSpecs()) {
        const QString key = QString::fromStdString(spec.key);
        QFormLayout* form = forms[spec.imageStage ? 0 : 1];
        QWidget* parent = groups[spec.imageStage ? 0 : 1];
        const QString tip = QString::fromStdString(spec.help);
        auto* label = new QLabel(QString::fromStdString(spec.label), parent);
        label->setToolTip(tip);
        label->setMinimumWidth(150); // the same column in both groups
        if (spec.kind == ParamSpec::Kind::Choice) {
            auto* combo = new QComboBox(parent);
            for (const auto& c : spec.choices)
                combo->addItem(QString::fromStdString(c));
            combo->setToolTip(tip);
            connect(combo, &QComboBox::currentIndexChanged, this,
                    [this, key] { onParamEdited(key); });
            m_editors.insert(key, combo);
            form->addRow(label, combo);
            continue;
        }
        auto* row = new QWidget(parent);
        auto* h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        auto* slider = new QSlider(Qt::Horizontal, row);
        slider->setRange(0, kSliderSteps);
        slider->setToolTip(tip);
        QAbstractSpinBox* spinBase = nullptr;
        if (spec.kind == ParamSpec::Kind::Integer) {
            auto* spin = new QSpinBox(row);
            spin->setRange(int(spec.min), int(spec.max));
            spin->setSingleStep(int(std::max(1.0, spec.step)));
            slider->setRange(int(spec.min), int(spec.max));
            connect(slider, &QSlider::valueChanged, spin, [this, spin](int v) {
                if (!m_updating) spin->setValue(v);
            });
            connect(spin, &QSpinBox::valueChanged, this, [this, slider, key](int v) {
                if (m_updating) return;
                const QSignalBlocker block(slider);
                slider->setValue(v);
                onParamEdited(key);
            });
            spinBase = spin;
        } else {
            auto* spin = new QDoubleSpinBox(row);
            spin->setRange(spec.min, spec.max);
            spin->setDecimals(spec.decimals);
            spin->setSingleStep(spec.step);
            connect(slider, &QSlider::valueChanged, spin, [this, spin, spec](int pos) {
                if (!m_updating) spin->setValue(valueFor(spec, pos));
            });
            connect(spin, &QDoubleSpinBox::valueChanged, this, [this, slider, spec, key](double v) {
                if (m_updating) return;
                const QSignalBlocker block(slider);
                slider->setValue(sliderFor(spec, v));
                onParamEdited(key);
            });
            spinBase = spin;
        }
        spinBase->setToolTip(tip);
        spinBase->setKeyboardTracking(false);
        spinBase->setMinimumWidth(82);
        h->addWidget(slider, 1);
        h->addWidget(spinBase);
        m_editors.insert(key, spinBase);
        m_sliders.insert(key, slider);
        form->addRow(label, row);
    }
    return box;
}

void BaselinePanel::setImages(const QList<BaselineImage>& images)
{
    m_images = images;
    const QSignalBlocker block(m_imageSelect);
    m_imageSelect->clear();
    for (const auto& im : images) {
        QString tag = im.label == BaselineImage::Label::Ng   ? QStringLiteral("[NG] ")
                      : im.label == BaselineImage::Label::Ok ? QStringLiteral("[OK] ")
                                                             : QStringLiteral("[ ? ] ");
        m_imageSelect->addItem(tag + QFileInfo(im.path).fileName(), im.path);
    }
    m_cachedPath.clear();
    m_cachedImage.reset();
    m_tune->setEnabled(!images.isEmpty());
    scheduleProcess();
}

void BaselinePanel::setRoi(const std::optional<kizu::imaging::Roi>& roi)
{
    const bool same = roi ? (m_roi && *m_roi == *roi) : !m_roi;
    if (same) return;
    m_roi = roi && !roi->empty() ? std::make_shared<const kizu::imaging::Roi>(*roi) : nullptr;
    m_cachedPath.clear();
    m_cachedImage.reset();
    scheduleProcess();
}

void BaselinePanel::setCurrentIndex(int index)
{
    if (index >= 0 && index < m_imageSelect->count()) m_imageSelect->setCurrentIndex(index);
}

int BaselinePanel::currentIndex() const
{
    return m_imageSelect->currentIndex();
}

void BaselinePanel::setParams(const BaselineParams& params)
{
    m_updating = true;
    m_values = params.toJson();
    const nlohmann::json& j = m_values;
    for (const ParamSpec& spec : paramSpecs()) {
        const QString key = QString::fromStdString(spec.key);
        const auto& v = j.at(spec.key);
        QWidget* w = m_editors.value(key);
        if (auto* combo = qobject_cast<QComboBox*>(w)) {
            combo->setCurrentText(QString::fromStdString(v.get<std::string>()));
        } else if (auto* ispin = qobject_cast<QSpinBox*>(w)) {
            ispin->setValue(v.get<int>());
            m_sliders.value(key)->setValue(v.get<int>());
        } else if (auto* dspin = qobject_cast<QDoubleSpinBox*>(w)) {
            // A value beyond the editor's range (set in a JSON file) widens the range.
            double d = v.get<double>();
            if (d > dspin->maximum()) dspin->setMaximum(d);
            if (d < dspin->minimum()) dspin->setMinimum(d);
            dspin->setValue(d);
            m_sliders.value(key)->setValue(sliderFor(spec, d));
        }
    }
    m_updating = false;
    onParamEdited({});
}

BaselineParams BaselinePanel::params() const
{
    return BaselineParams::fromJson(m_values);
}

void BaselinePanel::setTuneOptions(int trials, int seed)
{
    m_trials->setValue(trials);
    m_seed->setValue(seed);
}

QWidget* BaselinePanel::editor(const QString& key) const
{
    return m_editors.value(key);
}
QSlider* BaselinePanel::slider(const QString& key) const
{
    return m_sliders.value(key);
}
QString BaselinePanel::statusText() const
{
    return m_tuneStatus->text();
}

void BaselinePanel::onParamEdited(const QString& key)
{
    if (m_updating) return;
    // Only the edited value is taken from its editor, so values set by the tuner or a file
    // keep their full precision instead of the editor's rounding.
    if (!key.isEmpty()) {
        QWidget* w = m_editors.value(key);
        const std::string k = key.toStdString();
        if (auto* combo = qobject_cast<QComboBox*>(w))
            m_values[k] = combo->currentText().toStdString();
        else if (auto* ispin = qobject_cast<QSpinBox*>(w))
            m_values[k] = ispin->value();
        else if (auto* dspin = qobject_cast<QDoubleSpinBox*>(w))
            m_values[k] = dspin->value();
    }
    Q_EMIT paramsChanged();
    scheduleProcess();
}

void BaselinePanel::scheduleProcess()
{
    m_debounce->start();
}

void BaselinePanel::process()
{
    const int index = currentIndex();
    if (index < 0 || index >= m_images.size()) {
        m_view->setImage({});
        m_view->setText(tr("No images: the panel shows the images of the selected dataset."));
        return;
    }
    BaselineParams p;
    try {
        p = params();
    } catch (const kizu::Error& e) {
        showError(QString::fromStdString(e.what()));
        return;
    }
    const quint64 generation = ++m_generation;
    const QString path = m_images[index].path;
    std::shared_ptr<const cv::Mat> cached = m_cachedPath == path ? m_cachedImage : nullptr;
    OverlayOptions opt;
    opt.response = m_showResponse->isChecked();
    opt.mask = m_showMask->isChecked();
    opt.blobs = m_showBlobs->isChecked();

    (void)QtConcurrent::run(&m_pool, [this, generation, path, cached, p, opt, roi = m_roi] {
        // Drop work that a newer request has already made stale.
        if (generation != m_generation.load()) return;
        QImage image;
        QString details, error;
        bool ng = false;
        double score = 0;
        std::shared_ptr<const cv::Mat> decoded = cached;
        try {
            if (!decoded) {
                cv::Mat m = kizu::imaging::readImage(path.toStdString());
                if (roi) m = kizu::imaging::applyRoi(m, *roi);
                decoded = std::make_shared<const cv::Mat>(std::move(m));
            }
            BaselineResult r = runBaseline(*decoded, p, true);
            ng = r.ng;
            score = r.score;
            image = toQImage(renderOverlay(*decoded, r, opt));
            details = tr("%1, %2 analysed")
                          .arg(tr("%n component(s)", nullptr, int(r.componentCount)))
                          .arg(r.blobs.size());
            if (r.decidingBlob >= 0) {
                const Blob& b = r.blobs[std::size_t(r.decidingBlob)];
                details += tr(" - deciding blob #%1 at (%2, %3): area %4 px\u00B2, length %5, "
                              "width %6, elongation %7, angle %8\u00B0, contrast %9")
                               .arg(r.decidingBlob)
                               .arg(b.centroid.x, 0, 'f', 0)
                               .arg(b.centroid.y, 0, 'f', 0)
                               .arg(b.area, 0, 'f', 0)
                               .arg(b.length, 0, 'f', 1)
                               .arg(b.width, 0, 'f', 1)
                               .arg(b.elongation, 0, 'f', 2)
                               .arg(b.angle, 0, 'f', 1)
                               .arg(b.contrast, 0, 'f', 1);
            }
        } catch (const kizu::Error& e) {
            error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            error = tr("Unexpected error: %1").arg(QString::fromUtf8(e.what()));
        }
        QMetaObject::invokeMethod(
            this,
            [this, generation, image, ng, score, details, error, path, decoded, roi] {
                // Cached only when cut to the region still in force.
                if (decoded && error.isEmpty() && roi == m_roi) {
                    m_cachedPath = path;
                    m_cachedImage = decoded;
                }
                showResult(generation, image, ng, score, details, error);
            },
            Qt::QueuedConnection);
    });
}

void BaselinePanel::showResult(quint64 generation, const QImage& image, bool ng, double score,
                               const QString& details, const QString& error)
{
    if (generation != m_generation) return; // stale
    if (!error.isEmpty()) {
        showError(error);
        return;
    }
    m_hasResult = true;
    m_lastNg = ng;
    m_lastScore = score;
    QPalette pal = m_verdict->palette();
    pal.setColor(QPalette::Window, ng ? QColor(190, 30, 30) : QColor(30, 140, 60));
    pal.setColor(QPalette::WindowText, Qt::white);
    m_verdict->setPalette(pal);
    double threshold = 1.0;
    try {
        threshold = params().scoreThreshold;
    } catch (const kizu::Error&) {
    }
    QString text = tr("%1   score %2 (NG from %3)")
                       .arg(ng ? tr("NG") : tr("OK"))
                       .arg(score, 0, 'f', 3)
                       .arg(threshold, 0, 'f', 2);
    const int index = currentIndex();
    if (index >= 0 && index < m_images.size() &&
        m_images[index].label != BaselineImage::Label::Unknown) {
        const bool labelNg = m_images[index].label == BaselineImage::Label::Ng;
        text += labelNg == ng ? tr("   \u2713 labeled %1").arg(labelNg ? tr("NG") : tr("OK"))
                              : tr("   \u2717 labeled %1").arg(labelNg ? tr("NG") : tr("OK"));
    }
    m_verdict->setText(text);
    m_details->setText(details);
    m_view->setImage(image);
    Q_EMIT resultReady(ng, score);
}

void BaselinePanel::showError(const QString& message)
{
    QPalette pal = m_verdict->palette();
    pal.setColor(QPalette::Window, QColor(200, 140, 0));
    pal.setColor(QPalette::WindowText, Qt::black);
    m_verdict->setPalette(pal);
    m_verdict->setText(tr("Cannot run the baseline"));
    m_details->setText(message);
}

void BaselinePanel::startTune()
{
    if (m_tuning) return;
    std::vector<LabeledImage> labeled;
    int ngCount = 0;
    for (const auto& im : m_images) {
        if (im.label == BaselineImage::Label::Unknown) continue;
        labeled.push_back({im.path.toStdString(), im.label == BaselineImage::Label::Ng, {}, m_roi});
        ngCount += im.label == BaselineImage::Label::Ng;
    }
    if (ngCount == 0 || ngCount == int(labeled.size())) {
        m_tuneStatus->setText(tr("Tuning needs labeled OK and NG images (have %1 OK, %2 NG).")
                                  .arg(int(labeled.size()) - ngCount)
                                  .arg(ngCount));
        return;
    }
    TuneOptions opt;
    try {
        opt.start = params();
    } catch (const kizu::Error& e) {
        m_tuneStatus->setText(QString::fromStdString(e.what()));
        return;
    }
    opt.trials = m_trials->value();
    opt.seed = std::uint64_t(m_seed->value());
    m_cancelToken.reset();
    m_tuning = true;
    m_tune->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setRange(0, 0);
    m_tuneStatus->setText(tr("Decoding %n image(s)...", nullptr, int(labeled.size())));

    (void)QtConcurrent::run(&m_pool, [this, labeled, opt] {
        BaselineParams best = opt.start;
        QString summary, error;
        bool cancelled = false;
        try {
            TuneReport rep = tuneBaseline(
                labeled, opt,
                [this](const kizu::Progress& pr) {
                    const int done = int(pr.done), total = int(pr.total);
                    const QString stage = QString::fromStdString(pr.stage);
                    const QString item = QString::fromStdString(pr.item);
                    QMetaObject::invokeMethod(
                        this,
                        [this, done, total, stage, item] {
                            if (!m_tuning) return;
                            m_progress->setRange(0, std::max(1, total));
                            m_progress->setValue(done);
                            m_tuneStatus->setText(
                                stage == QLatin1String("tune")
                                    ? tr("Trial %1 of %2: %3").arg(done).arg(total).arg(item)
                                    : tr("Decoding %1 of %2").arg(done).arg(total));
                            Q_EMIT tuneProgress(done, total);
                        },
                        Qt::QueuedConnection);
                },
                &m_cancelToken);
            best = rep.best;
            cancelled = rep.cancelled;
            summary = tr("%1 after %2 in %3 s. Balanced accuracy on these images: %4 "
                         "(was %5), accuracy %6, AUC %7.")
                          .arg(cancelled ? tr("Cancelled") : tr("Done"))
                          .arg(tr("%n trial(s)", nullptr, int(rep.trials)))
                          .arg(rep.seconds, 0, 'f', 1)
                          .arg(rep.train.balancedAccuracy, 0, 'f', 3)
                          .arg(rep.start.balancedAccuracy, 0, 'f', 3)
                          .arg(rep.train.accuracy, 0, 'f', 3)
                          .arg(rep.train.auc, 0, 'f', 3);
            if (cancelled && rep.train.total() == 0)
                summary = tr("Cancelled; parameters unchanged.");
        } catch (const kizu::Error& e) {
            error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            error = tr("Unexpected error: %1").arg(QString::fromUtf8(e.what()));
        }
        QMetaObject::invokeMethod(
            this,
            [this, best, summary, cancelled, error] {
                onTuneDone(best, summary, cancelled, error);
            },
            Qt::QueuedConnection);
    });
}

void BaselinePanel::cancelTune()
{
    if (!m_tuning) return;
    m_cancelToken.cancel();
    m_tuneStatus->setText(tr("Cancelling..."));
}

void BaselinePanel::onTuneDone(const BaselineParams& best, const QString& summary, bool cancelled,
                               const QString& error)
{
    m_tuning = false;
    m_tune->setEnabled(true);
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(cancelled ? 0 : 1);
    if (!error.isEmpty()) {
        m_tuneStatus->setText(tr("Tuning failed: %1").arg(error));
    } else {
        m_tuneStatus->setText(summary);
        if (!(best == params())) setParams(best);
    }
    Q_EMIT tuneFinished(cancelled);
}

void BaselinePanel::loadParamsFile()
{
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Load baseline parameters"), {}, tr("JSON (*.json)"));
    if (file.isEmpty()) return;
    try {
        setParams(BaselineParams::load(file.toStdString()));
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Load parameters"), QString::fromStdString(e.what()));
    }
}

void BaselinePanel::saveParamsFile()
{
    QString file = QFileDialog::getSaveFileName(
        this, tr("Save baseline parameters"), QStringLiteral("baseline.json"), tr("JSON (*.json)"));
    if (file.isEmpty()) return;
    try {
        params().save(file.toStdString());
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Save parameters"), QString::fromStdString(e.what()));
    }
}

void BaselinePanel::resetParams()
{
    setParams(BaselineParams{});
}

} // namespace kizu::ui
