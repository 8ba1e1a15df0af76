// The live pipeline's two stages (issue 23, point 4): the Inspect page's InspectPipeline reads
// and decodes the next frame on its capture thread while the inference thread judges the
// previous one. Against the sequential path of kizu-cli inspect (runInspection: read, decode,
// judge, record, one frame after the other) in the same run, same model and photos: the
// sequential path's frames/s and latency, then the pipeline fed at paced rates (as a camera
// delivers frames) from 0.25x to 2x that rate: frames judged per second, the share dropped, and
// latency (file read to verdict) p50/p99; up to 1x also the sequential loop fed at the same
// rate (like for like: both pay the same wake-ups after an idle moment). Prints one JSON object.
//
//   bench_pipeline [--model squeezenet1_1] [--size 224] [--seconds 8] [--threads N]
//                  [--model-file F.kizumodel]
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/learn/model.h"
#include "core/learn/model_classifier.h"
#include "core/project/project_store.h"
#include "ui/inspect_pipeline.h"

#include "bench/bench_common.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace kizu::bench;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const std::string arch = arg(argc, argv, "--model", "squeezenet1_1");
    const int size = std::atoi(arg(argc, argv, "--size", "224").c_str());
    const double seconds = std::atof(arg(argc, argv, "--seconds", "8").c_str());
    const int threads = std::atoi(arg(argc, argv, "--threads", "0").c_str());
    const std::string modelFile = arg(argc, argv, "--model-file", "");
    const char* env = std::getenv("KIZU_BSDATA");
    const std::string data = env ? env : KIZU_BSDATA_DIR_DEFAULT;
    if (!fs::exists(fs::path(data) / "ok")) {
        std::fprintf(stderr, "bench_pipeline: BSData not found at %s (set KIZU_BSDATA)\n", data.c_str());
        return 2;
    }
    kizu::learn::setTorchThreads(threads);
    const fs::path tmp = fs::temp_directory_path() / ("kizu_bench_pipeline_" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    const fs::path file = tmp / "m.kizumodel";
    if (!modelFile.empty()) {
        fs::copy_file(modelFile, file);
    } else {
        kizu::learn::ModelInfo info;
        info.arch = arch;
        info.inputSize = size;
        kizu::learn::Model::create(info, "scratch", 1).save(file);
    }
    const std::string photos = data + "/ok";

    // Sequential: kizu-cli inspect's path, as fast as it goes.
    json seq;
    {
        kizu::learn::ModelClassifier cls(file);
        auto store = kizu::project::ProjectStore::create(tmp / "seq");
        auto src = kizu::camera::openSource("folder:" + photos + "?loop=1");
        kizu::inspect::InspectionOptions opt;
        opt.maxFrames = 20; // warm-up: the fast path's graph is built on the first frame
        opt.saveNgFrames = false;
        kizu::inspect::runInspection(*src, cls, &store, opt, {});
        opt.maxFrames = std::max(40, int(seconds * 30));
        auto src2 = kizu::camera::openSource("folder:" + photos + "?loop=1");
        auto sum = kizu::inspect::runInspection(*src2, cls, &store, opt, {});
        seq = {{"frames_per_s", sum.fps}, {"p50_ms", sum.latencyP50Ms}, {"p99_ms", sum.latencyP99Ms},
               {"inference", cls.runtime()}};
    }
    const double base = seq["frames_per_s"].get<double>();

    json rows = json::array();
    for (double factor : {0.25, 0.5, 0.8, 1.0, 1.3, 1.6, 2.0}) {
        const double rate = base * factor;
        auto cls = std::make_unique<kizu::learn::ModelClassifier>(file);
        cls->classify(cv::Mat(460, 1130, CV_8UC3, cv::Scalar::all(128))); // build the graph first
        kizu::ui::InspectPipeline pipeline;
        std::vector<double> latency;
        qint64 judged = 0, dropped = 0;
        QObject::connect(&pipeline, &kizu::ui::InspectPipeline::resultReady,
                         [&](const kizu::ui::InspectResult& r) {
                             if (r.state == kizu::inspect::State::Dropped) {
                                 ++dropped;
                             } else if (r.state != kizu::inspect::State::Fault) {
                                 ++judged;
                                 latency.push_back(r.latencyMs);
                             }
                         });
        const std::string uri = "folder:" + photos + "?loop=1&fps=" + std::to_string(rate);
        kizu::inspect::InspectionOptions opt;
        opt.saveNgFrames = false;
        const fs::path project = tmp / ("p" + std::to_string(rows.size()));
        { kizu::project::ProjectStore::create(project); }
        QElapsedTimer clock;
        clock.start();
        pipeline.start(kizu::camera::openSource(uri), std::move(cls),
                       QString::fromStdString(project.string()), opt);
        QEventLoop loop;
        QTimer::singleShot(int(seconds * 1000), &loop, &QEventLoop::quit);
        loop.exec();
        pipeline.stop();
        const double secs = double(clock.elapsed()) / 1000.0;
        QCoreApplication::processEvents();
        // The sequential loop fed at the same rate, where it can keep up: the same frames at
        // the same pace, so the two latencies compare like for like (an idle moment between
        // frames costs both the same wake-ups).
        json seqAtRate;
        if (factor <= 1.0) {
            kizu::learn::ModelClassifier seqCls(file);
            seqCls.classify(cv::Mat(460, 1130, CV_8UC3, cv::Scalar::all(128)));
            auto store = kizu::project::ProjectStore::open(project);
            auto src = kizu::camera::openSource(uri);
            kizu::inspect::InspectionOptions o;
            o.saveNgFrames = false;
            o.maxFrames = std::max(20, int(seconds * rate));
            auto sum = kizu::inspect::runInspection(*src, seqCls, &store, o, {});
            seqAtRate = {{"p50_ms", sum.latencyP50Ms}, {"p99_ms", sum.latencyP99Ms},
                         {"frames_per_s", sum.fps}};
        }
        rows.push_back({{"offered_frames_per_s", rate},
                        {"sequential_same_rate", seqAtRate},
                        {"judged_frames_per_s", double(judged) / secs},
                        {"judged", judged},
                        {"dropped", dropped},
                        {"dropped_share", judged + dropped > 0 ? double(dropped) / double(judged + dropped) : 0.0},
                        {"p50_ms", percentile(latency, 0.5)},
                        {"p99_ms", percentile(latency, 0.99)}});
    }
    json out = {{"bench", "pipeline"},
                {"model", modelFile.empty() ? arch : modelFile},
                {"size", size},
                {"threads", threads > 0 ? threads : int(std::thread::hardware_concurrency())},
                {"load_average", loadAverage()},
                {"sequential", seq},
                {"pipeline", rows},
                {"note", "sequential: kizu-cli inspect's loop (read, decode, judge, record, one "
                         "frame after the other), unpaced. pipeline: the Inspect page's two "
                         "threads, the capture thread reading and decoding frames paced at "
                         "offered_frames_per_s (as a camera delivers them) while the inference "
                         "thread judges and records; a frame waiting when the queue is full is "
                         "dropped (recorded as DROPPED). Latency: file read to verdict."}};
    fs::remove_all(tmp);
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
