#include "core/cg/cg_transplant_batch.h"

#include "core/cg/cg_generator.h"
#include "core/cg/internal/batch_files.h"
#include "core/cg/internal/random.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"
#include "core/imaging/image_io.h"
#include "core/project/project_roi.h"
#include "core/project/project_scale.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

namespace kizu::cg {
namespace fs = std::filesystem;
using namespace detail;

std::vector<TransplantPhoto> folderOkPhotos(const fs::path& dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw IoError("The folder " + dir.string() +
                      " does not exist. Give a folder of OK photos (or one with an ok/ folder).");
    const fs::path from = fs::is_directory(dir / "ok", ec) ? dir / "ok" : dir;
    std::vector<TransplantPhoto> out;
    for (const auto& e : fs::directory_iterator(from, ec)) {
        if (!e.is_regular_file(ec) || !imaging::hasImageExtension(e.path())) continue;
        TransplantPhoto p;
        p.path = e.path();
        p.name = fs::relative(e.path(), dir, ec).generic_string();
        if (ec || p.name.empty()) p.name = e.path().filename().string();
        out.push_back(std::move(p));
    }
    if (out.empty())
        throw IoError("No photos found in " + from.string() +
                      ". Give a folder of OK photos (PNG, JPEG, BMP or TIFF), or one with an ok/ "
                      "folder.");
    std::sort(out.begin(), out.end(),
              [](const TransplantPhoto& a, const TransplantPhoto& b) { return a.name < b.name; });
    for (auto& p : out)
        p.sha256 = sha256File(p.path);
    return out;
}

std::vector<TransplantPhoto> projectOkPhotos(const project::ProjectStore& store)
{
    project::ImageFilter f;
    f.label = project::Label::Ok;
    std::vector<TransplantPhoto> out;
    for (const auto& img : store.images(f)) {
        if (img.source == "cg" || img.source == kTransplantSource) continue;
        if (img.split == project::Split::Test) continue;
        out.push_back({store.imagePath(img), img.fileName(), img.hash, img.id, img.group});
    }
    return out;
}

TransplantOptions projectTransplantOptions(const project::ProjectStore& store,
                                           TransplantOptions base)
{
    // The project's photo scale, unless the caller gave one.
    if (!base.pxPerMm)
        if (const auto px = project::projectPxPerMm(store)) base.pxPerMm = *px;
    // The project's region of interest, unless the caller gave one (a mask per photo size).
    if (base.roi.empty() && !base.region)
        if (auto roi = project::projectRoi(store); roi && !roi->empty())
            base.region = std::make_shared<const imaging::Roi>(*roi);
    return base;
}

std::vector<std::size_t> transplantPhotoOrder(std::uint64_t seed, std::size_t photoCount)
{
    std::vector<std::size_t> order(photoCount);
    for (std::size_t i = 0; i < photoCount; ++i)
        order[i] = i;
    // Fisher-Yates with our own generator: std::shuffle differs between standard libraries.
    Rng rng(seed, 0, 0x70686f746f6f7264ull); // "photoord"
    for (std::size_t i = photoCount; i > 1; --i)
        std::swap(order[i - 1], order[std::size_t(rng.next() % i)]);
    return order;
}

cv::Mat readTransplantPhoto(const TransplantPhoto& photo)
{
    return imaging::readImage(photo.path);
}

namespace {

std::string hex64(std::uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

nlohmann::json optionsJson(const TransplantOptions& o)
{
    nlohmann::json j;
    j["grindAngleDeg"] = o.grindAngleDeg ? nlohmann::json(*o.grindAngleDeg) : nlohmann::json();
    j["pxPerMm"] = o.pxPerMm ? nlohmann::json(*o.pxPerMm) : nlohmann::json();
    j["defectScale"] = o.defectScale;
    if (!o.roi.empty()) {
        cv::Mat roi = o.roi.isContinuous() ? o.roi : o.roi.clone();
        j["roi"] = {{"width", roi.cols},
                    {"height", roi.rows},
                    {"sha256", sha256Hex(std::string_view(reinterpret_cast<const char*>(roi.data),
                                                          roi.total() * roi.elemSize()))}};
    } else {
        j["roi"] = nullptr;
    }
    return j;
}

nlohmann::json photosJson(const std::vector<TransplantPhoto>& photos)
{
    auto j = nlohmann::json::array();
    for (const auto& p : photos)
        j.push_back({{"name", p.name}, {"sha256", p.sha256}});
    return j;
}

BatchPaths pathsFor(const fs::path& outDir, const std::string& stem)
{
    return {outDir / "ng" / (stem + ".png"), outDir / "masks" / "ng" / (stem + ".png"),
            outDir / "ng" / (stem + ".json")};
}

struct LoadedPhoto {
    cv::Mat image;
    PhotoAnalysis analysis;
};

nlohmann::json analysisJson(const PhotoAnalysis& a, const TransplantOptions& o)
{
    return {{"grindAngleDeg", a.grindAngleDeg},
            {"grindAngleGiven", o.grindAngleDeg.has_value()},
            {"coherence", a.coherence},
            {"markPeriodPx", a.markPeriodPx},
            {"pxPerMm", a.pxPerMm},
            {"pxPerMmEstimated", a.pxPerMmEstimated},
            {"noiseSigma", a.noiseSigma}};
}

// Runs fn(i) for i in [0, n) on OpenCV's pool and rethrows the first exception.
template <class Fn> void parallelFor(int n, Fn&& fn)
{
    std::exception_ptr error;
    std::mutex errorMutex;
    cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i) {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard lock(errorMutex);
                if (!error) error = std::current_exception();
            }
        }
    });
    if (error) std::rethrow_exception(error);
}

} // namespace

