#include "ui/retention_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace kizu::ui {

namespace {
QDoubleSpinBox* spin(double max, int decimals, const QString& suffix, const QString& zero)
{
    auto* s = new QDoubleSpinBox;
    s->setRange(0, max);
    s->setDecimals(decimals);
    s->setSuffix(suffix);
    s->setSpecialValueText(zero); // shown for 0
    s->setMinimumWidth(140);
    return s;
}
} // namespace

RetentionDialog::RetentionDialog(const inspect::RetentionPolicy& policy,
                                 const inspect::RetentionReport& usage, double freeBytes,
                                 QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Retention of kept NG frames"));
    const inspect::RetentionPolicy d;
    m_days = spin(36500, 1, tr(" days"), tr("no limit"));
    m_maxGb = spin(1e6, 2, tr(" GB"), tr("no limit"));
    m_minFreeGb = spin(1e5, 2, tr(" GB"), tr("none"));
    m_days->setObjectName(QStringLiteral("retentionDays"));
    m_maxGb->setObjectName(QStringLiteral("retentionMaxGb"));
    m_minFreeGb->setObjectName(QStringLiteral("retentionMinFreeGb"));
    auto withDefault = [](QWidget* field, const QString& text) {
        auto* row = new QWidget;
        auto* h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        h->addWidget(field);
        h->addWidget(new QLabel(text), 1);
        return row;
    };
    auto* form = new QFormLayout;
    form->addRow(tr("Keep NG frames for"),
                 withDefault(m_days, tr("default %1 days; 0: no limit").arg(d.days)));
    form->addRow(tr("Keep at most"),
                 withDefault(m_maxGb, tr("default %1 GB; 0: no limit").arg(d.maxGb)));
    form->addRow(tr("Free disk floor"),
                 withDefault(m_minFreeGb, tr("default %1 GB; below it no frame is kept, "
                                             "inspection goes on")
                                              .arg(d.minFreeGb)));
    QString now = tr("Kept now: %n frame(s), %1.", nullptr, int(usage.keptFrames))
                      .arg(QString::fromStdString(inspect::formatBytes(double(usage.keptBytes))));
    if (freeBytes >= 0)
        now +=
            QLatin1Char(' ') +
            tr("Free disk space: %1.").arg(QString::fromStdString(inspect::formatBytes(freeBytes)));
    auto* usageLabel = new QLabel(now);
    usageLabel->setObjectName(QStringLiteral("retentionUsage"));
    auto* note = new QLabel(tr("The oldest frames go first; their verdicts stay in the results and "
                               "say so. Frames you labeled or put into a split are never removed. "
                               "Applies from the next run."));
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel |
                                         QDialogButtonBox::RestoreDefaults);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { setPolicy({}); });
    auto* root = new QVBoxLayout(this);
    root->addLayout(form);
    root->addWidget(usageLabel);
    root->addWidget(note);
    root->addWidget(buttons);
    setPolicy(policy);
}

void RetentionDialog::setPolicy(const inspect::RetentionPolicy& p)
{
    m_days->setValue(p.days);
    m_maxGb->setValue(p.maxGb);
    m_minFreeGb->setValue(p.minFreeGb);
}

inspect::RetentionPolicy RetentionDialog::policy() const
{
    return {m_days->value(), m_maxGb->value(), m_minFreeGb->value()};
}

} // namespace kizu::ui
