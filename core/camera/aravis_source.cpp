// Aravis (GigE Vision, USB3 Vision) cameras: discovery, settings, streaming with a pool of
// buffers, and the counters an operator needs (timeouts, incomplete frames, lost packets).
#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#ifdef KIZU_HAVE_ARAVIS
#include <arv.h>
#endif

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
} // namespace

struct AravisSource::Impl {
    std::string id;
    CameraSettings settings;
    ArvCamera* camera = nullptr;
    ArvStream* stream = nullptr;
    std::string pixelFormat;
    std::int64_t sequence = 0;
    SourceStats stats;
    bool softwareTrigger = false;

    void release()
    {
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
    if (arv_camera_is_gv_device(m->camera)) {
        arv_camera_gv_auto_packet_size(m->camera, &err);
        g_clear_error(&err);
    }
    m->pixelFormat = str(arv_camera_get_pixel_format_as_string(m->camera, &err));
    check("read the pixel format");
    m->stream = arv_camera_create_stream(m->camera, nullptr, nullptr, &err);
    if (!m->stream) {
        std::string msg = takeError(err);
        m->release();
        throw DeviceError("Camera " + m->id + ": cannot create a stream: " + msg + ".");
    }
    const guint payload = arv_camera_get_payload(m->camera, &err);
    check("read the payload size");
    for (int k = 0; k < 8; ++k) arv_stream_push_buffer(m->stream, arv_buffer_new(payload, nullptr));
    arv_camera_set_acquisition_mode(m->camera, ARV_ACQUISITION_MODE_CONTINUOUS, &err);
    check("set continuous acquisition");
    arv_camera_start_acquisition(m->camera, &err);
    check("start acquisition");
    m->sequence = 0;
}

void AravisSource::close() { m->release(); }
bool AravisSource::isOpen() const { return m->camera != nullptr; }

std::optional<Frame> AravisSource::grab(int timeoutMs)
{
    if (!m->stream) throw DeviceError("Camera " + m->id + " is not open.");
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
