#include "ui/inspect_pipeline.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/inspect/inspection_step.h"
#include "core/learn/model.h"
#include "core/project/project_store.h"
#include "ui/conversions.h"
#include "ui/worker_store.h"

#include <QMetaObject>
#include <QThread>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace kizu::ui {
using Clock = std::chrono::steady_clock;


struct InspectPipeline::Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<camera::Frame> queue;
    std::size_t capacity = 2;
    bool captureDone = false;
    // What the capture thread saw and the inference thread records, in the step's log.
    struct SourceFault {
        std::string message;
        std::int64_t at = 0; // unix ms
    };
    struct Drop {
        std::int64_t sequence = 0;
        Clock::time_point captured;
    };
    std::vector<SourceFault> faults;
    std::vector<Drop> drops;
    CancelToken cancel;
    std::atomic<qint64> reconnects{0}, lostPackets{0};
    QThread* capture = nullptr;
    QThread* inference = nullptr;
    bool announced = false; // stopped() was emitted for this run (GUI thread only)
    // The reduced decode the methods can take (InspectionStep::decodeReduction), published by
    // the inference thread once its step exists and withdrawn before the step goes; asked by
    // the capture thread's source for each frame, under `mutex`.
    std::function<int(cv::Size)> reduce;
};

InspectPipeline::InspectPipeline(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<InspectResult>();
    qRegisterMetaType<InspectStats>();
}

InspectPipeline::~InspectPipeline()
{
    stopThreads();
}

bool InspectPipeline::isRunning() const
{
    return m_shared && ((m_shared->capture && m_shared->capture->isRunning()) ||
                        (m_shared->inference && m_shared->inference->isRunning()));
}

