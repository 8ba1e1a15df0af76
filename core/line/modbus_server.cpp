#include "core/line/modbus_server.h"

#include "core/common/error.h"

#include <modbus/modbus.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace kizu::line {
using namespace modbus;
using Clock = std::chrono::steady_clock;

namespace {
constexpr int kMaxClients = 8;

void put32(std::uint16_t* regs, int at, std::uint32_t v)
{
    regs[at] = std::uint16_t(v >> 16);
    regs[at + 1] = std::uint16_t(v & 0xFFFF);
}

std::int32_t scaled(double v)
{
    const double s = std::round(v * 1000.0);
    if (!std::isfinite(s)) return 0;
    return std::int32_t(std::clamp(s, -2147483648.0, 2147483647.0));
}

// "[ADDR:]PORT" -> (addr, port)
std::pair<std::string, int> parseAddress(const std::string& text)
{
    std::string host = "0.0.0.0", port = text;
    if (auto colon = text.rfind(':'); colon != std::string::npos) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 0 || p > 65535 || host.empty())
        throw InvalidArgument("Modbus address '" + text +
                              "' is not [ADDR:]PORT (e.g. 1502 or 192.168.0.10:502).");
    return {host, int(p)};
}
} // namespace

// What the inspection thread and the server thread share, under `mutex`.
struct Shared {
    inspect::StationState state = inspect::StationState::Idle;
    bool busy = false, resultValid = false, faultLatched = false;
    std::uint32_t counter = 0;
    int verdict = 65535;
    std::int32_t score = 0, threshold = 0;
    std::uint32_t partId = 0, frame = 0;
    std::uint16_t latency = 0;
    std::string modelId;
    std::int64_t triggers = 0; // taken from the PLC, not yet by inspection
    std::string pendingPartId; // handed over by the PLC, not yet used
};

struct ModbusServer::Impl {
    modbus_t* ctx = nullptr;
    modbus_mapping_t* map = nullptr; // the server thread's alone
    int listenFd = -1;
    std::string host;
    int port = 0;
    std::thread thread;
    std::atomic<bool> stop{false};
    mutable std::mutex mutex;
    Shared shared;
    ModbusStats stats;

    void run();
    void syncOut(std::uint16_t heartbeat);
    void takeWrites(const std::uint8_t* query);
};

