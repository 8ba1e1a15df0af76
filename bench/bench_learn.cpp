// Training and batch-1 inference speed of Kizu's learn engine against the PyTorch peer
// (../shared/bench/peer_torch.py, run with /usr/bin/python3) in the same run, on the same
// machine, with the same model, input size, batch and data. Prints one JSON object.
//
//   bench_learn [--mode train|infer|all] [--model squeezenet1_1] [--size 224] [--batch 16]
//               [--steps 20] [--frames 100] [--repeats 3] [--threads N] [--no-peer]
//
// Each side runs `repeats` times, alternating, and the medians are compared. Kizu's training
// includes what the peer's does: decoding (cold cache each run), augmentation, forward,
// backward and the SGD step; one warm-up step is excluded on both sides.
#include "core/learn/dataset.h"
#include "core/learn/trainer.h"

#include "bench/bench_common.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

using namespace kizu::learn;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

using namespace kizu::bench;

int main(int argc, char** argv)
{
    const std::string mode = arg(argc, argv, "--mode", "all");
    const std::string model = arg(argc, argv, "--model", "squeezenet1_1");
    const int size = std::stoi(arg(argc, argv, "--size", "224"));
    const int batch = std::stoi(arg(argc, argv, "--batch", "16"));
    const int steps = std::stoi(arg(argc, argv, "--steps", "20"));
    const int frames = std::stoi(arg(argc, argv, "--frames", "100"));
    const int repeats = std::stoi(arg(argc, argv, "--repeats", "3"));
    const int threads = std::stoi(
        arg(argc, argv, "--threads", std::to_string(std::thread::hardware_concurrency())));
    const bool noPeer = flag(argc, argv, "--no-peer");
    const char* env = std::getenv("KIZU_BSDATA");
    const std::string data = arg(argc, argv, "--data", env && *env ? env : KIZU_BSDATA_DIR_DEFAULT);
    const char* shared = std::getenv("KIZU_SHARED");
    const std::string peer = arg(argc, argv, "--peer",
                                 std::string(shared && *shared ? shared : KIZU_SHARED_DIR_DEFAULT) +
                                     "/bench/peer_torch.py");
    const std::string python = arg(argc, argv, "--python", "/usr/bin/python3");

    // The peer uses every image under ok/ and ng/.
    std::vector<LabeledPath> items;
    for (const auto& p : listFolder(data))
        items.push_back(p);
    setTorchThreads(threads);
    json out{{"bench", "learn"},   {"model", model},         {"size", size},
             {"threads", threads}, {"images", items.size()}, {"load_before", loadAverage()}};

    if (mode == "train" || mode == "all") {
        std::vector<double> kizu, torch;
        for (int r = 0; r < repeats; ++r) {
            TrainConfig cfg;
            cfg.arch = model;
            cfg.inputSize = size;
            cfg.batch = batch;
            cfg.steps = steps + 1;
            cfg.seed = std::uint64_t(r);
            cfg.threads = threads;
            cfg.chooseThreshold = false;
            cfg.checkpointEverySeconds = 0;
            FileSource src(items, int(size * 1.15 + 0.5), "bench"); // cold cache every run
            Clock::time_point t1;
            auto res = train(cfg, src, [&](const TrainProgress& p) {
                if (p.step == 1) t1 = Clock::now();
            });
            const double secs = std::chrono::duration<double>(Clock::now() - t1).count();
            (void)res;
            kizu.push_back(steps * batch / secs);
            if (!noPeer) {
                auto j = runPeer(python + " " + peer + " train --data " + data + " --model " +
                                 model + " --size " + std::to_string(size) + " --batch " +
                                 std::to_string(batch) + " --steps " + std::to_string(steps) +
                                 " --threads " + std::to_string(threads));
                if (j.contains("images_per_s")) torch.push_back(j["images_per_s"].get<double>());
            }
        }
        json t{{"batch", batch},
               {"steps", steps},
               {"repeats", repeats},
               {"kizu_images_per_s", median(kizu)},
               {"kizu_runs", kizu}};
        if (!torch.empty()) {
            t["peer_images_per_s"] = median(torch);
            t["peer_runs"] = torch;
            t["ratio"] = median(kizu) / median(torch);
        }
        out["train"] = t;
    }
    if (mode == "infer" || mode == "all") {
        ModelInfo info;
        info.arch = model;
        info.inputSize = size;
        Model m = Model::create(info, "scratch", 0);
        std::vector<double> p50s, p99s, ips, peer50, peer99, peerIps;
        for (int r = 0; r < repeats; ++r) {
            std::vector<double> lat;
            for (int i = 0; i < frames + 5; ++i) {
                const auto& item = items[std::size_t(i) % items.size()];
                const auto t0 = Clock::now();
                volatile float s = m.predictFile(item.path);
                (void)s;
                if (i >= 5)
                    lat.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
            double sum = 0;
            for (double l : lat)
                sum += l;
            std::sort(lat.begin(), lat.end());
            p50s.push_back(lat[lat.size() / 2]);
            p99s.push_back(lat[std::size_t(lat.size() * 0.99) - 1]);
            ips.push_back(1000.0 * double(lat.size()) / sum);
            if (!noPeer) {
                auto j = runPeer(python + " " + peer + " infer --data " + data + " --model " +
                                 model + " --size " + std::to_string(size) + " --frames " +
                                 std::to_string(frames) + " --threads " + std::to_string(threads));
                if (j.contains("p50_ms")) {
                    peer50.push_back(j["p50_ms"].get<double>());
                    peer99.push_back(j["p99_ms"].get<double>());
                    peerIps.push_back(j["images_per_s"].get<double>());
                }
            }
        }
        json t{{"frames", frames},
               {"repeats", repeats},
               {"kizu_p50_ms", median(p50s)},
               {"kizu_p99_ms", median(p99s)},
               {"kizu_images_per_s", median(ips)}};
        if (!peer50.empty()) {
            t["peer_p50_ms"] = median(peer50);
            t["peer_p99_ms"] = median(peer99);
            t["peer_images_per_s"] = median(peerIps);
            t["p50_ratio"] = median(peer50) / median(p50s); // > 1: Kizu is faster
            t["p99_ratio"] = median(peer99) / median(p99s);
        }
        out["infer"] = t;
    }
    out["load_after"] = loadAverage();
    std::cout << out.dump() << std::endl;
    return 0;
}
