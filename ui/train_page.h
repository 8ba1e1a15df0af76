// The Train page: few-shot fine-tuning launched by the operator. A form (data: the train split
// or N shots per class with a seed; model with its measured speed here; initialisation: the
// shipped CG-pretrained weights, an ImageNet file, scratch or an earlier model; budget, batch,
// network output (a defect map or an image classifier) and input size, augmentation; advanced
// options folded away), live charts of loss, learning rate and validation accuracy with images/s
// and ETA, cancel, resume of an unfinished run after the application was closed or killed, and the
// project's model list. The method "From OK photos only (PatchCore)" (issue 22) fits an anomaly
// model on the train split's OK photos instead, with its few settings (trunk, false-reject
// rate, memory share, whether labeled NG photos are ignored).
#pragma once

#include "core/learn/train_run.h"
#include "ui/train_runner.h"

#include <QElapsedTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QFrame;
class QGroupBox;
class QLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QToolButton;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class ModelList;
class TrainCharts;

class TrainPage : public QWidget {
    Q_OBJECT
public:
    explicit TrainPage(QWidget* parent = nullptr);
    ~TrainPage() override;

    // The form as a run specification, and back (for tests and for showing a pending run).
    kizu::learn::RunSpec spec() const;
    void setSpec(const kizu::learn::RunSpec& spec);
    // "supervised" or "patchcore" (From OK photos only).
    QString method() const;
    bool isAnomalyMethod() const { return method() == QLatin1String("patchcore"); }
    // The form as a PatchCore run. Throws kizu::InvalidArgument when the trunk's file is missing.
    kizu::learn::AnomalyRunSpec anomalySpec() const;

    bool isTraining() const;
    bool hasPendingRun() const { return m_pending.has_value(); }
    QString statusText() const;
    QString initNote() const;
    // Why the default initialisation is the default (the measured numbers), as "Why?" shows it.
    QString initReason() const;
    // The verdict shown after a run: against chance and the baseline on held-out images.
    QString verdictText() const;
    QString verdictLevel() const { return m_verdictLevel; }
    // Cancels a run in flight and waits for its checkpoint (closing the application).
    void shutdown();

    TrainRunner* runner() const { return m_runner; }
    TrainCharts* charts() const { return m_charts; }
    ModelList* modelList() const { return m_models; }
    // "Add CG defects to my OK photos" and its share of each batch (TransplantConfig::ratio).
    QCheckBox* transplantBox() const { return m_transplant; }
    QDoubleSpinBox* transplantRatioSpin() const { return m_transplantRatio; }
    // "Network output": defect_map (the station's default, defaultRoute().head) or classifier.
    QComboBox* headCombo() const { return m_head; }
    QSpinBox* sizeSpin() const { return m_size; }
    QComboBox* methodCombo() const { return m_method; }
    // From OK photos only: "imagenet", "cg" or "cgmap" (anomalyTrunkInit, core/learn/defaults.h).
    QComboBox* anomalyTrunkCombo() const { return m_anomalyTrunk; }
    QDoubleSpinBox* falseRejectSpin() const { return m_falseReject; } // percent
    QDoubleSpinBox* coresetSpin() const { return m_coreset; }         // percent
    QCheckBox* okOnlyBox() const { return m_okOnly; }
    QSpinBox* anomalySizeSpin() const { return m_anomalySize; }
    QWidget* budgetBox() const;
    QPushButton* startButton() const { return m_start; }
    QPushButton* cancelButton() const { return m_cancel; }
    QWidget* pendingBanner() const;

public Q_SLOTS:
    void setStore(kizu::project::ProjectStore* store);
    bool startTraining();
    void cancelTraining();
    bool resumeTraining();
    void discardPending(bool confirm = true);
    bool measureSpeed();

Q_SIGNALS:
    void trainingStarted();
    void trainingFinished(const kizu::ui::TrainOutcome& outcome);
    void activeModelChanged();
    void modelsChanged(); // the project's model list changed (trained, renamed, deleted)
    void statusMessage(const QString& text);

private:
    QWidget* buildForm();
    void refreshData();
    void refreshInitChoices();
    void onHeadChanged();
    void onMethodChanged();
    void refreshAnomalyTrunks();
    bool startAnomaly();
    void onFitProgress(qint64 done, qint64 total, const QString& text);
    QString head() const;
    void updateInitNote();
    void showInitReason();
    void showVerdict(const QString& level, const QString& message);
    void refreshSpeed();
    void refreshPending();
    void updateEstimate();
    void setRunning(bool running);
    void onProgress(qint64 step, qint64 total, double loss, double lr, double imagesPerSecond);
    void onFinished(const TrainOutcome& outcome);
    void onSpeed(const QString& arch, int size, double imagesPerSecond, const QString& error);
    void showReferences(const QList<qint64>& ids);
    void showError(const QString& title, const QString& text);
    double cachedSpeed(const QString& arch, int size) const;
    qint64 trainImageCount() const;

