#include "ui/cg_param_panel.h"

#include "core/common/error.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QToolBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace kizu::ui {

namespace cg = kizu::cg;

namespace {

// "striationRadiusUm" -> "striation radius", the unit is shown on its own.
QString prettyKey(const std::string& key)
{
    QString k = QString::fromStdString(key);
    for (const char* suffix : {"Um", "Mm", "Deg", "Px", "Ev", "K"})
        if (k.endsWith(QLatin1String(suffix)) && k.size() > int(qstrlen(suffix))) {
            k.chop(int(qstrlen(suffix)));
            break;
        }
    QString out;
    for (QChar c : k) {
        if (c.isUpper() && !out.isEmpty()) out += QLatin1Char(' ');
        out += c.toLower();
    }
    return out;
}

QString unitText(const std::string& unit)
{
    if (unit == "um") return QStringLiteral("µm");
    if (unit == "deg") return QStringLiteral("°");
    return QString::fromStdString(unit);
}

const char* groupTitle(const std::string& g)
{
    if (g == "scratch") return "Scratches";
    if (g == "pit") return "Pits";
    if (g == "dent") return "Dents";
    if (g == "crack") return "Cracks";
    return "";
}

} // namespace

CgParamPanel::CgParamPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* presetRow = new QHBoxLayout;
    presetRow->addWidget(new QLabel(tr("Preset")));
    m_presets = new QComboBox;
    for (const auto& name : cg::presetNames()) {
        m_presets->addItem(QString::fromStdString(name));
        m_presets->setItemData(m_presets->count() - 1,
                               QString::fromStdString(cg::presetDescription(name)),
                               Qt::ToolTipRole);
    }
    m_presets->setToolTip(tr("Built-in presets; choosing one replaces every range"));
    presetRow->addWidget(m_presets, 1);
    connect(m_presets, &QComboBox::activated, this, [this](int i) {
        const QString file = m_presets->itemData(i, Qt::UserRole).toString();
        if (file.isEmpty()) {
            loadPreset(m_presets->itemText(i));
            return;
        }
        QString error;
        if (!loadPresetFile(file, &error))
            QMessageBox::warning(this, tr("Cannot load the parameters"), error);
    });
    auto* reset = new QToolButton;
    reset->setText(tr("Reset"));
    reset->setToolTip(tr("Back to the preset loaded last; clears the locks"));
    connect(reset, &QToolButton::clicked, this, &CgParamPanel::resetToPreset);
    auto* load = new QToolButton;
    load->setText(tr("Load..."));
    load->setToolTip(tr("Load parameters from a JSON file (as `kizu-cli cg preset show` writes)"));
    connect(load, &QToolButton::clicked, this, &CgParamPanel::chooseLoadFile);
    auto* save = new QToolButton;
    save->setText(tr("Save..."));
    save->setToolTip(tr("Save every range to a JSON preset for `kizu-cli cg batch --params`"));
    connect(save, &QToolButton::clicked, this, &CgParamPanel::chooseSaveFile);
    presetRow->addWidget(reset);
    presetRow->addWidget(load);
    presetRow->addWidget(save);
    layout->addLayout(presetRow);

    auto* box = new QToolBox;
    box->addItem(buildGroup({QStringLiteral("geometry")}), tr("Geometry (grinding marks)"));
    box->addItem(buildGroup({QStringLiteral("scratch"), QStringLiteral("pit"),
                             QStringLiteral("dent"), QStringLiteral("crack")}),
                 tr("Defects"));
    box->addItem(buildGroup({QStringLiteral("lights")}), tr("Lights"));
    box->addItem(buildGroup({QStringLiteral("material")}), tr("Material"));
    box->addItem(buildGroup({QStringLiteral("camera")}), tr("Camera"));
    box->addItem(buildGroup({QStringLiteral("sensor")}), tr("Sensor"));
    // A tool box sizes itself by the open section only: reserve the widest, so that opening
    // another one never pushes its Lock column out of sight.
    int widest = 0;
    for (int i = 0; i < box->count(); ++i)
        widest = std::max(widest, box->widget(i)->minimumWidth());
    box->setMinimumWidth(widest + 2 * box->frameWidth());
    box->setCurrentIndex(1);
    layout->addWidget(box, 1);

    loadPreset(QStringLiteral("default"));
}

QDoubleSpinBox* CgParamPanel::makeSpin(const cg::ParamInfo& info) const
{
    auto* s = new QDoubleSpinBox;
    // Enough decimals for the smallest allowed value and for fine ranges of small quantities.
    int decimals = info.hardMax >= 1000 ? 1 : info.hardMax > 10 ? 2 : 3;
    if (info.hardMin > 0 && info.hardMin < 1)
        decimals = std::max(decimals, int(std::ceil(-std::log10(info.hardMin) - 1e-9)));
    s->setDecimals(info.integer ? 0 : decimals);
    s->setRange(info.hardMin, info.hardMax);
    s->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    // Commit on Enter, focus loss, arrows or wheel, not on every typed digit (typing "120"
    // would otherwise push a partner value through 1 and 12).
    s->setKeyboardTracking(false);
    s->setSuffix(info.unit.empty() ? QString() : QLatin1Char(' ') + unitText(info.unit));
    s->setToolTip(QString::fromStdString(info.tooltip));
    return s;
}

