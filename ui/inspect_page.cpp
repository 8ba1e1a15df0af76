#include "ui/inspect_page.h"

#include "core/common/error.h"
#include "core/imaging/barcode.h"
#include "core/inspect/inspection_runner.h"
#include "core/inspect/station_profile.h"
#include "core/line/line_config.h"
#include "core/project/project_store.h"
#include "ui/baseline_tune_offer.h"
#include "ui/camera_group.h"
#include "ui/line_settings_dialog.h"
#include "ui/model_overlay.h"
#include "ui/results_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QShortcut>
#include <QTabWidget>
#include <QTableWidget>
#include <QThreadPool>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace kizu::ui {

namespace {
QString stateText(inspect::State s)
{
    switch (s) {
    case inspect::State::Ok:
        return InspectPage::tr("OK");
    case inspect::State::Ng:
        return InspectPage::tr("NG");
    case inspect::State::Fault:
        return InspectPage::tr("FAULT");
    case inspect::State::Dropped:
        return InspectPage::tr("DROPPED");
    }
    return {};
}
} // namespace

// Paints the current frame (and optional heatmap), scaled to fit, keeping its aspect ratio.
class FrameView : public QWidget {
public:
    explicit FrameView(QWidget* parent = nullptr) : QWidget(parent)
    {
        setMinimumSize(320, 240);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }
    void setFrame(const QImage& frame, const QImage& heat, inspect::State state)
    {
        m_frame = frame;
        m_heat = heat;
        m_state = state;
        update();
    }
    const QImage& frame() const { return m_frame; }
    bool hasHeat() const { return !m_heat.isNull(); }
    std::optional<inspect::State> state() const
    {
        if (m_frame.isNull()) return std::nullopt;
        return m_state;
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.fillRect(rect(), QColor(24, 26, 30));
        if (m_frame.isNull()) {
            p.setPen(QColor(150, 150, 150));
            p.drawText(rect(), Qt::AlignCenter,
                       tr("No live image. Choose a source and press Start (F5)."));
            return;
        }
        QSize s = m_frame.size().scaled(size() - QSize(16, 16), Qt::KeepAspectRatio);
        QRect target(QPoint((width() - s.width()) / 2, (height() - s.height()) / 2), s);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(target, m_frame);
        if (!m_heat.isNull()) p.drawImage(target, m_heat);
        const QColor edge = m_state == inspect::State::Ng      ? QColor(220, 50, 47)
                            : m_state == inspect::State::Fault ? QColor(230, 160, 0)
                                                               : QColor(60, 170, 80);
        p.setPen(QPen(edge, 4));
        p.drawRect(target.adjusted(-2, -2, 2, 2));
    }

private:
    QImage m_frame, m_heat;
    inspect::State m_state = inspect::State::Ok;
};

