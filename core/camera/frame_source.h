// Frame sources behind one interface: Aravis GigE Vision / USB3 Vision cameras, OpenCV
// VideoCapture (a V4L2 device, a video file, an RTSP or GStreamer pipeline) and folder replay
// at a set rate. Sources are synchronous: grab() waits for the next frame up to a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
    std::int64_t received = 0; // frames that arrived from the camera, taken or not (Aravis)
};

struct CameraInfo {
    std::string id;       // pass to openSource("aravis:" + id)
    std::string vendor;
    std::string model;
    std::string serial;
    std::string address;  // IP address or USB path
    std::string protocol; // "GigEVision", "USB3Vision"
};

// Camera settings (the station profile, docs/camera.md); an unset field leaves the camera's
// own value. Aravis cameras check each value against the camera's own range (GenICam bounds)
// and refuse one outside it with InvalidArgument; V4L2 devices take exposure, gain and frame
// rate through OpenCV; file, stream and folder sources ignore the settings.
struct CameraSettings {
    std::optional<double> exposureUs;
    std::optional<double> gain;             // in the camera's Gain unit (dB on SFNC cameras)
    std::optional<double> frameRate;        // free run: the camera's rate; software: trigger rate
    std::optional<std::string> pixelFormat; // "Mono8", "BayerRG8", "RGB8", ...
    // "free" (free run), "software" (the station triggers one frame per grab(), at most at
    // frameRate) or a camera input line "Line0", "Line1", ... (a hardware trigger). Unset is
    // free run, not the camera's own: a camera left on a trigger by another program would
    // otherwise deliver nothing.
    std::optional<std::string> trigger;
    std::optional<std::string> triggerEdge; // line trigger: "rising" or "falling"
    std::optional<double> triggerDelayUs;   // line trigger: delay from the edge to exposure
    bool empty() const
    {
        return !exposureUs && !gain && !frameRate && !pixelFormat && !trigger && !triggerEdge &&
               !triggerDelayUs;
    }
};

// Spellings the user may give, in the form CameraSettings keeps: "free"/"off"/"freerun" ->
// "free", "software", "lineN"/"LineN" -> "LineN"; "rising"/"falling" (or RisingEdge,
// FallingEdge) -> "rising"/"falling". Throw InvalidArgument listing the accepted forms.
std::string normaliseTrigger(const std::string& text);
std::string normaliseTriggerEdge(const std::string& text);

// What an open camera reports about its settings and their ranges (read from the camera).
struct CameraReadout {
    struct Range {
        double min = 0, max = 0;
    };
    std::optional<double> exposureUs, gain, frameRate, triggerDelayUs;
    std::optional<Range> exposureRange, gainRange, frameRateRange, triggerDelayRange;
    std::string pixelFormat;
    std::vector<std::string> pixelFormats;
    std::string trigger;                     // "free", "software" or "Line0", ...
    std::vector<std::string> triggerSources; // those the camera offers: "software", "Line0", ...
    std::string triggerEdge;                 // "rising", "falling" or the camera's own word
    std::vector<std::string> triggerEdges;
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
    // True when frames come on an external (hardware line) trigger: a pause between frames is
    // then no sign of a lost camera (the source watches its control channel instead).
    virtual bool externallyTriggered() const { return false; }
    // The settings and ranges the open camera reports; nullopt for sources without them.
    virtual std::optional<CameraReadout> readout() const { return std::nullopt; }
    // A source that decodes compressed frames (folder replay of JPEG files) may decode them at
    // a reduced scale: `factorFor` gives, for a frame's full size, the reduction (1, 2, 4 or 8)
    // that whoever judges the frames can take (InspectionStep::decodeReduction). It is called
    // on the thread that calls grab(). Unset, and for other sources: frames at full size.
    virtual void setDecodeReduction(std::function<int(cv::Size)> factorFor) {}
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