BatchResult generateTransplantBatch(const std::vector<TransplantPhoto>& photos,
                                    const CgParams& params, std::uint64_t seed, std::int64_t count,
                                    const fs::path& outDir, const TransplantOptions& options,
                                    Shard shard, const ProgressFn& progress,
                                    const CancelToken* cancel)
{
    if (photos.empty()) throw InvalidArgument("There are no OK photos to transplant defects onto.");
    if (count < 1) throw InvalidArgument("A transplant batch needs a count of at least 1.");
    if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count)
        throw InvalidArgument("Invalid shard " + std::to_string(shard.index) + "/" +
                              std::to_string(shard.count) + ".");
    validate(params);
    makeFolders(outDir, {"ng", "masks/ng"});
    checkManifest(outDir, "cg_transplant.json",
                  {{"transplantVersion", kTransplantVersion},
                   {"generatorVersion", kGeneratorVersion},
                   {"seed", seed},
                   {"count", count},
                   {"params", paramsToJson(params)},
                   {"options", optionsJson(options)},
                   {"photos", photosJson(photos)}},
                  "a transplant batch");
    for (const char* sub : {"ng", "masks/ng"})
        removeStaleTemps(outDir / sub, shard, kTransplantPrefix);

    const std::vector<std::size_t> order = transplantPhotoOrder(seed, photos.size());
    auto photoOf = [&](std::uint64_t i) { return order[std::size_t(i % order.size())]; };

    BatchResult result;
    std::vector<std::uint64_t> pending;
    for (std::int64_t i = shard.index; i < count; i += shard.count) {
        ++result.total;
        const auto idx = std::uint64_t(i);
        if (isComplete(pathsFor(outDir, batchStem(idx, count, kTransplantPrefix))))
            ++result.skipped;
        else
            pending.push_back(idx);
    }
    // By photo, so that each photo is read and measured about once; the files do not depend
    // on the order.
    std::stable_sort(pending.begin(), pending.end(),
                     [&](std::uint64_t a, std::uint64_t b) { return photoOf(a) < photoOf(b); });
    report(progress, {result.skipped, result.total, "transplant", {}});

    std::map<std::size_t, LoadedPhoto> loaded;
    const int block = std::max(4, 4 * cv::getNumThreads());
    for (std::size_t first = 0; first < pending.size(); first += std::size_t(block)) {
        if (isCancelled(cancel)) {
            result.cancelled = true;
            break;
        }
        const int n = int(std::min<std::size_t>(std::size_t(block), pending.size() - first));
        // The photos of this block: keep those already read, read the others in parallel.
        std::vector<std::size_t> need;
        for (int i = 0; i < n; ++i)
            need.push_back(photoOf(pending[first + std::size_t(i)]));
        std::sort(need.begin(), need.end());
        need.erase(std::unique(need.begin(), need.end()), need.end());
        for (auto it = loaded.begin(); it != loaded.end();)
            it = std::binary_search(need.begin(), need.end(), it->first) ? std::next(it)
                                                                         : loaded.erase(it);
        std::vector<std::size_t> missing;
        for (std::size_t p : need)
            if (!loaded.count(p)) missing.push_back(p);
        std::vector<LoadedPhoto> fresh(missing.size());
        parallelFor(int(missing.size()), [&](int k) {
            const TransplantPhoto& photo = photos[missing[std::size_t(k)]];
            LoadedPhoto& l = fresh[std::size_t(k)];
            l.image = readTransplantPhoto(photo);
            try {
                l.analysis = analyzePhoto(l.image, options);
            } catch (const InvalidArgument& e) {
                throw InvalidArgument("Photo " + photo.path.string() + ": " + e.what());
            }
        });
        for (std::size_t k = 0; k < missing.size(); ++k)
            loaded[missing[k]] = std::move(fresh[k]);

        parallelFor(n, [&](int i) {
            const std::uint64_t idx = pending[first + std::size_t(i)];
            const std::size_t pi = photoOf(idx);
            const TransplantPhoto& photo = photos[pi];
            const LoadedPhoto& l = loaded.at(pi);
            TransplantResult t;
            try {
                t = transplantDefect(l.image, params, seed, idx, options, l.analysis);
            } catch (const InvalidArgument& e) {
                throw InvalidArgument("Photo " + photo.path.string() + ": " + e.what());
            }
            cv::Mat image = t.image;
            if (image.channels() == 4) cv::cvtColor(image, image, cv::COLOR_BGRA2BGR);
            const std::string stem = batchStem(idx, count, kTransplantPrefix);
            const BatchPaths p = pathsFor(outDir, stem);
            const std::string png = encodePng(image), mask = encodePng(t.mask);
            writeQuick(p.image, png);
            writeQuick(p.mask, mask);
            nlohmann::json photoJson = {
                {"name", photo.name},     {"path", photo.path.string()},
                {"sha256", photo.sha256}, {"pixelHash", hex64(l.analysis.hash)},
                {"width", l.image.cols},  {"height", l.image.rows}};
            if (photo.imageId > 0) photoJson["imageId"] = photo.imageId;
            nlohmann::json side = {
                {"kind", "transplant"},
                {"label", "ng"},
                {"index", idx},
                {"seed", seed},
                {"transplantVersion", kTransplantVersion},
                {"photo", std::move(photoJson)},
                {"analysis", analysisJson(l.analysis, options)},
                {"defect", t.sampled},
                {"region", {t.region.x, t.region.y, t.region.width, t.region.height}},
                {"files",
                 {{"image", p.image.filename().string()},
                  {"imageBytes", png.size()},
                  {"mask", fs::relative(p.mask, outDir).generic_string()},
                  {"maskBytes", mask.size()}}}};
            writeQuick(p.sidecar, side.dump(2) + "\n");
        });
        result.rendered += n;
        report(progress,
               {result.skipped + result.rendered, result.total, "transplant",
                batchStem(pending[first + std::size_t(n) - 1], count, kTransplantPrefix)});
    }
    return result;
}