InspectPage::InspectPage(QWidget* parent) : QWidget(parent), m_pipeline(new InspectPipeline(this))
{
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Source:")));
    m_source = new QComboBox;
    m_source->setEditable(true);
    m_source->setMinimumWidth(320);
    m_source->setToolTip(tr("aravis:ID or IP (GigE/USB3 Vision), v4l2:N (USB camera), "
                            "video:FILE, rtsp://..., gst:PIPELINE, folder:DIR?fps=10&loop=1"));
    // The forms a source takes, where the user types it (the tooltip alone hides them).
    m_source->lineEdit()->setPlaceholderText(
        tr("aravis:IP  ·  v4l2:0  ·  video:FILE  ·  rtsp://…  ·  folder:DIR?fps=10"));
    top->addWidget(m_source, 1);
    m_findCameras = new QPushButton(tr("Find cameras"));
    m_findCameras->setToolTip(tr("Look for GigE Vision / USB3 Vision cameras (Aravis) and "
                                 "USB cameras (/dev/video*) and add them to the Source box"));
    auto* refresh = m_findCameras;
    auto* folder = new QPushButton(tr("Replay folder..."));
    top->addWidget(refresh);
    top->addWidget(folder);
    top->addSpacing(16);
    top->addWidget(new QLabel(tr("Method:")));
    m_method = new QComboBox;
    m_method->setObjectName(QStringLiteral("inspectMethod"));
    m_method->setMinimumWidth(220);
    m_method->setToolTip(tr("The active model (Train page) or the classical baseline"));
    top->addWidget(m_method);
    top->addSpacing(16);
    m_start = new QPushButton(tr("Start (F5)"));
    m_stop = new QPushButton(tr("Stop (Esc)"));
    m_stop->setEnabled(false);
    top->addWidget(m_start);
    top->addWidget(m_stop);
    m_lineButton = new QPushButton(tr("Line..."));
    m_lineButton->setToolTip(tr("Line outputs of this project: a Modbus TCP server for the PLC and "
                                "MQTT publishing for the MES (off by default)"));
    m_lineButton->setEnabled(false);
    top->addWidget(m_lineButton);

    m_camera = new CameraGroup;

    m_view = new FrameView;
    m_cameraText = new QLabel;
    m_cameraText->setWordWrap(true);
    m_cameraText->setVisible(false);
    m_tuneOffer = new BaselineTuneOffer;

    m_banner = new QLabel(tr("IDLE"));
    m_banner->setAlignment(Qt::AlignCenter);
    m_banner->setMinimumHeight(120);
    m_bannerDetail = new QLabel;
    m_bannerDetail->setAlignment(Qt::AlignCenter);
    m_bannerDetail->setWordWrap(true);
    m_stats = new QLabel;
    m_stats->setTextFormat(Qt::RichText);
    m_heatmap = new QCheckBox(tr("%1 overlay (H)").arg(overlayName(false)));
    m_second = new QCheckBox(tr("Also show the baseline's verdict"));
    m_second->setVisible(false);
    m_second->setToolTip(
        tr("Judge each frame with this method too; shown beside the verdict "
           "and in the Baseline column. Takes effect at once, also while running."));
    auto* capture = new QPushButton(tr("Capture (C)"));
    auto* captureOk = new QPushButton(tr("Capture as OK"));
    auto* captureNg = new QPushButton(tr("Capture as NG"));
    capture->setToolTip(tr("Store the frame on screen in the project, unlabeled"));
    m_log = new QTableWidget(0, 5);
    m_log->setHorizontalHeaderLabels({tr("Time"), tr("Frame"), tr("Verdict"), tr("Score"), tr("Baseline")});
    m_log->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_log->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_log->verticalHeader()->setDefaultSectionSize(22);
    m_log->verticalHeader()->setVisible(false);
    m_log->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_log->setSelectionMode(QAbstractItemView::NoSelection);

    auto* side = new QVBoxLayout;
    side->addWidget(m_banner);
    side->addWidget(m_bannerDetail);
    side->addWidget(m_stats);
    m_lineStatus = new QLabel;
    m_lineStatus->setWordWrap(true);
    m_lineStatus->setVisible(false);
    side->addWidget(m_lineStatus);
    m_diskWarning = new QLabel;
    m_diskWarning->setObjectName(QStringLiteral("inspectDiskWarning"));
    m_diskWarning->setWordWrap(true);
    m_diskWarning->setStyleSheet(QStringLiteral("color: #d68910; font-weight: bold;"));
    m_diskWarning->setVisible(false);
    side->addWidget(m_diskWarning);
    side->addWidget(m_heatmap);
    side->addWidget(m_second);
    auto* caps = new QHBoxLayout;
    caps->addWidget(capture);
    caps->addWidget(captureOk);
    caps->addWidget(captureNg);
    side->addLayout(caps);
    side->addWidget(new QLabel(tr("Results")));
    side->addWidget(m_log, 1);
    auto* sideWidget = new QWidget;
    sideWidget->setLayout(side);
    sideWidget->setFixedWidth(380);

    auto* live = new QWidget;
    auto* body = new QHBoxLayout(live);
    body->setContentsMargins(0, 0, 0, 0);
    body->addWidget(m_view, 1);
    body->addWidget(sideWidget);
    m_results = new ResultsView;
    m_tabs = new QTabWidget;
    m_tabs->addTab(live, tr("Live"));
    m_tabs->addTab(m_results, tr("Results"));
    auto* root = new QVBoxLayout(this);
    root->addLayout(top);
    root->addWidget(m_camera);
    root->addWidget(m_cameraText);
    root->addWidget(m_tuneOffer);
    root->addWidget(m_tabs, 1);
    setBanner(tr("IDLE"), QStringLiteral("#7f8c8d"), tr("Not inspecting"));
    onStats({});

    connect(m_lineButton, &QPushButton::clicked, this, &InspectPage::editLineSettings);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int k) {
        if (m_tabs->widget(k) == m_results) m_results->refresh();
    });
    connect(m_start, &QPushButton::clicked, this, &InspectPage::startInspection);
    connect(m_stop, &QPushButton::clicked, this, &InspectPage::stopInspection);
    connect(refresh, &QPushButton::clicked, this, &InspectPage::refreshCameras);
    connect(folder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder to replay"));
        if (!dir.isEmpty()) setSourceUri(QStringLiteral("folder:%1?fps=10&loop=1").arg(dir));
    });
    connect(capture, &QPushButton::clicked, this,
            [this] { captureCurrent(project::Label::Unlabeled); });
    connect(captureOk, &QPushButton::clicked, this, [this] { captureCurrent(project::Label::Ok); });
    connect(captureNg, &QPushButton::clicked, this, [this] { captureCurrent(project::Label::Ng); });
    connect(m_method, &QComboBox::currentIndexChanged, this, &InspectPage::updateOverlayText);
    // The Results tab draws a result's heat map with the method chosen here.
    connect(m_method, &QComboBox::currentIndexChanged, this, [this](int k) {
        m_results->setClassifierSource(k >= 0 && k < m_factories.size() ? m_factories[k]
                                                                        : ClassifierFactory());
    });
    connect(m_heatmap, &QCheckBox::toggled, this, [this](bool on) { m_pipeline->setHeatmapEnabled(on); });
    connect(m_second, &QCheckBox::toggled, this,
            [this](bool on) { m_pipeline->setSecondEnabled(on); });
    // A frame of the previous source is not this source's: typing another source clears it.
    connect(m_source, &QComboBox::currentTextChanged, this, [this] {
        if (!m_pipeline->isRunning()) clearView();
    });
    connect(m_pipeline, &InspectPipeline::resultReady, this, &InspectPage::onResult);
    connect(m_pipeline, &InspectPipeline::statsChanged, this, &InspectPage::onStats);
    connect(m_pipeline, &InspectPipeline::stopped, this, [this] {
        stopLineOutputs();
        m_start->setEnabled(true);
        m_stop->setEnabled(false);
        m_camera->setEnabled(!m_stationLocked);
        m_second->setEnabled(true);
        m_second->setToolTip(tr("Judge each frame with this method too; shown beside the verdict "
                                "and in the Baseline column. Takes effect at once, also while "
                                "running."));
        // A source that gave up after a fault keeps FAULT on the banner; any other end is IDLE.
        if (m_last.state != inspect::State::Fault)
            setBanner(tr("IDLE"), QStringLiteral("#7f8c8d"), tr("Stopped"));
        if (m_keptSinceNotice) {
            m_keptSinceNotice = false;
            Q_EMIT projectDataChanged();
        }
    });
    auto shortcut = [this](QKeySequence key, auto fn) {
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, fn);
    };
    shortcut(QKeySequence(Qt::Key_F5), [this] { startInspection(); });
    shortcut(QKeySequence(Qt::Key_Escape), [this] {
        if (m_stationLocked && !m_pipeline->isRunning()) Q_EMIT leaveStationRequested();
        else stopInspection();
    });
    shortcut(QKeySequence(Qt::Key_C), [this] { captureCurrent(project::Label::Unlabeled); });
    shortcut(QKeySequence(Qt::Key_H), [this] { m_heatmap->toggle(); });
}