ModbusServer::ModbusServer(const std::string& address) : m(std::make_unique<Impl>())
{
    auto [host, port] = parseAddress(address);
    m->host = host;
    m->ctx = modbus_new_tcp(host.c_str(), port);
    if (!m->ctx) throw InvalidArgument("Modbus: cannot use address '" + address + "'.");
    m->map = modbus_mapping_new(kCoils, kDiscreteInputs, kHoldingRegisters, kInputRegisters);
    if (!m->map) {
        modbus_free(m->ctx);
        throw Error("Modbus: out of memory for the register map.");
    }
    // A half-sent request must not hold the server for long.
    modbus_set_indication_timeout(m->ctx, 1, 0);
    m->listenFd = modbus_tcp_listen(m->ctx, kMaxClients);
    if (m->listenFd < 0) {
        const std::string why = std::strerror(errno);
        modbus_mapping_free(m->map);
        modbus_free(m->ctx);
        throw IoError("Cannot listen for Modbus TCP on " + host + ":" + std::to_string(port) +
                      ": " + why +
                      (port < 1024 ? ". Ports below 1024 need root: use e.g. 1502."
                                   : ". Is another station or program using that port?"));
    }
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (::getsockname(m->listenFd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        m->port = ntohs(sa.sin_port);
    m->map->tab_input_registers[kMapVersion] = kMapVersionValue;
    m->thread = std::thread([this] { m->run(); });
}

ModbusServer::~ModbusServer()
{
    m->stop = true;
    if (m->thread.joinable()) m->thread.join();
    if (m->listenFd >= 0) ::close(m->listenFd);
    modbus_mapping_free(m->map);
    modbus_free(m->ctx);
}

int ModbusServer::port() const
{
    return m->port;
}
std::string ModbusServer::address() const
{
    return m->host + ":" + std::to_string(m->port);
}

void ModbusServer::Impl::syncOut(std::uint16_t heartbeat)
{
    std::lock_guard lock(mutex);
    const Shared& s = shared;
    std::uint16_t* ir = map->tab_input_registers;
    ir[kHeartbeat] = heartbeat;
    ir[kState] = std::uint16_t(s.state);
    put32(ir, kCounterHi, s.counter);
    ir[kVerdict] = std::uint16_t(s.verdict);
    put32(ir, kScoreHi, std::uint32_t(s.score));
    put32(ir, kThresholdHi, std::uint32_t(s.threshold));
    put32(ir, kPartIdHi, s.partId);
    put32(ir, kFrameHi, s.frame);
    ir[kLatency] = s.latency;
    for (int i = 0; i < 16; ++i) {
        const auto c = [&](std::size_t k) {
            return k < s.modelId.size() ? std::uint8_t(s.modelId[k]) : 0;
        };
        ir[kModelId + i] = std::uint16_t(c(2 * i) << 8 | c(2 * i + 1));
    }
    std::uint8_t* di = map->tab_input_bits;
    di[kReady] = s.state == inspect::StationState::Running && !s.busy;
    di[kBusy] = s.busy;
    di[kResultValid] = s.resultValid;
    di[kResultNg] = s.verdict == int(inspect::State::Ng);
    di[kFaultLatched] = s.faultLatched;
}

// After a request: what the PLC wrote is taken, and its coils and part id are cleared.
void ModbusServer::Impl::takeWrites(const std::uint8_t* q)
{
    std::uint8_t* co = map->tab_bits;
    std::uint16_t* hr = map->tab_registers;
    // The request after the 7-byte MBAP header: function, address, (FC 16) count.
    const int fn = q[7], addr = q[8] << 8 | q[9], count = q[10] << 8 | q[11];
    const bool partIdWritten = (fn == MODBUS_FC_WRITE_SINGLE_REGISTER && addr == kNextPartIdLo) ||
                               (fn == MODBUS_FC_WRITE_MULTIPLE_REGISTERS && addr <= kNextPartIdLo &&
                                addr + count > kNextPartIdLo);
    std::lock_guard lock(mutex);
    if (partIdWritten) {
        const std::uint32_t part = std::uint32_t(hr[kNextPartIdHi]) << 16 | hr[kNextPartIdLo];
        if (part) shared.pendingPartId = std::to_string(part);
        hr[kNextPartIdHi] = hr[kNextPartIdLo] = 0;
    }
    if (co[kTrigger]) {
        co[kTrigger] = 0;
        ++shared.triggers;
        ++stats.triggers;
        shared.busy = true;
        shared.resultValid = false;
    }
    if (co[kAcknowledge]) {
        co[kAcknowledge] = 0;
        shared.resultValid = false;
    }
    if (co[kResetFault]) {
        co[kResetFault] = 0;
        shared.faultLatched = false;
        if (shared.state == inspect::StationState::Fault)
            shared.state = inspect::StationState::Running;
    }
}

void ModbusServer::Impl::run()
{
    std::vector<int> clients;
    std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);
    const auto start = Clock::now();
    auto heartbeat = [&] {
        return std::uint16_t(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() /
            100);
    };
    while (!stop) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(listenFd, &fds);
        int maxFd = listenFd;
        for (int c : clients) {
            FD_SET(c, &fds);
            maxFd = std::max(maxFd, c);
        }
        timeval tv{0, 50000}; // 50 ms: how soon a stop is seen
        const int n = ::select(maxFd + 1, &fds, nullptr, nullptr, &tv);
        if (n <= 0) continue;
        if (FD_ISSET(listenFd, &fds)) {
            const int c = ::accept(listenFd, nullptr, nullptr);
            if (c >= 0) {
                if (int(clients.size()) >= kMaxClients) {
                    ::close(c);
                } else {
                    // A PLC that stops reading must not hold the server thread forever.
                    timeval sendTimeout{1, 0};
                    ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof sendTimeout);
                    clients.push_back(c);
                    std::lock_guard lock(mutex);
                    ++stats.clients;
                }
            }
        }
        for (auto it = clients.begin(); it != clients.end();) {
            const int c = *it;
            if (!FD_ISSET(c, &fds)) {
                ++it;
                continue;
            }
            modbus_set_socket(ctx, c);
            const int rc = modbus_receive(ctx, query.data());
            if (rc > 0) {
                syncOut(heartbeat());
                if (modbus_reply(ctx, query.data(), rc, map) >= 0) {
                    takeWrites(query.data());
                    std::lock_guard lock(mutex);
                    ++stats.requests;
                }
            } else if (rc < 0) {
                ::close(c);
                it = clients.erase(it);
                continue;
            }
            ++it;
        }
    }
    for (int c : clients)
        ::close(c);
}

void ModbusServer::publish(const inspect::LineResult& r)
{
    std::uint32_t part = 0;
    if (!r.partId.empty() && r.partId.size() <= 10 &&
        std::all_of(r.partId.begin(), r.partId.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
        const unsigned long long v = std::stoull(r.partId);
        if (v <= 0xFFFFFFFFull) part = std::uint32_t(v);
    }
    std::lock_guard lock(m->mutex);
    Shared& s = m->shared;
    s.counter = std::uint32_t(r.counter);
    s.verdict = int(r.state);
    s.score = scaled(r.score);
    s.threshold = scaled(r.threshold);
    s.partId = part;
    s.frame = std::uint32_t(r.frame < 0 ? 0 : r.frame);
    s.latency = std::uint16_t(std::clamp(r.latencyMs * 10.0, 0.0, 65535.0));
    if (s.modelId.compare(0, 32, r.modelSha, 0, 32) != 0) s.modelId = r.modelSha.substr(0, 32);
    s.busy = false;
    s.resultValid = true;
    if (r.state == inspect::State::Fault) s.faultLatched = true;
}

void ModbusServer::setState(inspect::StationState state)
{
    std::lock_guard lock(m->mutex);
    m->shared.state = state;
    if (state == inspect::StationState::Fault) m->shared.faultLatched = true;
}

std::string ModbusServer::takePartId()
{
    std::lock_guard lock(m->mutex);
    return std::exchange(m->shared.pendingPartId, {});
}

bool ModbusServer::takeTrigger()
{
    std::lock_guard lock(m->mutex);
    if (m->shared.triggers == 0) return false;
    --m->shared.triggers;
    return true;
}

ModbusStats ModbusServer::stats() const
{
    std::lock_guard lock(m->mutex);
    return m->stats;
}

} // namespace kizu::line
