// A CG batch into the project: the one home of the workflow that CG Studio runs on its worker
// and `kizu-cli cg batch --to-project` runs in the terminal. The renders go to a folder inside
// the project named by the settings (so a cancelled batch resumes there), the batch is
// recorded in cg_batches, and its ok/ and ng/ images are imported as source "cg".
#pragma once

#include "core/cg/cg_batch.h"
#include "core/cg/cg_params.h"
#include "core/common/progress.h"

#include <cstdint>
#include <filesystem>

namespace kizu::cg {

struct ProjectBatchResult {
    BatchResult render;           // the renders of this run (cancelled also when the import was)
    std::filesystem::path folder; // PROJECT/cg/batch_s<seed>_n<count>_<hash>
    std::int64_t batchId = 0;     // the cg_batches row; 0 when cancelled before the import
    int imported = 0;             // images of the batch in the project (new or already there)
    int newImages = 0;            // of imported: stored by this run
};

// The folder of a batch inside the project: the same settings always give the same folder.
std::filesystem::path projectBatchFolder(const std::filesystem::path& projectDir,
                                         const CgParams& params, std::uint64_t seed,
                                         std::int64_t count);

// Renders the batch (resuming what an earlier run left in its folder), then records it in the
// project's cg_batches table and imports ok/ and ng/ with their labels, source "cg" and group
// "cg_batch_<id>". Opens its own connection to the project, so it may run on any one thread.
// Progress stages: "render", then "import". On cancellation it returns early without error;
// nothing is recorded or imported when it was cancelled during the render.
ProjectBatchResult generateBatchIntoProject(const std::filesystem::path& projectDir,
                                            const CgParams& params, std::uint64_t seed,
                                            std::int64_t count, const ProgressFn& progress = {},
                                            const CancelToken* cancel = nullptr);

} // namespace kizu::cg
