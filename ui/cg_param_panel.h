// The CG Studio's parameter panel, built from kizu::cg::paramTable(): every randomization
// range as a min/max pair with the table's tooltip, grouped as geometry, defects, lights,
// material, camera and sensor; a range can be locked to one value; presets (built-in, or JSON
// files) are loaded, reset to and saved here.
#pragma once

#include "core/cg/cg_params.h"

#include <QHash>
#include <QString>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QToolButton;

namespace kizu::ui {

class CgParamPanel : public QWidget {
    Q_OBJECT
public:
    explicit CgParamPanel(QWidget* parent = nullptr);

    // The edited parameters, locks applied (a locked range is [value, value]). May fail
    // kizu::cg::validate (e.g. all material weights zero); the caller reports that.
    kizu::cg::CgParams params() const;
    // Shows params in every editor and clears the locks. Emits paramsChanged once.
    void setParams(const kizu::cg::CgParams& params);

    // Editors by path "group.key" (e.g. "scratch.widthUm"); a single value has no max editor.
    QDoubleSpinBox* minEditor(const QString& path) const;
    QDoubleSpinBox* maxEditor(const QString& path) const;
    QToolButton* lockButton(const QString& path) const;
    // Locks a range to its current minimum (or unlocks it, restoring the range it had).
    void setLocked(const QString& path, bool locked);
    bool isLocked(const QString& path) const;

    // Presets. The built-in ones by name; files are JSON as `kizu-cli cg preset show` writes.
    QString presetName() const { return m_presetName; }
    bool loadPreset(const QString& name);
    bool loadPresetFile(const QString& file, QString* error = nullptr);
    bool savePresetFile(const QString& file, QString* error = nullptr) const;
    // Back to the preset loaded last (built-in or file), locks cleared.
    void resetToPreset();

Q_SIGNALS:
    void paramsChanged();
    void statusMessage(const QString& text);

private:
    struct Row {
        const kizu::cg::ParamInfo* info = nullptr;
        QDoubleSpinBox* min = nullptr;
        QDoubleSpinBox* max = nullptr;
        QToolButton* lock = nullptr;
        double unlockedMax = 0; // the max to restore on unlock
    };
    QWidget* buildGroup(const QStringList& groups);
    QDoubleSpinBox* makeSpin(const kizu::cg::ParamInfo& info) const;
    void onMinChanged(Row& row);
    void onMaxChanged(Row& row);
    void refreshEditors();
    void chooseLoadFile();
    void chooseSaveFile();
    void changed();

    kizu::cg::CgParams m_params;
    kizu::cg::CgParams m_presetParams;
    QString m_presetName;
    QHash<QString, Row> m_rows;
    QComboBox* m_presets = nullptr;
    bool m_updating = false;
};

} // namespace kizu::ui
