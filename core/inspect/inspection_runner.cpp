#include "core/inspect/inspection_runner.h"

#include "core/common/error.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <opencv2/imgcodecs.hpp>
#include <thread>
#include <vector>

namespace kizu::inspect {
using Clock = std::chrono::steady_clock;

namespace {
double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t k = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
    return v[k];
}

std::int64_t unixMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Sleeps in small steps so that cancellation is honoured during a back-off.
void sleepCancellable(int ms, const CancelToken* cancel)
{
    auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < until && !isCancelled(cancel))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}
} // namespace

std::string sessionGroup()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&t, &local);
    char buf[40];
    std::strftime(buf, sizeof buf, "camera-%Y-%m-%dT%H-%M-%S", &local);
    return buf;
}

std::int64_t keepFrame(project::ProjectStore& store, const camera::Frame& frame,
                       const std::string& source, const std::string& group, project::Label label)
{
    std::string bytes;
    std::string ext = ".png";
    if (frame.encoded && !frame.encoded->empty()) {
        bytes = *frame.encoded;
        ext.clear(); // the store takes the format from the bytes
    } else {
        std::vector<uchar> png;
        if (frame.image.empty() || !cv::imencode(".png", frame.image, png))
            throw InvalidArgument("There is no frame to keep.");
        bytes.assign(png.begin(), png.end());
    }
    const std::int64_t id = store.addEncodedImage(bytes, ext, source, group, label);
    // addEncodedImage labels only a new image; an existing one is labeled here.
    if (label != project::Label::Unlabeled) store.setLabel(id, label);
    return id;
}

ResilientSource::ResilientSource(camera::FrameSource& source, const InspectionOptions& options,
                                 const CancelToken* cancel)
    : m_source(source), m_options(options), m_cancel(cancel), m_backoffMs(options.reconnectInitialMs)
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
    InspectionSummary sum;
    const std::string group = options.group.empty() ? sessionGroup() : options.group;
    std::vector<double> latencies;
    std::vector<project::InspectionRecord> pending;
    const std::string sourceName = source.description();
    auto flush = [&] {
        if (store && !pending.empty()) store->recordInspections(pending);
        pending.clear();
    };
    auto emit = [&](const InspectionEvent& e) {
        if (onEvent) onEvent(e);
    };
    ResilientSource resilient(source, options, cancel);
    const auto start = Clock::now();
    while (options.maxFrames < 0 || sum.frames < options.maxFrames) {
        auto step = resilient.next();
        if (step.fault) {
            ++sum.faults;
            InspectionEvent e;
            e.state = State::Fault;
            e.message = *step.fault;
            emit(e);
            project::InspectionRecord r;
            r.at = unixMs();
            r.source = sourceName;
            r.verdict = 2;
            r.modelSha = classifier.id();
            pending.push_back(r);
            flush(); // a fault is written at once
        }
        if (step.end) break;
        if (!step.frame) continue;
        const camera::Frame& frame = *step.frame;
        InspectionEvent e;
        e.frame = frame.sequence;
        e.verdict = classifier.classify(frame.image);
        e.state = e.verdict.ng ? State::Ng : State::Ok;
        e.latencyMs = std::chrono::duration<double, std::milli>(Clock::now() - frame.captured).count();
        latencies.push_back(e.latencyMs);
        ++sum.frames;
        (e.verdict.ng ? sum.ng : sum.ok)++;
        project::InspectionRecord r;
        r.at = unixMs();
        r.source = sourceName;
        r.verdict = e.verdict.ng ? 1 : 0;
        r.score = e.verdict.score;
        r.modelSha = classifier.id();
        r.latencyMs = e.latencyMs;
        if (store && e.verdict.ng && options.saveNgFrames) {
            e.savedImageId = keepFrame(*store, frame, "inspect", group);
            r.imageId = e.savedImageId;
        }
        pending.push_back(r);
        if (int(pending.size()) >= options.flushEvery) flush();
        emit(e);
    }
    flush();
    source.close();
    sum.reconnects = resilient.reconnects();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    sum.fps = secs > 0 ? double(sum.frames) / secs : 0;
    sum.latencyP50Ms = percentile(latencies, 0.5);
    sum.latencyP99Ms = percentile(latencies, 0.99);
    sum.source = source.stats();
    return sum;
}

} // namespace kizu::inspect
