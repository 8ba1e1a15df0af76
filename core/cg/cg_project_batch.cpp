#include "core/cg/cg_project_batch.h"

#include "core/common/sha256.h"
#include "core/project/project_store.h"

#include <utility>

namespace kizu::cg {
namespace fs = std::filesystem;

fs::path projectBatchFolder(const fs::path& projectDir, const CgParams& params, std::uint64_t seed,
                            std::int64_t count)
{
    const std::string hash = sha256Hex(paramsToJson(params).dump()).substr(0, 8);
    return projectDir / "cg" /
           ("batch_s" + std::to_string(seed) + "_n" + std::to_string(count) + "_" + hash);
}

ProjectBatchResult generateBatchIntoProject(const fs::path& projectDir, const CgParams& params,
                                            std::uint64_t seed, std::int64_t count,
                                            const ProgressFn& progress, const CancelToken* cancel)
{
    // Opened first: a folder that is not a project fails before anything is rendered.
    auto store = project::ProjectStore::open(projectDir);
    ProjectBatchResult out;
    out.folder = projectBatchFolder(projectDir, params, seed, count);
    out.render = generateBatch(params, seed, count, out.folder, {}, progress, cancel);
    if (out.render.cancelled || isCancelled(cancel)) {
        out.render.cancelled = true;
        return out;
    }
    out.batchId = store.recordCgBatch(seed, count, paramsToJson(params).dump(), out.folder);
    project::ImportOptions opt;
    opt.source = project::kSourceCg;
    opt.group = "cg_batch_" + std::to_string(out.batchId);
    opt.recursive = false;
    for (const auto& [sub, label] :
         {std::pair{"ok", project::Label::Ok}, std::pair{"ng", project::Label::Ng}}) {
        opt.label = label;
        const auto rep = store.importPaths({out.folder / sub}, opt, progress, cancel);
        out.imported += rep.imported + rep.duplicates;
        out.newImages += rep.imported;
        if (rep.cancelled) {
            out.render.cancelled = true;
            break;
        }
    }
    return out;
}

} // namespace kizu::cg
