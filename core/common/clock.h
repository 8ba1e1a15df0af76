// The two clocks of Kizu, defined once: wall time in milliseconds since the Unix epoch (what
// the project store records) and a monotonic clock in seconds (for durations and rates).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace kizu {

// Milliseconds since 1970-01-01 UTC (the system clock): timestamps that are stored.
inline std::int64_t unixMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The wall time of a steady-clock instant (a frame's capture time), in Unix milliseconds;
// a default-constructed instant means now.
inline std::int64_t unixMsAt(std::chrono::steady_clock::time_point t)
{
    const std::int64_t now = unixMs();
    if (t == std::chrono::steady_clock::time_point{}) return now;
    return now - std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t)
                     .count();
}

// The wall time now as ISO 8601 UTC ("2026-12-03T22:25:07Z"), for metadata written in files.
inline std::string utcIsoNow()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Seconds on the monotonic clock: only differences mean anything.
inline double monotonicSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace kizu
