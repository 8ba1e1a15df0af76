// The Compare page: deep models and the classical baseline judged side by side on the same
// test set (a project split or a folder). Evaluation runs in the background with progress and
// cancel, scores are cached per method and dataset hash; a metrics table, a confusion matrix and
// a threshold slider per method, the ROC curves with operating points, the accuracy-against-
// shots chart from experiment results (read, or run here as a sweep), an error browser (baseline blobs and model heatmap,
// one-key relabeling through the audited store), an HTML/PDF report, and the baseline tuner.
#pragma once

#include "core/experiment/experiment.h"
#include "ui/compare_models.h"
#include "ui/model_overlay.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTableView;
class QTabWidget;
class QVBoxLayout;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class BaselinePanel;
class BaselineTuneOffer;
class ImagePreview;
class RocChart;
class ShotsChart;
class SweepPanel;

class ComparePage : public QWidget {
    Q_OBJECT
public:
    explicit ComparePage(QWidget* parent = nullptr);
    ~ComparePage() override;

    BaselinePanel* baselinePanel() const { return m_baseline; }
    // Shown while the project has no tuned baseline parameters.
    BaselineTuneOffer* tuneOffer() const { return m_tuneOffer; }
    CompareTableModel* table() const { return m_table; }
    ErrorListModel* errorList() const { return m_errors; }
    RocChart* rocChart() const { return m_roc; }
    ShotsChart* shotsChart() const { return m_shots; }
    // The "Accuracy vs shots" tab's Run sweep (core/learn/sweep.h on the open project).
    SweepPanel* sweepPanel() const { return m_sweep; }
    QTabWidget* views() const { return m_views; }
    QTableView* errorView() const { return m_errorView; }

    // Test set: a split of the open project ("test", "train", "all") or a folder (ok/ and ng/,
    // or a BSData manifest.csv, whose test split is used).
    void useProjectSplit(const QString& split);
    void useFolder(const QString& dir);
    // Adds a model file to the list (checked); a file already listed is only checked.
    void addModelFile(const QString& file, const QString& name = {}, bool checked = true);
    QStringList checkedModels() const;
    void setBaselineIncluded(bool on);
    bool isRunning() const;
    // Reads an experiment results.csv into the shots chart; false (with the reason shown) when
    // it cannot be read.
    bool loadExperimentCsv(const QString& file);
    // Writes the report: .pdf prints it, anything else is HTML. False (reason shown) on error.
    bool exportReport(const QString& file);
    QString lastError() const { return m_lastError; }
    // The caption above the error browser's model overlay: "Defect map ..." for a defect-map
    // model, the class activation wording for a classifier.
    QString overlayCaptionText() const;

public Q_SLOTS:
    void setProject(kizu::project::ProjectStore* store);
    void startEvaluation();
    void cancelEvaluation();
    // Relabels the image selected in the error browser (kizu::learn::kOk / kNg).
    void relabelCurrent(int label);
    // Re-reads the project's model list (a model was trained, renamed, deleted or activated on
    // another page); check marks of listed models are kept, new models are checked.
    void refreshModels();

Q_SIGNALS:
    void evaluationFinished(bool ok);
    void projectDataChanged(); // a label was changed
    void statusMessage(const QString& text);
    void previewReady(); // the error browser's pictures are shown (tests)

private:
    struct Outcome;
    struct ModelCache;
    QWidget* buildSidebar();
    QWidget* buildResultsTab();
    QWidget* buildErrorsTab();
    QWidget* buildShotsTab();
    void refreshModelList();
    const kizu::project::ProjectStore* m_modelsStore = nullptr; // whose models are listed
    void rebuildOperatingPoints();
    void onEvaluationDone();
    void showProgress(qint64 done, qint64 total, const QString& stage);
    void updateSelection();
    void showPreview(quint64 generation, const QImage& baseline, const QImage& heat,
                     Overlay overlay, const QString& info);
    void refreshExperimentFiles();
    void redrawShots();
    void setRunning(bool running);
    void fail(const QString& title, const QString& message);

    kizu::project::ProjectStore* m_store = nullptr;
    QString m_folder;
    QString m_split = QStringLiteral("test");
    CompareTableModel* m_table;
    ErrorListModel* m_errors;

    QWidget* m_sidebar = nullptr;
    QComboBox* m_source = nullptr;
    QLabel* m_sourceInfo = nullptr;
    QListWidget* m_models = nullptr;
    QCheckBox* m_withBaseline = nullptr;
    QPushButton* m_evaluate = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_export = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QTabWidget* m_views = nullptr;

    QTableView* m_tableView = nullptr;
    QVBoxLayout* m_pointsLayout = nullptr;
    RocChart* m_roc = nullptr;

    QComboBox* m_errorFilter = nullptr;
    QComboBox* m_errorMethod = nullptr;
    QComboBox* m_heatModel = nullptr;
    QLabel* m_heatCaption = nullptr;
    QTableView* m_errorView = nullptr;
    ImagePreview* m_baselineView = nullptr;
    ImagePreview* m_heatView = nullptr;
    QLabel* m_errorInfo = nullptr;
    QPushButton* m_labelOk = nullptr;
    QPushButton* m_labelNg = nullptr;
    quint64 m_previewGeneration = 0;
    QString m_drawnKey; // image and heatmap model of the pictures shown
    qint64 m_selectedImage = -1;
    int m_selectedRow = 0;
    std::shared_ptr<ModelCache> m_modelCache;

    QComboBox* m_experimentFiles = nullptr;
    QComboBox* m_metric = nullptr;
    QComboBox* m_bars = nullptr;
    QLabel* m_shotsInfo = nullptr;
    ShotsChart* m_shots = nullptr;
    SweepPanel* m_sweep = nullptr;
    std::vector<kizu::experiment::RunResult> m_runs;

    BaselinePanel* m_baseline = nullptr;
    BaselineTuneOffer* m_tuneOffer = nullptr;

    std::shared_ptr<kizu::CancelToken> m_cancelToken;
    QFutureWatcher<std::shared_ptr<Outcome>>* m_watcher = nullptr;
    QString m_lastError;
};

} // namespace kizu::ui
