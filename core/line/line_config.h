// The project's line outputs (docs/line.md): which Modbus address and MQTT broker a station
// serves, kept in the project (off by default) so that `kizu-cli inspect` and the Inspect page
// start the same outputs. A password is never stored: it comes from the URL or
// $KIZU_MQTT_PASSWORD.
#pragma once

#include "core/inspect/result_sink.h"
#include "core/line/modbus_server.h"
#include "core/line/mqtt_publisher.h"
#include "core/project/project_store.h"

#include <memory>
#include <string>
#include <vector>

namespace kizu::line {

struct LineConfig {
    std::string modbus;  // "[ADDR:]PORT"; empty: no Modbus server
    std::string mqtt;    // mqtt[s]://[USER@]HOST[:PORT]; empty: no MQTT
    std::string station; // MQTT topic level; empty: this machine's host name
    int mqttQos = 1;
    std::string mqttCa, mqttCert, mqttKey; // TLS files (mqtts://)
    bool trigger = false;                  // judge a frame only on the PLC's trigger
    // Number the parts the line gives no id for: 1, 2, ... per project, going on from the
    // highest numeric part id in its results.
    bool partCounter = false;
    bool barcode = false; // read the part id from a barcode in the frame (ZXing)
    bool enabled() const { return !modbus.empty() || !mqtt.empty(); }
};

LineConfig loadLineConfig(const project::ProjectStore& store);
// Checks the config (throws InvalidArgument with what to fix) and stores it.
void saveLineConfig(project::ProjectStore& store, const LineConfig& config);
// Throws InvalidArgument for an address, URL, QoS or station name that cannot work.
void validateLineConfig(const LineConfig& config);

// The host name as a topic level ("station" when there is none).
std::string defaultStationName();

// The running outputs of one inspection run.
struct LineOutputs {
    std::unique_ptr<ModbusServer> modbus;
    std::unique_ptr<MqttPublisher> mqtt;
    std::vector<inspect::ResultSink*> sinks() const;
};

// Starts what the config enables: the Modbus server listens at once (IoError when it cannot),
// MQTT connects in the background. The password: the URL's, else $KIZU_MQTT_PASSWORD.
LineOutputs startLineOutputs(const LineConfig& config);

} // namespace kizu::line
