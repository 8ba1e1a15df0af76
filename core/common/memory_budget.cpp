#include "core/common/memory_budget.h"

#include "core/common/error.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace kizu {

std::uint64_t memoryBudgetBytes()
{
    if (const char* env = std::getenv("KIZU_MEMORY_BUDGET_MB"); env && *env) {
        char* end = nullptr;
        const unsigned long long mb = std::strtoull(env, &end, 10);
        if (end && *end == '\0' && mb > 0) return std::uint64_t(mb) << 20;
        throw InvalidArgument(std::string("KIZU_MEMORY_BUDGET_MB must be a whole number of MiB "
                                          "above 0, not '") +
                              env + "'.");
    }
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    const std::uint64_t physical =
        pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : (std::uint64_t(4) << 30);
    return std::min<std::uint64_t>(physical / 2, std::uint64_t(8) << 30);
}

std::string formatBytes(double bytes)
{
    char buf[32];
    if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    else std::snprintf(buf, sizeof buf, "%.0f MB", bytes / 1e6);
    return buf;
}

void checkMemoryBudget(const std::string& what, double bytes, const std::string& fields)
{
    const std::uint64_t budget = memoryBudgetBytes();
    if (bytes <= double(budget)) return;
    throw InvalidArgument(what + " would need about " + formatBytes(bytes) + " of memory (" +
                          fields + "), above the memory budget of " + formatBytes(double(budget)) +
                          ". Lower " + fields.substr(0, fields.find(" =")) +
                          ", or raise the budget with KIZU_MEMORY_BUDGET_MB=N (MiB) if this "
                          "machine has the memory.");
}

} // namespace kizu
