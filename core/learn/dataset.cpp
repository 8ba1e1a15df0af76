#include "core/learn/dataset.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/imaging/image_io.h"
#include "core/imaging/thumbnail.h"
#include "core/learn/augment.h"

#include <functional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/common/csv.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace kizu::learn {
namespace fs = std::filesystem;

namespace {

int labelFromText(const std::string& t, const std::string& where)
{
    std::string l = t;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "ok" || l == "0") return kOk;
    if (l == "ng" || l == "1") return kNg;
    throw FormatError(where + ": unknown label '" + t + "' (expected ok or ng).");
}

std::vector<LabeledPath> readManifest(const fs::path& dir, const std::string& split)
{
    const fs::path file = dir / "manifest.csv";
    std::ifstream in(file);
    if (!in) throw IoError("Cannot read " + file.string() + ".");
    std::string line;
    if (!std::getline(in, line)) throw FormatError(file.string() + " is empty.");
    auto head = splitCsvLine(line);
    auto col = [&](const std::string& name) {
        auto it = std::find(head.begin(), head.end(), name);
        return it == head.end() ? -1 : int(it - head.begin());
    };
    int cPath = col("path"), cLabel = col("label"), cGroup = col("group"), cSplit = col("split");
    if (cPath < 0 || cLabel < 0)
        throw FormatError(file.string() + " needs the columns path and label.");
    if (!split.empty() && cSplit < 0)
        throw FormatError(file.string() + " has no split column, so --split cannot be used.");
    std::vector<LabeledPath> out;
    int lineNo = 1;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.empty() || line == "\r") continue;
        auto f = splitCsvLine(line);
        const std::string where = file.string() + " line " + std::to_string(lineNo);
        if (int(f.size()) <= std::max({cPath, cLabel, cGroup, cSplit}))
            throw FormatError(where + ": too few columns.");
        if (!split.empty() && f[std::size_t(cSplit)] != split) continue;
        LabeledPath p;
        p.path = pathInsideFolder(dir, f[std::size_t(cPath)], where);
        p.label = labelFromText(f[std::size_t(cLabel)], where);
        if (cGroup >= 0) p.group = f[std::size_t(cGroup)];
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace

