// Folder replay: the images of a folder in name order at a set rate, optionally looping.
#include "core/camera/internal/sources.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"
#include "core/imaging/thumbnail.h"

#include <algorithm>
#include <thread>

namespace kizu::camera {
namespace fs = std::filesystem;

FolderSource::FolderSource(fs::path dir, double fps, bool loop)
    : m_dir(std::move(dir)), m_fps(fps), m_loop(loop)
{
}

void FolderSource::open()
{
    std::error_code ec;
    if (!fs::is_directory(m_dir, ec))
        throw DeviceError("Folder replay: " + m_dir.string() + " is not a folder.");
    m_files.clear();
    for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() && imaging::hasImageExtension(it->path()))
            m_files.push_back(it->path());
    std::sort(m_files.begin(), m_files.end());
    if (m_files.empty())
        throw DeviceError("Folder replay: " + m_dir.string() + " holds no images.");
    m_next = 0;
    m_sequence = 0;
    m_open = true;
    m_due = std::chrono::steady_clock::now();
}

void FolderSource::close() { m_open = false; }

bool FolderSource::finished() const { return !m_loop && m_next >= m_files.size(); }

std::optional<Frame> FolderSource::grab(int timeoutMs)
{
    if (!m_open) throw DeviceError("Folder replay: the source is not open.");
    if (finished()) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    if (m_fps > 0 && m_due > now) {
        if (m_due - now > std::chrono::milliseconds(timeoutMs)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(timeoutMs));
            ++m_stats.timeouts;
            return std::nullopt;
        }
        std::this_thread::sleep_until(m_due);
    }
    if (m_next >= m_files.size()) m_next = 0;
    const fs::path file = m_files[m_next++];
    Frame f;
    // The frame arrives when its file is read: a replay's latency (capture to verdict) then
    // includes reading and decoding it, as a camera frame's includes its conversion.
    f.captured = std::chrono::steady_clock::now();
    try {
        auto bytes = std::make_shared<const std::string>(readFile(file));
        f.image = m_reduce ? imaging::decodeReduced(*bytes, file.string(), m_reduce)
                           : imaging::decode(*bytes, file.string());
        f.encoded = std::move(bytes);
    } catch (const Error&) {
        ++m_stats.incomplete;
        return std::nullopt;
    }
    f.sequence = m_sequence++;
    f.label = file.filename().string();
    if (m_fps > 0) {
        m_due += std::chrono::nanoseconds(std::int64_t(1e9 / m_fps));
        if (m_due < f.captured - std::chrono::seconds(1)) m_due = f.captured; // fell behind
    }
    ++m_stats.frames;
    return f;
}

std::string FolderSource::description() const
{
    return "folder " + m_dir.string() + (m_fps > 0 ? " at " + std::to_string(int(m_fps)) + " fps" : "");
}

} // namespace kizu::camera
