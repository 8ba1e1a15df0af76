#include "core/evaluate/scoring.h"

#include "core/common/error.h"
#include "core/project/project_roi.h"
#include "core/project/project_store.h"

namespace kizu::learn {

namespace fs = std::filesystem;

namespace {
void finish(TestSet& set)
{
    if (set.items.empty())
        throw InvalidArgument("The test set (" + set.description +
                              ") has no labelled images: label images (and assign a train/test "
                              "split) on the Dataset page or with kizu-cli label and split, or "
                              "choose another set.");
    set.labels.clear();
    for (const auto& it : set.items)
        set.labels.push_back(it.label);
    const DataHashes hashes = hashData(set.items); // reads each file once
    set.imagesHash = hashes.images;
    set.dataHash = hashes.labeled;
}
} // namespace

TestSet projectTestSet(const fs::path& projectDir, const std::string& split)
{
    const std::string s = split == "all" ? std::string() : split;
    TestSet set;
    set.description = "project " + projectDir.string() +
                      (s.empty() ? std::string(", all labelled images") : ", split " + s);
    auto store = project::ProjectStore::open(projectDir);
    project::ImageFilter filter;
    if (!s.empty()) filter.split = project::splitFromString(s);
    // Scored as the models and the baseline see them: inside the project's region of interest.
    std::shared_ptr<const imaging::Roi> roi;
    if (auto r = project::projectRoi(store)) roi = std::make_shared<const imaging::Roi>(*r);
    for (const auto& rec : store.images(filter)) {
        if (rec.label == project::Label::Unlabeled) continue;
        set.items.push_back(
            {store.imagePath(rec), rec.label == project::Label::Ng ? kNg : kOk, rec.group, roi});
        set.imageIds.push_back(rec.id);
        set.names.push_back(rec.fileName());
    }
    finish(set);
    return set;
}

TestSet folderTestSet(const fs::path& dir, const std::string& split)
{
    std::string s = split == "all" ? std::string() : split;
    std::error_code ec;
    if (split.empty() && fs::exists(dir / "manifest.csv", ec)) s = "test";
    TestSet set;
    set.description = "folder " + dir.string() + (s.empty() ? std::string() : ", split " + s);
    set.items = listFolder(dir, s);
    finish(set);
    return set;
}

ScoringResult scoreTestSet(const TestSet& set, const ScoringRequest& request,
                           const ProgressFn& progress, const CancelToken* cancel)
{
    for (const auto& m : request.models) {
        std::error_code ec;
        if (!fs::exists(m, ec))
            throw IoError("Model file " + m.string() +
                          " not found. Untick it or add the file again.");
    }
    ScoringResult out;
    const std::int64_t n = std::int64_t(set.items.size());
    const std::int64_t total = n * std::int64_t(request.models.size() + (request.baseline ? 1 : 0));
    std::int64_t base = 0;
    // One method: from the cache when it holds these images' scores, else scored and cached.
    auto run = [&](const std::string& id, const std::string& what, auto&& score) -> bool {
        if (!request.cacheDir.empty())
            if (auto cached = loadCachedScores(request.cacheDir, id, set.imagesHash, set.items)) {
                out.methods.push_back(std::move(*cached));
                ++out.fromCache;
                base += n;
                report(progress, {base, total, what, "cache"});
                return true;
            }
        report(progress, {base, total, what, {}});
        auto s = score([&](const Progress& p) {
            report(progress, {base + p.done, total, what, p.item});
        });
        if (s.cancelled) return false;
        if (!request.cacheDir.empty()) saveCachedScores(request.cacheDir, s, set.items);
        out.methods.push_back(std::move(s));
        base += n;
        return true;
    };
    for (const auto& m : request.models) {
        if (!run(modelMethodId(m), m.filename().string(), [&](const ProgressFn& fn) {
                return scoreModel(m, set.items, set.imagesHash, fn, cancel);
            })) {
            out.cancelled = true;
            return out;
        }
    }
    if (request.baseline &&
        !run(baselineMethodId(request.baselineParams), "baseline", [&](const ProgressFn& fn) {
            return scoreBaseline(request.baselineParams, set.items, set.imagesHash, fn, cancel);
        }))
        out.cancelled = true;
    return out;
}

} // namespace kizu::learn