InspectPage::~InspectPage()
{
    // Nothing reacts to the end of a run while the page is being taken apart.
    m_pipeline->blockSignals(true);
    m_pipeline->stop();
    stopLineOutputs();
}

void InspectPage::setProject(kizu::project::ProjectStore* store)
{
    m_store = store;
    m_tuneOffer->setProject(store);
    m_results->setProject(store);
    m_lineButton->setEnabled(store != nullptr);
    // The station profile of this project (docs/camera.md).
    m_camera->setSettings(store ? inspect::loadCameraProfile(*store) : camera::CameraSettings{});
}

void InspectPage::setStationLocked(bool locked)
{
    m_stationLocked = locked;
    m_method->setEnabled(!locked);
    m_method->setToolTip(locked ? tr("Locked in station mode: the engineer PIN unlocks it")
                                : tr("The active model (Train page) or the classical baseline"));
    m_lineButton->setVisible(!locked);
    m_tuneOffer->setEnabled(!locked);
    // The camera settings are the engineer's too; while a run goes they stay locked anyway.
    m_camera->setEnabled(!locked && m_start->isEnabled());
}

void InspectPage::editLineSettings()
{
    if (!m_store) return;
    LineSettingsDialog dialog(line::loadLineConfig(*m_store), this);
    if (dialog.exec() != QDialog::Accepted) return;
    try {
        line::saveLineConfig(*m_store, dialog.config());
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot save the line outputs"), QString::fromStdString(e.what()));
    }
}

