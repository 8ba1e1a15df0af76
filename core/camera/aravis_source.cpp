// Aravis (GigE Vision, USB3 Vision) cameras: discovery, settings, streaming with a pool of
// buffers, and the counters an operator needs (timeouts, incomplete frames, lost packets).
#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#ifdef KIZU_HAVE_ARAVIS
#include <arv.h>
#endif

#include <atomic>
#include <stdexcept>

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
        if (camera && stream) {
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
    }
};

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
    const auto& s = m->settings;
    if (s.pixelFormat) {
        arv_camera_set_pixel_format_from_string(m->camera, s.pixelFormat->c_str(), &err);
        check("set the pixel format");
    }
    if (s.exposureUs) {
        arv_camera_set_exposure_time(m->camera, *s.exposureUs, &err);
        check("set the exposure time");
    }
    if (s.gain) {
        arv_camera_set_gain(m->camera, *s.gain, &err);
        check("set the gain");
    }
    m->softwareTrigger = s.softwareTrigger.value_or(false);
    if (m->softwareTrigger) {
        arv_camera_set_trigger(m->camera, "Software", &err);
        check("switch to software trigger");
    } else {
        arv_camera_clear_triggers(m->camera, &err);
        g_clear_error(&err); // not every camera has triggers
        if (s.frameRate) {
            arv_camera_set_frame_rate(m->camera, *s.frameRate, &err);
            check("set the frame rate");
        }
    }
    m->controlLost = false;
    if (ArvDevice* dev = arv_camera_get_device(m->camera))
        m->controlLostHandler =
            g_signal_connect(dev, "control-lost", G_CALLBACK(&Impl::onControlLost), m.get());
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
    if (m->softwareTrigger) {
        GError* err = nullptr;
        arv_camera_software_trigger(m->camera, &err);
        if (err) {
            std::string msg = takeError(err);
            m->release();
            throw DeviceError("Camera " + m->id + " did not accept the trigger: " + msg + ".");
        }
    }
    ArvBuffer* buf = arv_stream_timeout_pop_buffer(m->stream, guint64(timeoutMs) * 1000);
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

SourceStats AravisSource::stats() const { return m->stats; }

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
std::vector<CameraInfo> listCameras() { return {}; }
bool aravisAvailable() { return false; }

#endif

} // namespace kizu::camera
