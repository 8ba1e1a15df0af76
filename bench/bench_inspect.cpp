// Live inspection speed: the real pipeline (folder replay of BSData photos, decode, the
// model's verdict, results into a project) against the PyTorch peer's batch-1 inference
// (`peer_torch.py infer`) in the same run, same model and size. Prints one JSON object.
// With --soak SECONDS it also samples the resident memory while inspecting that long.
//
//   bench_inspect [--model squeezenet1_1] [--size 224] [--frames 200] [--repeats 3]
//                 [--threads N] [--soak 0] [--no-peer] [--plain-too] [--full-decode-too]
//                 [--table] [--line]
// --table measures the issue-23 set in one run (see below); --plain-too also times the plain
// LibTorch path (KIZU_FAST_INFERENCE=0) in the same run; every row has the network's
// multiply-adds and its arithmetic limit at the machine's measured peak. --full-decode-too also
// times Kizu with every frame decoded in full (no reduced JPEG decode), the same run.
// --line: also what the line outputs (Modbus + MQTT, docs/line.md) add per frame.
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/learn/augment.h"
#include "core/learn/model.h"
#include "core/learn/model_classifier.h"
#include "core/project/project_store.h"

#include <cmath>
#include <opencv2/core.hpp>

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

namespace {
struct Config {
    std::string arch = "squeezenet1_1";
    int size = 224;
    std::string head = "classifier";
    bool keepAspect = false;
    int peerSize = 0;
    std::string modelFile;
};

struct Run {
    int frames = 200, repeats = 3, threads = 0;
    bool withPeer = true, plainToo = false, fullDecodeToo = false;
    std::string data, peer;
    double peakMacs = 0;
};

// A source that decodes every frame in full, whatever the inspection asks (the ablation of
// the reduced decode: --full-decode-too).
class FullDecode : public kizu::camera::FrameSource {
public:
    explicit FullDecode(std::unique_ptr<kizu::camera::FrameSource> s) : m_s(std::move(s)) {}
    void open() override { m_s->open(); }
    void close() override { m_s->close(); }
    bool isOpen() const override { return m_s->isOpen(); }
    std::optional<kizu::camera::Frame> grab(int timeoutMs) override { return m_s->grab(timeoutMs); }
    std::string description() const override { return m_s->description(); }
    kizu::camera::SourceStats stats() const override { return m_s->stats(); }
    bool finished() const override { return m_s->finished(); }
    void setDecodeReduction(std::function<int(cv::Size)>) override {}

private:
    std::unique_ptr<kizu::camera::FrameSource> m_s;
};

std::vector<double> percentiles(kizu::learn::ModelClassifier& cls, kizu::project::ProjectStore& store,
                                const Run& run, bool fullDecode = false)
{
    std::unique_ptr<kizu::camera::FrameSource> src =
        kizu::camera::openSource("folder:" + run.data + "/ok?loop=1");
    if (fullDecode) src = std::make_unique<FullDecode>(std::move(src));
    kizu::inspect::InspectionOptions opt;
    opt.maxFrames = run.frames;
    opt.saveNgFrames = false;
    auto sum = kizu::inspect::runInspection(*src, cls, &store, opt, {});
    return {sum.fps, sum.latencyP50Ms, sum.latencyP99Ms};
}

json measure(const Config& c, const Run& run, const fs::path& tmp)
{
    kizu::learn::ModelInfo info;
    info.arch = c.arch;
    info.inputSize = c.size;
    info.head = c.head;
    info.keepAspect = c.keepAspect;
    const fs::path file = tmp / (c.arch + "_" + c.head + "_" + std::to_string(c.size) + ".kizumodel");
    if (!c.modelFile.empty()) {
        fs::copy_file(c.modelFile, file, fs::copy_options::overwrite_existing);
        info = kizu::learn::Model::load(c.modelFile).info();
    } else {
        kizu::learn::Model::create(info, "scratch", 1).save(file);
    }
    kizu::learn::ModelClassifier cls(file);
    auto store = kizu::project::ProjectStore::create(tmp / ("p_" + file.stem().string()));
    const cv::Size photo(1130, 460); // BSData's photos
    const std::int64_t macs = cls.model().multiplyAdds(photo);

    std::vector<double> fps, p50, p99, plain50, plain99, full50, full99, peerIps, peer50, peer99;
    const int peerSize = c.peerSize > 0 ? c.peerSize : c.size;
    for (int r = 0; r < run.repeats; ++r) {
        auto k = percentiles(cls, store, run);
        fps.push_back(k[0]);
        p50.push_back(k[1]);
        p99.push_back(k[2]);
        if (run.fullDecodeToo) {
            auto q = percentiles(cls, store, run, true);
            full50.push_back(q[1]);
            full99.push_back(q[2]);
        }
        if (run.plainToo) {
            ::setenv("KIZU_FAST_INFERENCE", "0", 1);
            kizu::learn::ModelClassifier plainCls(file);
            auto q = percentiles(plainCls, store, run);
            ::unsetenv("KIZU_FAST_INFERENCE");
            plain50.push_back(q[1]);
            plain99.push_back(q[2]);
        }
        if (run.withPeer) {
            auto j = runPeer("/usr/bin/python3 " + run.peer + " infer --data " + run.data +
                             " --model " + c.arch + " --size " + std::to_string(peerSize) +
                             " --frames " + std::to_string(run.frames) +
                             (run.threads > 0 ? " --threads " + std::to_string(run.threads) : ""));
            if (j.contains("p50_ms")) {
                peerIps.push_back(j["images_per_s"].get<double>());
                peer50.push_back(j["p50_ms"].get<double>());
                peer99.push_back(j["p99_ms"].get<double>());
            }
        }
    }
    const cv::Size canvas = info.keepAspect ? kizu::learn::canvasFor(photo, info.inputSize)
                                            : cv::Size(info.inputSize, info.inputSize);
    json out = {{"model", info.arch},
                {"model_file", c.modelFile},
                {"size", info.inputSize},
                {"head", info.head},
                {"keep_aspect", info.keepAspect},
                {"input", std::to_string(canvas.width) + "x" + std::to_string(canvas.height)},
                {"peer_size", peerSize},
                {"inference_path", cls.model().inferencePath()},
                {"multiply_adds", macs},
                {"kizu_frames_per_s", median(fps)},
                {"kizu_p50_ms", median(p50)},
                {"kizu_p99_ms", median(p99)},
                {"kizu_runs_p50_ms", p50}};
    if (run.peakMacs > 0) out["arithmetic_limit_ms"] = 1000.0 * double(macs) / run.peakMacs;
    if (!plain50.empty()) {
        out["kizu_plain_p50_ms"] = median(plain50);
        out["kizu_plain_p99_ms"] = median(plain99);
    }
    if (!full50.empty()) {
        out["kizu_full_decode_p50_ms"] = median(full50);
        out["kizu_full_decode_p99_ms"] = median(full99);
    }
    if (!peerIps.empty()) {
        out["peer_images_per_s"] = median(peerIps);
        out["peer_p50_ms"] = median(peer50);
        out["peer_p99_ms"] = median(peer99);
        out["p50_ratio"] = median(peer50) / median(p50); // > 1: Kizu is faster
        out["p99_ratio"] = median(peer99) / median(p99);
    }
    return out;
}
} // namespace

