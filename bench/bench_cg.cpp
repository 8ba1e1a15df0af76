// Benchmark of the CG generator: images per second at 224x224 in memory (render only) and
// written as a batch to disk (render, PNG encode, mask, sidecar). Prints one JSON object.
#include "core/cg/cg_batch.h"
#include "core/cg/cg_generator.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>

namespace fs = std::filesystem;

namespace {
double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double cpuSeconds()
{
    return double(std::clock()) / CLOCKS_PER_SEC;
}

double loadAverage()
{
    std::ifstream in("/proc/loadavg");
    double l = -1;
    in >> l;
    return l;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
} // namespace

int main(int argc, char** argv)
{
    const int threads = argc > 1 ? std::atoi(argv[1]) : int(std::thread::hardware_concurrency());
    const int count = argc > 2 ? std::atoi(argv[2]) : 600;
    const int runs = 5;
    cv::setNumThreads(threads);
    kizu::cg::CgParams params = kizu::cg::loadPreset("default");
    params.camera.imageSize = 224;
    kizu::cg::CgGenerator gen(params, 42);
    kizu::cg::renderRange(gen, 0, 2 * threads); // warm up pools and tables

    std::vector<double> memRates, diskRates, memCpuMs, diskCpuMs;
    const double load = loadAverage();
    for (int r = 0; r < runs; ++r) {
        double t0 = seconds(), c0 = cpuSeconds();
        int done = 0;
        for (std::uint64_t first = std::uint64_t(r) * count; done < count; done += 64) {
            auto batch =
                kizu::cg::renderRange(gen, first + std::uint64_t(done), std::min(64, count - done));
            (void)batch;
        }
        memRates.push_back(count / (seconds() - t0));
        memCpuMs.push_back(1000 * (cpuSeconds() - c0) / count);
    }
    const fs::path dir =
        fs::temp_directory_path() / ("kizu_bench_cg_" + std::to_string(::getpid()));
    for (int r = 0; r < runs; ++r) {
        fs::remove_all(dir);
        double t0 = seconds(), c0 = cpuSeconds();
        kizu::cg::generateBatch(params, 42 + std::uint64_t(r), count, dir);
        diskRates.push_back(count / (seconds() - t0));
        diskCpuMs.push_back(1000 * (cpuSeconds() - c0) / count);
    }
    std::uintmax_t bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) bytes += e.file_size();
    fs::remove_all(dir);

    nlohmann::json out{{"benchmark", "cg"},
                       {"imageSize", 224},
                       {"preset", "default"},
                       {"threads", cv::getNumThreads()},
                       {"imagesPerRun", count},
                       {"runs", runs},
                       {"inMemoryImagesPerSec", median(memRates)},
                       {"toDiskImagesPerSec", median(diskRates)},
                       {"inMemoryCpuMsPerImage", median(memCpuMs)},
                       {"toDiskCpuMsPerImage", median(diskCpuMs)},
                       // What the CPU time allows on idle cores: the machine is shared, so the
                       // wall-clock rates above depend on what else runs.
                       {"inMemoryImagesPerSecIfIdle", threads * 1000 / median(memCpuMs)},
                       {"toDiskImagesPerSecIfIdle", threads * 1000 / median(diskCpuMs)},
                       {"loadAverageAtStart", load},
                       {"inMemoryRuns", memRates},
                       {"toDiskRuns", diskRates},
                       {"bytesPerImageOnDisk", double(bytes) / count},
                       {"goalInMemory", 500},
                       {"goalToDisk", 200}};
    std::cout << out.dump() << "\n";
    return 0;
}