std::vector<AnalysedPhoto> loadFirstTransplantPhotos(const std::vector<TransplantPhoto>& photos,
                                                     std::uint64_t seed, std::size_t n,
                                                     const TransplantOptions& options,
                                                     const CancelToken* cancel)
{
    if (photos.empty() || n == 0) return {};
    const std::vector<std::size_t> order = transplantPhotoOrder(seed, photos.size());
    std::vector<std::size_t> distinct;
    for (std::size_t i = 0; i < n && i < order.size(); ++i)
        distinct.push_back(order[i]);
    std::vector<AnalysedPhoto> loaded(distinct.size());
    parallelFor(int(distinct.size()), [&](int k) {
        if (isCancelled(cancel)) return;
        AnalysedPhoto& a = loaded[std::size_t(k)];
        a.photo = photos[distinct[std::size_t(k)]];
        a.image = readTransplantPhoto(a.photo);
        try {
            a.analysis = analyzePhoto(a.image, options);
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("Photo " + a.photo.path.string() + ": " + e.what());
        }
    });
    if (isCancelled(cancel)) return {};
    // Fewer photos than n: they repeat in the same order (order[i % photos]).
    std::vector<AnalysedPhoto> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(loaded[i % loaded.size()]);
    return out;
}

std::vector<TransplantResult> transplantEach(const std::vector<AnalysedPhoto>& photos,
                                             const CgParams& params, std::uint64_t seed,
                                             const TransplantOptions& options,
                                             const CancelToken* cancel)
{
    validate(params);
    std::vector<TransplantResult> out(photos.size());
    parallelFor(int(photos.size()), [&](int i) {
        if (isCancelled(cancel)) return;
        const AnalysedPhoto& a = photos[std::size_t(i)];
        try {
            out[std::size_t(i)] =
                transplantDefect(a.image, params, seed, std::uint64_t(i), options, a.analysis);
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("Photo " + a.photo.path.string() + ": " + e.what());
        }
    });
    if (isCancelled(cancel)) return {};
    return out;
}