int main(int argc, char** argv)
{
    Config one;
    one.arch = arg(argc, argv, "--model", "squeezenet1_1");
    one.size = std::atoi(arg(argc, argv, "--size", "224").c_str());
    // Defect-map models (issue 21): --head defect_map, and --keep-aspect for the photo's own
    // aspect (--size is then the long side: BSData's 1130 x 460 photos run at 320 x 128). The
    // peer only runs square inputs: --peer-size picks the square of about the same pixel count
    // (208 for 320 x 128) so that both sides do the same work.
    one.head = arg(argc, argv, "--head", "classifier");
    one.keepAspect = flag(argc, argv, "--keep-aspect");
    one.peerSize = std::atoi(arg(argc, argv, "--peer-size", "0").c_str());
    // An existing model file instead of a fresh network (e.g. a PatchCore anomaly model, whose
    // memory bank is part of the cost); its head, input and aspect then apply.
    one.modelFile = arg(argc, argv, "--model-file", "");
    Run run;
    run.frames = std::atoi(arg(argc, argv, "--frames", "200").c_str());
    run.repeats = std::atoi(arg(argc, argv, "--repeats", "3").c_str());
    run.threads = std::atoi(arg(argc, argv, "--threads", "0").c_str());
    run.plainToo = flag(argc, argv, "--plain-too");
    run.fullDecodeToo = flag(argc, argv, "--full-decode-too");
    const int soak = std::atoi(arg(argc, argv, "--soak", "0").c_str());
    const char* env = std::getenv("KIZU_BSDATA");
    run.data = env ? env : KIZU_BSDATA_DIR_DEFAULT;
    if (!fs::exists(fs::path(run.data) / "ok")) {
        std::fprintf(stderr, "bench_inspect: BSData not found at %s (set KIZU_BSDATA)\n", run.data.c_str());
        return 2;
    }
    kizu::learn::setTorchThreads(run.threads);
    run.peer = std::string(KIZU_SHARED_DIR_DEFAULT) + "/bench/peer_torch.py";
    run.withPeer = !flag(argc, argv, "--no-peer") && fs::exists(run.peer);
    run.peakMacs = kizu::learn::measurePeakMacsPerSecond();
    const fs::path tmp = fs::temp_directory_path() / ("kizu_bench_inspect_" + std::to_string(::getpid()));
    fs::create_directories(tmp);

    // --table: the issue-23 table in one run (SqueezeNet 1.1 at 128 and 224, ResNet-18 at 224,
    // the defect-map default at 320 x 128 against the peer at 208 px).
    std::vector<Config> configs{one};
    if (flag(argc, argv, "--table")) {
        configs.clear();
        auto add = [&](std::string arch, int size, std::string head, bool aspect, int peer) {
            Config c;
            c.arch = std::move(arch);
            c.size = size;
            c.head = std::move(head);
            c.keepAspect = aspect;
            c.peerSize = peer;
            configs.push_back(c);
        };
        add("squeezenet1_1", 128, "classifier", false, 0);
        add("squeezenet1_1", 224, "classifier", false, 0);
        add("resnet18", 224, "classifier", false, 0);
        add("squeezenet1_1", 320, "defect_map", true, 208);
    }
    json rows = json::array();
    for (const auto& c : configs)
        rows.push_back(measure(c, run, tmp));

    json out = {{"bench", "inspect"},
                {"frames", run.frames},
                {"repeats", run.repeats},
                {"threads", run.threads > 0 ? run.threads : int(std::thread::hardware_concurrency())},
                {"load_average", loadAverage()},
                {"peak_multiply_adds_per_s", run.peakMacs},
                {"note", "Kizu: folder replay of BSData's OK photos; latency = file read to "
                         "verdict (read, JPEG decode, resize, normalise, inference, the result "
                         "written to a project). Peer (peer_torch.py infer): read + decode + "
                         "resize + normalise + forward per image, batch 1. arithmetic_limit_ms: "
                         "the network's multiply-adds divided by the measured peak (a large "
                         "1x1 convolution through oneDNN), decode not included."}};
    if (configs.size() == 1) {
        for (auto& [k, v] : rows[0].items())
            out[k] = v;
    } else {
        out["rows"] = rows;
    }
    if (soak > 0) { // the first configuration's model, inspecting for `soak` seconds
        const Config& c = configs.front();
        const fs::path file = tmp / (c.arch + "_" + c.head + "_" + std::to_string(c.size) + ".kizumodel");
        kizu::learn::ModelClassifier cls(file);
        auto store = kizu::project::ProjectStore::create(tmp / "soak");
        auto src = kizu::camera::openSource("folder:" + run.data + "/ok?loop=1");
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
    if (flag(argc, argv, "--line")) { // the first configuration's model
        const Config& c = configs.front();
        kizu::learn::ModelClassifier cls(
            tmp / (c.arch + "_" + c.head + "_" + std::to_string(c.size) + ".kizumodel"));
        out["line"] = lineBench("folder:" + run.data + "/ok?loop=1", cls, run.frames, tmp);
    }
    fs::remove_all(tmp);
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
