// Aravis (GigE Vision, USB3 Vision) cameras: discovery, settings, streaming with a pool of
// buffers, and the counters an operator needs (timeouts, incomplete frames, lost packets).
#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#ifdef KIZU_HAVE_ARAVIS
#include <arv.h>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace kizu::camera {

#ifdef KIZU_HAVE_ARAVIS
namespace {
std::string takeError(GError*& err)
{
    std::string msg = err && err->message ? err->message : "unknown error";
    g_clear_error(&err);
    return msg;
}
std::string str(const char* s) { return s ? s : ""; }

// Sets a stream property when this Aravis version has it (names differ between releases).
template <typename T> void setIfPresent(GObject* object, const char* name, T value)
{
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(object), name))
        g_object_set(object, name, value, nullptr);
}

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

// The strings of an Aravis list call (which sets the count through its guint*); frees the list.
template <typename Call> std::vector<std::string> takeStrings(Call call)
{
    guint n = 0;
    const char** list = call(&n);
    std::vector<std::string> out;
    for (guint k = 0; list && k < n; ++k)
        out.push_back(str(list[k]));
    g_free(list);
    return out;
}

// The first of these features the camera has (SFNC names changed: ExposureTime was
// ExposureTimeAbs), or empty.
std::string firstFeature(ArvDevice* dev, std::initializer_list<const char*> names)
{
    for (const char* n : names) {
        GError* err = nullptr;
        const bool there = arv_device_is_feature_available(dev, n, &err);
        g_clear_error(&err);
        if (there) return n;
    }
    return {};
}

std::string edgeWord(const std::string& activation)
{
    if (activation == "RisingEdge") return "rising";
    if (activation == "FallingEdge") return "falling";
    return activation;
}

// Asks the camera for one register (the GVCP bootstrap version register, which any
// application may read) on a socket of its own, and waits up to waitMs for the answer. A
// connected UDP socket hears an ICMP "port unreachable" at once (a camera process that died,
// a host that is up but has no camera) instead of waiting the whole time.
bool gvcpAnswers(const sockaddr_in& camera, int waitMs)
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return true; // cannot probe: assume alive, the timeouts still work
    bool answered = false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&camera), sizeof camera) == 0) {
        static std::atomic<unsigned> requestId{1};
        const unsigned id = (requestId++ % 0xfffe) + 1;
        // key 0x42, ack required, READREG_CMD (0x0080), 4 bytes, request id, address 0.
        const unsigned char readReg[] = {0x42,
                                         0x01,
                                         0x00,
                                         0x80,
                                         0x00,
                                         0x04,
                                         (unsigned char)(id >> 8),
                                         (unsigned char)(id & 0xff),
                                         0x00,
                                         0x00,
                                         0x00,
                                         0x00};
        if (::send(fd, readReg, sizeof readReg, 0) == ssize_t(sizeof readReg)) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, waitMs) == 1) {
                unsigned char reply[64];
                // Any acknowledge counts: an answer, even an error status, is a live camera.
                answered = ::recv(fd, reply, sizeof reply, 0) >= 8;
            }
        }
    }
    ::close(fd);
    return answered;
}

// How long the stream may be silent before the control channel is asked, and how long each
// of the two probes waits for the answer.
constexpr int kProbeAfterMs = 200;
constexpr int kProbeWaitMs = 150;
} // namespace

struct AravisSource::Impl {
    std::string id;
    CameraSettings settings;
    ArvCamera* camera = nullptr;
    ArvStream* stream = nullptr;
    std::string pixelFormat;
    std::int64_t sequence = 0; // counts on across reconnects: frame numbers stay unique
    SourceStats stats;
    bool softwareTrigger = false;
    bool lineTrigger = false;
    double triggerRate = 0; // software trigger: at most this many triggers per second
    std::chrono::steady_clock::time_point nextTrigger;
    // GigE Vision: the camera's control address, probed when the stream is silent.
    std::optional<sockaddr_in> controlAddress;
    std::chrono::steady_clock::time_point lastBuffer, lastProbe;
    // The camera did not answer a probe: release() sends it no more commands (each would wait
    // for Aravis's retries) and the reconnect starts sooner.
    bool gone = false;
    // Set by Aravis's heartbeat thread when the camera stops answering on its control channel.
    std::atomic<bool> controlLost{false};
    int packetSize = 0; // GigE Vision packet size asked for in the id; 0: Aravis finds it
    gulong controlLostHandler = 0;

