// The station's results for the MES over MQTT (libmosquitto): every result as one JSON object
// on kizu/<station>/result, the station's state retained on kizu/<station>/state with the
// last will "offline", reconnection with back-off, TLS and user/password; the MES may name the
// next part on kizu/<station>/part. docs/line.md has the
// topics and the payload's fields.
//
// publish() only appends to a bounded queue (the oldest result is dropped, and counted, when a
// broker is away for long); the publisher's own network thread runs libmosquitto's loop and
// sends it. That thread is an exception to "core starts no threads", see docs/line.md.
#pragma once

#include "core/inspect/result_sink.h"

#include <cstdint>
#include <memory>
#include <string>

namespace kizu::line {

struct MqttOptions {
    std::string host = "127.0.0.1";
    int port = 1883; // 8883 for mqtts://
    bool tls = false;
    std::string caFile;   // TLS: the broker's CA (default: the system's CAs)
    std::string certFile; // TLS client certificate and key, optional
    std::string keyFile;
    std::string user;
    std::string password;
    int qos = 1;                     // 0, 1 or 2 for results; the state is always QoS 1, retained
    std::string station = "station"; // topic level: kizu/<station>/...
    int keepaliveS = 10;             // how soon the broker sees a dead station and sends "offline"
    std::size_t maxQueue = 10000;    // results kept while the broker is away
};

// mqtt[s]://[USER[:PASSWORD]@]HOST[:PORT] into options (the rest of `base` kept). Throws
// InvalidArgument for another scheme or a bad port.
MqttOptions parseMqttUrl(const std::string& url, MqttOptions base = {});

// The JSON text of a result on kizu/<station>/result.
std::string resultJson(const inspect::LineResult& r, const std::string& station);

struct MqttStats {
    std::int64_t published = 0; // results handed to the broker's connection
    std::int64_t dropped = 0;   // results dropped from a full queue
    std::int64_t connects = 0;  // successful connections (1 + reconnects)
    bool connected = false;
};

class MqttPublisher : public inspect::ResultSink {
public:
    // Starts connecting in the background; an absent broker is retried with back-off (1 s to
    // 30 s) and never stops inspection. Throws InvalidArgument for bad options (QoS, TLS files).
    explicit MqttPublisher(const MqttOptions& options);
    // Sends what is queued (waiting up to about 2 s for a connected broker), then the state
    // "offline", and disconnects.
    ~MqttPublisher() override;
    MqttPublisher(const MqttPublisher&) = delete;
    MqttPublisher& operator=(const MqttPublisher&) = delete;

    void publish(const inspect::LineResult& result) override;
    void setState(inspect::StationState state) override;
    // The part id last published on kizu/<station>/part (by the MES), once.
    std::string takePartId() override;
    // Waits up to timeoutMs until everything queued was sent (QoS 1, 2: acknowledged); true
    // when it was.
    bool flush(int timeoutMs);
    // Waits up to timeoutMs for the connection; true when connected.
    bool waitConnected(int timeoutMs);
    MqttStats stats() const;
    std::string resultTopic() const;
    std::string stateTopic() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace kizu::line