void InspectPage::stopLineOutputs()
{
    if (!m_line) return;
    m_line->modbus.reset(); // frees its port at once, for the next Start
    // MQTT sends what is queued and "offline" (up to a few seconds): not on the GUI thread.
    if (m_line->mqtt) {
        std::shared_ptr<line::MqttPublisher> mqtt(std::move(m_line->mqtt));
        QThreadPool::globalInstance()->start([mqtt]() mutable { mqtt.reset(); });
    }
    m_line.reset();
    m_lineStatus->setVisible(false);
}

QString InspectPage::lineStatusText() const
{
    if (!m_line) return {};
    QStringList parts;
    if (m_line->modbus) {
        const auto st = m_line->modbus->stats();
        parts << tr("Modbus %1: %2 requests, %3 triggers")
                     .arg(QString::fromStdString(m_line->modbus->address()))
                     .arg(st.requests)
                     .arg(st.triggers);
    }
    if (m_line->mqtt) {
        const auto st = m_line->mqtt->stats();
        parts << (st.connected ? tr("MQTT connected: %1 sent").arg(st.published)
                               : tr("MQTT not connected (retrying): %1 waiting").arg(st.published))
                     + (st.dropped ? tr(", %1 dropped").arg(st.dropped) : QString());
    }
    return parts.join(QStringLiteral("\n"));
}

QImage InspectPage::shownFrame() const
{
    return m_view->frame();
}
bool InspectPage::heatmapOnScreen() const
{
    return m_view->hasHeat();
}
std::optional<inspect::State> InspectPage::shownBorder() const
{
    return m_view->state();
}
QString InspectPage::cameraSearchText() const
{
    return m_cameraText->text();
}

void InspectPage::clearView()
{
    m_last = {};
    m_view->setFrame({}, {}, inspect::State::Ok);
}

void InspectPage::clearMethods()
{
    m_factories.clear();
    m_overlays.clear();
    m_method->clear();
}

void InspectPage::addMethod(const QString& name, ClassifierFactory factory, bool defectMap)
{
    addMethod(name, std::move(factory), defectMap ? Overlay::DefectMap : Overlay::Heatmap);
}

