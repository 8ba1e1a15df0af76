// The Inspect page's "Line outputs" settings: the project's Modbus TCP server for the PLC and
// MQTT publishing for the MES (docs/line.md), off by default; the same settings as
// `kizu-cli line`.
#pragma once

#include "core/line/line_config.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace kizu::ui {

class LineSettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit LineSettingsDialog(const line::LineConfig& config, QWidget* parent = nullptr);
    line::LineConfig config() const;
    // Checks the fields (kizu::line::validateLineConfig); empty when they are fine.
    QString problem() const;
    void accept() override;

private:
    QCheckBox* m_modbusOn;
    QLineEdit* m_modbus;
    QCheckBox* m_trigger;
    QCheckBox* m_mqttOn;
    QLineEdit* m_mqtt;
    QLineEdit* m_station;
    QComboBox* m_qos;
    QLineEdit* m_ca;
    QCheckBox* m_counter;
    QCheckBox* m_barcode;
    QLabel* m_error;
    line::LineConfig m_base;
};

} // namespace kizu::ui
