#include "core/line/mqtt_publisher.h"

#include "core/common/error.h"
#include "core/inspect/results_export.h"

#include <mosquitto.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>
#include <utility>

namespace kizu::line {
using Clock = std::chrono::steady_clock;

namespace {
// Results handed to libmosquitto and not yet written (QoS 0) or acknowledged (QoS 1, 2): the
// rest waits in our own bounded queue, so that a slow broker cannot grow memory without end.
constexpr int kMaxInflight = 100;

std::once_flag g_libInit;


// A result is kept as it is and written as JSON on the network thread, so that publish() costs
// the inspection thread a copy and a lock, nothing more.
struct Message {
    std::string topic, payload;
    int qos = 0;
    bool retain = false;
    std::optional<inspect::LineResult> result;
};
} // namespace

MqttOptions parseMqttUrl(const std::string& url, MqttOptions o)
{
    std::string rest;
    if (url.rfind("mqtt://", 0) == 0) {
        rest = url.substr(7);
        o.tls = false;
        o.port = 1883;
    } else if (url.rfind("mqtts://", 0) == 0) {
        rest = url.substr(8);
        o.tls = true;
        o.port = 8883;
    } else {
        throw InvalidArgument("MQTT address '" + url +
                              "' is not mqtt://HOST[:PORT] or mqtts://HOST[:PORT].");
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        const std::string cred = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const auto colon = cred.find(':');
        o.user = cred.substr(0, colon);
        if (colon != std::string::npos) o.password = cred.substr(colon + 1);
    }
    if (auto colon = rest.rfind(':');
        colon != std::string::npos && rest.find(']') == std::string::npos) {
        const std::string port = rest.substr(colon + 1);
        rest.resize(colon);
        char* end = nullptr;
        const long p = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end || p <= 0 || p > 65535)
            throw InvalidArgument("MQTT address '" + url + "': '" + port + "' is not a port.");
        o.port = int(p);
    }
    if (rest.empty()) throw InvalidArgument("MQTT address '" + url + "' names no host.");
    o.host = rest;
    return o;
}

