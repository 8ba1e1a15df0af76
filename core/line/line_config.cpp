#include "core/line/line_config.h"

#include "core/common/error.h"
#include "core/imaging/barcode.h"

#include <cstdlib>
#include <unistd.h>

namespace kizu::line {
namespace {
constexpr const char* kModbus = "line.modbus";
constexpr const char* kMqtt = "line.mqtt";
constexpr const char* kStation = "line.station";
constexpr const char* kQos = "line.mqtt_qos";
constexpr const char* kCa = "line.mqtt_ca";
constexpr const char* kCert = "line.mqtt_cert";
constexpr const char* kKey = "line.mqtt_key";
constexpr const char* kTrigger = "line.trigger";
constexpr const char* kPartCounter = "line.part_counter";
constexpr const char* kBarcode = "line.barcode";

MqttOptions mqttOptions(const LineConfig& c)
{
    MqttOptions o;
    o.station = c.station.empty() ? defaultStationName() : c.station;
    o.qos = c.mqttQos;
    o.caFile = c.mqttCa;
    o.certFile = c.mqttCert;
    o.keyFile = c.mqttKey;
    o = parseMqttUrl(c.mqtt, o);
    if (o.password.empty())
        if (const char* pw = std::getenv("KIZU_MQTT_PASSWORD"); pw && *pw) o.password = pw;
    return o;
}
} // namespace

std::string defaultStationName()
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || !*host) return "station";
    std::string name = host;
    for (char& c : name)
        if (c == '/' || c == '+' || c == '#') c = '_';
    return name;
}

LineConfig loadLineConfig(const project::ProjectStore& store)
{
    LineConfig c;
    c.modbus = store.meta(kModbus).value_or("");
    c.mqtt = store.meta(kMqtt).value_or("");
    c.station = store.meta(kStation).value_or("");
    c.mqttCa = store.meta(kCa).value_or("");
    c.mqttCert = store.meta(kCert).value_or("");
    c.mqttKey = store.meta(kKey).value_or("");
    c.trigger = store.meta(kTrigger).value_or("0") == "1";
    c.partCounter = store.meta(kPartCounter).value_or("0") == "1";
    c.barcode = store.meta(kBarcode).value_or("0") == "1";
    try {
        c.mqttQos = std::stoi(store.meta(kQos).value_or("1"));
    } catch (const std::exception&) {
        c.mqttQos = 1;
    }
    return c;
}

void validateLineConfig(const LineConfig& c)
{
    if (!c.modbus.empty()) {
        const auto colon = c.modbus.rfind(':');
        const std::string port = colon == std::string::npos ? c.modbus : c.modbus.substr(colon + 1);
        char* end = nullptr;
        const long p = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end || p < 0 || p > 65535)
            throw InvalidArgument("Modbus address '" + c.modbus +
                                  "' is not [ADDR:]PORT (e.g. 1502 or 192.168.0.10:502).");
    }
    if (c.trigger && c.modbus.empty())
        throw InvalidArgument(
            "The PLC trigger needs the Modbus server: give a Modbus address too.");
    if (c.barcode && !imaging::barcodeAvailable())
        throw InvalidArgument("Barcode part ids need ZXing: install libzxing-dev and rebuild Kizu.");
    if (c.mqttQos < 0 || c.mqttQos > 2)
        throw InvalidArgument("MQTT QoS must be 0, 1 or 2, not " + std::to_string(c.mqttQos) + ".");
    if (c.station.find_first_of("/+#") != std::string::npos)
        throw InvalidArgument("Station name '" + c.station +
                              "' cannot be an MQTT topic level: give one without / + #.");
    if (!c.mqtt.empty()) parseMqttUrl(c.mqtt);
}

void saveLineConfig(project::ProjectStore& store, const LineConfig& c)
{
    validateLineConfig(c);
    store.setMeta(kModbus, c.modbus);
    store.setMeta(kMqtt, c.mqtt);
    store.setMeta(kStation, c.station);
    store.setMeta(kQos, std::to_string(c.mqttQos));
    store.setMeta(kCa, c.mqttCa);
    store.setMeta(kCert, c.mqttCert);
    store.setMeta(kKey, c.mqttKey);
    store.setMeta(kTrigger, c.trigger ? "1" : "0");
    store.setMeta(kPartCounter, c.partCounter ? "1" : "0");
    store.setMeta(kBarcode, c.barcode ? "1" : "0");
}

std::vector<inspect::ResultSink*> LineOutputs::sinks() const
{
    std::vector<inspect::ResultSink*> out;
    if (modbus) out.push_back(modbus.get());
    if (mqtt) out.push_back(mqtt.get());
    return out;
}

LineOutputs startLineOutputs(const LineConfig& config)
{
    validateLineConfig(config);
    LineOutputs out;
    if (!config.modbus.empty()) out.modbus = std::make_unique<ModbusServer>(config.modbus);
    if (!config.mqtt.empty()) out.mqtt = std::make_unique<MqttPublisher>(mqttOptions(config));
    return out;
}

} // namespace kizu::line
