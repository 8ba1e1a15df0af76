// The Inspect page: live OK/NG inspection from a camera, video or folder replay with the
// station's active method; a large verdict banner, speed and latency, counts, a results log,
// and capture of the current frame into the dataset.
#pragma once

#include "ui/inspect_pipeline.h"

#include <QWidget>
#include <functional>

class QComboBox;
class QLabel;
class QPushButton;
class QCheckBox;
class QTableWidget;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class FrameView;

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
    void addMethod(const QString& name, ClassifierFactory factory);
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

public Q_SLOTS:
    void startInspection();
    void stopInspection();
    // Stores the frame on screen in the project (label: 0 unlabeled, 1 OK, 2 NG).
    bool captureCurrent(int label = 0);
    void refreshCameras();

Q_SIGNALS:
    void imageCaptured(qint64 imageId);

private:
    void onResult(const InspectResult& r);
    void onStats(const InspectStats& s);
    void setBanner(const QString& text, const QString& colour, const QString& detail);
    void appendLog(const QString& what, const QString& colour);

    InspectPipeline* m_pipeline;
    kizu::project::ProjectStore* m_store = nullptr;
    QList<ClassifierFactory> m_factories;
    ClassifierFactory m_secondFactory;
    InspectResult m_last;
    QComboBox* m_source;
    QComboBox* m_method;
    QPushButton* m_start;
    QPushButton* m_stop;
    QCheckBox* m_heatmap;
    QCheckBox* m_second;
    FrameView* m_view;
    QLabel* m_banner;
    QLabel* m_bannerDetail;
    QLabel* m_stats;
    QTableWidget* m_log;
};

} // namespace kizu::ui