void InspectPage::addMethod(const QString& name, ClassifierFactory factory, Overlay overlay)
{
    m_factories.append(std::move(factory));
    m_overlays.append(overlay);
    m_method->addItem(name);
    updateOverlayText();
}

void InspectPage::updateOverlayText()
{
    const int k = m_method->currentIndex();
    const Overlay overlay = k >= 0 && k < m_overlays.size() ? m_overlays[k] : Overlay::Heatmap;
    m_heatmap->setText(tr("%1 overlay (H)").arg(overlayName(overlay)));
    switch (overlay) {
    case Overlay::DefectMap:
        m_heatmap->setToolTip(tr("The model's defect map over the frame: the probability of a "
                                 "defect at each place, blue 0 to red 1"));
        break;
    case Overlay::AnomalyMap:
        m_heatmap->setToolTip(tr("The model's anomaly map over the frame: how unlike the OK "
                                 "photos it learned from each place is; from the middle of the "
                                 "scale (0.5) on, the place would make the part NG"));
        break;
    case Overlay::Heatmap:
        m_heatmap->setToolTip(tr("Where the method sees NG over the frame (a model's class "
                                 "activation map, the baseline's deciding blobs)"));
        break;
    }
}

QString InspectPage::overlayText() const
{
    return m_heatmap->text();
}

void InspectPage::setClassifierFactory(ClassifierFactory factory, const QString& methodName)
{
    clearMethods();
    addMethod(methodName, std::move(factory));
}

void InspectPage::setSecondFactory(ClassifierFactory factory, const QString& name)
{
    m_secondFactory = std::move(factory);
    m_second->setText(tr("Also show the verdict of: %1").arg(name));
    m_second->setVisible(bool(m_secondFactory));
}

void InspectPage::setSecondEnabled(bool on) { m_second->setChecked(on); }
void InspectPage::setHeatmapShown(bool on) { m_heatmap->setChecked(on); }

void InspectPage::setSourceUri(const QString& uri)
{
    if (m_source->findText(uri) < 0) m_source->addItem(uri);
    m_source->setCurrentText(uri);
}

QString InspectPage::sourceUri() const { return m_source->currentText().trimmed(); }

QString InspectPage::verdictText() const { return m_banner->text(); }

void InspectPage::refreshCameras()
{
    if (m_searching) return;
    m_searching = true;
    m_findCameras->setEnabled(false);
    m_cameraText->setText(tr("Looking for cameras..."));
    m_cameraText->setVisible(true);
    // Aravis waits for GigE Vision answers on every interface: off the GUI thread.
    auto* watcher = new QFutureWatcher<void>(this);
    auto aravis = std::make_shared<QStringList>(), names = std::make_shared<QStringList>(),
         video = std::make_shared<QStringList>();
    connect(watcher, &QFutureWatcher<void>::finished, this, [this, watcher, aravis, names, video] {
        watcher->deleteLater();
        onCamerasFound(*aravis, *names, *video);
    });
    watcher->setFuture(QtConcurrent::run([aravis, names, video] {
        try {
            for (const auto& c : camera::listCameras()) {
                aravis->append(QStringLiteral("aravis:%1").arg(QString::fromStdString(c.id)));
                names->append(
                    QStringLiteral("%1 %2 (%3 %4)")
                        .arg(QString::fromStdString(c.vendor), QString::fromStdString(c.model),
                             QString::fromStdString(c.protocol), QString::fromStdString(c.address))
                        .simplified());
            }
        } catch (const std::exception&) {
            // no Aravis cameras; the V4L2 list still helps
        }
        for (const auto& v : camera::listVideoDevices())
            video->append(QString::fromStdString(v));
    }));
}

