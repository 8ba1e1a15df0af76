// One inspection step, the same for `kizu-cli inspect` and the Inspect page's inference thread:
// a frame in; its verdict, recorded in the project with the frame's own capture time, its NG
// frame kept, the statistics updated. Faults and dropped frames are recorded through it too,
// so both callers keep the same log. Synchronous; one thread owns a step.
#pragma once

#include "core/camera/frame_source.h"
#include "core/imaging/roi.h"
#include "core/inspect/classifier.h"
#include "core/inspect/result_sink.h"
#include "core/inspect/retention.h"
#include "core/inspect/state.h"
#include "core/project/project_store.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kizu::inspect {

// The source name of NG frames kept by inspection, whichever caller kept them.
inline constexpr const char* kNgFrameSource = "inspect";

struct InspectionEvent {
    State state = State::Ok;
    std::int64_t frame = -1; // the source's frame sequence; -1 for a fault without a frame
    Verdict verdict;
    double latencyMs = 0; // capture to verdict
    std::int64_t at = 0;  // unix ms: the frame's capture time (a source fault: its time)
    std::string message;  // fault: what happened; otherwise empty
    std::string partId;   // from the line (PLC, MQTT) or the project's counter; may be empty
    std::optional<std::int64_t> savedImageId;
    bool reconnected = false; // the first frame after the source came back
    // Frame retention (core/inspect/retention.h): an NG frame not kept because the disk's free
    // space is under the project's floor, and the message of a crossing of the floor (once per
    // crossing, either way; to be logged and shown).
    bool frameNotKept = false;
    std::string storageNotice;
};

struct InspectionSummary {
    std::int64_t frames = 0, ok = 0, ng = 0, faults = 0, dropped = 0, reconnects = 0;
    // NG frames not kept for the free-disk floor; kept frames removed by retention.
    std::int64_t framesNotKept = 0, framesRemoved = 0;
    double latencyP50Ms = 0, latencyP99Ms = 0, fps = 0;
    camera::SourceStats source;
};

struct InspectionOptions {
    std::int64_t maxFrames = -1; // stop after this many frames judged (-1: until cancelled/end)
    int grabTimeoutMs = 2000;     // no usable frame for this long: FAULT (the camera is gone)
    int reconnectInitialMs = 250; // back-off doubles up to reconnectMaxMs
    int reconnectMaxMs = 8000;
    int maxReconnects = -1;   // give up after this many (-1: keep trying)
    bool saveNgFrames = true; // NG frames are stored in the project as images, under the
                              // project's retention policy (core/inspect/retention.h)
    int flushEvery = 20;      // results are written in batches of this many
    // The group of frames kept from this run (one per session, so a split never cuts a
    // session in two); empty: the step makes one with sessionGroup().
    std::string group;
    // Latency percentiles over the last this many frames (0: every frame of the run).
    int latencyWindow = 0;
    // What the method sees of a frame: imaging::applyRoi(frame, roi). Unset: the project's
    // region of interest (project::projectRoi) when the step has a store, else whole frames.
    std::optional<imaging::Roi> roi;
    // The line's outputs (core/line: Modbus for the PLC, MQTT for the MES): each gets every
    // result, fault and dropped frame, and the station's state. Not owned.
    std::vector<ResultSink*> sinks;
    // runInspection grabs and judges a frame only after a sink's trigger (the PLC's).
    bool waitForTrigger = false;
    // The project's part counter: a frame that gets no part id from the line gets this number,
    // then the next (unset: no counter). Callers start it at maxNumericPartId() + 1.
    std::optional<std::int64_t> partCounterFrom;
    // Read the part id from a barcode in the frame (ZXing) when the line gives none; before the
    // counter. Costs the decoding time on each such frame (docs/line.md).
    bool barcodePartId = false;
};

// A group name for the frames of one capture session: "camera-2026-12-03T06-44-56".
std::string sessionGroup();

// Keeps a frame in the project, once: a folder replay's frame is stored as its file's own
// bytes, so replaying images already in the project refers to them (same SHA-256) instead of
// adding copies; a camera frame is stored as PNG. New images get `source`, `group` and no
// split (never the test split behind the user's back); an existing image keeps its source,
// group and split. A label other than Unlabeled is set (with an audit entry) on either.
// Returns the image's id. The one way the CLI and the GUI store NG frames and captures.
std::int64_t keepFrame(project::ProjectStore& store, const camera::Frame& frame,
                       const std::string& source, const std::string& group = {},
                       project::Label label = project::Label::Unlabeled);

