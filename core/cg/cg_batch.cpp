#include "core/cg/cg_batch.h"

#include "core/cg/cg_generator.h"
#include "core/cg/internal/batch_files.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>

#include <opencv2/core/utility.hpp>

namespace kizu::cg {
namespace fs = std::filesystem;

Shard parseShard(const std::string& text)
{
    int i = -1, n = -1;
    char slash = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%d%c%d%c", &i, &slash, &n, &extra) != 3 || slash != '/' ||
        n < 1 || i < 0 || i >= n)
        throw InvalidArgument(
            "Invalid shard '" + text +
            "': write i/n with 0 <= i < n, e.g. 0/4 for the first of four "
            "(in a Slurm array job: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).");
    return {i, n};
}

std::string batchStem(std::uint64_t index, std::int64_t count, const std::string& prefix)
{
    int digits = 6;
    for (std::int64_t c = std::max<std::int64_t>(count - 1, 0); c >= 1000000; c /= 10)
        ++digits;
    std::string num = std::to_string(index);
    if (int(num.size()) < digits) num.insert(0, std::size_t(digits) - num.size(), '0');
    return prefix + num;
}

namespace detail {

// Temp file + rename, without fsync: a killed process leaves either nothing or the complete
// file, and the sidecar's recorded sizes catch a file cut short by a power loss. An fsync per
// file would bound the batch by the disk's latency instead of the CPU.
void writeQuick(const fs::path& target, const std::string& bytes)
{
    const fs::path tmp = tempSibling(target);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw IoError("Cannot write " + target.string() +
                          ". Check that the folder is writable and the disk is not full.");
        }
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("Cannot write " + target.string() + ": " + ec.message() + ".");
    }
}

namespace {
std::uintmax_t fileSize(const fs::path& p)
{
    std::error_code ec;
    auto s = fs::file_size(p, ec);
    return ec ? std::uintmax_t(-1) : s;
}

} // namespace

bool isComplete(const BatchPaths& p)
{
    std::error_code ec;
    if (!fs::exists(p.sidecar, ec)) return false;
    try {
        auto j = nlohmann::json::parse(readFile(p.sidecar));
        const auto& f = j.at("files");
        return fileSize(p.image) == f.at("imageBytes").get<std::uintmax_t>() &&
               fileSize(p.mask) == f.at("maskBytes").get<std::uintmax_t>();
    } catch (const std::exception&) {
        return false;
    }
}

void removeStaleTemps(const fs::path& dir, Shard shard, const std::string& prefix)
{
    const std::string start = "." + prefix;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(start, 0) != 0 || name.find(".tmp") == std::string::npos) continue;
        unsigned long long index = 0;
        if (std::sscanf(name.c_str() + start.size(), "%llu", &index) != 1) continue;
        if (index % unsigned(shard.count) == unsigned(shard.index)) fs::remove(e.path(), ec);
    }
}

void checkManifest(const fs::path& outDir, const std::string& fileName,
                   const nlohmann::json& manifest, const std::string& what)
{
    const fs::path file = outDir / fileName;
    std::error_code ec;
    if (fs::exists(file, ec)) {
        nlohmann::json old;
        try {
            old = nlohmann::json::parse(readFile(file));
        } catch (const nlohmann::json::exception&) {
            throw FormatError(file.string() + " is damaged. Delete it (and the batch) or choose "
                                              "another output folder.");
        }
        if (old != manifest)
            throw InvalidArgument("The folder " + outDir.string() + " holds " + what +
                                  " made with other settings (see its " + fileName +
                                  "). Use the same settings to complete it, or another folder.");
        return;
    }
    writeFileAtomic(file, manifest.dump(2) + "\n");
}

void makeFolders(const fs::path& outDir, std::initializer_list<const char*> subs)
{
    std::error_code ec;
    for (const char* sub : subs) {
        fs::create_directories(outDir / sub, ec);
        if (ec)
            throw IoError("Cannot create " + (outDir / sub).string() + ": " + ec.message() +
                          ". Choose a writable output folder.");
    }
}

} // namespace detail

namespace {
detail::BatchPaths pathsFor(const fs::path& outDir, bool ng, const std::string& stem)
{
    // Masks live apart (masks/ok, masks/ng) so that ok/ and ng/ hold training images only and
    // can be imported or trained on as they are.
    const char* label = ng ? "ng" : "ok";
    const fs::path dir = outDir / label;
    return {dir / (stem + ".png"), outDir / "masks" / label / (stem + ".png"),
            dir / (stem + ".json")};
}
} // namespace

using namespace detail;

BatchResult generateBatch(const CgParams& params, std::uint64_t seed, std::int64_t count,
                          const fs::path& outDir, Shard shard, const ProgressFn& progress,
                          const CancelToken* cancel)
{
    if (count < 1) throw InvalidArgument("A CG batch needs a count of at least 1.");
    if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count)
        throw InvalidArgument("Invalid shard " + std::to_string(shard.index) + "/" +
                              std::to_string(shard.count) + ".");
    const CgGenerator gen(params, seed);
    makeFolders(outDir, {"ok", "ng", "masks/ok", "masks/ng"});
    checkManifest(outDir, "cg_batch.json",
                  {{"generatorVersion", kGeneratorVersion},
                   {"seed", seed},
                   {"count", count},
                   {"params", paramsToJson(params)}},
                  "a CG batch");
    for (const char* sub : {"ok", "ng", "masks/ok", "masks/ng"})
        removeStaleTemps(outDir / sub, shard, "cg_");

    BatchResult result;
    std::vector<std::uint64_t> pending;
    for (std::int64_t i = shard.index; i < count; i += shard.count) {
        ++result.total;
        const auto idx = std::uint64_t(i);
        if (isComplete(pathsFor(outDir, gen.isNg(idx), batchStem(idx, count))))
            ++result.skipped;
        else
            pending.push_back(idx);
    }
    report(progress, {result.skipped, result.total, "render", {}});

    const int block = std::max(4, 4 * cv::getNumThreads());
    for (std::size_t first = 0; first < pending.size(); first += std::size_t(block)) {
        if (isCancelled(cancel)) {
            result.cancelled = true;
            break;
        }
        const int n = int(std::min<std::size_t>(std::size_t(block), pending.size() - first));
        std::exception_ptr error;
        std::mutex errorMutex;
        cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
            for (int i = r.start; i < r.end; ++i) {
                try {
                    const std::uint64_t idx = pending[first + std::size_t(i)];
                    CgSample s = gen.render(idx);
                    const std::string stem = batchStem(idx, count);
                    const BatchPaths p = pathsFor(outDir, s.ng, stem);
                    const std::string png = encodePng(s.image), mask = encodePng(s.mask);
                    writeQuick(p.image, png);
                    writeQuick(p.mask, mask);
                    nlohmann::json side = s.sampled;
                    side["files"] = {{"image", p.image.filename().string()},
                                     {"imageBytes", png.size()},
                                     {"mask", fs::relative(p.mask, outDir).string()},
                                     {"maskBytes", mask.size()}};
                    writeQuick(p.sidecar, side.dump(2) + "\n");
                } catch (...) {
                    std::lock_guard lock(errorMutex);
                    if (!error) error = std::current_exception();
                }
            }
        });
        if (error) std::rethrow_exception(error);
        result.rendered += n;
        report(progress, {result.skipped + result.rendered, result.total, "render",
                          batchStem(pending[first + std::size_t(n) - 1], count)});
    }
    return result;
}

} // namespace kizu::cg