void InspectPage::onCamerasFound(const QStringList& aravis, const QStringList& aravisNames,
                                 const QStringList& video)
{
    m_searching = false;
    m_findCameras->setEnabled(true);
    const QString current = sourceUri();
    // Entries a previous search added for devices that are gone now are taken out again.
    for (int i = m_source->count() - 1; i >= 0; --i) {
        const QString t = m_source->itemText(i);
        if ((t.startsWith(QLatin1String("aravis:")) && !aravis.contains(t)) ||
            (t.startsWith(QLatin1String("v4l2:")) && !video.contains(t) && t != current))
            m_source->removeItem(i);
    }
    for (const QString& uri : aravis + video)
        if (m_source->findText(uri) < 0) m_source->addItem(uri);
    if (!current.isEmpty()) m_source->setCurrentText(current);
    else if (!aravis.isEmpty() || !video.isEmpty())
        m_source->setCurrentText(aravis.isEmpty() ? video.first() : aravis.first());

    QStringList found;
    for (int i = 0; i < aravis.size(); ++i)
        found << QStringLiteral("<b>%1</b> %2")
                     .arg(aravis[i].toHtmlEscaped(), aravisNames.value(i).toHtmlEscaped());
    for (const QString& v : video)
        found << QStringLiteral("<b>%1</b>").arg(v);
    if (found.isEmpty()) {
        m_cameraText->setText(
            tr("No camera found: no GigE Vision or USB3 Vision camera answered (Aravis) and "
               "there is no /dev/video device. Check the cable, power and network (a GigE "
               "camera must be on this computer's subnet), or type a source: video:FILE, "
               "rtsp://..., folder:DIR."));
    } else {
        m_cameraText->setText(
            tr("Found %n camera(s): %1. They are in the Source box.", nullptr, int(found.size()))
                .arg(found.join(QStringLiteral(", "))));
    }
    Q_EMIT camerasSearched();
}

void InspectPage::startInspection()
{
    if (m_pipeline->isRunning()) return;
    std::unique_ptr<inspect::Classifier> cls, second;
    std::unique_ptr<camera::FrameSource> src;
    try {
        const int k = m_method->currentIndex();
        if (k < 0 || k >= m_factories.size())
            throw kizu::InvalidArgument("No method to inspect with: make a model active on the "
                                        "Train page, or choose the baseline.");
        cls = m_factories[k]();
        // The Camera group's settings: checked by the camera when the run opens it, and kept
        // as the project's station profile.
        const camera::CameraSettings cameraSettings = m_camera->settings();
        src = camera::openSource(sourceUri().toStdString(), cameraSettings);
        if (m_store) inspect::saveCameraProfile(*m_store, cameraSettings);
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot start inspection"), QString::fromStdString(e.what()));
        return;
    }
    // The second method is made even when unchecked, so that ticking the box during the run
    // takes effect at the next frame. When it cannot be made, the box is disabled for the run.
    QString secondError;
    if (m_secondFactory) {
        try {
            second = m_secondFactory();
        } catch (const std::exception& e) {
            secondError = QString::fromStdString(e.what());
        }
    }
    if (!secondError.isEmpty() && m_second->isChecked()) {
        QMessageBox::warning(this, tr("Cannot start inspection"), secondError);
        return;
    }
    m_second->setEnabled(secondError.isEmpty());
    if (!secondError.isEmpty())
        m_second->setToolTip(tr("Not available in this run: %1").arg(secondError));
    m_pipeline->setSecondEnabled(m_second->isChecked());
    inspect::InspectionOptions opt;
    opt.grabTimeoutMs = 1000;
    m_sessionGroup = QString::fromStdString(inspect::sessionGroup());
    opt.group = m_sessionGroup.toStdString();
    // Nothing of the previous source stays on screen: frame, border, heatmap, log and counts.
    m_log->setRowCount(0);
    clearView();
    onStats({});
    m_keptSinceNotice = false;
    m_sinceNotice.start();
    // The project's line outputs (docs/line.md), for this run.
    if (m_store) {
        const line::LineConfig lineCfg = line::loadLineConfig(*m_store);
        if (lineCfg.partCounter) opt.partCounterFrom = m_store->maxNumericPartId() + 1;
        opt.barcodePartId = lineCfg.barcode && imaging::barcodeAvailable();
        if (lineCfg.enabled()) {
            try {
                m_line = std::make_unique<line::LineOutputs>(line::startLineOutputs(lineCfg));
            } catch (const kizu::Error& e) {
                QMessageBox::warning(this, tr("Cannot start the line outputs"),
                                     tr("%1\n\nChange them with Line... or free the port.")
                                         .arg(QString::fromStdString(e.what())));
                return;
            }
            opt.sinks = m_line->sinks();
            opt.waitForTrigger = lineCfg.trigger;
            m_lineStatus->setText(lineStatusText());
            m_lineStatus->setVisible(true);
        }
    }
    const QString dir = m_store ? QString::fromStdString(m_store->dir().string()) : QString();
    m_pipeline->setHeatmapEnabled(m_heatmap->isChecked());
    m_pipeline->start(std::move(src), std::move(cls), dir, opt, 2, std::move(second));
    m_diskWarning->setVisible(false); // the new run checks the floor again
    m_start->setEnabled(false);
    m_stop->setEnabled(true);
    m_camera->setEnabled(false); // applied when the camera opens; changed again after Stop
    setBanner(tr("..."), QStringLiteral("#7f8c8d"), tr("Connecting to %1").arg(sourceUri()));
}

