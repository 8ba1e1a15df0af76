// The live inspection pipeline of the GUI: a capture thread and an inference thread joined by
// a bounded queue. When inference falls behind, the oldest waiting frame is dropped and
// counted and recorded; each result carries its own frame, so the verdict shown belongs to the
// frame shown. Judging and recording is core's InspectionStep; this class owns only the threads,
// the queue and the signals.
#pragma once

#include "core/camera/frame_source.h"
#include "core/inspect/classifier.h"
#include "core/inspect/inspection_runner.h"

#include <QImage>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>

namespace kizu::ui {

struct InspectResult {
    QImage frame;           // the frame this verdict belongs to (RGB888)
    cv::Mat frameBgr;       // the same frame for storing in the project
    std::shared_ptr<const std::string> encoded; // folder replay: the file's bytes (see Frame)
    QImage heatmap;         // optional overlay (ARGB32), null when not requested
    qint64 sequence = -1;
    inspect::State state = inspect::State::Ok;
    double score = 0;
    double threshold = 0;
    double latencyMs = 0;   // capture to verdict
    QString message;        // faults
    std::optional<inspect::State> secondState; // the second method's verdict, when it ran
    double secondScore = 0;
    qint64 imageId = -1; // the project image this frame was kept as (NG frames), else -1
    // Frame retention (core/inspect/retention.h): NG frames are not kept now (free disk space
    // under the project's floor), and the message of a crossing of the floor, once.
    bool diskBelowFloor = false;
    QString storageNotice;
};

struct InspectStats {
    double fps = 0;
    double latencyP50Ms = 0;
    double latencyP99Ms = 0;
    qint64 ok = 0, ng = 0, faults = 0, dropped = 0, reconnects = 0, lostPackets = 0;
    QString runtime; // how the method runs (Classifier::runtime), e.g. the inference path
};

class InspectPipeline : public QObject {
    Q_OBJECT
public:
    explicit InspectPipeline(QObject* parent = nullptr);
    ~InspectPipeline() override;

    // Starts both threads. projectDir may be empty (nothing recorded); otherwise results and
    // NG frames go into the project through a connection of the inference thread. A second
    // method (the baseline beside the model) judges the same frame after the first; only the
    // first decides, is recorded and sets the latency.
    void start(std::unique_ptr<camera::FrameSource> source,
               std::unique_ptr<inspect::Classifier> classifier, const QString& projectDir,
               const inspect::InspectionOptions& options, int queueCapacity = 2,
               std::unique_ptr<inspect::Classifier> second = nullptr);
    // Stops and joins both threads, then emits stopped() (once per run); safe to call when
    // not running. Results still queued from the stopped run are dropped, so nothing from it
    // reaches the screen afterwards.
    void stop();
    bool isRunning() const;
    void setHeatmapEnabled(bool on) { m_heatmap = on; }
    // Whether the second method judges frames; takes effect from the next frame.
    void setSecondEnabled(bool on) { m_second = on; }

Q_SIGNALS:
    void resultReady(const kizu::ui::InspectResult& result);
    void statsChanged(const kizu::ui::InspectStats& stats);
    void faultRaised(const QString& message);
    void stopped();

private:
    struct Shared;
    bool stopThreads(); // true when a run ended here that had not announced stopped() yet
    std::shared_ptr<Shared> m_shared;
    std::atomic<bool> m_heatmap{false};
    std::atomic<bool> m_second{true};
};

} // namespace kizu::ui

Q_DECLARE_METATYPE(kizu::ui::InspectResult)
Q_DECLARE_METATYPE(kizu::ui::InspectStats)
