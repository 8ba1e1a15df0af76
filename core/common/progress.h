// Progress reporting and cancellation for long core calls. Core is synchronous: a long call
// takes a ProgressFn and a CancelToken, reports between units of work (images, batches,
// frames) and returns early, without error, once cancellation is requested.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace kizu {

struct Progress {
    std::int64_t done = 0;
    std::int64_t total = 0; // 0 when unknown
    std::string stage;      // short, e.g. "import", "render"
    std::string item;       // the unit just finished, e.g. a file name
};

using ProgressFn = std::function<void(const Progress&)>;

class CancelToken {
public:
    void cancel() noexcept { m_cancelled.store(true, std::memory_order_relaxed); }
    void reset() noexcept { m_cancelled.store(false, std::memory_order_relaxed); }
    bool cancelled() const noexcept { return m_cancelled.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_cancelled{false};
};

inline bool isCancelled(const CancelToken* token) { return token && token->cancelled(); }

inline void report(const ProgressFn& fn, const Progress& p)
{
    if (fn) fn(p);
}

} // namespace kizu
