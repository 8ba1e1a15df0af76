// The station as a Modbus TCP server for the line's PLC (libmodbus): status, the last verdict
// and a result counter in read-only registers, a trigger / acknowledge / reset handshake and the
// next part's id in registers the PLC writes. The register map and the handshake's timing
// diagram are in docs/line.md; the Register and Coil constants below are that map.
//
// The server owns one I/O thread (an exception to "core starts no threads", see docs/line.md):
// it alone talks to clients and owns the register block; the inspection thread only swaps
// values with it under a mutex held for a few copies, so a slow, stuck or absent PLC never
// delays inspection.
#pragma once

#include "core/inspect/result_sink.h"

#include <cstdint>
#include <memory>
#include <string>

namespace kizu::line {

// Addresses (0-based, as on the wire). Input registers and discrete inputs are read by the PLC
// (FC 4, FC 2); coils and holding registers are written by it (FC 5/15, FC 6/16).
namespace modbus {
// Input registers (FC 4). 32-bit values: high word first.
inline constexpr int kHeartbeat = 0;   // +1 every 100 ms while the server runs (wraps)
inline constexpr int kState = 1;       // StationState: 0 idle 1 running 2 fault 3 model missing
inline constexpr int kCounterHi = 2;   // results published (32 bit); 3: low word
inline constexpr int kVerdict = 4;     // last result: 0 OK 1 NG 2 FAULT 3 DROPPED, 65535 none yet
inline constexpr int kScoreHi = 5;     // last score x 1000, signed 32 bit; 6: low word
inline constexpr int kThresholdHi = 7; // threshold x 1000, signed 32 bit; 8: low word
inline constexpr int kPartIdHi = 9;    // last result's part id (32 bit; 0: none/not numeric); 10
inline constexpr int kFrameHi = 11;    // last result's frame sequence (32 bit); 12
inline constexpr int kLatency = 13;    // last latency in 0.1 ms (clamped at 65535)
inline constexpr int kMapVersion = 14; // 1: this map
inline constexpr int kModelId = 16;    // 16..31: sha256's first 32 hex chars, 2 per register
inline constexpr int kInputRegisters = 32;
// Discrete inputs (FC 2).
inline constexpr int kReady = 0;        // running and waiting for a trigger (not busy)
inline constexpr int kBusy = 1;         // trigger taken, result not yet there
inline constexpr int kResultValid = 2;  // a new result is there; cleared by the acknowledge
inline constexpr int kResultNg = 3;     // the last result was NG
inline constexpr int kFaultLatched = 4; // a fault happened; cleared by reset fault
inline constexpr int kDiscreteInputs = 8;
// Coils (FC 1/5/15), written by the PLC, cleared by the station when taken.
inline constexpr int kTrigger = 0;     // judge the next frame
inline constexpr int kAcknowledge = 1; // the PLC read the result
inline constexpr int kResetFault = 2;  // clear the latched fault
inline constexpr int kCoils = 8;
// Holding registers (FC 3/6/16), written by the PLC.
inline constexpr int kNextPartIdHi = 0; // the next part's id (32 bit): writing the low word
inline constexpr int kNextPartIdLo = 1; // (1) hands it over; the station then clears both
inline constexpr int kHoldingRegisters = 8;
inline constexpr int kMapVersionValue = 1;
} // namespace modbus

struct ModbusStats {
    std::int64_t requests = 0; // requests answered
    std::int64_t clients = 0;  // connections accepted
    std::int64_t triggers = 0; // triggers taken from the PLC
};

class ModbusServer : public inspect::ResultSink {
public:
    // Listens on "[ADDR:]PORT" (ADDR default 0.0.0.0; PORT 0: a free port, see port()).
    // Throws IoError when it cannot listen (port in use, no permission for ports below 1024).
    explicit ModbusServer(const std::string& address);
    ~ModbusServer() override;
    ModbusServer(const ModbusServer&) = delete;
    ModbusServer& operator=(const ModbusServer&) = delete;

    int port() const;
    std::string address() const; // "ADDR:PORT" as listening

    void publish(const inspect::LineResult& result) override;
    void setState(inspect::StationState state) override;
    std::string takePartId() override;
    bool takeTrigger() override;
    ModbusStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace kizu::line
