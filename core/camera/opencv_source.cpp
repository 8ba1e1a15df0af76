// OpenCV VideoCapture sources: a V4L2 device, a video file, an RTSP URL or a GStreamer pipeline.
#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace kizu::camera {

struct OpenCvSource::Impl {
    cv::VideoCapture cap;
};

OpenCvSource::OpenCvSource(int device, std::string target, bool gstreamer, CameraSettings settings)
    : m(std::make_unique<Impl>()), m_device(device), m_target(std::move(target)),
      m_gstreamer(gstreamer), m_settings(std::move(settings))
{
    // A UVC camera has no GenICam trigger or pixel format: refuse them rather than ignore them.
    if (m_device >= 0 && m_settings.trigger && *m_settings.trigger != "free")
        throw InvalidArgument(description() + ": a USB (UVC) camera has no trigger input; use "
                                              "the trigger 'free' or an Aravis camera.");
    if (m_device >= 0 && m_settings.pixelFormat)
        throw InvalidArgument(description() +
                              ": the pixel format of a USB (UVC) camera is not "
                              "set by Kizu (OpenCV decodes what it sends); leave it empty.");
}

OpenCvSource::~OpenCvSource() = default;

void OpenCvSource::open()
{
    bool ok = false;
    try {
        if (m_device >= 0) ok = m->cap.open(m_device, cv::CAP_V4L2);
        else if (m_gstreamer) ok = m->cap.open(m_target, cv::CAP_GSTREAMER);
        else ok = m->cap.open(m_target, cv::CAP_ANY);
    } catch (const cv::Exception& e) {
        ok = false;
    }
    if (!ok || !m->cap.isOpened())
        throw DeviceError("Cannot open " + description() +
                          (m_device >= 0 ? ": check that the camera is plugged in and that "
                                           "no other program uses it."
                                         : ": check the path or URL."));
    if (m_device >= 0) {
        // What OpenCV's V4L2 backend exposes: manual exposure (in 100 us units), gain and rate.
        // A control the device lacks is refused by the driver: said, not ignored.
        auto set = [&](int prop, double value, const char* what) {
            if (!m->cap.set(prop, value)) {
                m->cap.release();
                throw InvalidArgument(description() + " does not accept " + what + " " +
                                      std::to_string(value) +
                                      " (V4L2 control); leave it empty for this camera.");
            }
        };
        if (m_settings.exposureUs) {
            m->cap.set(cv::CAP_PROP_AUTO_EXPOSURE, 1); // V4L2_EXPOSURE_MANUAL
            set(cv::CAP_PROP_EXPOSURE, *m_settings.exposureUs / 100.0, "the exposure");
        }
        if (m_settings.gain) set(cv::CAP_PROP_GAIN, *m_settings.gain, "the gain");
        if (m_settings.frameRate) set(cv::CAP_PROP_FPS, *m_settings.frameRate, "the frame rate");
    }
    m_finished = false;
    m_sequence = 0;
}

void OpenCvSource::close() { m->cap.release(); }
bool OpenCvSource::isOpen() const { return m->cap.isOpened(); }

std::optional<Frame> OpenCvSource::grab(int timeoutMs)
{
    if (!m->cap.isOpened()) throw DeviceError(description() + " is not open.");
    (void)timeoutMs; // VideoCapture has no per-read timeout; V4L2 reads block for one frame
    Frame f;
    bool ok = false;
    try {
        ok = m->cap.read(f.image);
    } catch (const cv::Exception& e) {
        ok = false;
    }
    if (!ok || f.image.empty()) {
        if (m_device < 0 && !m_gstreamer && m_target.find("://") == std::string::npos) {
            m_finished = true; // end of a video file
            return std::nullopt;
        }
        m->cap.release();
        throw DeviceError(description() + " stopped delivering frames (disconnected?).");
    }
    if (f.image.channels() == 1) cv::cvtColor(f.image, f.image, cv::COLOR_GRAY2BGR);
    f.sequence = m_sequence++;
    f.captured = std::chrono::steady_clock::now();
    ++m_stats.frames;
    return f;
}

std::string OpenCvSource::description() const
{
    if (m_device >= 0) return "V4L2 device /dev/video" + std::to_string(m_device);
    return (m_gstreamer ? "GStreamer pipeline " : "video ") + m_target;
}

} // namespace kizu::camera