QWidget* CgParamPanel::buildGroup(const QStringList& groups)
{
    auto* page = new QWidget;
    auto* grid = new QGridLayout(page);
    grid->setColumnStretch(0, 1);
    grid->setVerticalSpacing(3);
    int row = 0;
    auto* hMin = new QLabel(tr("min / value"));
    auto* hMax = new QLabel(tr("max"));
    for (QLabel* h : {hMin, hMax})
        h->setStyleSheet(QStringLiteral("color: palette(mid);"));
    grid->addWidget(hMin, row, 1);
    grid->addWidget(hMax, row, 2);
    ++row;
    for (const QString& group : groups) {
        const std::string g = group.toStdString();
        if (groups.size() > 1) {
            auto* title = new QLabel(QStringLiteral("<b>%1</b>").arg(tr(groupTitle(g))));
            grid->addWidget(title, row++, 0, 1, 4);
        }
        for (const auto& info : cg::paramTable()) {
            if (info.group != g) continue;
            const QString path = QString::fromStdString(info.path());
            Row r;
            r.info = &info;
            auto* name = new QLabel(prettyKey(info.key));
            name->setToolTip(QString::fromStdString(info.tooltip) +
                             QStringLiteral("\n(%1)").arg(path));
            grid->addWidget(name, row, 0);
            r.min = makeSpin(info);
            r.min->setObjectName(path + QStringLiteral(".min"));
            grid->addWidget(r.min, row, 1);
            if (info.isRange) {
                r.max = makeSpin(info);
                r.max->setObjectName(path + QStringLiteral(".max"));
                grid->addWidget(r.max, row, 2);
                r.lock = new QToolButton;
                r.lock->setText(tr("Lock"));
                r.lock->setCheckable(true);
                r.lock->setToolTip(tr("Lock %1 to one value (the min); unlock restores the range")
                                       .arg(prettyKey(info.key)));
                grid->addWidget(r.lock, row, 3);
                connect(r.lock, &QToolButton::toggled, this,
                        [this, path](bool on) { setLocked(path, on); });
                connect(r.max, &QDoubleSpinBox::valueChanged, this,
                        [this, path] { onMaxChanged(m_rows[path]); });
            }
            connect(r.min, &QDoubleSpinBox::valueChanged, this,
                    [this, path] { onMinChanged(m_rows[path]); });
            m_rows.insert(path, r);
            ++row;
        }
    }
    grid->setRowStretch(row, 1);
    auto* scroll = new QScrollArea;
    scroll->setWidget(page);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // Only vertical scrolling, and never narrower than the rows with the vertical scroll bar
    // beside them: a scroll area's own minimum ignores its contents, so the panel could be
    // squeezed until the scroll bar covered the Lock column.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(page->minimumSizeHint().width() +
                            scroll->verticalScrollBar()->sizeHint().width() +
                            2 * scroll->frameWidth());
    return scroll;
}

void CgParamPanel::onMinChanged(Row& row)
{
    if (m_updating) return;
    const double v = row.min->value();
    if (!row.info->isRange) {
        row.info->setValue(m_params, v);
    } else {
        cg::Range r = row.info->getRange(m_params);
        r.min = v;
        // Never an empty range: a min above the max carries the max along.
        if (row.lock->isChecked() || r.max < v) {
            r.max = v;
            m_updating = true;
            row.max->setValue(v);
            m_updating = false;
        }
        row.info->setRange(m_params, r);
    }
    changed();
}

void CgParamPanel::onMaxChanged(Row& row)
{
    if (m_updating) return;
    const double v = row.max->value();
    cg::Range r = row.info->getRange(m_params);
    r.max = v;
    if (r.min > v) {
        r.min = v;
        m_updating = true;
        row.min->setValue(v);
        m_updating = false;
    }
    row.info->setRange(m_params, r);
    changed();
}

void CgParamPanel::setLocked(const QString& path, bool locked)
{
    auto it = m_rows.find(path);
    if (it == m_rows.end() || !it->info->isRange) return;
    Row& row = *it;
    if (row.lock->isChecked() != locked) {
        row.lock->setChecked(locked); // re-enters through toggled
        return;
    }
    if (locked == !row.max->isEnabled()) return;
    cg::Range r = row.info->getRange(m_params);
    if (locked) {
        row.unlockedMax = r.max;
        r.max = r.min;
    } else {
        r.max = std::max(r.min, row.unlockedMax);
    }
    row.info->setRange(m_params, r);
    m_updating = true;
    row.max->setValue(r.max);
    row.max->setEnabled(!locked);
    m_updating = false;
    changed();
}

