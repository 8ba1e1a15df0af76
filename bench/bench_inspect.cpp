// Live inspection speed: the real pipeline (folder replay of BSData photos, decode, the
// model's verdict, results into a project) against the PyTorch peer's batch-1 inference
// (`peer_torch.py infer`) in the same run, same model and size. Prints one JSON object.
// With --soak SECONDS it also samples the resident memory while inspecting that long.
//
//   bench_inspect [--model squeezenet1_1] [--size 224] [--frames 200] [--repeats 3]
//                 [--threads N] [--soak 0] [--no-peer] [--line]
// --line: also what the line outputs (Modbus + MQTT, docs/line.md) add per frame.
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/learn/model.h"
#include "core/learn/model_classifier.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include "bench/bench_common.h"
#include "bench/bench_line.h"

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
double rssMb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    return 0;
}
} // namespace
using namespace kizu::bench;

int main(int argc, char** argv)
{
    const std::string arch = arg(argc, argv, "--model", "squeezenet1_1");
    const int size = std::atoi(arg(argc, argv, "--size", "224").c_str());
    const int frames = std::atoi(arg(argc, argv, "--frames", "200").c_str());
    const int repeats = std::atoi(arg(argc, argv, "--repeats", "3").c_str());
    const int threads = std::atoi(arg(argc, argv, "--threads", "0").c_str());
    const int soak = std::atoi(arg(argc, argv, "--soak", "0").c_str());
    // Defect-map models (issue 21): --head defect_map, and --keep-aspect for the photo's own
    // aspect (--size is then the long side: BSData's 1130 x 460 photos run at 320 x 128). The
    // peer only runs square inputs: --peer-size picks the square of about the same pixel count
    // (208 for 320 x 128) so that both sides do the same work.
    const std::string head = arg(argc, argv, "--head", "classifier");
    const bool keepAspect = flag(argc, argv, "--keep-aspect");
    const int peerSize = std::atoi(arg(argc, argv, "--peer-size", "0").c_str());
    // An existing model file instead of a fresh network (e.g. a PatchCore anomaly model, whose
    // memory bank is part of the cost); its head, input and aspect then apply.
    const std::string modelFile = arg(argc, argv, "--model-file", "");
    const char* env = std::getenv("KIZU_BSDATA");
    const std::string data = env ? env : KIZU_BSDATA_DIR_DEFAULT;
    if (!fs::exists(fs::path(data) / "ok")) {
        std::fprintf(stderr, "bench_inspect: BSData not found at %s (set KIZU_BSDATA)\n", data.c_str());
        return 2;
    }
    kizu::learn::setTorchThreads(threads);
    const fs::path tmp = fs::temp_directory_path() / ("kizu_bench_inspect_" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    kizu::learn::ModelInfo info;
    info.arch = arch;
    info.inputSize = size;
    info.head = head;
    info.keepAspect = keepAspect;
    if (!modelFile.empty()) {
        fs::copy_file(modelFile, tmp / "m.kizumodel");
        info = kizu::learn::Model::load(modelFile).info();
    } else {
        kizu::learn::Model::create(info, "scratch", 1).save(tmp / "m.kizumodel");
    }
    kizu::learn::ModelClassifier cls(tmp / "m.kizumodel");
    auto store = kizu::project::ProjectStore::create(tmp / "p");

    std::vector<double> fps, p50, p99, peerIps, peer50, peer99;
    const std::string peer = std::string(KIZU_SHARED_DIR_DEFAULT) + "/bench/peer_torch.py";
    const bool withPeer = !flag(argc, argv, "--no-peer") && fs::exists(peer);
    for (int r = 0; r < repeats; ++r) {
        auto src = kizu::camera::openSource("folder:" + data + "/ok?loop=1");
        kizu::inspect::InspectionOptions opt;
        opt.maxFrames = frames;
        opt.saveNgFrames = false;
        auto sum = kizu::inspect::runInspection(*src, cls, &store, opt, {});
        fps.push_back(sum.fps);
        p50.push_back(sum.latencyP50Ms);
        p99.push_back(sum.latencyP99Ms);
        if (withPeer) {
            auto j = runPeer("/usr/bin/python3 " + peer + " infer --data " + data + " --model " +
                             arch + " --size " + std::to_string(peerSize > 0 ? peerSize : size) +
                             " --frames " +
                             std::to_string(frames) +
                             (threads > 0 ? " --threads " + std::to_string(threads) : ""));
            if (j.contains("p50_ms")) {
                peerIps.push_back(j["images_per_s"].get<double>());
                peer50.push_back(j["p50_ms"].get<double>());
                peer99.push_back(j["p99_ms"].get<double>());
            }
        }
    }
    json out = {{"bench", "inspect"},
                {"model", info.arch},
                {"model_file", modelFile},
                {"size", info.inputSize},
                {"head", info.head},
                {"keep_aspect", info.keepAspect},
                {"peer_size", peerSize > 0 ? peerSize : size},
                {"frames", frames},
                {"repeats", repeats},
                {"threads", threads > 0 ? threads : int(std::thread::hardware_concurrency())},
                {"kizu_frames_per_s", median(fps)},
                {"kizu_p50_ms", median(p50)},
                {"kizu_p99_ms", median(p99)},
                {"kizu_runs_frames_per_s", fps},
                {"note", "Kizu: folder replay (JPEG decode in the capture step, not in the "
                         "latency), verdict, results written to a project; latency = capture "
                         "to verdict. Peer: decode+resize+normalize+forward per image."}};
    if (!peerIps.empty()) {
        out["peer_images_per_s"] = median(peerIps);
        out["peer_p50_ms"] = median(peer50);
        out["peer_p99_ms"] = median(peer99);
        out["p50_ratio"] = median(peer50) / median(p50); // > 1: Kizu is faster
        out["p99_ratio"] = median(peer99) / median(p99);
    }
    if (soak > 0) {
        auto src = kizu::camera::openSource("folder:" + data + "/ok?loop=1");
        kizu::inspect::InspectionOptions opt;
        opt.saveNgFrames = false;
        kizu::CancelToken cancel;
        json samples = json::array();
        const auto start = Clock::now();
        auto next = start;
        kizu::inspect::runInspection(*src, cls, &store, opt, [&](const kizu::inspect::InspectionEvent&) {
            const auto now = Clock::now();
            if (now >= next) {
                samples.push_back({{"s", std::chrono::duration<double>(now - start).count()}, {"rss_mb", rssMb()}});
                next += std::chrono::seconds(std::max(1, soak / 20));
            }
            if (now - start > std::chrono::seconds(soak)) cancel.cancel();
        }, &cancel);
        out["soak_seconds"] = soak;
        out["soak_rss_mb"] = samples;
        if (samples.size() > 4) {
            const double early = samples[2]["rss_mb"].get<double>();
            const double late = samples.back()["rss_mb"].get<double>();
            out["soak_rss_growth_mb"] = late - early;
        }
    }
    if (flag(argc, argv, "--line"))
        out["line"] = lineBench("folder:" + data + "/ok?loop=1", cls, frames, tmp);
    fs::remove_all(tmp);
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