void InspectPage::stopInspection()
{
    m_pipeline->stop();
    stopLineOutputs();
    m_start->setEnabled(true);
    m_stop->setEnabled(false);
    m_camera->setEnabled(!m_stationLocked);
    // The operator stopped: nothing is being judged, whatever the last frame said.
    setBanner(tr("IDLE"), QStringLiteral("#7f8c8d"), tr("Stopped"));
}

bool InspectPage::captureCurrent(project::Label label)
{
    if (!m_store || m_last.frameBgr.empty()) return false;
    camera::Frame frame;
    frame.image = m_last.frameBgr;
    frame.encoded = m_last.encoded;
    if (m_sessionGroup.isEmpty()) m_sessionGroup = QString::fromStdString(inspect::sessionGroup());
    try {
        const auto id =
            inspect::keepFrame(*m_store, frame, "camera", m_sessionGroup.toStdString(), label);
        appendLog(tr("captured as image %1").arg(id), QStringLiteral("#2c3e50"));
        Q_EMIT imageCaptured(id);
        return true;
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot capture"), QString::fromStdString(e.what()));
        return false;
    }
}

void InspectPage::setBanner(const QString& text, const QString& colour, const QString& detail)
{
    m_banner->setText(text);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: %1; color: white; font-size: 56px;"
                                           " font-weight: bold; border-radius: 8px; }")
                                .arg(colour));
    m_bannerDetail->setText(detail);
}

