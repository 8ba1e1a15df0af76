// The two clocks of Kizu, defined once: wall time in milliseconds since the Unix epoch (what
// the project store records) and a monotonic clock in seconds (for durations and rates).
#pragma once

#include <chrono>
#include <cstdint>

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

// Seconds on the monotonic clock: only differences mean anything.
inline double monotonicSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace kizu
