// The Baseline panel: every parameter of the classical baseline as a slider and spin box, a
// live overlay (DoG response, binary mask, deciding blob) with verdict and score on the
// selected image, and a Tune button that searches the parameters in the background.
#pragma once

#include "core/baseline/baseline.h"
#include "core/common/progress.h"
#include "core/imaging/roi.h"

#include <QHash>
#include <QImage>
#include <QList>
#include <QString>
#include <QThreadPool>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace kizu::ui {

struct BaselineImage {
    enum class Label { Unknown, Ok, Ng };
    QString path;
    Label label = Label::Unknown;
};

class BaselineImageView;

class BaselinePanel : public QWidget {
    Q_OBJECT
public:
    explicit BaselinePanel(QWidget* parent = nullptr);
    ~BaselinePanel() override;

    // The images to look at and to tune on (labeled ones only are used for tuning).
    void setImages(const QList<BaselineImage>& images);
    // The project's region of interest: the baseline sees imaging::applyRoi(image, roi), here
    // and in the Tune button's search. None: whole images.
    void setRoi(const std::optional<kizu::imaging::Roi>& roi);
    const QList<BaselineImage>& images() const { return m_images; }
    void setCurrentIndex(int index);
    int currentIndex() const;

    void setParams(const kizu::baseline::BaselineParams& params);
    // The parameters in the editors; throws InvalidArgument when they do not validate.
    kizu::baseline::BaselineParams params() const;
    void setTuneOptions(int trials, int seed);

    // For tests and the lead's wiring.
    QWidget* editor(const QString& key) const; // QDoubleSpinBox, QSpinBox or QComboBox
    QSlider* slider(const QString& key) const; // nullptr for choices
    bool hasResult() const { return m_hasResult; }
    bool lastVerdictNg() const { return m_lastNg; }
    double lastScore() const { return m_lastScore; }
    bool isTuning() const { return m_tuning; }
    QString statusText() const;

public Q_SLOTS:
    void startTune();
    void cancelTune();
    void loadParamsFile();
    void saveParamsFile();
    void resetParams();

Q_SIGNALS:
    void resultReady(bool ng, double score);
    void paramsChanged();
    void tuneProgress(int done, int total);
    void tuneFinished(bool cancelled);

private:
    struct Job;
    void buildUi();
    QWidget* buildParamEditors();
    void scheduleProcess();
    void process();
    void onParamEdited(const QString& key);
    void showResult(quint64 generation, const QImage& image, bool ng, double score,
                    const QString& details, const QString& error);
    void showError(const QString& message);
    void onTuneDone(const kizu::baseline::BaselineParams& best, const QString& summary,
                    bool cancelled, const QString& error);

    QList<BaselineImage> m_images;
    QHash<QString, QWidget*> m_editors;
    QHash<QString, QSlider*> m_sliders;
    bool m_updating = false;
    nlohmann::json m_values; // the exact parameters; editors show them rounded

    QComboBox* m_imageSelect = nullptr;
    QCheckBox* m_showResponse = nullptr;
    QCheckBox* m_showMask = nullptr;
    QCheckBox* m_showBlobs = nullptr;
    QLabel* m_verdict = nullptr;
    QLabel* m_details = nullptr;
    BaselineImageView* m_view = nullptr;
    QTimer* m_debounce = nullptr;

    QSpinBox* m_trials = nullptr;
    QSpinBox* m_seed = nullptr;
    QPushButton* m_tune = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_tuneStatus = nullptr;

    std::atomic<quint64> m_generation{0}; // read by workers to drop stale requests
    bool m_hasResult = false;
    bool m_lastNg = false;
    double m_lastScore = 0;
    bool m_tuning = false;
    // The decoded current image, shared with the worker that processes it.
    QString m_cachedPath;
    std::shared_ptr<const cv::Mat> m_cachedImage; // after the region of interest
    std::shared_ptr<const kizu::imaging::Roi> m_roi;

    kizu::CancelToken m_cancelToken;
    QThreadPool m_pool; // last member: destroyed (and waited for) first
};

} // namespace kizu::ui
