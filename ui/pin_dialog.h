// The engineer PIN prompt of station mode (docs/station.md): checks the PIN against the
// project's salted hash, or, when the project has none yet, sets a new one (typed twice).
#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class PinDialog : public QDialog {
    Q_OBJECT
public:
    // why: what the PIN is asked for ("Leave station mode").
    PinDialog(kizu::project::ProjectStore* store, const QString& why, QWidget* parent = nullptr);

    // True when the project had no PIN and the dialog sets one.
    bool settingNewPin() const { return m_setting; }
    QLineEdit* pinEdit() const { return m_pin; }
    QLineEdit* repeatEdit() const { return m_repeat; } // only when setting a PIN
    QLabel* messageLabel() const { return m_message; }
    int failedAttempts() const { return m_failed; }

    // Asks for the engineer PIN: true when it was right (or a new one was set).
    static bool ask(kizu::project::ProjectStore* store, const QString& why, QWidget* parent);

public Q_SLOTS:
    // Checks (or sets) the PIN typed; accepts the dialog when right, else says why and stays.
    void tryAccept();

private:
    kizu::project::ProjectStore* m_store;
    bool m_setting = false;
    int m_failed = 0;
    QLineEdit* m_pin;
    QLineEdit* m_repeat = nullptr;
    QLabel* m_message;
    QPushButton* m_ok;
};

} // namespace kizu::ui