    static void onControlLost(ArvDevice*, gpointer self)
    {
        static_cast<Impl*>(self)->controlLost = true;
    }

    void release()
    {
        if (camera && controlLostHandler) {
            if (ArvDevice* dev = arv_camera_get_device(camera))
                g_signal_handler_disconnect(dev, controlLostHandler);
            controlLostHandler = 0;
        }
        if (camera && stream && !gone) {
            GError* err = nullptr;
            arv_camera_stop_acquisition(camera, &err);
            g_clear_error(&err);
        }
        if (stream) g_object_unref(stream);
        if (camera) g_object_unref(camera);
        stream = nullptr;
        camera = nullptr;
    }

    void updateWireStats()
    {
        if (stream && ARV_IS_GV_STREAM(stream)) {
            guint64 resent = 0, missing = 0;
            arv_gv_stream_get_statistics(ARV_GV_STREAM(stream), &resent, &missing);
            stats.lostPackets = std::int64_t(missing);
            stats.resentPackets = std::int64_t(resent);
        }
        if (stream) {
            guint64 completed = 0, failures = 0, underruns = 0;
            arv_stream_get_statistics(stream, &completed, &failures, &underruns);
            stats.received = std::int64_t(completed);
        }
    }

    [[noreturn]] void refuse(const std::string& what)
    {
        release();
        throw InvalidArgument("Camera " + (id.empty() ? std::string("(first found)") : id) + ": " +
                              what);
    }

    // A value against the camera's range for that feature.
    void checkRange(const char* label, const std::string& feature, double value, double lo,
                    double hi, const char* unit)
    {
        if (std::isfinite(value) && value >= lo && value <= hi) return;
        refuse(std::string(label) + " " + num(value) + unit + " is outside the camera's range " +
               num(lo) + " to " + num(hi) + unit + " (GenICam " + feature +
               "). Give a value in that range.");
    }

    void applySettings();
    CameraReadout read() const;
};

