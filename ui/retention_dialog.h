// The Results tab's "Retention" settings: how long and how much of the NG frames inspection
// keeps, and the free-disk floor under which it keeps none (docs/station_retention.md); the
// same settings as `kizu-cli project retention`, with their defaults shown.
#pragma once

#include "core/inspect/retention.h"

#include <QDialog>

class QDoubleSpinBox;
class QLabel;

namespace kizu::ui {

class RetentionDialog : public QDialog {
    Q_OBJECT
public:
    // usage: what is kept now; freeBytes: the disk's free space (negative: unknown).
    RetentionDialog(const inspect::RetentionPolicy& policy, const inspect::RetentionReport& usage,
                    double freeBytes, QWidget* parent = nullptr);
    inspect::RetentionPolicy policy() const;
    void setPolicy(const inspect::RetentionPolicy& policy);

private:
    QDoubleSpinBox* m_days;
    QDoubleSpinBox* m_maxGb;
    QDoubleSpinBox* m_minFreeGb;
};

} // namespace kizu::ui
