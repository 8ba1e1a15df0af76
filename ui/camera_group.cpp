#include "ui/camera_group.h"

#include "core/common/error.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace kizu::ui {
namespace {
// A box whose lowest value stands for "the camera's own" (an unset setting).
QDoubleSpinBox* valueBox(double unset, double max, int decimals, const QString& suffix,
                         const QString& tip)
{
    auto* b = new QDoubleSpinBox;
    b->setRange(unset, max);
    b->setDecimals(decimals);
    b->setSuffix(suffix);
    b->setSpecialValueText(QObject::tr("camera"));
    b->setValue(unset);
    b->setToolTip(tip);
    b->setKeyboardTracking(false);
    return b;
}

std::optional<double> valueOf(const QDoubleSpinBox* b)
{
    if (b->value() <= b->minimum()) return std::nullopt;
    return b->value();
}

void setValue(QDoubleSpinBox* b, const std::optional<double>& v)
{
    b->setValue(v ? *v : b->minimum());
}
} // namespace

CameraGroup::CameraGroup(QWidget* parent) : QGroupBox(tr("Camera"), parent)
{
    setObjectName(QStringLiteral("cameraGroup"));
    setToolTip(tr("Settings of the station's camera, saved in the project as its station "
                  "profile and applied when inspection starts. \"camera\" keeps the camera's own "
                  "value. A value outside the camera's range stops the run with the range."));
    m_exposure = valueBox(0, 10'000'000, 0, tr(" µs"), tr("Exposure time (GenICam ExposureTime)"));
    m_gain = valueBox(-1, 100, 1, tr(" dB"), tr("Gain (GenICam Gain; dB on most cameras)"));
    m_fps = valueBox(0, 1000, 1, tr(" fps"),
                     tr("Frame rate in free run; with the software trigger, the trigger rate"));
    m_pixelFormat = new QComboBox;
    m_pixelFormat->setEditable(true);
    m_pixelFormat->addItems({QString(), QStringLiteral("Mono8"), QStringLiteral("BayerRG8"),
                             QStringLiteral("RGB8"), QStringLiteral("Mono16")});
    m_pixelFormat->lineEdit()->setPlaceholderText(tr("camera"));
    m_pixelFormat->setToolTip(tr("Pixel format (GenICam PixelFormat); empty keeps the camera's"));
    m_trigger = new QComboBox;
    m_trigger->setToolTip(tr("Free run; Software: the station triggers each frame (on the PLC's "
                             "trigger when the line handshake is on, else at the frame rate); "
                             "Line N: a hardware trigger on the camera's input line"));
    m_trigger->addItem(tr("Free run"), QStringLiteral("free")); // also when none is stored
    m_trigger->addItem(tr("Software"), QStringLiteral("software"));
    for (int k = 0; k < 4; ++k)
        m_trigger->addItem(tr("Line %1").arg(k), QStringLiteral("Line%1").arg(k));
    m_edge = new QComboBox;
    m_edge->addItem(tr("camera"), QString());
    m_edge->addItem(tr("Rising"), QStringLiteral("rising"));
    m_edge->addItem(tr("Falling"), QStringLiteral("falling"));
    m_edge->setToolTip(
        tr("Edge of the line signal that starts a frame (GenICam TriggerActivation)"));
    m_delay = valueBox(-1, 10'000'000, 0, tr(" µs"),
                       tr("Delay from the line edge to the exposure (GenICam TriggerDelay)"));

    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(6, 2, 6, 4);
    auto add = [&](const QString& label, QWidget* w) {
        auto* l = new QLabel(label);
        l->setBuddy(w);
        row->addWidget(l);
        row->addWidget(w);
        row->addSpacing(6);
    };
    add(tr("E&xposure"), m_exposure);
    add(tr("&Gain"), m_gain);
    add(tr("&Rate"), m_fps);
    add(tr("&Pixels"), m_pixelFormat);
    add(tr("&Trigger"), m_trigger);
    add(tr("Edge"), m_edge);
    add(tr("Delay"), m_delay);
    row->addStretch(1);
    connect(m_trigger, &QComboBox::currentIndexChanged, this, &CameraGroup::updateEnabled);
    updateEnabled();
}

void CameraGroup::updateEnabled()
{
    // Edge and delay belong to a line trigger.
    const bool line = m_trigger->currentData().toString().startsWith(QLatin1String("Line"));
    m_edge->setEnabled(line);
    m_delay->setEnabled(line);
}

camera::CameraSettings CameraGroup::settings() const
{
    camera::CameraSettings s;
    s.exposureUs = valueOf(m_exposure);
    s.gain = valueOf(m_gain);
    s.frameRate = valueOf(m_fps);
    if (const QString pf = m_pixelFormat->currentText().trimmed(); !pf.isEmpty())
        s.pixelFormat = pf.toStdString();
    if (const QString t = m_trigger->currentData().toString(); t != QLatin1String("free"))
        s.trigger = camera::normaliseTrigger(t.toStdString());
    if (s.trigger && s.trigger->rfind("Line", 0) == 0) {
        if (const QString e = m_edge->currentData().toString(); !e.isEmpty())
            s.triggerEdge = e.toStdString();
        s.triggerDelayUs = valueOf(m_delay);
    }
    return s;
}

void CameraGroup::setSettings(const camera::CameraSettings& s)
{
    setValue(m_exposure, s.exposureUs);
    setValue(m_gain, s.gain);
    setValue(m_fps, s.frameRate);
    m_pixelFormat->setCurrentText(QString::fromStdString(s.pixelFormat.value_or("")));
    const QString trigger = QString::fromStdString(s.trigger.value_or("free"));
    int k = m_trigger->findData(trigger);
    if (k < 0) { // a line beyond those listed
        m_trigger->addItem(trigger, trigger);
        k = m_trigger->count() - 1;
    }
    m_trigger->setCurrentIndex(k);
    m_edge->setCurrentIndex(
        std::max(0, m_edge->findData(QString::fromStdString(s.triggerEdge.value_or("")))));
    setValue(m_delay, s.triggerDelayUs);
    updateEnabled();
}

} // namespace kizu::ui