    kizu::project::ProjectStore* m_store = nullptr;
    TrainRunner* m_runner;
    std::optional<kizu::learn::PendingRun> m_pending;
    qint64 m_pendingSteps = 0;
    QElapsedTimer m_elapsed;
    qint64 m_batch = 16;
    QString m_runArch; // of the run in flight, for its measured speed
    int m_runSize = 0;
    qint64 m_trainOk = 0, m_trainNg = 0, m_testOk = 0, m_testNg = 0;

    // form
    QComboBox* m_method;
    QWidget* m_anomalyBox;
    QComboBox* m_anomalyTrunk;
    QDoubleSpinBox* m_falseReject;
    QDoubleSpinBox* m_coreset;
    QCheckBox* m_okOnly;
    QSpinBox* m_anomalySize;
    QFormLayout* m_modelForm;
    QLayout* m_initPathRow;
    QGroupBox* m_budgetBox;
    QRadioButton* m_wholeSplit;
    QRadioButton* m_shotsMode;
    QSpinBox* m_shots;
    QSpinBox* m_seed;
    QLabel* m_dataInfo;
    QComboBox* m_arch;
    QComboBox* m_head;
    QLabel* m_speed;
    QPushButton* m_measure;
    QComboBox* m_init;
    QLineEdit* m_imagenetPath;
    QString m_imagenetArch; // the network m_imagenetPath was filled in for
    QToolButton* m_browse;
    QLabel* m_initNote;
    bool m_initUserChosen = false; // the operator picked the start: a refresh keeps it
    QString m_defaultInitKind;     // "imagenet", "cg" or "scratch"
    QString m_initReason, m_initFallback;
    QSpinBox* m_budget;
    QComboBox* m_budgetUnit;
    QSpinBox* m_batchSpin;
    QSpinBox* m_size;
    bool m_sizeUserEdited = false; // else switching the head sets the head's default size
    bool m_settingSize = false;
    QCheckBox* m_augment;
    QCheckBox* m_transplant;
    QDoubleSpinBox* m_transplantRatio;
    QLabel* m_estimate;
    QToolButton* m_advancedToggle;
    QWidget* m_advanced;
    QDoubleSpinBox* m_lr;
    QDoubleSpinBox* m_weightDecay;
    QDoubleSpinBox* m_labelSmoothing;
    QSpinBox* m_warmup;
    QCheckBox* m_balanced;
    QSpinBox* m_valPerClass;
    QSpinBox* m_valPoints;
    QSpinBox* m_checkpointEvery;
    QSpinBox* m_threads;
    QLineEdit* m_name;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QFrame* m_pendingBox;
    QLabel* m_pendingText;
    QPushButton* m_resume;
    QPushButton* m_discard;
    QWidget* m_formWidget;

    // live
    QLabel* m_status;
    QLabel* m_verdict; // after a run: the model against chance and the baseline
    QLabel* m_anomalyNote;
    QString m_verdictLevel;
    QProgressBar* m_progress;
    TrainCharts* m_charts;
    ModelList* m_models;
};

} // namespace kizu::ui
