// Camera commands: list the cameras Aravis finds; grab frames from any source into files or
// into the project.
#include "app/cli/camera_args.h"
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/camera/frame_source.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/project/project_store.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

namespace kizu::cli {
namespace {
using namespace kizu::camera;

CameraSettings settingsFrom(Args& args)
{
    CameraSettings s = cameraSettingsFrom(args);
    if (args.flag("--software-trigger")) s.trigger = "software";
    return s;
}

int listCmd(Args& args)
{
    bool asJson = args.flag("--json");
    args.finish();
    auto cams = listCameras();
    if (asJson) {
        nlohmann::json arr = nlohmann::json::array();
        for (auto& c : cams)
            arr.push_back({{"id", c.id}, {"vendor", c.vendor}, {"model", c.model},
                           {"serial", c.serial}, {"address", c.address}, {"protocol", c.protocol}});
        std::cout << jsonText(arr) << "\n";
        return 0;
    }
    if (cams.empty()) {
        std::cout << "No GigE Vision or USB3 Vision camera found. Check cables, power and the "
                     "network interface; USB webcams are v4l2:N sources.\n";
        return 0;
    }
    for (auto& c : cams)
        std::printf("aravis:%s  %s %s  serial %s  %s %s\n", c.id.c_str(), c.vendor.c_str(),
                    c.model.c_str(), c.serial.c_str(), c.protocol.c_str(), c.address.c_str());
    return 0;
}

int grabCmd(Args& args)
{
    std::string uri = args.value("--source", "");
    int count = int(args.intValue("--count", 1));
    int timeout = int(args.intValue("--timeout", 3000));
    std::string out = args.value("--out", "");
    auto labelText = args.value("--label");
    bool toProject = args.flag("--to-project");
    std::optional<std::string> projectOpt;
    if (toProject) projectOpt = projectDir(args);
    CameraSettings settings = settingsFrom(args);
    bool asJson = args.flag("--json");
    args.finish();
    if (uri.empty()) throw UsageError{"grab needs --source URI"};
    if (out.empty() && !toProject) throw UsageError{"grab needs --out FOLDER or --to-project"};
    if (count < 1) throw UsageError{"--count must be at least 1"};
    std::optional<project::ProjectStore> store;
    project::Label label = labelText ? project::labelFromString(*labelText) : project::Label::Unlabeled;
    if (toProject) store.emplace(project::ProjectStore::open(*projectOpt));
    if (!out.empty()) std::filesystem::create_directories(out);
    auto src = openSource(uri, settings);
    src->open();
    int got = 0;
    for (int attempt = 0; got < count && attempt < count * 3 + 10; ++attempt) {
        if (interruptToken().cancelled()) break;
        auto f = src->grab(timeout);
        if (!f) {
            if (src->finished()) break;
            continue;
        }
        std::vector<uchar> png;
        cv::imencode(".png", f->image, png);
        std::string bytes(png.begin(), png.end());
        std::string where;
        if (!out.empty()) {
            char name[64];
            std::snprintf(name, sizeof name, "frame_%06d.png", got);
            where = (std::filesystem::path(out) / name).string();
            writeFileAtomic(where, bytes);
        }
        if (store) {
            auto id = store->addEncodedImage(bytes, ".png", "camera", "", label);
            where += (where.empty() ? "" : " ") + std::string("image ") + std::to_string(id);
        }
        ++got;
        if (asJson)
            std::cout << nlohmann::json{{"frame", got - 1}, {"width", f->image.cols},
                                        {"height", f->image.rows}, {"saved", where}}
                             .dump()
                      << std::endl;
        else
            std::cerr << "frame " << got << "/" << count << " " << f->image.cols << "x"
                      << f->image.rows << " -> " << where << "\n";
    }
    auto st = src->stats();
    std::cerr << "grabbed " << counted(got, "frame") << " from " << src->description() << "; "
              << counted(st.timeouts, "timeout") << ", " << st.incomplete << " incomplete, "
              << counted(st.lostPackets, "lost packet") << "\n";
    src->close();
    if (got < count) {
        std::cerr << "kizu-cli: error: got " << got << " of " << count
                  << " frames: the source stopped delivering. Check the camera and cable.\n";
        return 1;
    }
    return 0;
}

int cameraCmd(Args& args)
{
    std::string sub = args.takeFirst();
    if (sub == "list") return listCmd(args);
    if (sub == "grab") return grabCmd(args);
    throw UsageError{sub.empty() ? "camera needs list or grab" : "unknown subcommand '" + sub + "'"};
}

const Registrar reg{{"camera", "list cameras, grab frames into files or the project",
                     "Usage: kizu-cli camera list [--json]\n"
                     "       kizu-cli camera grab --source URI (--out FOLDER | --to-project "
                     "[--label ok|ng]) [OPTIONS]\n\n"
                     "Sources: aravis (first camera), aravis:ID|IP|SERIAL[?packet-size=N], v4l2:N,\n"
                     "video:FILE, rtsp://..., gst:PIPELINE, folder:DIR?fps=F&loop=1\n\n"
                     "Options:\n"
                     "  --count N             frames to grab (default 1)\n"
                     "  --timeout MS          wait per frame (default 3000)\n"
                     "  --exposure-us US --gain-db DB --fps F --pixel-format Mono8|BayerRG8|RGB8\n"
                     "  --camera-trigger free|software|line0|line1...  (--software-trigger: software)\n"
                     "  --trigger-edge rising|falling --trigger-delay-us US   (line trigger)\n"
                     "                        each checked against the camera's range (docs/camera.md)\n"
                     "  --json                one JSON line per frame on stdout\n\n"
                     "Examples:\n"
                     "  kizu-cli camera list\n"
                     "  kizu-cli camera grab --source aravis:127.0.0.1 --count 5 --out /tmp/frames\n"
                     "  kizu-cli -p spindles camera grab --source v4l2:0 --to-project --label ng\n",
                     cameraCmd}};

} // namespace
} // namespace kizu::cli
