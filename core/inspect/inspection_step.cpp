#include "core/inspect/inspection_step.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/imaging/barcode.h"
#include "core/imaging/thumbnail.h"
#include "core/project/project_roi.h"

#include <algorithm>
#include <ctime>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>

namespace kizu::inspect {
using Clock = std::chrono::steady_clock;

namespace {
double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    const std::size_t k = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
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

InspectionStep::InspectionStep(Classifier& classifier, project::ProjectStore* store,
                               const InspectionOptions& options, std::string sourceName)
    : m_classifier(classifier), m_store(store), m_options(options),
      m_sourceName(std::move(sourceName)), m_methodId(classifier.id()),
      m_methodName(classifier.name()), m_nextPart(options.partCounterFrom), m_start(Clock::now())
{
    if (m_options.group.empty()) m_options.group = sessionGroup();
    if (m_options.roi)
        m_roi = *m_options.roi;
    else if (m_store)
        if (auto roi = project::projectRoi(*m_store)) m_roi = *roi;
    m_roi.validate();
    if (m_store && m_options.saveNgFrames) {
        // The policy is applied at the start; a failure then is reported with the first NG
        // frame (through the store error handler, which is not set yet).
        try {
            m_retention.emplace(*m_store, loadRetentionPolicy(*m_store), kNgFrameSource);
            m_removed += m_retention->start().removed;
        } catch (const kizu::Error& e) {
            m_retentionError = e.what();
        }
    }
}

cv::Mat InspectionStep::view(const cv::Mat& frame) const
{
    return m_roi.empty() ? frame : imaging::applyRoi(frame, m_roi);
}

int decodeReduction(const Classifier& method, const imaging::Roi& roi, cv::Size full)
{
    if (full.width < 1 || full.height < 1) return 1;
    const cv::Rect box = roi.empty() ? cv::Rect({0, 0}, full) : roi.boundingBox(full);
    if (box.width < 1 || box.height < 1) return 1;
    return imaging::reductionToCover(box.size(), method.inputNeed(box.size()));
}

int InspectionStep::decodeReduction(cv::Size full) const
{
    if (m_options.barcodePartId) return 1;
    return inspect::decodeReduction(m_classifier, m_roi, full);
}

cv::Mat InspectionStep::heatmap(const cv::Mat& frame)
{
    if (m_roi.empty()) return m_classifier.heatmap(frame);
    const cv::Mat h = m_classifier.heatmap(view(frame));
    if (h.empty()) return {};
    const cv::Rect box = m_roi.boundingBox(frame.size());
    cv::Mat out = cv::Mat::zeros(frame.size(), CV_32F);
    cv::Mat part;
    h.convertTo(part, CV_32F);
    if (part.size() != box.size()) cv::resize(part, part, box.size());
    part.copyTo(out(box), m_roi.mask(frame.size())(box));
    return out;
}

InspectionStep::~InspectionStep()
{
    try {
        flush();
    } catch (...) {
        // a destructor must not throw; flush() before it to see the error
    }
}

void InspectionStep::storeFailed(const std::exception& e)
{
    if (!m_onStoreError) throw;
    m_onStoreError(e.what());
}

std::string InspectionStep::takePartId(const cv::Mat* frame)
{
    std::string id;
    for (ResultSink* sink : m_options.sinks) // each sink's id is taken, so none is left for later
        if (auto p = sink->takePartId(); !p.empty() && id.empty()) id = std::move(p);
    if (id.empty() && frame && m_options.barcodePartId) {
        try {
            id = imaging::readBarcode(*frame);
        } catch (const std::exception&) {
            // no barcode reader: the CLI and the GUI refuse the option before a run
        }
    }
    if (id.empty() && m_nextPart) id = std::to_string((*m_nextPart)++);
    return id;
}

void InspectionStep::toLine(const project::InspectionRecord& r, const Verdict& v)
{
    if (m_options.sinks.empty()) return;
    LineResult out;
    out.counter = ++m_lineCounter;
    out.at = r.at;
    out.partId = r.partId;
    out.frame = r.frame.value_or(-1);
    out.cameraTimestampNs = r.cameraTimestampNs;
    out.cameraFrameId = r.cameraFrameId;
    out.state = r.state;
    out.score = v.score;
    out.threshold = v.threshold;
    out.modelSha = m_methodId;
    out.method = m_methodName;
    out.latencyMs = r.latencyMs;
    out.message = r.message;
    const StationState state = r.state == State::Fault ? StationState::Fault : StationState::Running;
    for (ResultSink* sink : m_options.sinks) {
        if (m_lineState != state) sink->setState(state);
        sink->publish(out);
    }
    m_lineState = state;
}

void InspectionStep::setLineState(StationState state)
{
    for (ResultSink* sink : m_options.sinks) sink->setState(state);
    m_lineState = state;
}

void InspectionStep::record(project::InspectionRecord r, bool now)
{
    r.source = m_sourceName;
    r.modelSha = m_methodId;
    r.method = m_methodName;
    if (!m_store) return;
    m_pending.push_back(std::move(r));
    if (now || int(m_pending.size()) >= m_options.flushEvery) flush();
}

void InspectionStep::flush()
{
    if (!m_store || m_pending.empty()) return;
    std::vector<project::InspectionRecord> batch;
    batch.swap(m_pending); // a batch that cannot be written is not tried again and again
    try {
        m_store->recordInspections(batch);
    } catch (const kizu::Error& e) {
        storeFailed(e);
    }
}

InspectionEvent InspectionStep::process(const camera::Frame& frame)
{
    InspectionEvent e;
    e.frame = frame.sequence;
    e.at = unixMsAt(frame.captured);
    try {
        e.verdict = m_classifier.classify(view(frame.image));
        e.state = e.verdict.ng ? State::Ng : State::Ok;
    } catch (const std::exception& ex) {
        e.state = State::Fault;
        e.verdict = {};
        e.message = m_classifier.name() + " could not judge frame " +
                    std::to_string(frame.sequence) + ": " + ex.what();
    }
    e.latencyMs = std::chrono::duration<double, std::milli>(Clock::now() - frame.captured).count();
    project::InspectionRecord r;
    r.at = e.at;
    r.state = e.state;
    r.frame = frame.sequence;
    r.cameraTimestampNs = frame.deviceTimestampNs;
    r.cameraFrameId = frame.deviceFrameId;
    r.partId = e.partId = takePartId(&frame.image);
    r.threshold = e.verdict.threshold;
    r.message = e.message;
    if (e.state == State::Fault) {
        ++m_faults;
        toLine(r, e.verdict);
        record(std::move(r), true);
        return e;
    }
    m_latencies.push_back(e.latencyMs);
    if (m_options.latencyWindow > 0 && int(m_latencies.size()) > m_options.latencyWindow)
        m_latencies.pop_front();
    (e.state == State::Ng ? m_ng : m_ok)++;
    r.score = e.verdict.score;
    r.latencyMs = e.latencyMs;
    if (m_store && e.state == State::Ng && m_options.saveNgFrames) {
        if (!m_retentionError.empty()) {
            const StoreError error("Applying the project's frame retention failed: " +
                                   std::exchange(m_retentionError, {}));
            if (!m_onStoreError) throw error;
            m_onStoreError(error.what());
        }
        // Under the free-disk floor the frame is not kept; the verdict is recorded and says so.
        const std::uint64_t estimate = frame.encoded && !frame.encoded->empty()
                                           ? frame.encoded->size()
                                           : frame.image.total() * frame.image.elemSize();
        const bool room = !m_retention || m_retention->mayKeep(estimate);
        if (m_retention) e.storageNotice = m_retention->takeNotice();
        if (!room) {
            e.frameNotKept = true;
            ++m_notKept;
            r.message = "frame not kept: free disk space under the retention floor";
        } else {
            try {
                e.savedImageId = keepFrame(*m_store, frame, kNgFrameSource, m_options.group);
                r.imageId = e.savedImageId;
                if (m_retention)
                    m_removed += m_retention->kept(*e.savedImageId, 0, [this] { flush(); }).removed;
            } catch (const kizu::Error& ex) {
                storeFailed(ex); // with a handler: the verdict is still recorded, without its frame
            }
        }
    }
    toLine(r, e.verdict);
    record(std::move(r), false);
    return e;
}

InspectionEvent InspectionStep::recordFault(const std::string& message, std::int64_t at)
{
    InspectionEvent e;
    e.state = State::Fault;
    e.message = message;
    e.at = at ? at : unixMs();
    ++m_faults;
    project::InspectionRecord r;
    r.at = e.at;
    r.state = State::Fault;
    r.message = message;
    toLine(r, {});
    record(std::move(r), true);
    return e;
}

void InspectionStep::recordDrop(std::int64_t sequence, Clock::time_point captured)
{
    ++m_dropped;
    project::InspectionRecord r;
    r.at = unixMsAt(captured);
    r.state = State::Dropped;
    r.frame = sequence;
    toLine(r, {});
    record(std::move(r), false);
}

InspectionSummary InspectionStep::summary() const
{
    InspectionSummary s;
    s.ok = m_ok;
    s.ng = m_ng;
    s.frames = m_ok + m_ng;
    s.faults = m_faults;
    s.dropped = m_dropped;
    s.reconnects = m_reconnects;
    s.framesNotKept = m_notKept;
    s.framesRemoved = m_removed;
    const std::vector<double> lat(m_latencies.begin(), m_latencies.end());
    s.latencyP50Ms = percentile(lat, 0.5);
    s.latencyP99Ms = percentile(lat, 0.99);
    const double secs = std::chrono::duration<double>(Clock::now() - m_start).count();
    s.fps = secs > 0 ? double(s.frames) / secs : 0;
    return s;
}

} // namespace kizu::inspect
