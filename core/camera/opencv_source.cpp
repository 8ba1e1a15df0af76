// OpenCV VideoCapture sources: a V4L2 device, a video file, an RTSP URL or a GStreamer pipeline.
#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace kizu::camera {

struct OpenCvSource::Impl {
    cv::VideoCapture cap;
};

OpenCvSource::OpenCvSource(int device, std::string target, bool gstreamer)
    : m(std::make_unique<Impl>()), m_device(device), m_target(std::move(target)),
      m_gstreamer(gstreamer)
{
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
