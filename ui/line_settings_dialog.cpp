#include "ui/line_settings_dialog.h"

#include "core/common/error.h"
#include "core/imaging/barcode.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace kizu::ui {

LineSettingsDialog::LineSettingsDialog(const line::LineConfig& c, QWidget* parent)
    : QDialog(parent), m_base(c)
{
    setWindowTitle(tr("Line outputs"));
    m_modbusOn = new QCheckBox(tr("Modbus TCP server for the PLC"));
    m_modbusOn->setChecked(!c.modbus.empty());
    m_modbus = new QLineEdit(QString::fromStdString(c.modbus.empty() ? "1502" : c.modbus));
    m_modbus->setPlaceholderText(tr("[ADDR:]PORT, e.g. 1502 or 192.168.0.10:502"));
    m_modbus->setToolTip(tr("Port 502 is the standard one but needs root; 1502 needs nothing"));
    m_trigger = new QCheckBox(tr("Judge a frame only on the PLC's trigger"));
    m_trigger->setChecked(c.trigger);
    m_mqttOn = new QCheckBox(tr("Publish results over MQTT"));
    m_mqttOn->setChecked(!c.mqtt.empty());
    m_mqtt = new QLineEdit(QString::fromStdString(c.mqtt));
    m_mqtt->setPlaceholderText(tr("mqtt://[USER@]HOST[:PORT] or mqtts://..."));
    m_mqtt->setToolTip(tr("The password is not kept in the project: set KIZU_MQTT_PASSWORD in "
                          "the station's environment"));
    m_station = new QLineEdit(QString::fromStdString(c.station));
    m_station->setPlaceholderText(QString::fromStdString(line::defaultStationName()));
    m_qos = new QComboBox;
    m_qos->addItems({tr("0: at most once"), tr("1: at least once"), tr("2: exactly once")});
    m_qos->setCurrentIndex(c.mqttQos);
    m_ca = new QLineEdit(QString::fromStdString(c.mqttCa));
    m_ca->setPlaceholderText(tr("TLS: the broker's CA file (default: the system's)"));
    m_counter = new QCheckBox(tr("Number parts without an id from the line (1, 2, ...)"));
    m_counter->setToolTip(tr("Goes on from the highest numeric part id in the project's results"));
    m_counter->setChecked(c.partCounter);
    m_barcode = new QCheckBox(tr("Read the part id from a barcode in the frame"));
    m_barcode->setToolTip(tr("QR Code, Data Matrix, Code 128, EAN... (ZXing); used when the PLC "
                             "and the MES give no id"));
    m_barcode->setChecked(c.barcode);
    m_barcode->setEnabled(imaging::barcodeAvailable() || c.barcode);
    m_error = new QLabel;
    m_error->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_error->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(m_modbusOn);
    form->addRow(tr("Address:"), m_modbus);
    form->addRow(QString(), m_trigger);
    form->addRow(m_mqttOn);
    form->addRow(tr("Broker:"), m_mqtt);
    form->addRow(tr("Station:"), m_station);
    form->addRow(tr("QoS:"), m_qos);
    form->addRow(tr("CA file:"), m_ca);
    form->addRow(m_barcode);
    form->addRow(m_counter);
    auto* note = new QLabel(tr("Topics kizu/&lt;station&gt;/result and /state; the register map "
                               "and the handshake are in docs/line.md. Takes effect at the next "
                               "Start."));
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    auto* root = new QVBoxLayout(this);
    root->addLayout(form);
    root->addWidget(note);
    root->addWidget(m_error);
    root->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &LineSettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto enable = [this] {
        m_modbus->setEnabled(m_modbusOn->isChecked());
        m_trigger->setEnabled(m_modbusOn->isChecked());
        for (QWidget* w : {static_cast<QWidget*>(m_mqtt), static_cast<QWidget*>(m_station),
                           static_cast<QWidget*>(m_qos), static_cast<QWidget*>(m_ca)})
            w->setEnabled(m_mqttOn->isChecked());
    };
    connect(m_modbusOn, &QCheckBox::toggled, this, enable);
    connect(m_mqttOn, &QCheckBox::toggled, this, enable);
    enable();
}

line::LineConfig LineSettingsDialog::config() const
{
    line::LineConfig c = m_base;
    c.modbus = m_modbusOn->isChecked() ? m_modbus->text().trimmed().toStdString() : std::string();
    c.trigger = m_modbusOn->isChecked() && m_trigger->isChecked();
    c.mqtt = m_mqttOn->isChecked() ? m_mqtt->text().trimmed().toStdString() : std::string();
    c.station = m_station->text().trimmed().toStdString();
    c.mqttQos = m_qos->currentIndex();
    c.mqttCa = m_ca->text().trimmed().toStdString();
    c.partCounter = m_counter->isChecked();
    c.barcode = m_barcode->isChecked();
    return c;
}

QString LineSettingsDialog::problem() const
{
    const line::LineConfig c = config();
    if (m_modbusOn->isChecked() && c.modbus.empty()) return tr("Give the Modbus port, e.g. 1502.");
    if (m_mqttOn->isChecked() && c.mqtt.empty())
        return tr("Give the broker, e.g. mqtt://mes.local.");
    try {
        line::validateLineConfig(c);
    } catch (const kizu::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

void LineSettingsDialog::accept()
{
    const QString p = problem();
    m_error->setText(p);
    if (p.isEmpty()) QDialog::accept();
}

} // namespace kizu::ui
