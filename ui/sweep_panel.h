// The Compare page's "Run sweep": the few-shot sweep of kizu-cli experiment (shots x
// initialisation x seed, core/learn/sweep.h) on the open project, with the CLI's choices, a
// progress bar, Cancel, and resume (a rerun with the same settings skips the finished rows of
// <project>/experiments/<settings>/results.csv). The runner is synchronous; it runs here on a
// pool thread, and every finished row is announced so that the chart can follow.
#pragma once

#include "core/common/progress.h"
#include "core/learn/sweep.h"

#include <QFutureWatcher>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class SweepPanel : public QWidget {
    Q_OBJECT
public:
    explicit SweepPanel(QWidget* parent = nullptr);
    ~SweepPanel() override;

    void setProject(kizu::project::ProjectStore* store);
    // The choices as the widgets hold them (threads, device and shard stay the defaults).
    kizu::learn::SweepOptions options() const;
    void setOptions(const kizu::learn::SweepOptions& options);
    bool isRunning() const;
    // Where a sweep with the current settings writes: <project>/experiments/<arch>-<size>px-
    // <steps>steps-b<batch>/ (the settings results.csv depends on; shots, seeds and inits may
    // grow there). Empty without a project.
    QString outputDir() const;
    QString lastError() const { return m_lastError; }
    QString statusText() const;

public Q_SLOTS:
    void start();
    void cancel();

Q_SIGNALS:
    // A run finished and its row is in resultsCsv (on the GUI thread).
    void rowFinished(const QString& resultsCsv);
    // The sweep ended: every run done (true), or cancelled or failed (false; lastError()).
    void finished(bool complete);

private:
    struct Outcome;
    void showProgress(const kizu::learn::SweepProgress& p);
    void onDone();
    void setRunning(bool running);
    void fail(const QString& message);

    kizu::project::ProjectStore* m_store = nullptr;
    QComboBox* m_arch = nullptr;
    QSpinBox* m_size = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_batch = nullptr;
    QLineEdit* m_shots = nullptr;
    QLineEdit* m_seeds = nullptr;
    std::vector<QCheckBox*> m_inits;
    QSpinBox* m_baselineTrials = nullptr;
    // The weight and parameter files of kizu-cli experiment --imagenet, --cg, --baseline-start;
    // empty: the same defaults as the CLI's.
    QLineEdit* m_imagenetFile = nullptr;
    QLineEdit* m_cgFile = nullptr;
    QLineEdit* m_baselineStart = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QString m_lastError;
    QString m_runningCsv;
    std::shared_ptr<kizu::CancelToken> m_token;
    QFutureWatcher<std::shared_ptr<Outcome>>* m_watcher = nullptr;
};

} // namespace kizu::ui
