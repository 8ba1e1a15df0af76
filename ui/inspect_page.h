// The Inspect page: live OK/NG inspection from a camera, video or folder replay with the
// station's active method; a large verdict banner, speed and latency, counts, a results log,
// and capture of the current frame into the dataset.
#pragma once

#include "ui/inspect_pipeline.h"
#include "ui/model_overlay.h"

#include <QElapsedTimer>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QCheckBox;
class QTableWidget;
class QTabWidget;

namespace kizu::project {
class ProjectStore;
}
namespace kizu::line {
struct LineOutputs;
}

namespace kizu::ui {

class BaselineTuneOffer;
class CameraGroup;
class FrameView;
class ResultsView;

class InspectPage : public QWidget {
    Q_OBJECT
public:
    // Returns the method to inspect with, or throws kizu::Error saying what is missing.
    using ClassifierFactory = std::function<std::unique_ptr<inspect::Classifier>()>;

    explicit InspectPage(QWidget* parent = nullptr);
    ~InspectPage() override;

    void setProject(kizu::project::ProjectStore* store); // may be null
    // The methods offered in the Method box; the first is the default.
    void clearMethods();
    // defectMap: the method is a defect-map model, whose overlay is its defect map (issue 21).
    void addMethod(const QString& name, ClassifierFactory factory, bool defectMap = false);
    // overlay: what the method draws (a model's defect map, anomaly map or heatmap).
    void addMethod(const QString& name, ClassifierFactory factory, Overlay overlay);
    void setClassifierFactory(ClassifierFactory factory, const QString& methodName); // just one
    // The method offered as a second opinion ("Also show the baseline"); none when empty.
    void setSecondFactory(ClassifierFactory factory, const QString& name);
    void setSecondEnabled(bool on);
    void setHeatmapShown(bool on);
    void setSourceUri(const QString& uri);
    QString sourceUri() const;
    InspectPipeline* pipeline() const { return m_pipeline; }

    // The banner's current text ("OK", "NG", "FAULT", "IDLE").
    QString verdictText() const;
    qint64 shownSequence() const { return m_last.sequence; }
    // What the frame view shows: the frame (null when none), whether a heatmap lies over it,
    // and its border's verdict (none without a frame).
    QImage shownFrame() const;
    bool heatmapOnScreen() const;
    // The overlay check box's text for the chosen method ("Defect map overlay (H)" or
    // "Heatmap overlay (H)").
    QString overlayText() const;
    std::optional<inspect::State> shownBorder() const;
    // The "Also show ..." check box (disabled while running when its method could not start).
    QCheckBox* secondCheckBox() const { return m_second; }
    // What the last "Find cameras" found, in words.
    QString cameraSearchText() const;
    bool isSearchingCameras() const { return m_searching; }
    // The group given to frames kept from the current (or last) run.
    QString sessionGroup() const { return m_sessionGroup; }
    BaselineTuneOffer* tuneOffer() const { return m_tuneOffer; }
    // The Results tab (the project's results log) and the page's tabs (Live, Results).
    ResultsView* resultsView() const { return m_results; }
    QTabWidget* tabs() const { return m_tabs; }
    // The line outputs of the current run (docs/line.md); null when none run.
    line::LineOutputs* lineOutputs() const { return m_line.get(); }
    // The line's state in words ("Modbus 0.0.0.0:1502, MQTT connected (12 sent)"), empty when off.
    QString lineStatusText() const;
    // The warning that NG frames are not kept (free disk space under the project's retention
    // floor); empty while frames are kept.
    QString diskWarningText() const;
    // Opens the Line outputs settings of the project.
    void editLineSettings();
    // Station mode (docs/station.md): the method box, the line settings and the baseline's
    // tune offer are locked; Esc with inspection stopped asks to leave station mode.
    void setStationLocked(bool locked);
    bool stationLocked() const { return m_stationLocked; }
    // The Camera group: the station profile, applied at Start (docs/camera.md).
    CameraGroup* cameraGroup() const { return m_camera; }

public Q_SLOTS:
    void startInspection();
    void stopInspection();
    // Stores the frame on screen in the project, with that label.
    bool captureCurrent(kizu::project::Label label = kizu::project::Label::Unlabeled);
    void refreshCameras();

Q_SIGNALS:
    void imageCaptured(qint64 imageId);
    // Frames were kept in the project during a run (NG frames): counts and views may change.
    void projectDataChanged();
    void camerasSearched(); // "Find cameras" finished; cameraSearchText() says what it found
    void leaveStationRequested(); // Esc in station mode with inspection stopped

private:
    void onResult(const InspectResult& r);
    void onStats(const InspectStats& s);
    void setBanner(const QString& text, const QString& colour, const QString& detail);
    void appendLog(const QString& what, const QString& colour);
    void clearView();
    void updateOverlayText();
    void onCamerasFound(const QStringList& aravis, const QStringList& aravisNames,
                        const QStringList& video);
    void stopLineOutputs();

    InspectPipeline* m_pipeline;
    kizu::project::ProjectStore* m_store = nullptr;
    QList<ClassifierFactory> m_factories;
    QList<Overlay> m_overlays; // per method
    ClassifierFactory m_secondFactory;
    InspectResult m_last;
    QString m_sessionGroup;
    bool m_searching = false;
    bool m_keptSinceNotice = false; // NG frames kept since projectDataChanged was last emitted
    QElapsedTimer m_sinceNotice;
    QComboBox* m_source;
    QComboBox* m_method;
    QPushButton* m_start;
    QPushButton* m_stop;
    QCheckBox* m_heatmap;
    QCheckBox* m_second;
    QPushButton* m_findCameras;
    QLabel* m_cameraText;
    BaselineTuneOffer* m_tuneOffer;
    FrameView* m_view;
    QLabel* m_banner;
    QLabel* m_bannerDetail;
    QLabel* m_stats;
    QTableWidget* m_log;
    QTabWidget* m_tabs;
    ResultsView* m_results;
    QPushButton* m_lineButton;
    bool m_stationLocked = false;
    QLabel* m_lineStatus;
    QLabel* m_diskWarning;
    std::unique_ptr<line::LineOutputs> m_line;
    CameraGroup* m_camera;
};

} // namespace kizu::ui