std::string resultJson(const inspect::LineResult& r, const std::string& station)
{
    using nlohmann::json;
    json j = {
        {"station", station},
        {"counter", r.counter},
        {"time", inspect::isoUtcMs(r.at)},
        {"at_ms", r.at},
        {"part_id", r.partId.empty() ? json(nullptr) : json(r.partId)},
        {"frame", r.frame >= 0 ? json(r.frame) : json(nullptr)},
        {"camera_timestamp_ns", r.cameraTimestampNs ? json(*r.cameraTimestampNs) : json(nullptr)},
        {"camera_frame_id", r.cameraFrameId ? json(*r.cameraFrameId) : json(nullptr)},
        {"verdict", inspect::stateName(r.state)},
        {"score", r.score},
        {"threshold", r.threshold},
        {"model_sha256", r.modelSha},
        {"method", r.method},
        {"latency_ms", r.latencyMs}};
    if (!r.message.empty()) j["message"] = r.message;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

struct MqttPublisher::Impl {
    MqttOptions opt;
    mosquitto* mosq = nullptr;
    std::string resultTopic, stateTopic;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::deque<Message> queue;
    int inflight = 0;
    bool connected = false;
    std::optional<inspect::StationState> state; // the last state queued
    std::string partTopic;
    std::string pendingPartId; // from kizu/<station>/part, for the next result
    MqttStats stats;
    bool stop = false; // under mutex
    std::thread thread;

    // The network thread: connects (again) with back-off 1 s .. 30 s and runs libmosquitto's
    // loop. libmosquitto's own loop_start gives up when the first connection fails, so the
    // station could not start before its broker; this one keeps trying.
    void run()
    {
        int backoffMs = 1000;
        bool linked = false;
        while (true) {
            {
                std::unique_lock lock(mutex);
                if (stop) break;
            }
            if (!linked) {
                const int rc =
                    mosquitto_connect_async(mosq, opt.host.c_str(), opt.port, opt.keepaliveS);
                if (rc == MOSQ_ERR_SUCCESS) {
                    linked = true;
                } else if (waitStop(backoffMs)) {
                    break;
                } else {
                    backoffMs = std::min(backoffMs * 2, 30000);
                    continue;
                }
            }
            // 10 ms: how long a queued result may wait for the thread to notice it.
            const int rc = mosquitto_loop(mosq, 10, 1);
            if (rc != MOSQ_ERR_SUCCESS) {
                linked = false;
                {
                    std::lock_guard lock(mutex);
                    connected = false;
                    stats.connected = false;
                    changed.notify_all();
                }
                if (waitStop(backoffMs)) break;
                backoffMs = std::min(backoffMs * 2, 30000);
            } else {
                {
                    std::lock_guard lock(mutex);
                    if (connected) backoffMs = 1000;
                }
                pump();
            }
        }
        if (linked) {
            mosquitto_disconnect(mosq);
            mosquitto_loop(mosq, 100, 1); // sends the DISCONNECT
        }
    }
    // Sleeps up to ms; true when asked to stop.
    bool waitStop(int ms)
    {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop; });
    }

    // On the network thread, without `mutex`: hands queued messages to libmosquitto while the
    // broker keeps up (QoS 0: written; QoS 1, 2: acknowledged).
    void pump()
    {
        while (true) {
            Message msg;
            {
                std::lock_guard lock(mutex);
                if (!connected || inflight >= kMaxInflight || queue.empty()) return;
                msg = std::move(queue.front());
                queue.pop_front();
                ++inflight;
            }
            if (msg.result) msg.payload = resultJson(*msg.result, opt.station);
            const int rc =
                mosquitto_publish(mosq, nullptr, msg.topic.c_str(), int(msg.payload.size()),
                                  msg.payload.data(), msg.qos, msg.retain);
            std::lock_guard lock(mutex);
            if (rc != MOSQ_ERR_SUCCESS) { // the connection is going; on_connect resumes
                --inflight;
                queue.push_front(std::move(msg));
                return;
            }
            if (msg.result) ++stats.published;
            changed.notify_all();
        }
    }
    // Under `mutex`.
    void enqueue(Message msg)
    {
        if (queue.size() >= opt.maxQueue) {
            if (queue.front().result) ++stats.dropped;
            queue.pop_front();
        }
        queue.push_back(std::move(msg));
    }

    static void onConnect(mosquitto*, void* obj, int rc)
    {
        auto* self = static_cast<Impl*>(obj);
        if (rc != 0) return; // refused (bad credentials...): the network thread tries again
        {
            std::lock_guard lock(self->mutex);
            self->connected = true;
            self->stats.connected = true;
            ++self->stats.connects;
            self->inflight = 0; // libmosquitto resends its unacknowledged QoS 1/2 messages itself
            self->changed.notify_all();
        }
        // The MES may name the next part (clean session: subscribe on every connection).
        mosquitto_subscribe(self->mosq, nullptr, self->partTopic.c_str(), 1);
        self->pump();
    }
    static void onMessage(mosquitto*, void* obj, const mosquitto_message* msg)
    {
        auto* self = static_cast<Impl*>(obj);
        if (!msg->topic || self->partTopic != msg->topic || msg->payloadlen <= 0) return;
        std::string id(static_cast<const char*>(msg->payload),
                       std::size_t(std::min(msg->payloadlen, 64)));
        while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back())))
            id.pop_back();
        std::lock_guard lock(self->mutex);
        self->pendingPartId = id;
    }
    static void onDisconnect(mosquitto*, void* obj, int)
    {
        auto* self = static_cast<Impl*>(obj);
        std::lock_guard lock(self->mutex);
        self->connected = false;
        self->stats.connected = false;
        self->changed.notify_all();
    }
    static void onPublish(mosquitto*, void* obj, int)
    {
        auto* self = static_cast<Impl*>(obj);
        {
            std::lock_guard lock(self->mutex);
            if (self->inflight > 0) --self->inflight;
            self->changed.notify_all();
        }
        self->pump();
    }
};

