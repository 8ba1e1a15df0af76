// The memory budget that work is checked against before it starts (a CG render, a training
// run): an estimate of what the chosen sizes need, refused with the fields named when it is
// above the budget, instead of a run that swaps for minutes or is killed by the kernel.
#pragma once

#include <cstdint>
#include <string>

namespace kizu {

// KIZU_MEMORY_BUDGET_MB when set (a whole number of MiB above 0), else half of this machine's
// physical memory, at most 8 GiB.
std::uint64_t memoryBudgetBytes();

// Throws InvalidArgument when `bytes` is above the budget: "<what> would need about N GB of
// memory (<fields>), above the memory budget of M GB ...", naming what to lower.
void checkMemoryBudget(const std::string& what, double bytes, const std::string& fields);

// "11.3 GB", "640 MB": a size for messages.
std::string formatBytes(double bytes);

} // namespace kizu
