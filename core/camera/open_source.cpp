#include "core/camera/internal/sources.h"
#include "core/common/error.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace kizu::camera {

std::unique_ptr<FrameSource> openSource(const std::string& uri, const CameraSettings& settings)
{
    auto startsWith = [&](const char* p) { return uri.rfind(p, 0) == 0; };
    if (uri == "aravis") return std::make_unique<AravisSource>("", settings);
    if (startsWith("aravis:")) return std::make_unique<AravisSource>(uri.substr(7), settings);
    if (startsWith("v4l2:")) {
        std::string dev = uri.substr(5);
        if (dev.rfind("/dev/video", 0) == 0) dev = dev.substr(10);
        char* end = nullptr;
        long n = std::strtol(dev.c_str(), &end, 10);
        if (dev.empty() || *end || n < 0)
            throw InvalidArgument("'" + uri + "': give a device as v4l2:0 or v4l2:/dev/video0.");
        return std::make_unique<OpenCvSource>(int(n), "", false, settings);
    }
    if (startsWith("video:")) return std::make_unique<OpenCvSource>(-1, uri.substr(6), false);
    if (startsWith("rtsp://") || startsWith("http://") || startsWith("https://"))
        return std::make_unique<OpenCvSource>(-1, uri, false);
    if (startsWith("gst:")) return std::make_unique<OpenCvSource>(-1, uri.substr(4), true);
    if (startsWith("folder:")) {
        std::string rest = uri.substr(7), query;
        if (auto q = rest.find('?'); q != std::string::npos) {
            query = rest.substr(q + 1);
            rest = rest.substr(0, q);
        }
        double fps = 0;
        bool loop = false;
        std::size_t pos = 0;
        while (pos <= query.size() && !query.empty()) {
            std::size_t amp = query.find('&', pos);
            std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            auto eq = kv.find('=');
            std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "1" : kv.substr(eq + 1);
            if (k == "fps") {
                char* end = nullptr;
                fps = std::strtod(v.c_str(), &end);
                if (*end || fps < 0) throw InvalidArgument("'" + uri + "': fps must be a number >= 0.");
            } else if (k == "loop") {
                loop = v != "0";
            } else {
                throw InvalidArgument("'" + uri + "': unknown option '" + k + "' (use fps, loop).");
            }
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
        return std::make_unique<FolderSource>(rest, fps, loop);
    }
    throw InvalidArgument("Unknown source '" + uri +
                          "': use aravis[:ID], v4l2:N, video:FILE, rtsp://..., gst:PIPELINE or "
                          "folder:DIR[?fps=F&loop=1].");
}

namespace {
std::string lower(std::string s)
{
    for (char& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
} // namespace

std::string normaliseTrigger(const std::string& text)
{
    const std::string t = lower(text);
    if (t == "free" || t == "off" || t == "freerun" || t == "free-run") return "free";
    if (t == "software") return "software";
    if (t.size() > 4 && t.rfind("line", 0) == 0 &&
        t.find_first_not_of("0123456789", 4) == std::string::npos)
        return "Line" + t.substr(4);
    throw InvalidArgument("Camera trigger '" + text +
                          "' is not understood: use free (free run), software (the station "
                          "triggers each frame) or a camera input line: line0, line1, ...");
}

std::string normaliseTriggerEdge(const std::string& text)
{
    const std::string t = lower(text);
    if (t == "rising" || t == "risingedge") return "rising";
    if (t == "falling" || t == "fallingedge") return "falling";
    throw InvalidArgument("Trigger edge '" + text + "' is not understood: use rising or falling.");
}

std::vector<std::string> listVideoDevices()
{
    std::vector<int> numbers;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/dev", ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= 5 || name.rfind("video", 0) != 0) continue;
        const std::string digits = name.substr(5);
        if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
        numbers.push_back(std::atoi(digits.c_str()));
    }
    std::sort(numbers.begin(), numbers.end());
    std::vector<std::string> out;
    for (int n : numbers)
        out.push_back("v4l2:" + std::to_string(n));
    return out;
}

} // namespace kizu::camera
