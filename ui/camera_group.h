// The Inspect page's "Camera" group (docs/camera.md): exposure, gain, frame rate, pixel format
// and trigger (mode, edge, delay) of the station's camera. Each box's lowest value reads
// "camera" and leaves the camera's own value. Applied when a run starts; locked while it runs.
#pragma once

#include "core/camera/frame_source.h"

#include <QGroupBox>

class QComboBox;
class QDoubleSpinBox;
class QLabel;

namespace kizu::ui {

class CameraGroup : public QGroupBox {
    Q_OBJECT
public:
    explicit CameraGroup(QWidget* parent = nullptr);
    // What the boxes say; throws InvalidArgument for a trigger word that cannot work.
    camera::CameraSettings settings() const;
    void setSettings(const camera::CameraSettings& settings);

    QDoubleSpinBox* exposureBox() const { return m_exposure; }
    QDoubleSpinBox* gainBox() const { return m_gain; }
    QDoubleSpinBox* fpsBox() const { return m_fps; }
    QComboBox* pixelFormatBox() const { return m_pixelFormat; }
    QComboBox* triggerBox() const { return m_trigger; }
    QComboBox* edgeBox() const { return m_edge; }
    QDoubleSpinBox* delayBox() const { return m_delay; }

private:
    void updateEnabled();

    QDoubleSpinBox* m_exposure;
    QDoubleSpinBox* m_gain;
    QDoubleSpinBox* m_fps;
    QComboBox* m_pixelFormat;
    QComboBox* m_trigger;
    QComboBox* m_edge;
    QDoubleSpinBox* m_delay;
};

} // namespace kizu::ui
