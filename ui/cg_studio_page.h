// The CG Studio page: tune the domain-randomized CG generator until its renders look like the
// plant's parts. The parameter panel on the left; the current sample in 3D and as the training
// image (with its mask) for the same seed; a strip of 12 renders from the current ranges beside
// real photos of the open project; the same ranges as defects transplanted onto the project's
// OK photos (ui/transplant_strip.h); background batches into a folder or into the project as a
// CG set; export of the current sample as PNG, mask, OBJ and JSON.
#pragma once

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QImage>
#include <QPointer>
#include <QWidget>

#include <memory>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

class QAction;
class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QThreadPool;
class QTimer;

namespace kizu {
class CancelToken;
}
namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class CgParamPanel;
class CgViewport;
class TransplantStrip;
struct CgPreviewResult;
struct CgStripResult;
struct CgBatchOutcome;

class CgStudioPage : public QWidget {
    Q_OBJECT
public:
    explicit CgStudioPage(QWidget* parent = nullptr);
    ~CgStudioPage() override;

    CgParamPanel* paramPanel() const { return m_panel; }
    CgViewport* viewport() const { return m_viewport; }
    TransplantStrip* transplantStrip() const { return m_transplants; }

    quint64 seed() const;
    void setSeed(quint64 seed);
    bool sampleNg() const;
    void setSampleNg(bool ng);
    bool maskShown() const;
    void setMaskShown(bool on);

    // The preview shown now: generation counts parameter/seed changes, a preview belongs to the
    // change that asked for it; stale renders are dropped, never shown.
    bool hasPreview() const { return !m_image.isNull(); }
    quint64 requestedGeneration() const { return m_generation; }
    quint64 shownGeneration() const { return m_shownGeneration; }
    QImage previewImage() const { return m_image; }
    QImage maskImage() const { return m_mask; }
    const nlohmann::json& sampled() const { return m_sampled; }
    // Milliseconds from the last change to its preview on screen.
    double lastLatencyMs() const { return m_lastLatencyMs; }
    QString previewError() const { return m_previewError; }

    int stripSize() const;
    QImage stripImage(int i) const;
    quint64 stripGeneration() const { return m_stripShown; }
    int realPhotoCount() const;

    // Writes PREFIX.png, PREFIX_mask.png, PREFIX.obj (full-resolution mesh) and PREFIX.json.
    bool exportSample(const QString& prefix, QString* error = nullptr);

    // count images from seed into folder (made if missing), or into the open project as a CG
    // set when folder is empty. False (with a message) when a batch runs or nothing to write to.
    bool startBatch(int count, quint64 seed, const QString& folder);
    bool batchRunning() const;
    QString batchFolder() const { return m_batchFolder; }

public Q_SLOTS:
    void setStore(kizu::project::ProjectStore* store);
    void reroll();
    void cancelBatch();
    void exportDialog();
    void startBatchFromControls();

Q_SIGNALS:
    void previewUpdated();
    void stripUpdated();
    void batchProgress(qint64 done, qint64 total);
    // cancelled: stopped by the operator; error: empty on success.
    void batchFinished(bool cancelled, const QString& error);
    void statusMessage(const QString& text);
    void projectDataChanged();

private:
    void buildUi();
    void paramsChanged();
    void startPreview();
    void applyPreview(const CgPreviewResult& r);
    void startStrip();
    void applyStrip(const CgStripResult& r);
    void showPreviewImage();
    void loadRealPhotos();
    void batchProgressed(qint64 done, qint64 total, const QString& stage);
    void batchDone(const CgBatchOutcome& out);

    kizu::project::ProjectStore* m_store = nullptr;
    // Own pools: the preview never waits behind a batch or the strip on the global pool.
    QThreadPool* m_previewPool = nullptr;
    QThreadPool* m_batchPool = nullptr;
    CgParamPanel* m_panel = nullptr;
    CgViewport* m_viewport = nullptr;
    QSpinBox* m_seed = nullptr;
    QButtonGroup* m_label = nullptr;
    QCheckBox* m_highlight = nullptr;
    QCheckBox* m_showMask = nullptr;
    QLabel* m_imageView = nullptr;
    QLabel* m_imageInfo = nullptr;
    QList<QLabel*> m_stripTiles;
    QList<QLabel*> m_realTiles;
    QLabel* m_realCaption = nullptr;
    QTimer* m_stripTimer = nullptr;
    TransplantStrip* m_transplants = nullptr;

    // Preview: one render at a time; a change during a render is picked up when it ends.
    quint64 m_generation = 0;
    quint64 m_shownGeneration = 0;
    QFutureWatcher<CgPreviewResult>* m_previewWatcher = nullptr;
    QElapsedTimer m_changeClock;
    double m_lastLatencyMs = 0;
    QImage m_image, m_mask;
    cv::Mat m_sampleImage, m_sampleMask, m_sampleHeight;
    double m_samplePixelUm = 0;
    nlohmann::json m_sampled;
    QString m_previewError;

    quint64 m_stripRequested = 0;
    quint64 m_stripShown = 0;
    QFutureWatcher<CgStripResult>* m_stripWatcher = nullptr;
    QList<QImage> m_stripImages;
    QFutureWatcher<QList<QImage>>* m_realWatcher = nullptr;
    QList<QImage> m_realImages;

    // Batch
    QSpinBox* m_batchCount = nullptr;
    QSpinBox* m_batchSeed = nullptr;
    QComboBox* m_batchTarget = nullptr;
    QPushButton* m_batchStart = nullptr;
    QPushButton* m_batchCancel = nullptr;
    QProgressBar* m_batchBar = nullptr;
    QLabel* m_batchRate = nullptr;
    QFutureWatcher<CgBatchOutcome>* m_batchWatcher = nullptr;
    std::shared_ptr<kizu::CancelToken> m_batchCancelToken;
    QElapsedTimer m_batchClock;
    qint64 m_batchFirstDone = -1; // images already there when the batch (re)started
    QString m_batchFolder;
};

} // namespace kizu::ui