MqttPublisher::MqttPublisher(const MqttOptions& options) : m(std::make_unique<Impl>())
{
    m->opt = options;
    if (options.qos < 0 || options.qos > 2)
        throw InvalidArgument("MQTT QoS must be 0, 1 or 2, not " + std::to_string(options.qos) +
                              ".");
    if (options.station.empty() || options.station.find_first_of("/+#") != std::string::npos)
        throw InvalidArgument("Station name '" + options.station +
                              "' cannot be an MQTT topic level: give one without / + #.");
    std::call_once(g_libInit, [] { mosquitto_lib_init(); });
    m->resultTopic = "kizu/" + options.station + "/result";
    m->stateTopic = "kizu/" + options.station + "/state";
    m->partTopic = "kizu/" + options.station + "/part";
    const std::string clientId = "kizu-" + options.station + "-" + std::to_string(::getpid());
    m->mosq = mosquitto_new(clientId.c_str(), true, m.get());
    if (!m->mosq) throw Error("MQTT: cannot create a client (out of memory).");
    auto fail = [&](const std::string& what) {
        mosquitto_destroy(m->mosq);
        throw InvalidArgument("MQTT: " + what);
    };
    mosquitto_connect_callback_set(m->mosq, &Impl::onConnect);
    mosquitto_disconnect_callback_set(m->mosq, &Impl::onDisconnect);
    mosquitto_publish_callback_set(m->mosq, &Impl::onPublish);
    mosquitto_message_callback_set(m->mosq, &Impl::onMessage);
    mosquitto_threaded_set(m->mosq, true); // published from the inspection thread, sent from ours
    const std::string offline = "offline";
    if (mosquitto_will_set(m->mosq, m->stateTopic.c_str(), int(offline.size()), offline.data(), 1,
                           true) != MOSQ_ERR_SUCCESS)
        fail("cannot set the last will on " + m->stateTopic + ".");
    if (!options.user.empty() &&
        mosquitto_username_pw_set(m->mosq, options.user.c_str(),
                                  options.password.empty() ? nullptr : options.password.c_str()) !=
            MOSQ_ERR_SUCCESS)
        fail("cannot set the user name.");
    if (options.tls) {
        const char* ca = options.caFile.empty() ? nullptr : options.caFile.c_str();
        const int rc =
            mosquitto_tls_set(m->mosq, ca, ca ? nullptr : "/etc/ssl/certs",
                              options.certFile.empty() ? nullptr : options.certFile.c_str(),
                              options.keyFile.empty() ? nullptr : options.keyFile.c_str(), nullptr);
        if (rc != MOSQ_ERR_SUCCESS)
            fail(std::string("TLS set-up failed (") + mosquitto_strerror(rc) +
                 "): check the CA, certificate and key files.");
    }
    // An absent broker is not an error: the network thread keeps trying with back-off.
    m->thread = std::thread([impl = m.get()] { impl->run(); });
}

bool MqttPublisher::flush(int timeoutMs)
{
    std::unique_lock lock(m->mutex);
    return m->changed.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
        return m->connected && m->queue.empty() && m->inflight == 0;
    });
}

MqttPublisher::~MqttPublisher()
{
    // What is queued goes out first (a short run may end before the broker answered).
    flush(2000);
    std::unique_lock lock(m->mutex);
    if (m->connected) {
        m->enqueue({m->stateTopic, "offline", 1, true, std::nullopt});
        m->changed.wait_until(lock, Clock::now() + std::chrono::seconds(1), [&] {
            return !m->connected || (m->queue.empty() && m->inflight == 0);
        });
    }
    m->stop = true;
    m->changed.notify_all();
    lock.unlock();
    m->thread.join();
    mosquitto_destroy(m->mosq);
}

void MqttPublisher::publish(const inspect::LineResult& result)
{
    Message msg{m->resultTopic, {}, m->opt.qos, false, result};
    std::lock_guard lock(m->mutex);
    m->enqueue(std::move(msg));
}

void MqttPublisher::setState(inspect::StationState state)
{
    std::lock_guard lock(m->mutex);
    if (m->state == state) return;
    m->state = state;
    m->enqueue({m->stateTopic, inspect::stationStateName(state), 1, true, std::nullopt});
}

std::string MqttPublisher::takePartId()
{
    std::lock_guard lock(m->mutex);
    return std::exchange(m->pendingPartId, {});
}

bool MqttPublisher::waitConnected(int timeoutMs)
{
    std::unique_lock lock(m->mutex);
    return m->changed.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                               [&] { return m->connected; });
}

MqttStats MqttPublisher::stats() const
{
    std::lock_guard lock(m->mutex);
    return m->stats;
}

std::string MqttPublisher::resultTopic() const
{
    return m->resultTopic;
}
std::string MqttPublisher::stateTopic() const
{
    return m->stateTopic;
}

} // namespace kizu::line