std::vector<LabeledPath> listFolder(const fs::path& dir, const std::string& split)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw IoError("Data folder " + dir.string() + " does not exist.");
    std::vector<LabeledPath> out;
    if (fs::exists(dir / "manifest.csv", ec)) {
        if (!split.empty() && split != "train" && split != "test")
            throw InvalidArgument("Unknown split '" + split + "'; use train or test.");
        out = readManifest(dir, split);
    } else {
        if (!split.empty())
            throw InvalidArgument(dir.string() + " has no manifest.csv, so it has no train/test "
                                                 "split; leave out --split or use a project.");
        for (auto [name, label] : {std::pair{"ok", kOk}, std::pair{"ng", kNg}}) {
            fs::path sub = dir / name;
            if (!fs::is_directory(sub, ec)) continue;
            for (auto it = fs::recursive_directory_iterator(sub, ec); !ec && it != fs::end(it);
                 it.increment(ec)) {
                if (it->is_regular_file(ec) && imaging::hasImageExtension(it->path()))
                    out.push_back({it->path(), label, {}});
            }
        }
        if (!fs::is_directory(dir / "ok", ec) && !fs::is_directory(dir / "ng", ec))
            throw InvalidArgument(dir.string() +
                                  " holds neither ok/ and ng/ folders nor a "
                                  "manifest.csv; put OK images in ok/ and NG images in ng/.");
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

std::vector<LabeledPath> drawShots(const std::vector<LabeledPath>& items, int perClass,
                                   std::uint64_t seed)
{
    if (perClass <= 0) throw InvalidArgument("--shots must be at least 1.");
    std::vector<LabeledPath> out;
    for (int c : {kOk, kNg}) {
        std::vector<LabeledPath> cls;
        for (const auto& p : items)
            if (p.label == c) cls.push_back(p);
        std::sort(cls.begin(), cls.end(),
                  [](const auto& a, const auto& b) { return a.path < b.path; });
        // Fisher-Yates with our own mixing, so the draw is the same with every standard library.
        for (std::size_t i = cls.size(); i > 1; --i) {
            std::size_t j = mixSeed(mixSeed(seed, 0x5307 + std::uint64_t(c)), i) % i;
            std::swap(cls[i - 1], cls[j]);
        }
        if (int(cls.size()) > perClass) cls.resize(std::size_t(perClass));
        out.insert(out.end(), cls.begin(), cls.end());
    }
    return out;
}

std::vector<LabeledPath> heldOutImages(const std::vector<LabeledPath>& all,
                                       const std::vector<LabeledPath>& train, int perClass,
                                       std::uint64_t seed)
{
    std::set<fs::path> used;
    std::set<std::string> groups;
    for (const auto& it : train) {
        used.insert(it.path);
        if (!it.group.empty()) groups.insert(it.group);
    }
    std::vector<LabeledPath> rest;
    for (const auto& it : all)
        if (!used.count(it.path) && !(!it.group.empty() && groups.count(it.group)))
            rest.push_back(it);
    if (rest.empty() || perClass <= 0) return {};
    return drawShots(rest, perClass, seed);
}

DataHashes hashData(const std::vector<LabeledPath>& items)
{
    // Each file is read and hashed once; both digests come from the same per-file hashes.
    std::vector<std::string> labeled, images;
    labeled.reserve(items.size());
    images.reserve(items.size());
    for (const auto& p : items) {
        images.push_back(sha256File(p.path));
        if (p.roi && !p.roi->empty()) images.back() += " roi " + p.roi->toJson().dump();
        labeled.push_back(images.back() + " " + std::to_string(p.label));
    }
    auto digest = [](std::vector<std::string>& lines, const char* prefix) {
        std::sort(lines.begin(), lines.end());
        Sha256 h;
        h.update(prefix);
        for (const auto& l : lines) {
            h.update(l);
            h.update("\n");
        }
        return h.hexDigest();
    };
    // "images\n" keeps an imagesHash from ever equalling a dataHash.
    return {digest(labeled, ""), digest(images, "images\n")};
}

std::string dataHash(const std::vector<LabeledPath>& items)
{
    return hashData(items).labeled;
}

std::string imagesHash(const std::vector<LabeledPath>& items)
{
    return hashData(items).images;
}

std::pair<std::int64_t, std::int64_t> classCounts(const std::vector<LabeledPath>& items)
{
    std::pair<std::int64_t, std::int64_t> c{0, 0};
    for (const auto& p : items)
        (p.label == kNg ? c.second : c.first)++;
    return c;
}

cv::Mat loadSquare(const LabeledPath& item, int size)
{
    return loadSquare(item.path, size, item.roi.get());
}

namespace {
// Decodes file (reduced when a JPEG is large), cuts its region and resizes it to the size
// `target` gives for the region's size.
cv::Mat loadResized(const fs::path& file, const imaging::Roi* roi,
                   const std::function<cv::Size(cv::Size)>& target)
{
    const std::string bytes = readFile(file);
    // A region is normalised, so it cuts a reduced decode as it cuts the full image; the
    // reduction is chosen so that the region still covers the target size (the same rule and
    // checks as live inspection's reduced decode).
    cv::Mat im = imaging::decodeReduced(bytes, file.string(), [&](cv::Size full) {
        const cv::Rect box = roi && !roi->empty() ? roi->boundingBox(full) : cv::Rect({0, 0}, full);
        return imaging::reductionToCover(box.size(), target(box.size()));
    });
    if (roi && !roi->empty()) im = imaging::applyRoi(im, *roi);
    const cv::Size want = target(im.size());
    cv::Mat out;
    cv::resize(im, out, want, 0, 0,
               im.cols >= want.width && im.rows >= want.height ? cv::INTER_AREA
                                                               : cv::INTER_LINEAR);
    return out;
}
} // namespace

cv::Mat loadSquare(const fs::path& file, int size, const imaging::Roi* roi)
{
    return loadResized(file, roi, [size](cv::Size) { return cv::Size(size, size); });
}

cv::Mat loadForInput(const LabeledPath& item, int size, bool keepAspect)
{
    if (!keepAspect) return loadSquare(item, size);
    return loadResized(item.path, item.roi.get(),
                       [size](cv::Size s) { return canvasFor(s, size); });
}

FileSource::FileSource(std::vector<LabeledPath> items, int cacheSize, std::string hash,
                       bool keepAspect)
    : m_items(std::move(items)), m_cacheSize(cacheSize), m_keepAspect(keepAspect),
      m_hash(std::move(hash)), m_cache(m_items.size())
{
    if (cacheSize < 8) throw InvalidArgument("FileSource: cache size too small.");
}

Sample FileSource::get(std::int64_t index)
{
    const auto i = std::size_t(index);
    {
        std::lock_guard lock(m_mutex);
        if (!m_cache.at(i).empty()) return {m_cache[i], m_items[i].label};
    }
    cv::Mat im = loadForInput(m_items[i], m_cacheSize, m_keepAspect);
    std::lock_guard lock(m_mutex);
    m_cache[i] = im;
    return {im, m_items[i].label};
}

cv::Mat loadOriginal(const LabeledPath& item)
{
    cv::Mat im = imaging::decode(readFile(item.path), item.path.string());
    if (item.roi && !item.roi->empty()) im = imaging::applyRoi(im, *item.roi);
    return im;
}

cv::Mat FileSource::original(std::int64_t index)
{
    return loadOriginal(m_items.at(std::size_t(index)));
}

std::string FileSource::hash() const
{
    std::lock_guard lock(m_mutex);
    if (m_hash.empty()) m_hash = dataHash(m_items);
    return m_hash;
}

FunctionSource::FunctionSource(Fn fn, std::string hash, std::int64_t size, LabelFn labelFn,
                               OriginalFn originalFn)
    : m_fn(std::move(fn)), m_originalFn(std::move(originalFn)), m_hash(std::move(hash)),
      m_size(size), m_labelFn(std::move(labelFn))
{
}

int FunctionSource::label(std::int64_t index) const
{
    if (!m_labelFn) throw InvalidArgument("This sample source cannot tell labels in advance.");
    return m_labelFn(index);
}

} // namespace kizu::learn
