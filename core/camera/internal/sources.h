// The concrete frame sources; use openSource() from frame_source.h rather than these.
#pragma once

#include "core/camera/frame_source.h"

#include <filesystem>
#include <functional>

namespace kizu::camera {

class FolderSource : public FrameSource {
public:
    FolderSource(std::filesystem::path dir, double fps, bool loop);
    void open() override;
    void close() override;
    bool isOpen() const override { return m_open; }
    std::optional<Frame> grab(int timeoutMs) override;
    std::string description() const override;
    SourceStats stats() const override { return m_stats; }
    bool finished() const override;
    void setDecodeReduction(std::function<int(cv::Size)> factorFor) override
    {
        m_reduce = std::move(factorFor);
    }

private:
    std::filesystem::path m_dir;
    double m_fps;
    bool m_loop;
    bool m_open = false;
    std::vector<std::filesystem::path> m_files;
    std::size_t m_next = 0;
    std::int64_t m_sequence = 0;
    std::chrono::steady_clock::time_point m_due;
    SourceStats m_stats;
    std::function<int(cv::Size)> m_reduce;
};

class OpenCvSource : public FrameSource {
public:
    // device >= 0 opens a V4L2 device; otherwise `target` is a file, URL or GStreamer pipeline.
    OpenCvSource(int device, std::string target, bool gstreamer, CameraSettings settings = {});
    ~OpenCvSource() override;
    void open() override;
    void close() override;
    bool isOpen() const override;
    std::optional<Frame> grab(int timeoutMs) override;
    std::string description() const override;
    SourceStats stats() const override { return m_stats; }
    bool finished() const override { return m_finished; }

private:
    struct Impl;
    std::unique_ptr<Impl> m;
    int m_device;
    std::string m_target;
    bool m_gstreamer;
    CameraSettings m_settings; // V4L2 devices: exposure, gain and frame rate through OpenCV
    bool m_finished = false;
    std::int64_t m_sequence = 0;
    SourceStats m_stats;
};

class AravisSource : public FrameSource {
public:
    AravisSource(std::string id, CameraSettings settings);
    ~AravisSource() override;
    void open() override;
    void close() override;
    bool isOpen() const override;
    std::optional<Frame> grab(int timeoutMs) override;
    std::string description() const override;
    SourceStats stats() const override;
    bool externallyTriggered() const override;
    std::optional<CameraReadout> readout() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace kizu::camera
