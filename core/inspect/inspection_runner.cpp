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
        }
        if (m_everOpened) {
            ++m_reconnects;
            m_justReconnected = true;
        }
        m_everOpened = true;
        m_waitBeforeOpen = false;
        m_backoffMs = m_options.reconnectInitialMs;
        m_failures = 0;
        m_timeouts = 0;
    }
    try {
        step.frame = m_source.grab(m_options.grabTimeoutMs);
    } catch (const DeviceError& e) {
        m_source.close();
        m_waitBeforeOpen = true;
        step.fault = e.what();
        return step;
    }
    if (!step.frame) {
        if (m_source.finished()) {
            step.end = true;
        } else if (++m_timeouts >= m_options.timeoutsBeforeFault) {
            m_timeouts = 0;
            m_source.close();
            m_waitBeforeOpen = true;
            step.fault = m_source.description() + ": no frame for " +
                         std::to_string(m_options.timeoutsBeforeFault * m_options.grabTimeoutMs) +
                         " ms; reconnecting.";
        }
        return step;
    }
    m_timeouts = 0;
    step.reconnected = m_justReconnected;
    m_justReconnected = false;
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
