// The station on the line (docs/line.md): `line` shows or sets the project's Modbus and MQTT
// outputs, `results` lists and exports the inspection results log.
#include "app/cli/commands.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/inspect/results_export.h"
#include "core/line/line_config.h"
#include "core/project/project_store.h"

#include <iostream>
#include <sstream>

namespace kizu::cli {
namespace {
using nlohmann::json;

int lineCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const auto modbus = args.value("--modbus"), mqtt = args.value("--mqtt"),
               station = args.value("--station"), qos = args.value("--mqtt-qos"),
               ca = args.value("--mqtt-ca"), cert = args.value("--mqtt-cert"),
               key = args.value("--mqtt-key");
    const bool trigger = args.flag("--trigger"), noTrigger = args.flag("--no-trigger");
    const bool counter = args.flag("--part-counter"), noCounter = args.flag("--no-part-counter");
    const bool barcode = args.flag("--barcode"), noBarcode = args.flag("--no-barcode");
    const bool off = args.flag("--off"), asJson = args.flag("--json");
    args.finish();
    auto store = project::ProjectStore::open(dir);
    line::LineConfig c = line::loadLineConfig(store);
    const bool change = modbus || mqtt || station || qos || ca || cert || key || trigger ||
                        noTrigger || counter || noCounter || barcode || noBarcode || off;
    if (off) c = {};
    if (modbus) c.modbus = *modbus == "off" ? "" : *modbus;
    if (mqtt) c.mqtt = *mqtt == "off" ? "" : *mqtt;
    if (station) c.station = *station;
    if (qos) {
        if (*qos != "0" && *qos != "1" && *qos != "2")
            throw UsageError{"--mqtt-qos is 0, 1 or 2, not '" + *qos + "'"};
        c.mqttQos = std::stoi(*qos);
    }
    if (ca) c.mqttCa = *ca;
    if (cert) c.mqttCert = *cert;
    if (key) c.mqttKey = *key;
    if (trigger) c.trigger = true;
    if (noTrigger) c.trigger = false;
    if (counter) c.partCounter = true;
    if (noCounter) c.partCounter = false;
    if (barcode) c.barcode = true;
    if (noBarcode) c.barcode = false;
    if (c.mqtt.find('@') != std::string::npos &&
        c.mqtt.find(':', c.mqtt.find("//") + 2) < c.mqtt.find('@'))
        throw UsageError{"the project does not keep passwords: give mqtt://USER@HOST and set "
                         "$KIZU_MQTT_PASSWORD where the station runs"};
    if (change) line::saveLineConfig(store, c);
    json j = {{"modbus", c.modbus.empty() ? json(nullptr) : json(c.modbus)},
              {"trigger", c.trigger},
              {"mqtt", c.mqtt.empty() ? json(nullptr) : json(c.mqtt)},
              {"station", c.station.empty() ? line::defaultStationName() : c.station},
              {"mqtt_qos", c.mqttQos},
              {"part_counter", c.partCounter},
              {"barcode", c.barcode}};
    if (asJson) {
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    std::cout << "modbus:  " << (c.modbus.empty() ? "off" : c.modbus)
              << (c.trigger ? " (judging on the PLC's trigger)" : "") << "\n"
              << "mqtt:    " << (c.mqtt.empty() ? "off" : c.mqtt) << " (QoS " << c.mqttQos << ")\n"
              << "station: " << j["station"].get<std::string>() << "\n"
              << "part counter: " << (c.partCounter ? "on" : "off") << "\n"
              << "barcode part ids: " << (c.barcode ? "on" : "off") << "\n";
    return 0;
}

project::InspectionFilter readFilter(Args& args)
{
    project::InspectionFilter f;
    const std::int64_t now = unixMs();
    if (auto v = args.value("--since")) f.since = inspect::parseTimeArg(*v, now);
    if (auto v = args.value("--until")) f.until = inspect::parseTimeArg(*v, now);
    if (auto v = args.value("--verdict")) f.state = inspect::parseVerdict(*v);
    f.modelSha = args.value("--model", "");
    f.partId = args.value("--part", "");
    return f;
}

int resultsCmd(Args& args)
{
    const std::string sub = args.takeFirst();
    if (sub != "list" && sub != "export")
        throw UsageError{sub.empty() ? "results needs list or export"
                                     : "unknown subcommand '" + sub + "'"};
    const std::string dir = projectDir(args);
    project::InspectionFilter f = readFilter(args);
    const auto csv = args.value("--csv");
    const bool asJson = args.flag("--json");
    f.limit = args.intValue("--limit", sub == "list" ? 50 : -1);
    args.finish();
    auto store = project::ProjectStore::open(dir);
    if (sub == "export") {
        f.oldestFirst = true;
        const auto records = store.inspections(f);
        std::ostringstream out;
        inspect::writeResultsCsv(records, out);
        if (!csv || *csv == "-") {
            std::cout << out.str();
        } else {
            writeFileAtomic(*csv, out.str());
            std::cerr << "exported " << records.size() << " result(s) to " << *csv << "\n";
        }
        return 0;
    }
    if (csv) throw UsageError{"--csv belongs to 'results export'"};
    const auto records = store.inspections(f); // newest first
    std::int64_t n[4] = {};
    for (const auto& r : records)
        ++n[int(r.state)];
    for (const auto& r : records) {
        if (asJson) {
            json j = {{"id", r.id},
                      {"time", inspect::isoUtcMs(r.at)},
                      {"verdict", inspect::stateName(r.state)},
                      {"score", r.score},
                      {"threshold", r.threshold},
                      {"part_id", r.partId},
                      {"frame", r.frame ? json(*r.frame) : json(nullptr)},
                      {"model_sha256", r.modelSha},
                      {"method", r.method},
                      {"latency_ms", r.latencyMs}};
            if (r.imageId) j["image_id"] = *r.imageId;
            if (!r.message.empty()) j["message"] = r.message;
            std::cout << jsonText(j) << "\n";
        } else {
            std::cout << inspect::isoUtcMs(r.at) << "  " << inspect::stateName(r.state);
            if (r.state == inspect::State::Ok || r.state == inspect::State::Ng)
                std::cout << "  score " << r.score << " / " << r.threshold;
            if (!r.partId.empty()) std::cout << "  part " << r.partId;
            if (r.frame) std::cout << "  frame " << *r.frame;
            if (!r.message.empty()) std::cout << "  " << r.message;
            std::cout << "\n";
        }
    }
    const std::int64_t judged = n[0] + n[1];
    if (asJson) {
        std::cout << jsonText({{"summary", true},
                               {"results", records.size()},
                               {"ok", n[0]},
                               {"ng", n[1]},
                               {"faults", n[2]},
                               {"dropped", n[3]},
                               {"ng_rate", judged ? double(n[1]) / double(judged) : 0.0}})
                  << "\n";
    } else {
        std::cout << records.size() << " result(s): " << n[0] << " OK, " << n[1] << " NG, " << n[2]
                  << " fault(s), " << n[3] << " dropped";
        if (judged) std::cout << "; NG rate " << 100.0 * double(n[1]) / double(judged) << " %";
        std::cout << "\n";
    }
    return 0;
}

const Registrar r1{{"line", "show or set the project's Modbus (PLC) and MQTT (MES) outputs",
                    "Usage: kizu-cli [--project DIR] line [--modbus [ADDR:]PORT|off] [--trigger | "
                    "--no-trigger]\n"
                    "                  [--mqtt URL|off] [--station NAME] [--mqtt-qos 0|1|2]\n"
                    "                  [--mqtt-ca FILE] [--mqtt-cert FILE] [--mqtt-key FILE]\n"
                    "                  [--part-counter | --no-part-counter] [--barcode | --no-barcode]\n"
                    "                  [--off] [--json]\n\n"
                    "The outputs 'kizu-cli inspect' and the Inspect page start for this project;\n"
                    "off by default. Without options it prints them. The register map, the\n"
                    "handshake and the MQTT topics are in docs/line.md. Passwords are not kept:\n"
                    "set $KIZU_MQTT_PASSWORD where the station runs. --part-counter numbers the\n"
                    "parts the PLC or the MES gives no id for (1, 2, ... going on from the\n"
                    "project's highest numeric part id); --barcode reads it from a barcode in the\n"
                    "frame (ZXing) when the line gives none.\n\n"
                    "Examples:\n"
                    "  kizu-cli -p line3 line --modbus 1502 --trigger\n"
                    "  kizu-cli -p line3 line --mqtt mqtts://kizu@mes.local --station line3 "
                    "--mqtt-ca ca.pem\n"
                    "  kizu-cli -p line3 line --off\n",
                    lineCmd}};

const Registrar r2{
    {"results", "list or export the inspection results (CSV)",
     "Usage: kizu-cli [--project DIR] results list [FILTERS] [--limit N] [--json]\n"
     "       kizu-cli [--project DIR] results export [FILTERS] [--csv FILE]\n\n"
     "Filters:\n"
     "  --since T / --until T   from (inclusive) / to (exclusive): 2026-12-03,\n"
     "                          2026-12-03T08:00 (local; Z for UTC), Unix ms, or a\n"
     "                          time ago: 30m, 8h, 2d\n"
     "  --verdict V             ok, ng, fault or dropped\n"
     "  --model SHA             the model's sha256 (a prefix is enough)\n"
     "  --part ID               one part id\n\n"
     "list prints the newest first (50 unless --limit; -1: all) and the counts with\n"
     "the NG rate; export writes every match oldest first as CSV to FILE (or stdout)\n"
     "with the columns of docs/line.md.\n\n"
     "Examples:\n"
     "  kizu-cli -p line3 results list --since 8h --verdict ng\n"
     "  kizu-cli -p line3 results export --since 2026-12-01 --until 2026-12-02 --csv "
     "day.csv\n",
     resultsCmd}};
} // namespace
} // namespace kizu::cli
