// Batches of CG renders on disk: N balanced images into ok/ and ng/ with masks and JSON
// sidecars. Resumable (finished files are kept, half-written ones never appear) and shardable
// across machines (shard i of n takes the indices with index % n == i).
#pragma once

#include "core/cg/cg_params.h"
#include "core/common/progress.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace kizu::cg {

struct Shard {
    int index = 0; // 0-based
    int count = 1;
};
// Parses "i/n" (0 <= i < n); throws InvalidArgument with an example otherwise.
Shard parseShard(const std::string& text);

struct BatchResult {
    std::int64_t total = 0; // indices of this shard
    std::int64_t rendered = 0;
    std::int64_t skipped = 0; // already complete from an earlier run
    bool cancelled = false;
};

// File stem of an index in a batch of `count`: "cg_000123" (at least six digits; transplant
// batches use the prefix "tp_").
std::string batchStem(std::uint64_t index, std::int64_t count, const std::string& prefix = "cg_");

// Renders the missing indices of this shard into outDir/ok and outDir/ng: per index STEM.png,
// STEM_mask.png and STEM.json (the sidecar, written last, records the sizes of both PNGs, so
// a file cut short by a crash is detected and redone). outDir/cg_batch.json records the
// settings; running again with other settings in the same folder throws InvalidArgument.
// Renders in parallel on OpenCV's pool; checks `cancel` between small blocks of images.
BatchResult generateBatch(const CgParams& params, std::uint64_t seed, std::int64_t count,
                          const std::filesystem::path& outDir, Shard shard = {},
                          const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::cg
