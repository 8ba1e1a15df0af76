// Runs a project's training (core/learn/train_run.h) on its own QThread and reports to the UI
// thread through signals. The thread runs at a lower CPU priority (nice 10, inherited by
// LibTorch's worker threads), so the window stays responsive on a small CPU while training.
// Also fits an anomaly model from OK photos only (PatchCore, runProjectPatchCore) and measures an
// architecture's training speed on this machine, the same way.
#pragma once

#include "core/common/progress.h"
#include "core/learn/train_run.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QThread;

namespace kizu::ui {

struct TrainOutcome {
    bool cancelled = false;
    QString error; // empty on success or cancel
    qint64 modelId = 0;
    QString modelName;
    qint64 steps = 0;
    qint64 resumedFromStep = -1;
    double seconds = 0;
    double imagesPerSecond = 0;
    double testAccuracy = -1, testBalancedAccuracy = -1, testAuc = -1; // -1: no test split
    // Against chance and the baseline on held-out images (kizu::learn::Assessment): level is
    // "ok", "near_chance", "worse_than_baseline" or "unknown".
    QString assessmentLevel;
    QString assessmentMessage;
    // From OK photos only (PatchCore): the OK photos fitted and the patches remembered.
    bool anomaly = false;
    qint64 okImages = 0, memoryPatches = 0;
};

class TrainRunner : public QObject {
    Q_OBJECT
public:
    explicit TrainRunner(QObject* parent = nullptr);
    ~TrainRunner() override; // cancels and waits: the checkpoint is written, the run stays pending

    // False (and nothing starts) while a job runs.
    bool start(const QString& projectDir, const kizu::learn::RunSpec& spec);
    bool resume(const QString& projectDir);
    // From OK photos only: reports through fitProgress(); a cancelled fit leaves nothing.
    // threads: LibTorch's threads for the fit (0: all cores, as for training).
    bool startAnomaly(const QString& projectDir, const kizu::learn::AnomalyRunSpec& spec,
                      int threads = 0);
    bool measureSpeed(const QString& arch, int inputSize, int batch);
    void cancel();
    bool isRunning() const { return m_thread != nullptr; }
    // Blocks until the job has ended (for closing the application).
    void wait();

Q_SIGNALS:
    void progress(qint64 step, qint64 totalSteps, double loss, double lr, double imagesPerSecond);
    void validated(const kizu::learn::ValidationPoint& point);
    void stage(const QString& text);
    // A fit's progress (PatchCore): done of total in the phase that text names.
    void fitProgress(qint64 done, qint64 total, const QString& text);
    void finished(const kizu::ui::TrainOutcome& outcome);
    void speedMeasured(const QString& arch, int inputSize, double imagesPerSecond,
                       const QString& error);

private:
    // Runs on the thread; returns what to do on the UI thread once it has ended.
    using Job = std::function<std::function<void()>(const kizu::CancelToken&)>;
    bool launch(Job job);
    bool launchRun(const QString& projectDir, std::optional<kizu::learn::RunSpec> spec);
    void onThreadDone();

    QThread* m_thread = nullptr;
    std::shared_ptr<kizu::CancelToken> m_cancel;
};

} // namespace kizu::ui

Q_DECLARE_METATYPE(kizu::ui::TrainOutcome)
Q_DECLARE_METATYPE(kizu::learn::ValidationPoint)