fs::path projectTransplantFolder(const fs::path& projectDir,
                                 const std::vector<TransplantPhoto>& photos, const CgParams& params,
                                 std::uint64_t seed, std::int64_t count,
                                 const TransplantOptions& options)
{
    const nlohmann::json key = {{"params", paramsToJson(params)},
                                {"options", optionsJson(options)},
                                {"photos", photosJson(photos)}};
    return projectDir / "cg" /
           ("transplant_s" + std::to_string(seed) + "_n" + std::to_string(count) + "_" +
            sha256Hex(key.dump()).substr(0, 8));
}

ProjectTransplantResult generateTransplantsIntoProject(
    const fs::path& projectDir, const CgParams& params, std::uint64_t seed, std::int64_t count,
    const TransplantOptions& options, const ProgressFn& progress, const CancelToken* cancel)
{
    auto store = project::ProjectStore::open(projectDir);
    const std::vector<TransplantPhoto> photos = projectOkPhotos(store);
    if (photos.empty())
        throw InvalidArgument("The project " + projectDir.string() +
                              " has no OK photos to transplant defects onto (CG images and "
                              "test-split photos are not used). Label some photos OK first.");
    const TransplantOptions opt = projectTransplantOptions(store, options);
    ProjectTransplantResult out;
    out.photos = int(photos.size());
    out.folder = projectTransplantFolder(projectDir, photos, params, seed, count, opt);
    out.render =
        generateTransplantBatch(photos, params, seed, count, out.folder, opt, {}, progress, cancel);
    if (out.render.cancelled || isCancelled(cancel)) {
        out.render.cancelled = true;
        return out;
    }
    // One import per source photo, so each gets its own group.
    const std::vector<std::size_t> order = transplantPhotoOrder(seed, photos.size());
    std::vector<std::vector<fs::path>> files(photos.size());
    for (std::int64_t i = 0; i < count; ++i)
        files[order[std::size_t(i) % order.size()]].push_back(
            pathsFor(out.folder, batchStem(std::uint64_t(i), count, kTransplantPrefix)).image);
    project::ImportOptions imp;
    imp.source = kTransplantSource;
    imp.label = project::Label::Ng;
    imp.recursive = false;
    imp.groupNearDuplicates = false;
    std::int64_t done = 0;
    std::set<std::string> groups;
    for (std::size_t p = 0; p < photos.size(); ++p) {
        if (files[p].empty()) continue;
        if (isCancelled(cancel)) {
            out.render.cancelled = true;
            break;
        }
        // The photo's own group, or a new one that the photo joins, so that a split never
        // separates a transplant from its photo (a transplant in train and its photo in test
        // would leak the photo into training).
        imp.group = photos[p].group;
        if (imp.group.empty()) {
            imp.group = "transplant-" + photos[p].sha256.substr(0, 12);
            store.setGroup({photos[p].imageId}, imp.group);
        }
        const auto rep = store.importPaths(files[p], imp, {}, cancel);
        out.imported += rep.imported + rep.duplicates;
        out.newImages += rep.imported;
        groups.insert(imp.group);
        out.groups = int(groups.size());
        done += std::int64_t(files[p].size());
        report(progress, {done, count, "import", photos[p].name});
        if (rep.cancelled) {
            out.render.cancelled = true;
            break;
        }
    }
    return out;
}