bool CgParamPanel::isLocked(const QString& path) const
{
    auto it = m_rows.find(path);
    return it != m_rows.end() && it->lock && it->lock->isChecked();
}

cg::CgParams CgParamPanel::params() const
{
    return m_params;
}

void CgParamPanel::setParams(const cg::CgParams& params)
{
    m_params = params;
    m_updating = true;
    for (auto& row : m_rows) {
        if (row.lock) {
            const QSignalBlocker block(row.lock);
            row.lock->setChecked(false);
            row.max->setEnabled(true);
        }
    }
    m_updating = false;
    refreshEditors();
    changed();
}

void CgParamPanel::refreshEditors()
{
    m_updating = true;
    for (auto& row : m_rows) {
        if (row.info->isRange) {
            const cg::Range r = row.info->getRange(m_params);
            row.min->setValue(r.min);
            row.max->setValue(r.max);
        } else {
            row.min->setValue(row.info->getValue(m_params));
        }
    }
    m_updating = false;
}

QDoubleSpinBox* CgParamPanel::minEditor(const QString& path) const
{
    auto it = m_rows.find(path);
    return it == m_rows.end() ? nullptr : it->min;
}

QDoubleSpinBox* CgParamPanel::maxEditor(const QString& path) const
{
    auto it = m_rows.find(path);
    return it == m_rows.end() ? nullptr : it->max;
}

QToolButton* CgParamPanel::lockButton(const QString& path) const
{
    auto it = m_rows.find(path);
    return it == m_rows.end() ? nullptr : it->lock;
}

bool CgParamPanel::loadPreset(const QString& name)
{
    try {
        m_presetParams = cg::loadPreset(name.toStdString());
    } catch (const kizu::Error& e) {
        Q_EMIT statusMessage(QString::fromStdString(e.what()));
        return false;
    }
    m_presetName = name;
    const int k = m_presets->findText(name);
    if (k >= 0) m_presets->setCurrentIndex(k);
    setParams(m_presetParams);
    Q_EMIT statusMessage(tr("Preset %1 loaded").arg(name));
    return true;
}

bool CgParamPanel::loadPresetFile(const QString& file, QString* error)
{
    try {
        m_presetParams = cg::loadParamsFile(file.toStdString());
    } catch (const kizu::Error& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    m_presetName = QFileInfo(file).completeBaseName();
    if (m_presets->findText(m_presetName) < 0) m_presets->addItem(m_presetName);
    m_presets->setCurrentIndex(m_presets->findText(m_presetName));
    // A file entry in the combo reloads the file it came from.
    m_presets->setItemData(m_presets->currentIndex(), file, Qt::UserRole);
    setParams(m_presetParams);
    Q_EMIT statusMessage(tr("Parameters loaded from %1").arg(file));
    return true;
}

bool CgParamPanel::savePresetFile(const QString& file, QString* error) const
{
    try {
        cg::validate(m_params);
    } catch (const kizu::Error& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    nlohmann::json j = cg::paramsToJson(m_params);
    j["name"] = QFileInfo(file).completeBaseName().toStdString();
    j["description"] = "Saved from the CG Studio (based on " + m_presetName.toStdString() + ")";
    QSaveFile out(file);
    const QByteArray bytes = QByteArray::fromStdString(j.dump(2) + "\n");
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2. Choose a folder you can write to.")
                         .arg(file, out.errorString());
        return false;
    }
    return true;
}

void CgParamPanel::resetToPreset()
{
    setParams(m_presetParams);
    Q_EMIT statusMessage(tr("Reset to preset %1").arg(m_presetName));
}

void CgParamPanel::chooseLoadFile()
{
    QSettings settings;
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Load CG parameters"), settings.value(QStringLiteral("cg/presetDir")).toString(),
        tr("JSON presets (*.json);;All files (*)"));
    if (file.isEmpty()) return;
    settings.setValue(QStringLiteral("cg/presetDir"), QFileInfo(file).absolutePath());
    QString error;
    if (!loadPresetFile(file, &error))
        QMessageBox::warning(this, tr("Cannot load the parameters"), error);
}

void CgParamPanel::chooseSaveFile()
{
    QSettings settings;
    QString file = QFileDialog::getSaveFileName(
        this, tr("Save CG parameters"), settings.value(QStringLiteral("cg/presetDir")).toString(),
        tr("JSON presets (*.json)"));
    if (file.isEmpty()) return;
    if (!file.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) file += QLatin1String(".json");
    settings.setValue(QStringLiteral("cg/presetDir"), QFileInfo(file).absolutePath());
    QString error;
    if (!savePresetFile(file, &error))
        QMessageBox::warning(this, tr("Cannot save the parameters"), error);
    else
        Q_EMIT statusMessage(tr("Parameters saved to %1").arg(file));
}

void CgParamPanel::changed()
{
    if (!m_updating) Q_EMIT paramsChanged();
}

} // namespace kizu::ui