void InspectPipeline::start(std::unique_ptr<camera::FrameSource> source,
                            std::unique_ptr<inspect::Classifier> classifier,
                            const QString& projectDir, const inspect::InspectionOptions& options,
                            int queueCapacity, std::unique_ptr<inspect::Classifier> second)
{
    stop();
    auto sh = std::make_shared<Shared>();
    inspect::InspectionOptions opts = options;
    if (opts.group.empty()) opts.group = inspect::sessionGroup();
    if (opts.latencyWindow <= 0) opts.latencyWindow = 500; // the screen shows recent latency
    sh->capacity = std::size_t(std::max(1, queueCapacity));
    m_shared = sh;
    std::shared_ptr<camera::FrameSource> src(std::move(source));
    std::shared_ptr<inspect::Classifier> cls(std::move(classifier));
    std::shared_ptr<inspect::Classifier> cls2(std::move(second));
    const std::string sourceName = src->description();
    src->setDecodeReduction([sh](cv::Size full) {
        std::lock_guard lock(sh->mutex);
        return sh->reduce ? sh->reduce(full) : 1;
    });

    sh->capture = QThread::create([this, sh, src, options] {
        inspect::ResilientSource resilient(*src, options, &sh->cancel);
        bool triggered = false; // with the PLC's trigger (docs/line.md): one frame per trigger
        while (true) {
            if (options.waitForTrigger && !triggered &&
                !(triggered = inspect::waitForLineTrigger(options.sinks, &sh->cancel)))
                break; // stopped
            auto step = resilient.next();
            if (step.fault || step.frame) triggered = false;
            sh->reconnects = resilient.reconnects();
            sh->lostPackets = src->stats().lostPackets;
            if (step.fault) {
                {
                    std::lock_guard lock(sh->mutex);
                    sh->faults.push_back({*step.fault, kizu::unixMs()});
                    sh->wake.notify_one();
                }
                InspectResult r;
                r.state = inspect::State::Fault;
                r.message = QString::fromStdString(*step.fault);
                QMetaObject::invokeMethod(
                    this,
                    [this, sh, r] {
                        if (m_shared != sh) return; // from a run that was stopped
                        Q_EMIT faultRaised(r.message);
                        Q_EMIT resultReady(r);
                    },
                    Qt::QueuedConnection);
            }
            if (step.end) break;
            if (!step.frame) continue;
            std::lock_guard lock(sh->mutex);
            if (sh->queue.size() >= sh->capacity) {
                // The oldest waiting frame goes, and leaves a record.
                sh->drops.push_back({sh->queue.front().sequence, sh->queue.front().captured});
                sh->queue.pop_front();
            }
            sh->queue.push_back(std::move(*step.frame));
            sh->wake.notify_one();
        }
        src->close();
        std::lock_guard lock(sh->mutex);
        sh->captureDone = true;
        sh->wake.notify_all();
    });

    sh->inference = QThread::create([this, sh, cls, cls2, projectDir, sourceName, options = opts] {
        // Two stages on two cores: this thread judges on every core but one, the capture thread
        // reads and decodes the next frame on that one. With both on every core the two fight
        // (bench_pipeline, SqueezeNet 224 px, 2 cores: 48 frames/s at p50 33 ms; like this 82
        // frames/s at p50 16 ms). Choosing every core per frame when the line leaves time before
        // its next frame was measured too (2026-12-04): slower at every offered rate, as the
        // OpenMP threads' wake-ups after an idle moment and the overlap with the next decode
        // cost more than the second core gives (docs/learn.md).
        kizu::learn::setThisThreadTorchThreads(
            std::max(1, int(std::thread::hardware_concurrency()) - 1));
        std::optional<project::ProjectStore> store;
        if (!projectDir.isEmpty()) {
            try {
                store.emplace(openWorkerStore(projectDir.toStdString())); // ui/worker_store.h
            } catch (const kizu::Error& e) {
                const QString msg = QString::fromStdString(e.what());
                QMetaObject::invokeMethod(this, [this, msg] { Q_EMIT faultRaised(msg); },
                                          Qt::QueuedConnection);
            }
        }
        inspect::InspectionStep step(*cls, store ? &*store : nullptr, options, sourceName);
        step.setLineState(inspect::StationState::Running); // the line's outputs, if any
        {
            std::lock_guard lock(sh->mutex);
            sh->reduce = [&step, cls2](cv::Size full) {
                int factor = step.decodeReduction(full);
                if (cls2) factor = std::min(factor, inspect::decodeReduction(*cls2, step.roi(), full));
                return factor;
            };
        }
        step.setStoreErrorHandler([this](const std::string& message) {
            const QString msg = QString::fromStdString(message);
            QMetaObject::invokeMethod(
                this, [this, msg] { Q_EMIT faultRaised(msg); }, Qt::QueuedConnection);
        });
        auto lastStats = Clock::now();
        auto windowStart = Clock::now();
        qint64 windowFrames = 0;
        double fps = 0;
        auto publishStats = [&] {
            const auto now = Clock::now();
            const double secs = std::chrono::duration<double>(now - windowStart).count();
            if (secs > 1.0 || fps == 0) {
                fps = secs > 0 ? windowFrames / secs : 0;
                if (secs > 1.0) {
                    windowStart = now;
                    windowFrames = 0;
                }
            }
            const inspect::InspectionSummary sum = step.summary();
            InspectStats st;
            st.fps = fps;
            st.latencyP50Ms = sum.latencyP50Ms;
            st.latencyP99Ms = sum.latencyP99Ms;
            st.ok = sum.ok;
            st.ng = sum.ng;
            st.faults = sum.faults;
            st.dropped = sum.dropped;
            st.reconnects = sh->reconnects;
            st.lostPackets = sh->lostPackets;
            st.runtime = QString::fromStdString(cls->runtime());
            QMetaObject::invokeMethod(
                this,
                [this, sh, st] {
                    if (m_shared == sh) Q_EMIT statsChanged(st);
                },
                Qt::QueuedConnection);
            lastStats = now;
        };
        while (true) {
            std::optional<camera::Frame> frame;
            std::vector<Shared::SourceFault> faults;
            std::vector<Shared::Drop> drops;
            bool done = false;
            {
                std::unique_lock lock(sh->mutex);
                sh->wake.wait_for(lock, std::chrono::milliseconds(200), [&] {
                    return !sh->queue.empty() || sh->captureDone || !sh->faults.empty();
                });
                faults.swap(sh->faults);
                drops.swap(sh->drops);
                if (!sh->queue.empty()) {
                    frame = std::move(sh->queue.front());
                    sh->queue.pop_front();
                } else {
                    done = sh->captureDone;
                }
            }
            // Faults and drops go into the same log as the verdicts, each with its own time.
            for (const auto& f : faults)
                step.recordFault(f.message, f.at);
            for (const auto& d : drops)
                step.recordDrop(d.sequence, d.captured);
            if (frame && !frame->image.empty()) {
                const inspect::InspectionEvent e = step.process(*frame);
                InspectResult r;
                r.state = e.state;
                r.message = QString::fromStdString(e.message);
                r.latencyMs = e.latencyMs;
                r.sequence = e.frame;
                r.score = e.verdict.score;
                r.threshold = e.verdict.threshold;
                if (e.savedImageId) r.imageId = *e.savedImageId;
                r.diskBelowFloor = step.belowDiskFloor();
                r.storageNotice = QString::fromStdString(e.storageNotice);
                if (cls2 && m_second && r.state != inspect::State::Fault) {
                    try {
                        const auto v2 = cls2->classify(step.view(frame->image));
                        r.secondState = v2.ng ? inspect::State::Ng : inspect::State::Ok;
                        r.secondScore = v2.score;
                    } catch (const std::exception&) {
                        r.secondState.reset();
                    }
                }
                r.frameBgr = frame->image;
                r.encoded = frame->encoded;
                r.frame = toQImage(frame->image);
                if (m_heatmap) {
                    cv::Mat h = step.heatmap(frame->image);
                    if (!h.empty()) r.heatmap = heatmapOverlay(h);
                }
                ++windowFrames;
                QMetaObject::invokeMethod(
                    this,
                    [this, sh, r] {
                        if (m_shared == sh) Q_EMIT resultReady(r);
                    },
                    Qt::QueuedConnection);
            }
            if (done) break;
            if (Clock::now() - lastStats > std::chrono::milliseconds(250)) publishStats();
        }
        {
            std::lock_guard lock(sh->mutex);
            sh->reduce = nullptr; // it refers to the step, which ends with this thread
        }
        step.setLineState(inspect::StationState::Idle);
        step.flush();
        publishStats();
        // Announce the end only once this thread has really ended, so that a slot reacting to
        // stopped() sees isRunning() false and may start the next run.
        QMetaObject::invokeMethod(
            this,
            [this, sh] {
                if (sh->announced || m_shared != sh) return; // stop() announced it already
                if (sh->capture) sh->capture->wait();
                if (sh->inference) sh->inference->wait();
                sh->announced = true;
                Q_EMIT stopped();
            },
            Qt::QueuedConnection);
    });
    sh->capture->start();
    sh->inference->start();
}

void InspectPipeline::stop()
{
    if (stopThreads()) Q_EMIT stopped();
}

bool InspectPipeline::stopThreads()
{
    if (!m_shared) return false;
    const bool announce = !m_shared->announced;
    m_shared->announced = true;
    m_shared->cancel.cancel();
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->wake.notify_all();
    }
    for (QThread** t : {&m_shared->capture, &m_shared->inference}) {
        if (!*t) continue;
        (*t)->wait();
        delete *t;
        *t = nullptr;
    }
    m_shared.reset();
    return announce;
}

} // namespace kizu::ui