// Checks every setting against the camera's ranges and lists before it is applied, so that a
// wrong value is refused with the feature and the allowed range, never silently clamped.
void AravisSource::Impl::applySettings()
{
    GError* err = nullptr;
    ArvDevice* dev = arv_camera_get_device(camera);
    auto check = [&](const std::string& what) {
        if (err) {
            std::string msg = takeError(err);
            release();
            throw DeviceError("Camera " + id + ": cannot " + what + ": " + msg + ".");
        }
    };
    auto missing = [&](const char* what, const char* feature) {
        refuse(std::string("this camera has no ") + what + " (GenICam " + feature +
               "); leave it empty.");
    };
    const auto& s = settings;
    if (s.pixelFormat) {
        const auto formats = takeStrings([&](guint* count) {
            return arv_camera_dup_available_pixel_formats_as_strings(camera, count, &err);
        });
        g_clear_error(&err);
        if (!formats.empty() &&
            std::find(formats.begin(), formats.end(), *s.pixelFormat) == formats.end())
            refuse("pixel format '" + *s.pixelFormat +
                   "' is not one the camera offers (GenICam "
                   "PixelFormat: " +
                   joined(formats) + ").");
        arv_camera_set_pixel_format_from_string(camera, s.pixelFormat->c_str(), &err);
        check("set the pixel format");
    }
    if (s.exposureUs) {
        const std::string feature = firstFeature(dev, {"ExposureTime", "ExposureTimeAbs"});
        if (feature.empty()) missing("exposure time", "ExposureTime");
        double lo = 0, hi = 0;
        arv_camera_get_exposure_time_bounds(camera, &lo, &hi, &err);
        check("read the exposure range");
        checkRange("exposure", feature, *s.exposureUs, lo, hi, " us");
        arv_camera_set_exposure_time(camera, *s.exposureUs, &err);
        check("set the exposure time");
    }
    if (s.gain) {
        const std::string feature = firstFeature(dev, {"Gain", "GainRaw", "GainAbs"});
        if (feature.empty()) missing("gain", "Gain");
        double lo = 0, hi = 0;
        arv_camera_get_gain_bounds(camera, &lo, &hi, &err);
        check("read the gain range");
        checkRange("gain", feature, *s.gain, lo, hi, "");
        arv_camera_set_gain(camera, *s.gain, &err);
        check("set the gain");
    }
    if (s.frameRate) {
        const std::string feature =
            firstFeature(dev, {"AcquisitionFrameRate", "AcquisitionFrameRateAbs"});
        if (feature.empty()) missing("frame rate", "AcquisitionFrameRate");
        double lo = 0, hi = 0;
        arv_camera_get_frame_rate_bounds(camera, &lo, &hi, &err);
        check("read the frame rate range");
        checkRange("frame rate", feature, *s.frameRate, lo, hi, " fps");
    }
    const std::string trigger = s.trigger.value_or("free");
    softwareTrigger = trigger == "software";
    lineTrigger = trigger != "free" && !softwareTrigger;
    triggerRate = softwareTrigger ? s.frameRate.value_or(0) : 0;
    if ((s.triggerEdge || s.triggerDelayUs) && !lineTrigger)
        refuse("a trigger edge or delay needs a line trigger (line0, line1, ...), not '" + trigger +
               "'.");
    if (trigger == "free") {
        arv_camera_clear_triggers(camera, &err);
        g_clear_error(&err); // not every camera has triggers
        if (s.frameRate) {
            arv_camera_set_frame_rate(camera, *s.frameRate, &err);
            check("set the frame rate");
        }
    } else {
        auto sources = takeStrings([&](guint* count) {
            return arv_camera_dup_available_trigger_sources(camera, count, &err);
        });
        g_clear_error(&err);
        const std::string wanted = softwareTrigger ? "Software" : trigger;
        std::vector<std::string> offered;
        for (const auto& src : sources)
            offered.push_back(src == "Software" ? "software" : src);
        if (std::find(sources.begin(), sources.end(), wanted) == sources.end())
            refuse("trigger '" + (softwareTrigger ? std::string("software") : trigger) +
                   "' is not one the camera offers (GenICam TriggerSource: " +
                   (offered.empty() ? std::string("none") : joined(offered)) + ").");
        arv_camera_set_trigger(camera, wanted.c_str(), &err);
        check("switch to the " + wanted + " trigger");
        if (s.triggerEdge) {
            const std::string activation =
                *s.triggerEdge == "falling" ? "FallingEdge" : "RisingEdge";
            auto edges = takeStrings([&](guint* count) {
                return arv_device_dup_available_enumeration_feature_values_as_strings(
                    dev, "TriggerActivation", count, &err);
            });
            g_clear_error(&err);
            if (std::find(edges.begin(), edges.end(), activation) == edges.end()) {
                std::vector<std::string> words;
                for (const auto& e : edges)
                    words.push_back(edgeWord(e));
                refuse("trigger edge '" + *s.triggerEdge +
                       "' is not one the camera offers (GenICam TriggerActivation: " +
                       (words.empty() ? std::string("none") : joined(words)) + ").");
            }
            arv_device_set_string_feature_value(dev, "TriggerActivation", activation.c_str(), &err);
            check("set the trigger edge");
        }
        if (s.triggerDelayUs) {
            const std::string feature = firstFeature(dev, {"TriggerDelay", "TriggerDelayAbs"});
            if (feature.empty()) missing("trigger delay", "TriggerDelay");
            double lo = 0, hi = 0;
            arv_device_get_float_feature_bounds(dev, feature.c_str(), &lo, &hi, &err);
            check("read the trigger delay range");
            checkRange("trigger delay", feature, *s.triggerDelayUs, lo, hi, " us");
            arv_device_set_float_feature_value(dev, feature.c_str(), *s.triggerDelayUs, &err);
            check("set the trigger delay");
        }
    }
}

