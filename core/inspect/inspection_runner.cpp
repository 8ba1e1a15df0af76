#include "core/inspect/inspection_runner.h"

#include "core/common/error.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace kizu::inspect {
using Clock = std::chrono::steady_clock;

namespace {
// Sleeps in small steps so that cancellation is honoured during a back-off.
void sleepCancellable(int ms, const CancelToken* cancel)
{
    auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < until && !isCancelled(cancel))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::int64_t msSince(Clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}
} // namespace

bool waitForLineTrigger(const std::vector<ResultSink*>& sinks, const CancelToken* cancel)
{
    while (!isCancelled(cancel)) {
        for (ResultSink* sink : sinks)
            if (sink->takeTrigger()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

ResilientSource::ResilientSource(camera::FrameSource& source, const InspectionOptions& options,
                                 const CancelToken* cancel)
    : m_source(source), m_options(options), m_cancel(cancel),
      m_backoffMs(options.reconnectInitialMs)
{
}

ResilientSource::Step ResilientSource::next()
{
    Step step;
    if (isCancelled(m_cancel)) {
        step.end = true;
        return step;
    }
    if (m_closePending) {
        // Closing a camera that is gone can block for seconds (Aravis retries its commands):
        // done here, after the FAULT has been reported.
        m_closePending = false;
        m_source.close();
    }
    if (!m_source.isOpen()) {
        if (m_waitBeforeOpen) {
            sleepCancellable(m_backoffMs, m_cancel);
            m_backoffMs = std::min(m_backoffMs * 2, m_options.reconnectMaxMs);
            if (isCancelled(m_cancel)) {
                step.end = true;
                return step;
            }
        }
        try {
            m_source.open();
        } catch (const DeviceError& e) {
            m_waitBeforeOpen = true;
            if (m_options.maxReconnects >= 0 && ++m_failures > m_options.maxReconnects) {
                step.end = true;
            }
            step.fault = e.what();
            return step;
        } catch (const InvalidArgument& e) {
            // A camera setting the camera refuses (out of its range, a trigger it lacks): no
            // reconnect will change that, so the run ends with the reason.
            step.fault = e.what();
            step.end = true;
            return step;
        }
        if (m_everOpened) {
            ++m_reconnects;
            m_justReconnected = true;
        }
        m_everOpened = true;
        m_waitBeforeOpen = false;
        m_backoffMs = m_options.reconnectInitialMs;
        m_failures = 0;
        m_lastAlive = m_lastFrame = Clock::now();
        m_incomplete = m_source.stats().incomplete;
    }
    // Wait no longer than the time left before the camera counts as gone, so that the FAULT
    // comes when the configured time is up, not a whole grab timeout later.
    const int timeoutMs = std::max(1, m_options.grabTimeoutMs);
    const auto sinceAlive = [&] { return msSince(m_lastAlive); };
    try {
        step.frame = m_source.grab(std::clamp(timeoutMs - int(sinceAlive()), 20, timeoutMs));
    } catch (const DeviceError& e) {
        m_closePending = true;
        m_waitBeforeOpen = true;
        step.fault = e.what();
        return step;
    }
    if (step.frame) {
        m_lastAlive = m_lastFrame = Clock::now();
        m_incomplete = m_source.stats().incomplete;
        step.reconnected = m_justReconnected;
        m_justReconnected = false;
        return step;
    }
    if (m_source.finished()) {
        step.end = true;
        return step;
    }
    // An incomplete frame (packets lost on the way) is a sign of life, not a verdict: it is
    // never judged, and the camera is not reconnected for it.
    const auto stats = m_source.stats();
    if (stats.incomplete > m_incomplete) {
        m_incomplete = stats.incomplete;
        m_lastAlive = Clock::now();
        if (const auto ms = msSince(m_lastFrame); ms >= timeoutMs) {
            step.fault = m_source.description() + ": no complete frame for " +
                         std::to_string(ms) + " ms (" + std::to_string(stats.incomplete) +
                         " incomplete frames, " + std::to_string(stats.lostPackets) +
                         " packets lost so far): the network loses packets; check the cable, "
                         "switch and network card. Inspection goes on.";
            m_lastFrame = Clock::now(); // the next such FAULT after another timeout
        }
        return step;
    }
    // A camera on a hardware trigger waits for its part: silence is normal there, and the
    // source itself watches the camera's control channel (a DeviceError above).
    if (m_source.externallyTriggered()) return step;
    if (const auto ms = sinceAlive(); ms >= timeoutMs) {
        m_closePending = true;
        m_waitBeforeOpen = true;
        step.fault = m_source.description() + ": no frame for " + std::to_string(ms) +
                     " ms; reconnecting.";
    }
    return step;
}

InspectionSummary runInspection(camera::FrameSource& source, Classifier& classifier,
                                project::ProjectStore* store, const InspectionOptions& options,
                                const std::function<void(const InspectionEvent&)>& onEvent,
                                const CancelToken* cancel)
{
    auto emit = [&](const InspectionEvent& e) {
        if (onEvent) onEvent(e);
    };
    InspectionStep inspection(classifier, store, options, source.description());
    // A folder replay decodes its JPEG files no larger than the method needs (the decode is a
    // large share of a frame's time at 224 px); the hook goes with this step.
    source.setDecodeReduction([&inspection](cv::Size full) { return inspection.decodeReduction(full); });
    struct Unhook {
        camera::FrameSource& s;
        ~Unhook() { s.setDecodeReduction({}); }
    } unhook{source};
    ResilientSource resilient(source, options, cancel);
    inspection.setLineState(StationState::Running);
    std::int64_t judged = 0;
    bool triggered = false; // with waitForTrigger: a trigger waits for its frame (or a fault)
    while (options.maxFrames < 0 || judged < options.maxFrames) {
        if (options.waitForTrigger && !triggered) {
            triggered = waitForLineTrigger(options.sinks, cancel);
            if (!triggered) break; // cancelled
        }
        auto next = resilient.next();
        if (next.fault) {
            emit(inspection.recordFault(*next.fault));
            triggered = false; // the fault is the trigger's answer
        }
        if (next.end) break;
        if (!next.frame) continue;
        auto e = inspection.process(*next.frame);
        e.reconnected = next.reconnected;
        triggered = false;
        ++judged;
        emit(e);
    }
    inspection.setLineState(StationState::Idle);
    inspection.flush();
    source.close();
    inspection.setReconnects(resilient.reconnects());
    InspectionSummary sum = inspection.summary();
    sum.source = source.stats();
    return sum;
}

} // namespace kizu::inspect