cv::Mat drawMaskOutline(const cv::Mat& image, const cv::Mat& mask, int thickness)
{
    cv::Mat out;
    if (image.channels() == 1)
        cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
    else if (image.channels() == 4)
        cv::cvtColor(image, out, cv::COLOR_BGRA2BGR);
    else
        out = image.clone();
    if (mask.empty() || mask.size() != image.size()) return out;
    cv::Mat bin = mask > 127;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(bin, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(out, contours, -1, cv::Scalar(0, 0, 255), std::max(1, thickness), cv::LINE_8);
    return out;
}

namespace {
constexpr int kSheetGap = 4, kSheetLabel = 22;

int sheetCellHeight(const std::vector<cv::Mat>& photos, int cellWidth)
{
    double aspect = 0.25;
    for (const auto& p : photos)
        if (!p.empty()) aspect = std::max(aspect, double(p.rows) / p.cols);
    return int(std::ceil(cellWidth * aspect));
}
} // namespace

cv::Size transplantSheetSize(const std::vector<cv::Mat>& photos, int cellWidth)
{
    const int n = std::max<int>(1, int(photos.size()));
    const int cellH = sheetCellHeight(photos, cellWidth);
    return {kSheetGap + n * (cellWidth + kSheetGap),
            3 * (kSheetLabel + cellH + kSheetGap) + kSheetGap};
}

cv::Mat transplantSheet(const std::vector<cv::Mat>& photos,
                        const std::vector<TransplantResult>& transplants, int cellWidth)
{
    if (photos.empty() || photos.size() != transplants.size())
        throw InvalidArgument("A transplant sheet needs one transplant per photo, at least one.");
    if (cellWidth < 32) throw InvalidArgument("A transplant sheet needs cells of 32 px or more.");
    const cv::Size size = transplantSheetSize(photos, cellWidth);
    const int cellH = sheetCellHeight(photos, cellWidth);
    cv::Mat sheet(size, CV_8UC3, cv::Scalar(40, 40, 40));
    auto place = [&](const cv::Mat& img, int row, int col) {
        if (img.empty()) return;
        cv::Mat bgr = img;
        if (img.channels() == 1) cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR);
        if (img.channels() == 4) cv::cvtColor(img, bgr, cv::COLOR_BGRA2BGR);
        const double s = std::min(double(cellWidth) / bgr.cols, double(cellH) / bgr.rows);
        const int w = std::max(1, int(std::lround(bgr.cols * s)));
        const int h = std::max(1, int(std::lround(bgr.rows * s)));
        cv::Mat tile;
        cv::resize(bgr, tile, {w, h}, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        const int x = kSheetGap + col * (cellWidth + kSheetGap) + (cellWidth - w) / 2;
        const int y = row * (kSheetLabel + cellH + kSheetGap) + kSheetLabel + (cellH - h) / 2;
        tile.copyTo(sheet(cv::Rect(x, y, w, h)));
    };
    const char* captions[] = {"Photo (OK)", "Transplant (NG)", "Transplant + mask outline"};
    for (int row = 0; row < 3; ++row)
        cv::putText(sheet, captions[row],
                    cv::Point(kSheetGap, row * (kSheetLabel + cellH + kSheetGap) + kSheetLabel - 6),
                    cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(230, 230, 230), 1, cv::LINE_AA);
    for (std::size_t i = 0; i < photos.size(); ++i) {
        const auto& t = transplants[i];
        place(photos[i], 0, int(i));
        place(t.image, 1, int(i));
        // Outline after scaling would be finer, but at full size it marks the exact pixels.
        const int thick =
            std::max(1, int(std::lround(std::max(t.image.cols, 1) / double(cellWidth))));
        place(drawMaskOutline(t.image, t.mask, thick), 2, int(i));
    }
    return sheet;
}

} // namespace kizu::cg
