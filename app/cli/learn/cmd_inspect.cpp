// Live inspection from the command line (one JSON line per frame and a summary). In the
// learning module because a model needs LibTorch.
#include "app/cli/camera_args.h"
#include "app/cli/commands.h"
#include "core/baseline/baseline.h"
#include "core/camera/frame_source.h"
#include "core/common/error.h"
#include "core/inspect/baseline_classifier.h"
#include "core/inspect/inspection_runner.h"
#include "core/inspect/station_profile.h"
#include "core/learn/defaults.h"
#include "core/learn/model_classifier.h"
#include "core/learn/train_run.h"
#include "core/line/line_config.h"
#include "core/project/project_store.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kizu::cli {
namespace {
using nlohmann::json;

int inspectCmd(Args& args)
{
    const std::string source = args.value("--source", "");
    const auto modelFile = args.value("--model");
    const auto baselineFile = args.value("--baseline");
    const bool noProject = args.flag("--no-project");
    const bool quiet = args.flag("--quiet");
    inspect::InspectionOptions opt;
    opt.maxFrames = args.intValue("--frames", -1);
    opt.grabTimeoutMs = int(args.intValue("--timeout", 2000));
    opt.maxReconnects = int(args.intValue("--max-reconnects", -1));
    opt.saveNgFrames = !args.flag("--no-save-ng");
    const int threads = int(args.intValue("--threads", 0));
    // The line outputs (docs/line.md): the project's settings, then these options over them.
    const auto modbus = args.value("--modbus"), mqtt = args.value("--mqtt"),
               station = args.value("--station"), mqttCa = args.value("--mqtt-ca"),
               mqttCert = args.value("--mqtt-cert"), mqttKey = args.value("--mqtt-key");
    const auto qos = args.value("--mqtt-qos");
    // The camera (docs/camera.md), read before --trigger: `--trigger software` is the camera's
    // trigger, `--trigger` alone the PLC handshake.
    const camera::CameraSettings cameraFlags = cameraSettingsFrom(args);
    const bool saveCamera = args.flag("--save-camera");
    const bool trigger = args.flag("--trigger"), noLine = args.flag("--no-line");
    const bool partCounter = args.flag("--part-counter"), barcode = args.flag("--barcode");
    std::string dir;
    if (!noProject) dir = projectDir(args);
    args.finish();
    if (source.empty()) throw UsageError{"inspect needs --source URI"};
    if (modelFile && baselineFile) throw UsageError{"give --model or --baseline, not both"};
    if (saveCamera && noProject)
        throw UsageError{
            "--save-camera stores the camera settings in the project: drop --no-project"};
    learn::setTorchThreads(threads);

    std::optional<project::ProjectStore> store;
    if (!noProject) store.emplace(project::ProjectStore::open(dir));
    // The project's station profile, then the options given here over it.
    camera::CameraSettings cameraSettings = inspect::overlay(
        store ? inspect::loadCameraProfile(*store) : camera::CameraSettings{}, cameraFlags);
    if (saveCamera) inspect::saveCameraProfile(*store, cameraSettings);
    if (!cameraFlags.empty() && source.rfind("aravis", 0) != 0 && source.rfind("v4l2:", 0) != 0 &&
        !quiet)
        std::fprintf(stderr,
                     "inspect: note: the camera options apply to aravis and v4l2 sources; "
                     "%s ignores them\n",
                     source.c_str());
    line::LineConfig lineCfg;
    if (store && !noLine) lineCfg = line::loadLineConfig(*store);
    if (modbus) lineCfg.modbus = *modbus;
    if (mqtt) lineCfg.mqtt = *mqtt;
    if (station) lineCfg.station = *station;
    if (mqttCa) lineCfg.mqttCa = *mqttCa;
    if (mqttCert) lineCfg.mqttCert = *mqttCert;
    if (mqttKey) lineCfg.mqttKey = *mqttKey;
    if (qos) {
        if (*qos != "0" && *qos != "1" && *qos != "2")
            throw UsageError{"--mqtt-qos is 0, 1 or 2, not '" + *qos + "'"};
        lineCfg.mqttQos = std::stoi(*qos);
    }
    if (trigger) lineCfg.trigger = true;
    if (partCounter) lineCfg.partCounter = true;
    if (lineCfg.partCounter) opt.partCounterFrom = (store ? store->maxNumericPartId() : 0) + 1;
    if (barcode) lineCfg.barcode = true;
    opt.barcodePartId = lineCfg.barcode;
    if (lineCfg.trigger && lineCfg.modbus.empty())
        throw UsageError{"--trigger waits for the PLC's trigger: give --modbus [ADDR:]PORT too"};
    line::LineOutputs outputs = line::startLineOutputs(lineCfg);
    if (outputs.modbus)
        std::fprintf(stderr, "inspect: Modbus TCP server on %s%s\n", outputs.modbus->address().c_str(),
                     lineCfg.trigger ? " (judging on the PLC's trigger)" : "");
    if (outputs.mqtt)
        std::fprintf(stderr, "inspect: MQTT results on %s\n", outputs.mqtt->resultTopic().c_str());
    opt.sinks = outputs.sinks();
    opt.waitForTrigger = lineCfg.trigger;
    std::unique_ptr<inspect::Classifier> cls;
    // Until a method is loaded, the line sees why the station does not judge (then "offline").
    struct ModelMissing {
        std::vector<inspect::ResultSink*> sinks;
        ~ModelMissing()
        {
            for (auto* sink : sinks) sink->setState(inspect::StationState::ModelMissing);
        }
    } modelMissing{opt.sinks};
    if (baselineFile && *baselineFile == "project") {
        // The parameters the Inspect page and Compare use: the project's tuned ones.
        if (!store)
            throw UsageError{"--baseline project reads the project's tuned parameters: drop "
                             "--no-project, or give --baseline P.json"};
        const auto base = learn::projectBaseline(*store);
        if (!base.tuned && !quiet)
            std::fprintf(stderr, "inspect: the project's baseline is not tuned; using the default "
                                 "parameters (tune them with 'kizu-cli baseline tune' or on the "
                                 "Compare page)\n");
        cls = std::make_unique<inspect::BaselineClassifier>(base.params);
    } else if (baselineFile) {
        cls = std::make_unique<inspect::BaselineClassifier>(baseline::BaselineParams::load(*baselineFile));
    } else {
        std::string file = modelFile.value_or("");
        if (file.empty() && store) file = store->meta("active_model").value_or("");
        if (file.empty())
            throw InvalidArgument("No model: give --model FILE.kizumodel (or --baseline P.json), "
                                  "or make one active with 'kizu-cli model activate FILE'.");
        cls = std::make_unique<learn::ModelClassifier>(file);
    }
    modelMissing.sinks.clear();
    auto src = camera::openSource(source, cameraSettings);
    std::optional<camera::CameraReadout> readout; // what the camera reports once it streams
    std::string lastFault;
    auto sum = inspect::runInspection(
        *src, *cls, store ? &*store : nullptr, opt,
        [&](const inspect::InspectionEvent& e) {
            // A crossing of the free-disk floor is logged once, also with --quiet.
            if (!e.storageNotice.empty())
                std::fprintf(stderr, "inspect: %s\n", e.storageNotice.c_str());
            if (!readout && e.state != inspect::State::Fault) readout = src->readout();
            if (e.state == inspect::State::Fault) lastFault = e.message;
            if (quiet) return;
            json j;
            if (e.state == inspect::State::Fault) {
                j = {{"verdict", inspect::stateName(e.state)}, {"message", e.message}};
                if (e.frame >= 0) j["frame"] = e.frame; // the method failed on this frame
            } else {
                j = {{"frame", e.frame},
                     {"verdict", inspect::stateName(e.state)},
                     {"score", e.verdict.score},
                     {"threshold", e.verdict.threshold},
                     {"latency_ms", e.latencyMs}};
                if (e.savedImageId) j["saved_image"] = *e.savedImageId;
                if (e.frameNotKept) j["frame_not_kept"] = "free disk space under the floor";
                if (!e.partId.empty()) j["part_id"] = e.partId;
            }
            std::cout << jsonText(j) << std::endl;
        },
        &interruptToken());
    json s = {{"summary", true},
              {"method", cls->name()},
              {"method_id", cls->id()},
              {"source", src->description()},
              {"frames", sum.frames},
              {"ok", sum.ok},
              {"ng", sum.ng},
              {"faults", sum.faults},
              {"dropped", sum.dropped},
              {"reconnects", sum.reconnects},
              {"frames_not_kept", sum.framesNotKept},
              {"frames_removed", sum.framesRemoved},
              {"fps", sum.fps},
              {"latency_p50_ms", sum.latencyP50Ms},
              {"latency_p99_ms", sum.latencyP99Ms},
              {"source_timeouts", sum.source.timeouts},
              {"source_incomplete", sum.source.incomplete},
              {"lost_packets", sum.source.lostPackets}};
    if (const std::string path = cls->runtime(); !path.empty()) {
        // Which inference path ran (issue 23): the fast oneDNN graph, or the plain path and why.
        s["inference"] = path;
        if (!quiet && path.rfind("plain (the fast path", 0) == 0)
            std::fprintf(stderr, "inspect: note: %s; inference ran on the slower plain path\n",
                         path.c_str());
    }
    if (readout) {
        json c = {{"pixel_format", readout->pixelFormat}, {"trigger", readout->trigger}};
        if (readout->exposureUs) c["exposure_us"] = *readout->exposureUs;
        if (readout->gain) c["gain"] = *readout->gain;
        if (readout->frameRate) c["fps"] = *readout->frameRate;
        if (readout->trigger != "free" && !readout->triggerEdge.empty())
            c["trigger_edge"] = readout->triggerEdge;
        if (readout->triggerDelayUs) c["trigger_delay_us"] = *readout->triggerDelayUs;
        s["camera"] = c;
    }
    if (outputs.modbus) {
        const auto ms = outputs.modbus->stats();
        s["modbus"] = {{"address", outputs.modbus->address()},
                       {"requests", ms.requests},
                       {"triggers", ms.triggers}};
    }
    if (outputs.mqtt) {
        outputs.mqtt->flush(2000); // the summary counts what reached the broker
        const auto qs = outputs.mqtt->stats();
        s["mqtt"] = {{"topic", outputs.mqtt->resultTopic()},
                     {"published", qs.published},
                     {"dropped", qs.dropped},
                     {"connected", qs.connected}};
    }
    std::cout << jsonText(s) << std::endl;
    if (sum.faults > 0 && sum.frames == 0) {
        // Nothing judged: say why on stderr too (e.g. a camera setting outside its range).
        std::fprintf(stderr, "kizu-cli: error: %s\n", lastFault.c_str());
        return 1;
    }
    return 0;
}

const Registrar r1{{"inspect", "live OK/NG inspection, one JSON line per frame",
                    "Usage: kizu-cli [--project DIR] inspect --source URI [--model FILE | "
                    "--baseline P.json|project] [OPTIONS]\n\n"
                    "Verdicts go into the project (NG frames are kept as images) unless\n"
                    "--no-project. Without --model/--baseline the project's active model is used.\n"
                    "--baseline project: the classical baseline with the project's tuned\n"
                    "parameters (those of the Inspect and Compare pages; the defaults if untuned).\n"
                    "A camera that stops delivering gives FAULT lines and is reconnected with\n"
                    "back-off. Ctrl+C stops and prints the summary.\n\n"
                    "Options:\n"
                    "  --frames N           stop after N verdicts\n"
                    "  --timeout MS         FAULT when no complete frame comes for MS (2000)\n"
                    "  --max-reconnects N   give up after N failed reconnects (default: never)\n"
                    "  --no-save-ng         do not keep NG frames (kept ones follow the project's\n"
                    "                       retention: 'kizu-cli project retention')\n"
                    "  --threads N          LibTorch threads (default: all cores)\n"
                    "  --quiet              only the summary\n\n"
                    "Camera (Aravis GigE/USB3 Vision; exposure, gain, fps also V4L2; docs/camera.md).\n"
                    "The project's station profile is used; these options go over it for this run:\n"
                    "  --exposure-us US     exposure time in microseconds\n"
                    "  --gain-db DB         gain (the camera's Gain feature, dB on most cameras)\n"
                    "  --fps F              frame rate; with the software trigger: the trigger rate\n"
                    "  --pixel-format F     Mono8, BayerRG8, RGB8, ... (what the camera offers)\n"
                    "  --camera-trigger T   free (free run), software (the station triggers: on each\n"
                    "                       PLC trigger with --trigger, else at --fps or as fast as\n"
                    "                       frames are judged) or line0, line1, ... (hardware input)\n"
                    "  --trigger T          the same when T is free, software or lineN; --trigger\n"
                    "                       alone is the PLC handshake below\n"
                    "  --trigger-edge E     rising or falling (line trigger)\n"
                    "  --trigger-delay-us US  delay from the edge to the exposure (line trigger)\n"
                    "  --save-camera        store the resulting settings as the project's profile\n"
                    "Each value is checked against the camera's range; one outside it stops the run\n"
                    "with the feature and the range.\n\n"
                    "Line outputs (off unless given here or set with 'kizu-cli line'; docs/line.md):\n"
                    "  --modbus [ADDR:]PORT Modbus TCP server for the PLC (e.g. 1502; 0: a free port)\n"
                    "  --trigger            judge a frame only on the PLC's trigger coil (no value)\n"
                    "  --mqtt URL           publish results to mqtt[s]://[USER[:PASS]@]HOST[:PORT]\n"
                    "                       (password also from $KIZU_MQTT_PASSWORD)\n"
                    "  --station NAME       topic level kizu/NAME/result (default: host name)\n"
                    "  --mqtt-qos N         0, 1 or 2 for results (1)\n"
                    "  --mqtt-ca FILE       TLS: the broker's CA; --mqtt-cert/--mqtt-key: client cert\n"
                    "  --part-counter       number parts without an id from the line: 1, 2, ...\n"
                    "                       going on from the project's highest numeric part id\n"
                    "  --barcode            read the part id from a barcode in the frame (ZXing)\n"
                    "  --no-line            ignore the project's line settings\n\n"
                    "Examples:\n"
                    "  kizu-cli -p line3 inspect --source aravis:192.168.1.20\n"
                    "  kizu-cli inspect --no-project --source 'folder:shots?fps=30' --model m.kizumodel "
                    "--frames 300\n"
                    "  kizu-cli -p line3 inspect --source aravis --modbus 1502 --trigger "
                    "--mqtt mqtt://mes.local --station line3\n"
                    "  kizu-cli -p line3 inspect --source aravis --exposure-us 800 --gain-db 6 "
                    "--trigger line0 --trigger-edge rising --save-camera\n",
                    inspectCmd}};
} // namespace
} // namespace kizu::cli