class InspectionStep {
public:
    // `store` may be null (nothing recorded); `sourceName` goes into every record.
    InspectionStep(Classifier& classifier, project::ProjectStore* store,
                   const InspectionOptions& options, std::string sourceName);
    // Writes what is still pending; an error then is lost (call flush() to see it).
    ~InspectionStep();
    InspectionStep(const InspectionStep&) = delete;
    InspectionStep& operator=(const InspectionStep&) = delete;

    // Judges one frame and records the result. A method that throws gives a Fault event
    // (counted and recorded as a fault of that frame); the next frame is judged as usual.
    InspectionEvent process(const camera::Frame& frame);
    // The part of a frame the method judges (the frame itself without a region of interest).
    cv::Mat view(const cv::Mat& frame) const;
    // The reduced decode (FrameSource::setDecodeReduction) the method can take for a frame of
    // full size `full`: decodeReduction(method, roi(), full); 1 when the part id is read from a
    // barcode in the frame (small codes need every pixel).
    int decodeReduction(cv::Size full) const;
    // The method's heat map of view(frame), placed where that view lies in the frame: CV_32F
    // of the frame's size (0 outside the region); empty when the method has none.
    cv::Mat heatmap(const cv::Mat& frame);
    const imaging::Roi& roi() const { return m_roi; }
    // A failure of the source (at: unix ms, 0 for now); written at once.
    InspectionEvent recordFault(const std::string& message, std::int64_t at = 0);
    // A frame dropped without a verdict because inference fell behind: a Dropped record with
    // the frame's sequence and capture time.
    void recordDrop(std::int64_t sequence, std::chrono::steady_clock::time_point captured);
    void setReconnects(std::int64_t n) { m_reconnects = n; }
    // Tells the line's sinks what the station does (running at the start, idle at the end;
    // results set running or fault themselves).
    void setLineState(StationState state);
    // Writes the pending records in one transaction.
    void flush();
    // Whether NG frames are not kept now because the disk is under the retention floor.
    bool belowDiskFloor() const { return m_retention && m_retention->belowFloor(); }
    // Counts, latency p50/p99 and frames per second since the step was made.
    InspectionSummary summary() const;
    // With a handler, a failed write to the project is passed to it and inspection goes on
    // (the GUI shows it); without one the error is thrown (the CLI stops with it).
    void setStoreErrorHandler(std::function<void(const std::string&)> handler)
    {
        m_onStoreError = std::move(handler);
    }

private:
    void record(project::InspectionRecord r, bool now);
    // To every sink: the result (counted) and, when it changed, the station's state.
    void toLine(const project::InspectionRecord& r, const Verdict& v);
    std::string takePartId(const cv::Mat* frame);
    void storeFailed(const std::exception& e);

    Classifier& m_classifier;
    project::ProjectStore* m_store;
    InspectionOptions m_options;
    std::string m_sourceName;
    std::string m_methodId;
    std::string m_methodName;
    std::int64_t m_lineCounter = 0;
    std::optional<std::int64_t> m_nextPart;
    std::optional<StationState> m_lineState;
    imaging::Roi m_roi;
    std::function<void(const std::string&)> m_onStoreError;
    std::optional<FrameRetention> m_retention; // with a store that keeps NG frames
    std::string m_retentionError;              // applying the policy at the start failed
    std::int64_t m_notKept = 0, m_removed = 0;
    std::vector<project::InspectionRecord> m_pending;
    std::deque<double> m_latencies;
    std::chrono::steady_clock::time_point m_start;
    std::int64_t m_ok = 0, m_ng = 0, m_faults = 0, m_dropped = 0, m_reconnects = 0;
};

// The largest factor (1, 2, 4 or 8) by which a frame of size `full` may be decoded smaller and
// still give `method` the view it needs: the region's box at 1/factor covers
// method.inputNeed(box) on both sides. The same choice as training's reduced decode
// (learn::loadForInput), so a folder replay's live scores equal kizu-cli eval's.
int decodeReduction(const Classifier& method, const imaging::Roi& roi, cv::Size full);

} // namespace kizu::inspect