CameraReadout AravisSource::Impl::read() const
{
    CameraReadout r;
    if (!camera) return r;
    ArvDevice* dev = arv_camera_get_device(camera);
    GError* err = nullptr;
    auto value = [&](double v) -> std::optional<double> {
        if (err) {
            g_clear_error(&err);
            return std::nullopt;
        }
        return v;
    };
    auto range = [&](auto fn, const char* feature) -> std::optional<CameraReadout::Range> {
        double lo = 0, hi = 0;
        if (feature && firstFeature(dev, {feature}).empty()) return std::nullopt;
        fn(&lo, &hi, &err);
        if (err) {
            g_clear_error(&err);
            return std::nullopt;
        }
        return CameraReadout::Range{lo, hi};
    };
    if (arv_camera_is_exposure_time_available(camera, nullptr)) {
        r.exposureUs = value(arv_camera_get_exposure_time(camera, &err));
        r.exposureRange =
            range([&](double* a, double* b,
                      GError** e) { arv_camera_get_exposure_time_bounds(camera, a, b, e); },
                  nullptr);
    }
    if (arv_camera_is_gain_available(camera, nullptr)) {
        r.gain = value(arv_camera_get_gain(camera, &err));
        r.gainRange = range(
            [&](double* a, double* b, GError** e) { arv_camera_get_gain_bounds(camera, a, b, e); },
            nullptr);
    }
    if (arv_camera_is_frame_rate_available(camera, nullptr)) {
        r.frameRate = value(arv_camera_get_frame_rate(camera, &err));
        r.frameRateRange =
            range([&](double* a, double* b,
                      GError** e) { arv_camera_get_frame_rate_bounds(camera, a, b, e); },
                  nullptr);
    }
    r.pixelFormat = str(arv_camera_get_pixel_format_as_string(camera, &err));
    g_clear_error(&err);
    r.pixelFormats = takeStrings([&](guint* count) {
        return arv_camera_dup_available_pixel_formats_as_strings(camera, count, &err);
    });
    g_clear_error(&err);
    for (auto& src : takeStrings([&](guint* count) {
             return arv_camera_dup_available_trigger_sources(camera, count, &err);
         }))
        r.triggerSources.push_back(src == "Software" ? "software" : src);
    g_clear_error(&err);
    r.trigger = "free";
    if (!r.triggerSources.empty()) {
        // The FrameStart trigger is the one Kizu sets (arv_camera_set_trigger selects it).
        arv_device_set_string_feature_value(dev, "TriggerSelector", "FrameStart", &err);
        g_clear_error(&err);
        const std::string mode = str(arv_device_get_string_feature_value(dev, "TriggerMode", &err));
        g_clear_error(&err);
        if (mode == "On") {
            const std::string src =
                str(arv_device_get_string_feature_value(dev, "TriggerSource", &err));
            g_clear_error(&err);
            r.trigger = src == "Software" ? "software" : src;
        }
        r.triggerEdge =
            edgeWord(str(arv_device_get_string_feature_value(dev, "TriggerActivation", &err)));
        g_clear_error(&err);
        for (auto& e : takeStrings([&](guint* count) {
                 return arv_device_dup_available_enumeration_feature_values_as_strings(
                     dev, "TriggerActivation", count, &err);
             }))
            r.triggerEdges.push_back(edgeWord(e));
        g_clear_error(&err);
        if (const std::string f = firstFeature(dev, {"TriggerDelay", "TriggerDelayAbs"});
            !f.empty()) {
            r.triggerDelayUs = value(arv_device_get_float_feature_value(dev, f.c_str(), &err));
            double lo = 0, hi = 0;
            arv_device_get_float_feature_bounds(dev, f.c_str(), &lo, &hi, &err);
            if (!err) r.triggerDelayRange = CameraReadout::Range{lo, hi};
            g_clear_error(&err);
        }
    }
    return r;
}

