// Headless live inspection: frames from a source, a verdict per frame, results into the
// project. Synchronous (the GUI runs capture and inference on threads of its own). A camera
// that fails puts the run into a FAULT state (never OK), reconnects with back-off and logs it.
#pragma once

#include "core/camera/frame_source.h"
#include "core/common/progress.h"
#include "core/inspect/classifier.h"
#include "core/inspect/inspection_step.h"
#include "core/project/project_store.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kizu::inspect {

// A frame source that survives its camera: open failures, device errors and no frame for the
// configured time (options.grabTimeoutMs, measured) become fault reports, followed by reopen
// attempts with exponential back-off. Incomplete frames (packet loss) are never judged; they
// show the camera is alive, and only when nothing but them arrives for the configured time is
// there a FAULT (without a reconnect). One step per call, so the CLI loop and the GUI's
// capture thread share the same behaviour.
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
    std::chrono::steady_clock::time_point m_lastAlive, m_lastFrame; // any frame / a complete one
    std::int64_t m_incomplete = 0; // the source's incomplete-frame count last seen
    bool m_everOpened = false;
    bool m_waitBeforeOpen = false;
    bool m_justReconnected = false;
    bool m_closePending = false; // the source failed: close it on the next step, after the FAULT
    std::int64_t m_reconnects = 0;
};

// Waits for a trigger from one of the sinks (the PLC's), polling every millisecond; false when
// cancelled first. runInspection and the Inspect page's capture thread call it before each grab
// when InspectionOptions::waitForTrigger is set.
bool waitForLineTrigger(const std::vector<ResultSink*>& sinks, const CancelToken* cancel);

// Runs until maxFrames frames judged, the end of a finite source, cancellation or
// maxReconnects failures, one InspectionStep per frame. `store` may be null (nothing recorded).
InspectionSummary runInspection(camera::FrameSource& source, Classifier& classifier,
                                project::ProjectStore* store, const InspectionOptions& options,
                                const std::function<void(const InspectionEvent&)>& onEvent,
                                const CancelToken* cancel = nullptr);

} // namespace kizu::inspect