void InspectPage::appendLog(const QString& what, const QString& colour)
{
    m_log->insertRow(0);
    auto* t = new QTableWidgetItem(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz")));
    m_log->setItem(0, 0, t);
    auto* w = new QTableWidgetItem(what);
    w->setForeground(QColor(colour));
    m_log->setItem(0, 2, w);
    while (m_log->rowCount() > 200) m_log->removeRow(m_log->rowCount() - 1);
}

QString InspectPage::diskWarningText() const
{
    return m_diskWarning->isHidden() ? QString() : m_diskWarning->text();
}

void InspectPage::onResult(const InspectResult& r)
{
    // The free-disk floor: one log line per crossing (the journal, for a station's systemd
    // unit), and a warning on the page while it lasts.
    if (!r.storageNotice.isEmpty()) {
        qWarning("kizu: %s", qPrintable(r.storageNotice));
        if (r.diskBelowFloor) m_diskWarning->setText(r.storageNotice);
    }
    if (r.diskBelowFloor == m_diskWarning->isHidden()) m_diskWarning->setVisible(r.diskBelowFloor);
    if (r.state == inspect::State::Fault) {
        setBanner(tr("FAULT"), QStringLiteral("#d68910"), r.message);
        appendLog(tr("FAULT: %1").arg(r.message), QStringLiteral("#d68910"));
        m_last.state = inspect::State::Fault;
        return;
    }
    m_last = r;
    m_view->setFrame(r.frame, r.heatmap, r.state);
    if (r.imageId >= 0) {
        m_keptSinceNotice = true;
        // The status bar's counts follow a run that keeps NG frames, a few times a minute.
        if (m_sinceNotice.elapsed() > 2000) {
            m_keptSinceNotice = false;
            m_sinceNotice.restart();
            Q_EMIT projectDataChanged();
        }
    }
    const bool ng = r.state == inspect::State::Ng;
    QString detail = tr("score %1 (threshold %2), frame %3")
                         .arg(r.score, 0, 'f', 3).arg(r.threshold, 0, 'f', 3).arg(r.sequence);
    if (r.secondState)
        detail += tr("\nbaseline: %1 (score %2)")
                      .arg(stateText(*r.secondState))
                      .arg(r.secondScore, 0, 'f', 2);
    setBanner(ng ? tr("NG") : tr("OK"), ng ? QStringLiteral("#c0392b") : QStringLiteral("#27ae60"), detail);
    m_log->insertRow(0);
    m_log->setItem(0, 0, new QTableWidgetItem(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz"))));
    m_log->setItem(0, 1, new QTableWidgetItem(QString::number(r.sequence)));
    auto* v = new QTableWidgetItem(stateText(r.state));
    v->setForeground(ng ? QColor(192, 57, 43) : QColor(39, 174, 96));
    m_log->setItem(0, 2, v);
    m_log->setItem(0, 3, new QTableWidgetItem(QString::number(r.score, 'f', 3)));
    if (r.secondState) {
        auto* b = new QTableWidgetItem(stateText(*r.secondState));
        b->setForeground(*r.secondState == inspect::State::Ng ? QColor(192, 57, 43)
                                                              : QColor(39, 174, 96));
        m_log->setItem(0, 4, b);
    }
    while (m_log->rowCount() > 200) m_log->removeRow(m_log->rowCount() - 1);
}

void InspectPage::onStats(const InspectStats& s)
{
    m_stats->setText(tr("<table cellpadding='3'>"
                        "<tr><td>Frames/s</td><td align='right'><b>%1</b></td>"
                        "<td>&nbsp;&nbsp;Latency p50 / p99</td><td align='right'><b>%2 / %3 ms</b></td></tr>"
                        "<tr><td>OK</td><td align='right'><b>%4</b></td>"
                        "<td>&nbsp;&nbsp;NG</td><td align='right'><b>%5</b></td></tr>"
                        "<tr><td>Faults</td><td align='right'><b>%6</b></td>"
                        "<td>&nbsp;&nbsp;Dropped frames</td><td align='right'><b>%7</b></td></tr>"
                        "<tr><td>Reconnects</td><td align='right'><b>%8</b></td>"
                        "<td>&nbsp;&nbsp;Lost packets</td><td align='right'><b>%9</b></td></tr></table>")
                         .arg(s.fps, 0, 'f', 1)
                         .arg(s.latencyP50Ms, 0, 'f', 1)
                         .arg(s.latencyP99Ms, 0, 'f', 1)
                         .arg(s.ok)
                         .arg(s.ng)
                         .arg(s.faults)
                         .arg(s.dropped)
                         .arg(s.reconnects)
                         .arg(s.lostPackets));
    m_stats->setToolTip(s.runtime.isEmpty() ? QString() : tr("Inference: %1").arg(s.runtime));
    if (m_line) m_lineStatus->setText(lineStatusText());
}

} // namespace kizu::ui