AravisSource::AravisSource(std::string id, CameraSettings settings) : m(std::make_unique<Impl>())
{
    // "ID?packet-size=N": a GigE Vision packet size in bytes (e.g. 9000 on a jumbo-frame
    // network), for cameras whose size Aravis cannot find out by itself.
    if (const auto q = id.find('?'); q != std::string::npos) {
        const std::string query = id.substr(q + 1);
        id.resize(q);
        const std::string key = "packet-size=";
        int size = 0;
        try {
            std::size_t used = 0;
            if (query.rfind(key, 0) != 0) throw std::invalid_argument("key");
            size = std::stoi(query.substr(key.size()), &used);
            if (used != query.size() - key.size() || size < 576 || size > 65500)
                throw std::invalid_argument("range");
        } catch (const std::exception&) {
            throw InvalidArgument("Camera " + id + ": '?" + query +
                                  "' is not understood; the one option is ?packet-size=N "
                                  "(bytes, 576 to 65500, e.g. 9000 for jumbo frames).");
        }
        m->packetSize = size;
    }
    m->id = std::move(id);
    m->settings = std::move(settings);
}

AravisSource::~AravisSource() { m->release(); }

void AravisSource::open()
{
    m->release();
    GError* err = nullptr;
    m->camera = arv_camera_new(m->id.empty() ? nullptr : m->id.c_str(), &err);
    if (!m->camera)
        throw DeviceError("Cannot open camera " + (m->id.empty() ? std::string("(first found)") : m->id) +
                          ": " + takeError(err) +
                          ". Check the cable and power, and 'kizu-cli camera list'.");
    auto check = [&](const char* what) {
        if (err) {
            std::string msg = takeError(err);
            m->release();
            throw DeviceError(std::string("Camera ") + m->id + ": cannot " + what + ": " + msg + ".");
        }
    };
    m->applySettings();
    m->controlLost = false;
    m->gone = false;
    if (ArvDevice* dev = arv_camera_get_device(m->camera))
        m->controlLostHandler =
            g_signal_connect(dev, "control-lost", G_CALLBACK(&Impl::onControlLost), m.get());
    m->controlAddress.reset();
    if (ArvDevice* dev = arv_camera_get_device(m->camera); dev && ARV_IS_GV_DEVICE(dev)) {
        GSocketAddress* address = arv_gv_device_get_device_address(ARV_GV_DEVICE(dev));
        sockaddr_in sa{};
        if (address && g_socket_address_to_native(address, &sa, sizeof sa, nullptr) &&
            sa.sin_family == AF_INET)
            m->controlAddress = sa;
    }
    if (arv_camera_is_gv_device(m->camera)) {
        // The largest packet the path carries: fewer packets per frame, fewer to lose.
        if (m->packetSize > 0) {
            arv_camera_gv_set_packet_size(m->camera, m->packetSize, &err);
            check("set the packet size");
        } else {
            arv_camera_gv_auto_packet_size(m->camera, &err);
            g_clear_error(&err);
        }
    }
    m->pixelFormat = str(arv_camera_get_pixel_format_as_string(m->camera, &err));
    check("read the pixel format");
    m->stream = arv_camera_create_stream(m->camera, nullptr, nullptr, &err);
    if (!m->stream) {
        std::string msg = takeError(err);
        m->release();
        throw DeviceError("Camera " + m->id + ": cannot create a stream: " + msg + ".");
    }
    if (ARV_IS_GV_STREAM(m->stream)) {
        // GigE Vision: ask the camera to resend lost packets (where it supports it) and give
        // the socket a buffer of a whole frame, so that a burst does not overflow it.
        GObject* st = G_OBJECT(m->stream);
        setIfPresent(st, "packet-resend", ARV_GV_STREAM_PACKET_RESEND_ALWAYS);
        setIfPresent(st, "socket-buffer", ARV_GV_STREAM_SOCKET_BUFFER_AUTO);
    }
    const guint payload = arv_camera_get_payload(m->camera, &err);
    check("read the payload size");
    for (int k = 0; k < 16; ++k) arv_stream_push_buffer(m->stream, arv_buffer_new(payload, nullptr));
    arv_camera_set_acquisition_mode(m->camera, ARV_ACQUISITION_MODE_CONTINUOUS, &err);
    check("set continuous acquisition");
    arv_camera_start_acquisition(m->camera, &err);
    check("start acquisition");
    m->lastBuffer = m->lastProbe = m->nextTrigger = std::chrono::steady_clock::now();
}

