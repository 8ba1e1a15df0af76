// bench_inspect --line: what the line outputs add to each frame (docs/line.md). The real
// inspection runs with both sinks: a Modbus server polled by a client every millisecond and an
// MQTT publisher connected to a local mosquitto (started here on a free port when installed).
// Each sink call is timed on the inspection thread: that time is the added latency.
#pragma once

#include "bench/bench_common.h"
#include "core/camera/frame_source.h"
#include "core/inspect/inspection_runner.h"
#include "core/line/modbus_server.h"
#include "core/line/mqtt_publisher.h"
#include "tests/common/loopback.h"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kizu::bench {

struct TimedSink : inspect::ResultSink {
    inspect::ResultSink& inner;
    std::vector<double>& us; // per call, pushed in order
    TimedSink(inspect::ResultSink& s, std::vector<double>& out) : inner(s), us(out) {}
    void publish(const inspect::LineResult& r) override
    {
        const auto t0 = std::chrono::steady_clock::now();
        inner.publish(r);
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    void setState(inspect::StationState s) override { inner.setState(s); }
    std::string takePartId() override
    {
        const auto t0 = std::chrono::steady_clock::now();
        auto p = inner.takePartId();
        partUs.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
        return p;
    }
    std::vector<double> partUs;
};

inline nlohmann::json lineBench(const std::string& sourceUri, inspect::Classifier& cls, int frames,
                                const std::filesystem::path& tmp)
{
    using nlohmann::json;
    json out;
    // The broker, when installed.
    pid_t broker = -1;
    int mqttPort = 0;
    for (const char* exe : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"}) {
        if (!std::filesystem::exists(exe)) continue;
        mqttPort = kizu::test::freeLoopbackPort();
        const auto conf = tmp / "mosquitto.conf";
        std::ofstream(conf) << "listener " << mqttPort << " 127.0.0.1\nallow_anonymous true\n";
        broker = ::fork();
        if (broker == 0) {
            std::freopen("/dev/null", "w", stderr);
            ::execl(exe, exe, "-c", conf.c_str(), (char*)nullptr);
            ::_exit(127);
        }
        break;
    }
    line::ModbusServer modbus("127.0.0.1:0");
    std::unique_ptr<line::MqttPublisher> mqtt;
    if (broker > 0) {
        line::MqttOptions o;
        o.port = mqttPort;
        o.station = "bench";
        mqtt = std::make_unique<line::MqttPublisher>(o);
        out["mqtt_connected"] = mqtt->waitConnected(5000);
    }
    // A PLC polling all input registers every millisecond.
    std::atomic<bool> stop{false};
    std::atomic<long> polls{0};
    std::thread plc([&] {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(std::uint16_t(modbus.port()));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
        const unsigned char req[] = {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 32};
        unsigned char buf[256];
        while (!stop) {
            if (::send(s, req, sizeof req, 0) != ssize_t(sizeof req)) break;
            if (::recv(s, buf, sizeof buf, 0) <= 0) break;
            ++polls;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ::close(s);
    });
    std::vector<double> modbusUs, mqttUs;
    TimedSink tm(modbus, modbusUs);
    std::unique_ptr<TimedSink> tq;
    inspect::InspectionOptions opt;
    opt.maxFrames = frames;
    opt.saveNgFrames = false;
    opt.sinks.push_back(&tm);
    if (mqtt) {
        tq = std::make_unique<TimedSink>(*mqtt, mqttUs);
        opt.sinks.push_back(tq.get());
    }
    auto src = camera::openSource(sourceUri);
    const auto sum = inspect::runInspection(*src, cls, nullptr, opt, {});
    std::vector<double> total(modbusUs.size());
    for (std::size_t i = 0; i < total.size(); ++i) {
        total[i] = modbusUs[i] + tm.partUs[std::min(i, tm.partUs.size() - 1)];
        if (i < mqttUs.size())
            total[i] += mqttUs[i] + tq->partUs[std::min(i, tq->partUs.size() - 1)];
    }
    stop = true;
    plc.join();
    out["frames"] = sum.frames;
    out["latency_p50_ms"] = sum.latencyP50Ms;
    out["latency_p99_ms"] = sum.latencyP99Ms;
    out["modbus_publish_us_p50"] = percentile(modbusUs, 0.5);
    out["modbus_publish_us_p99"] = percentile(modbusUs, 0.99);
    out["mqtt_publish_us_p50"] = percentile(mqttUs, 0.5);
    out["mqtt_publish_us_p99"] = percentile(mqttUs, 0.99);
    out["added_us_p50"] = percentile(total, 0.5);
    out["added_us_p99"] = percentile(total, 0.99);
    out["added_us_max"] = total.empty() ? 0 : *std::max_element(total.begin(), total.end());
    out["modbus_polls"] = polls.load();
    if (mqtt) {
        mqtt.reset(); // sends what is queued, then "offline"
        out["mqtt_broker"] = true;
    } else {
        out["mqtt_broker"] = false; // mosquitto not installed: Modbus only
    }
    if (broker > 0) {
        ::kill(broker, SIGTERM);
        ::waitpid(broker, nullptr, 0);
    }
    return out;
}

} // namespace kizu::bench
