#include "core/inspect/inspection_runner.h"

#include "core/common/error.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
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

InspectionSummary runInspection(camera::FrameSource& source, Classifier& classifier,
                                project::ProjectStore* store, const InspectionOptions& options,
                                const std::function<void(const InspectionEvent&)>& onEvent,
                                const CancelToken* cancel)
{
    InspectionSummary sum;
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
    auto fault = [&](const std::string& message) {
        ++sum.faults;
        InspectionEvent e;
        e.state = State::Fault;
        e.message = message;
        emit(e);
        project::InspectionRecord r;
        r.at = unixMs();
        r.source = sourceName;
        r.verdict = 2;
        r.modelSha = classifier.id();
        pending.push_back(r);
        flush(); // a fault is written at once
    };

    int backoff = options.reconnectInitialMs;
    int failures = 0;
    // Opens (or reopens) the source; false when cancelled or out of attempts.
    auto connect = [&](bool first) -> bool {
        while (!isCancelled(cancel)) {
            try {
                source.open();
                if (!first) ++sum.reconnects;
                backoff = options.reconnectInitialMs;
                return true;
            } catch (const DeviceError& e) {
                fault(e.what());
                if (options.maxReconnects >= 0 && ++failures > options.maxReconnects) return false;
                sleepCancellable(backoff, cancel);
                backoff = std::min(backoff * 2, options.reconnectMaxMs);
            }
        }
        return false;
    };

    const auto start = Clock::now();
    if (!connect(true)) {
        flush();
        return sum;
    }
    int timeouts = 0;
    while (!isCancelled(cancel) && (options.maxFrames < 0 || sum.frames < options.maxFrames)) {
        std::optional<camera::Frame> frame;
        try {
            frame = source.grab(options.grabTimeoutMs);
        } catch (const DeviceError& e) {
            source.close();
            fault(e.what());
            if (!connect(false)) break;
            continue;
        }
        if (!frame) {
            if (source.finished()) break;
            if (++timeouts >= options.timeoutsBeforeFault) {
                timeouts = 0;
                source.close();
                fault(sourceName + ": no frame for " +
                      std::to_string(options.timeoutsBeforeFault * options.grabTimeoutMs) +
                      " ms; reconnecting.");
                if (!connect(false)) break;
            }
            continue;
        }
        timeouts = 0;
        InspectionEvent e;
        e.frame = frame->sequence;
        e.verdict = classifier.classify(frame->image);
        e.state = e.verdict.ng ? State::Ng : State::Ok;
        e.latencyMs =
            std::chrono::duration<double, std::milli>(Clock::now() - frame->captured).count();
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
            std::vector<uchar> png;
            cv::imencode(".png", frame->image, png);
            e.savedImageId = store->addEncodedImage(std::string(png.begin(), png.end()), ".png",
                                                    "inspect", "", project::Label::Unlabeled);
            r.imageId = e.savedImageId;
        }
        pending.push_back(r);
        if (int(pending.size()) >= options.flushEvery) flush();
        emit(e);
    }
    flush();
    source.close();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    sum.fps = secs > 0 ? double(sum.frames) / secs : 0;
    sum.latencyP50Ms = percentile(latencies, 0.5);
    sum.latencyP99Ms = percentile(latencies, 0.99);
    sum.source = source.stats();
    return sum;
}

} // namespace kizu::inspect