void AravisSource::close() { m->release(); }
bool AravisSource::isOpen() const { return m->camera != nullptr; }

std::optional<Frame> AravisSource::grab(int timeoutMs)
{
    if (!m->stream) throw DeviceError("Camera " + m->id + " is not open.");
    if (m->controlLost) {
        // Not released here: that waits for a camera that no longer answers. The caller
        // reports this first and closes the source afterwards.
        throw DeviceError("Camera " + m->id +
                          " stopped answering on its control channel (control lost): check "
                          "its power and cable; reconnecting.");
    }
    using Clock = std::chrono::steady_clock;
    if (m->softwareTrigger) {
        if (m->triggerRate > 0) {
            // The configured rate: no trigger before the next one is due.
            const auto now = Clock::now();
            if (m->nextTrigger > now) std::this_thread::sleep_until(m->nextTrigger);
            m->nextTrigger = std::max(m->nextTrigger, now) +
                             std::chrono::microseconds(std::int64_t(1e6 / m->triggerRate));
        }
        // A trigger sent to a camera that is gone blocks in Aravis's command retries (15 s
        // measured with the fake camera): one register read on the side first (a round trip).
        if (m->controlAddress && !gvcpAnswers(*m->controlAddress, kProbeWaitMs) &&
            !gvcpAnswers(*m->controlAddress, kProbeWaitMs)) {
            m->gone = true;
            throw DeviceError("Camera " + m->id +
                              " does not answer on its control channel (no "
                              "reply to a register read before the software trigger): check its "
                              "power and cable; reconnecting.");
        }
        GError* err = nullptr;
        arv_camera_software_trigger(m->camera, &err);
        if (err) {
            // Not released here (that waits for the camera again): the caller closes it.
            std::string msg = takeError(err);
            m->gone = true;
            throw DeviceError("Camera " + m->id + " did not accept the trigger: " + msg + ".");
        }
    }
    // Waits in slices: when the stream has been silent for kProbeAfterMs, the camera is asked
    // on its control channel whether it is still there, so that a camera that is gone is
    // seen within a fraction of a second rather than after the grab timeout (or after
    // Aravis's heartbeat, which takes about 5 s), and a line-triggered camera waiting for
    // its next part is not taken for a lost one.
    const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(0, timeoutMs));
    ArvBuffer* buf = nullptr;
    while (true) {
        const auto now = Clock::now();
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
        const auto slice = std::clamp<std::int64_t>(left.count(), 0, kProbeAfterMs * 1000);
        buf = arv_stream_timeout_pop_buffer(m->stream, guint64(slice));
        if (buf) {
            m->lastBuffer = Clock::now();
            break;
        }
        if (m->controlLost)
            throw DeviceError("Camera " + m->id +
                              " stopped answering on its control channel (control lost): check "
                              "its power and cable; reconnecting.");
        const auto after = Clock::now();
        const auto silentMs = [&](Clock::time_point t) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(after - t).count();
        };
        if (m->controlAddress && silentMs(m->lastBuffer) >= kProbeAfterMs &&
            silentMs(m->lastProbe) >= kProbeAfterMs) {
            // Two tries, so that one lost datagram on a busy network is no FAULT.
            const bool alive = gvcpAnswers(*m->controlAddress, kProbeWaitMs) ||
                               gvcpAnswers(*m->controlAddress, kProbeWaitMs);
            m->lastProbe = Clock::now();
            m->gone = !alive;
            if (!alive)
                throw DeviceError("Camera " + m->id +
                                  " does not answer on its control channel (no "
                                  "frame for " +
                                  std::to_string(silentMs(m->lastBuffer)) +
                                  " ms and no reply to a register read): check its power and "
                                  "cable; reconnecting.");
        }
        if (after >= deadline) break;
    }
    m->updateWireStats();
    if (!buf) {
        ++m->stats.timeouts;
        return std::nullopt;
    }
    std::optional<Frame> out;
    if (arv_buffer_get_status(buf) == ARV_BUFFER_STATUS_SUCCESS) {
        size_t size = 0;
        const void* data = arv_buffer_get_data(buf, &size);
        const int w = arv_buffer_get_image_width(buf), h = arv_buffer_get_image_height(buf);
        Frame f;
        try {
            f.image = toBgr(data, size, w, h, m->pixelFormat);
        } catch (...) {
            arv_stream_push_buffer(m->stream, buf);
            throw;
        }
        f.sequence = m->sequence++;
        f.captured = std::chrono::steady_clock::now();
        // The camera's own clock and frame id: what a result is traced back to (docs/line.md).
        if (const guint64 ts = arv_buffer_get_timestamp(buf)) f.deviceTimestampNs = ts;
        f.deviceFrameId = std::uint64_t(arv_buffer_get_frame_id(buf));
        ++m->stats.frames;
        out = std::move(f);
    } else {
        ++m->stats.incomplete;
    }
    arv_stream_push_buffer(m->stream, buf);
    return out;
}

