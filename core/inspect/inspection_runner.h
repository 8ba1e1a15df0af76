// Headless live inspection: frames from a source, a verdict per frame, results into the
// project. Synchronous (the GUI runs capture and inference on threads of its own). A camera
// that fails puts the run into a FAULT state (never OK), reconnects with back-off and logs it.
#pragma once

#include "core/camera/frame_source.h"
#include "core/common/progress.h"
#include "core/inspect/classifier.h"
#include "core/project/project_store.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kizu::inspect {

enum class State { Ok, Ng, Fault };

struct InspectionEvent {
    State state = State::Ok;
    std::int64_t frame = -1; // the source's frame sequence; -1 for a fault without a frame
    Verdict verdict;
    double latencyMs = 0;     // capture to verdict
    std::string message;      // fault: what happened; otherwise empty
    std::optional<std::int64_t> savedImageId;
};

struct InspectionSummary {
    std::int64_t frames = 0, ok = 0, ng = 0, faults = 0, reconnects = 0;
    double latencyP50Ms = 0, latencyP99Ms = 0, fps = 0;
    camera::SourceStats source;
};

struct InspectionOptions {
    std::int64_t maxFrames = -1;       // stop after this many verdicts (-1: until cancelled/end)
    int grabTimeoutMs = 2000;
    int timeoutsBeforeFault = 3;       // consecutive timeouts that mean the camera is gone
    int reconnectInitialMs = 250;      // back-off doubles up to reconnectMaxMs
    int reconnectMaxMs = 8000;
    int maxReconnects = -1;            // give up after this many (-1: keep trying)
    bool saveNgFrames = true;          // NG frames are stored in the project as images
    int flushEvery = 20;               // results are written in batches of this many
    // The group of frames kept from this run (one per session, so a split never cuts a
    // session in two); empty: runInspection makes one with sessionGroup().
    std::string group;
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

// A frame source that survives its camera: open failures, device errors and runs of timeouts
// become fault reports, followed by reopen attempts with exponential back-off. One step per
// call, so the CLI loop and the GUI's capture thread share the same behaviour.
class ResilientSource {
public:
    ResilientSource(camera::FrameSource& source, const InspectionOptions& options,
                    const CancelToken* cancel);
    struct Step {
        std::optional<camera::Frame> frame;
        std::optional<std::string> fault; // the source failed; it is being reconnected
        bool reconnected = false;         // this step's frame came right after a reconnect
        bool end = false;                 // finite source done, cancelled or out of attempts
    };
    Step next();
    std::int64_t reconnects() const { return m_reconnects; }
    camera::FrameSource& source() { return m_source; }

private:
    camera::FrameSource& m_source;
    InspectionOptions m_options;
    const CancelToken* m_cancel;
    int m_backoffMs;
    int m_failures = 0;
    int m_timeouts = 0;
    bool m_everOpened = false;
    bool m_waitBeforeOpen = false;
    bool m_justReconnected = false;
    std::int64_t m_reconnects = 0;
};

// Runs until maxFrames verdicts, the end of a finite source, cancellation or maxReconnects
// failures. `store` may be null (nothing recorded).
InspectionSummary runInspection(camera::FrameSource& source, Classifier& classifier,
                                project::ProjectStore* store, const InspectionOptions& options,
                                const std::function<void(const InspectionEvent&)>& onEvent,
                                const CancelToken* cancel = nullptr);

} // namespace kizu::inspect
