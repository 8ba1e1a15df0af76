#include "ui/pin_dialog.h"

#include "core/common/error.h"
#include "core/project/engineer_pin.h"
#include "core/project/project_store.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace kizu::ui {

PinDialog::PinDialog(kizu::project::ProjectStore* store, const QString& why, QWidget* parent)
    : QDialog(parent), m_store(store)
{
    setObjectName(QStringLiteral("pinDialog"));
    m_setting = store && !kizu::project::hasEngineerPin(*store);
    setWindowTitle(m_setting ? tr("Set the engineer PIN") : tr("Engineer PIN"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        m_setting ? tr("<b>%1</b><p>This project has no engineer PIN yet. Choose one (at least "
                       "%2 characters): station mode asks for it before anything that changes "
                       "the inspection (leaving station mode, the model, the threshold, labels, "
                       "the split, deleting images).</p>")
                        .arg(why.toHtmlEscaped())
                        .arg(kizu::project::kPinMinLength)
                  : tr("<b>%1</b><p>Station mode: this needs the engineer PIN.</p>")
                        .arg(why.toHtmlEscaped()));
    intro->setTextFormat(Qt::RichText);
    intro->setWordWrap(true);
    setMinimumWidth(420);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_pin = new QLineEdit;
    m_pin->setObjectName(QStringLiteral("pin"));
    m_pin->setEchoMode(QLineEdit::Password);
    form->addRow(m_setting ? tr("New PIN:") : tr("PIN:"), m_pin);
    if (m_setting) {
        m_repeat = new QLineEdit;
        m_repeat->setObjectName(QStringLiteral("pinRepeat"));
        m_repeat->setEchoMode(QLineEdit::Password);
        form->addRow(tr("Repeat:"), m_repeat);
    }
    layout->addLayout(form);
    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("pinMessage"));
    m_message->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_message->setWordWrap(true);
    layout->addWidget(m_message);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(m_setting ? tr("Set PIN") : tr("Unlock"));
    connect(buttons, &QDialogButtonBox::accepted, this, &PinDialog::tryAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    m_pin->setFocus();
}

void PinDialog::tryAccept()
{
    if (!m_store) {
        m_message->setText(tr("No project is open."));
        return;
    }
    const std::string pin = m_pin->text().toStdString();
    if (m_setting) {
        if (m_repeat->text() != m_pin->text()) {
            m_message->setText(tr("The two PINs differ. Type the same PIN twice."));
            m_repeat->clear();
            m_repeat->setFocus();
            return;
        }
        try {
            kizu::project::setEngineerPin(*m_store, pin);
        } catch (const kizu::Error& e) {
            m_message->setText(QString::fromStdString(e.what()));
            return;
        }
        accept();
        return;
    }
    if (kizu::project::checkEngineerPin(*m_store, pin)) {
        accept();
        return;
    }
    ++m_failed;
    m_pin->clear();
    m_pin->setFocus();
    m_message->setText(
        tr("Wrong PIN (%n failed attempt(s)). An engineer can reset it with 'kizu-cli project "
           "pin'.",
           "", m_failed));
    // Guessing gets slower with every miss after the third (the key derivation is ~0.2 s).
    if (m_failed > 3) {
        m_ok->setEnabled(false);
        QTimer::singleShot(std::min(10000, 1000 * (m_failed - 3)), m_ok,
                           [ok = m_ok] { ok->setEnabled(true); });
    }
}

bool PinDialog::ask(kizu::project::ProjectStore* store, const QString& why, QWidget* parent)
{
    PinDialog dialog(store, why, parent);
    return dialog.exec() == QDialog::Accepted;
}

} // namespace kizu::ui