std::string AravisSource::description() const
{
    return "camera " + (m->id.empty() ? std::string("(first found)") : m->id);
}

SourceStats AravisSource::stats() const
{
    m->updateWireStats();
    return m->stats;
}
bool AravisSource::externallyTriggered() const
{
    return m->lineTrigger;
}
std::optional<CameraReadout> AravisSource::readout() const
{
    if (!m->camera) return std::nullopt;
    return m->read();
}

std::vector<CameraInfo> listCameras()
{
    arv_update_device_list();
    std::vector<CameraInfo> out;
    const unsigned n = arv_get_n_devices();
    for (unsigned k = 0; k < n; ++k)
        out.push_back({str(arv_get_device_id(k)), str(arv_get_device_vendor(k)),
                       str(arv_get_device_model(k)), str(arv_get_device_serial_nbr(k)),
                       str(arv_get_device_address(k)), str(arv_get_device_protocol(k))});
    return out;
}

bool aravisAvailable() { return true; }

#else

struct AravisSource::Impl {};
AravisSource::AravisSource(std::string, CameraSettings) : m(std::make_unique<Impl>()) {}
AravisSource::~AravisSource() = default;
void AravisSource::open()
{
    throw DeviceError("This build of Kizu has no Aravis support: install libaravis-dev and rebuild.");
}
void AravisSource::close() {}
bool AravisSource::isOpen() const { return false; }
std::optional<Frame> AravisSource::grab(int) { return std::nullopt; }
std::string AravisSource::description() const { return "camera (no Aravis support)"; }
SourceStats AravisSource::stats() const { return {}; }
bool AravisSource::externallyTriggered() const
{
    return false;
}
std::optional<CameraReadout> AravisSource::readout() const
{
    return std::nullopt;
}
std::vector<CameraInfo> listCameras() { return {}; }
bool aravisAvailable() { return false; }

#endif

} // namespace kizu::camera
