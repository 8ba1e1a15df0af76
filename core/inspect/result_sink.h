// Where a result goes besides the project: the line's PLC (Modbus TCP) and MES (MQTT), see
// core/line/ and docs/line.md. The inspection step calls every sink on its own thread for each
// result, fault and dropped frame; a sink must return at once (it hands the result to its own
// I/O thread through a bounded buffer) and never waits for a client or a broker.
#pragma once

#include "core/inspect/state.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kizu::inspect {

// What the station is doing, as the line sees it. The numbers are the Modbus register's values
// (docs/line.md): never renumber.
enum class StationState {
    Idle = 0,         // not inspecting (before start, after the end)
    Running = 1,      // inspecting
    Fault = 2,        // the camera or the method failed; inspection goes on when it recovers
    ModelMissing = 3, // no model to judge with
};

// "idle", "running", "fault", "model_missing": MQTT's state payloads.
inline const char* stationStateName(StationState s)
{
    switch (s) {
    case StationState::Idle:
        return "idle";
    case StationState::Running:
        return "running";
    case StationState::Fault:
        return "fault";
    case StationState::ModelMissing:
        return "model_missing";
    }
    return "fault";
}

// One result as the line gets it: a verdict, a fault or a dropped frame.
struct LineResult {
    std::int64_t counter = 0; // results published by this step, 1 for the first
    std::int64_t at = 0;      // unix ms: the frame's capture time (a fault: its time)
    std::string partId;       // empty: none known
    std::int64_t frame = -1;  // the source's frame sequence; -1: none (a source fault)
    std::optional<std::uint64_t> cameraTimestampNs; // the camera's own clock, when it gives one
    std::optional<std::uint64_t> cameraFrameId;     // the camera's own frame id, when it gives one
    State state = State::Ok;
    double score = 0;
    double threshold = 0;
    std::string modelSha; // the model file's sha256 (or the baseline parameters' hash)
    std::string method;   // "squeezenet1_1 @224", "baseline"
    double latencyMs = 0; // capture to verdict
    std::string message;  // a fault: what happened
};

class ResultSink {
public:
    virtual ~ResultSink() = default;
    // Must not block: called on the inspection thread.
    virtual void publish(const LineResult& result) = 0;
    virtual void setState(StationState state) = 0;
    // The part id the line gave for the next part, once (empty when it gave none).
    virtual std::string takePartId() { return {}; }
    // True once for each trigger the line gave since the last call.
    virtual bool takeTrigger() { return false; }
};

} // namespace kizu::inspect
