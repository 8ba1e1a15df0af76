// Frame sources behind one interface: Aravis GigE Vision / USB3 Vision cameras, OpenCV
// VideoCapture (a V4L2 device, a video file, an RTSP or GStreamer pipeline) and folder replay
// at a set rate. Sources are synchronous: grab() waits for the next frame up to a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::camera {

struct Frame {
    cv::Mat image;              // 8-bit BGR
    std::int64_t sequence = 0;  // counts from 0 per opened source
    std::chrono::steady_clock::time_point captured; // host time when the frame arrived
    std::string label;          // folder replay: the file name; otherwise empty
    // Folder replay: the file's bytes as read, so that keeping the frame keeps the file itself
    // (and a file already in the project is recognised by its hash); null for cameras.
    std::shared_ptr<const std::string> encoded;
    // The camera's own timestamp (ns, its clock) and frame id, when it gives them (Aravis).
    std::optional<std::uint64_t> deviceTimestampNs;
    std::optional<std::uint64_t> deviceFrameId;
};

struct SourceStats {
    std::int64_t frames = 0;       // frames delivered
    std::int64_t timeouts = 0;     // grab() calls that saw no frame in time
    std::int64_t incomplete = 0;   // frames dropped by the source as incomplete or corrupt
    std::int64_t lostPackets = 0;  // GigE Vision: packets missing on the wire
    std::int64_t resentPackets = 0;
};

struct CameraInfo {
    std::string id;       // pass to openSource("aravis:" + id)
    std::string vendor;
    std::string model;
    std::string serial;
    std::string address;  // IP address or USB path
    std::string protocol; // "GigEVision", "USB3Vision"
};

// Camera settings; an unset field leaves the camera's own value.
struct CameraSettings {
    std::optional<double> exposureUs;
    std::optional<double> gain;
    std::optional<double> frameRate;
    std::optional<std::string> pixelFormat; // "Mono8", "BayerRG8", "RGB8", ...
    std::optional<bool> softwareTrigger;    // true: one frame per grab() via software trigger
};

class FrameSource {
public:
    virtual ~FrameSource() = default;
    // Starts acquisition; throws DeviceError with what to check when it cannot.
    virtual void open() = 0;
    virtual void close() = 0;
    virtual bool isOpen() const = 0;
    // The next frame, or nullopt when none came within timeoutMs. Throws DeviceError when the
    // device failed (disconnected, stream closed); the source is then closed and may be
    // reopened. Folder and file sources return nullopt at their end unless they loop.
    virtual std::optional<Frame> grab(int timeoutMs) = 0;
    virtual std::string description() const = 0;
    virtual SourceStats stats() const = 0;
    // True when a finite source (file, folder without loop) has delivered everything.
    virtual bool finished() const { return false; }
};

// Opens a source by URI (nothing is started until open()):
//   aravis            the first Aravis camera found
//   aravis:ID         an Aravis camera by id, IP address or serial
//   v4l2:N | v4l2:/dev/videoN     a USB/V4L2 device through OpenCV
//   video:PATH | rtsp://... | gst:PIPELINE   a file, stream or GStreamer pipeline through OpenCV
//   folder:DIR[?fps=F&loop=1]     image files of DIR in name order at F frames/s
// Throws InvalidArgument for an unknown scheme.
std::unique_ptr<FrameSource> openSource(const std::string& uri, const CameraSettings& settings = {});

// Cameras that Aravis finds (GigE Vision on every interface, USB3 Vision).
std::vector<CameraInfo> listCameras();
// The V4L2 devices that exist on this machine, as source URIs ("v4l2:0" for /dev/video0),
// in number order; empty when there is none.
std::vector<std::string> listVideoDevices();
bool aravisAvailable();

// Converts a raw buffer in a GenICam pixel format into 8-bit BGR. Supports Mono8, Mono16
// (scaled), Bayer{RG,GR,GB,BG}8, RGB8 and BGR8; throws DeviceError for others.
cv::Mat toBgr(const void* data, std::size_t size, int width, int height,
              const std::string& pixelFormat);

} // namespace kizu::camera
