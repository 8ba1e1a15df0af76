// Throughput of the classical baseline on BSData photos, decoded beforehand: images/s at full
// resolution (1130x460, at the parameters' processing scale and at scale 1) and on 224x224
// inputs, over OpenCV's thread pool. Prints one JSON object.
// Usage: bench_baseline [--params P.json] [--threads N] [--images N] [--runs N] [--data DIR]
// (BSData from --data, else $KIZU_BSDATA, else the configured KIZU_BSDATA_DIR)
#include "core/baseline/baseline.h"
#include "core/baseline/baseline_eval.h"
#include "core/imaging/image_io.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

using namespace kizu::baseline;
using Clock = std::chrono::steady_clock;

static double seconds(Clock::time_point a)
{
    return std::chrono::duration<double>(Clock::now() - a).count();
}

// Median images/s of `runs` passes over all images.
static double throughput(const std::vector<cv::Mat>& images, const BaselineParams& p, int runs)
{
    std::vector<double> rates;
    std::vector<char> ng(images.size());
    for (int r = 0; r < runs + 1; ++r) {
        auto t0 = Clock::now();
        cv::parallel_for_(cv::Range(0, int(images.size())), [&](const cv::Range& range) {
            for (int i = range.start; i < range.end; ++i)
                ng[std::size_t(i)] = runBaseline(images[std::size_t(i)], p).ng;
        });
        double s = seconds(t0);
        if (r > 0) rates.push_back(double(images.size()) / s); // first pass warms up
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}

int main(int argc, char** argv)
{
    std::string paramsFile, data = KIZU_BSDATA_DIR_DEFAULT;
    if (const char* env = std::getenv("KIZU_BSDATA"); env && *env) data = env;
    int threads = 2, count = 200, runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--params"))
            paramsFile = argv[i + 1];
        else if (!std::strcmp(argv[i], "--threads"))
            threads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--images"))
            count = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--data"))
            data = argv[i + 1];
    }
    try {
        cv::setNumThreads(threads);
        BaselineParams p = paramsFile.empty() ? BaselineParams{} : BaselineParams::load(paramsFile);
        auto list = loadLabeledFolder(data, "all");
        if (int(list.size()) > count) list.resize(std::size_t(count));
        std::vector<cv::Mat> full, small;
        auto t0 = Clock::now();
        for (const auto& li : list)
            full.push_back(kizu::imaging::readImage(li.path));
        double decodePerS = double(full.size()) / seconds(t0);
        for (const auto& m : full) {
            cv::Mat s;
            cv::resize(m, s, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
            small.push_back(s);
        }
        BaselineParams scale1 = p;
        scale1.scale = 1.0;

        double fullRate = throughput(full, p, runs);
        double fullScale1 = throughput(full, scale1, runs);
        double smallRate = throughput(small, scale1, runs);
        nlohmann::json j = {
            {"bench", "baseline"},
            {"images", full.size()},
            {"threads", cv::getNumThreads()},
            {"hardwareThreads", std::thread::hardware_concurrency()},
            {"runs", runs},
            {"statistic", "median images/s, decoding excluded"},
            {"fullResolution",
             {{"size", "1130x460"}, {"processingScale", p.scale}, {"imagesPerSecond", fullRate}}},
            {"fullResolutionScale1",
             {{"size", "1130x460"}, {"processingScale", 1.0}, {"imagesPerSecond", fullScale1}}},
            {"input224",
             {{"size", "224x224"}, {"processingScale", 1.0}, {"imagesPerSecond", smallRate}}},
            {"jpegDecodePerSecondOneThread", decodePerS},
            {"params", paramsFile.empty() ? std::string("built-in defaults") : paramsFile},
        };
        std::cout << j.dump(2) << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "bench_baseline: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
