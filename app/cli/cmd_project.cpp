// Project commands: project init/info, import, label, split, list, stats, export.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/common/error.h"
#include "core/project/engineer_pin.h"
#include "core/inspect/inspection_step.h"
#include "core/inspect/retention.h"
#include "core/project/manifest.h"
#include "core/project/project_roi.h"
#include "core/project/project_scale.h"
#include "core/project/project_store.h"

#include <cmath>
#include <cstdlib>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kizu::cli {
namespace {
using namespace kizu::project;
using nlohmann::json;

// "x1,y1,x2,..." as numbers; UsageError naming the option for anything else.
std::vector<double> numberList(const std::string& option, const std::string& text)
{
    std::vector<double> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, end - start);
        try {
            std::size_t pos = 0;
            out.push_back(std::stod(item, &pos));
            if (pos != item.size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
            throw UsageError{option + " needs numbers separated by commas, got '" + item +
                             "' in '" + text + "'"};
        }
        start = end + 1;
    }
    return out;
}

std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// project scale: set, print or clear the photos' scale (px per mm) for CG defect transplants.
int scaleCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const auto px = args.value("--px-per-mm");
    const bool clear = args.flag("--clear");
    args.finish();
    if (px && clear) throw UsageError{"project scale takes --px-per-mm X or --clear, not both"};
    auto store = ProjectStore::open(dir);
    if (clear) {
        setProjectPxPerMm(store, std::nullopt);
        std::cout << "photo scale cleared: transplants estimate each photo's scale\n";
        return 0;
    }
    if (px) {
        double v = 0;
        try {
            std::size_t used = 0;
            v = std::stod(*px, &used);
            if (used != px->size()) throw std::invalid_argument("px");
        } catch (const std::exception&) {
            throw UsageError{"--px-per-mm: give pixels per millimetre of the surface, a number "
                             "above 0 (e.g. 80), not '" +
                             *px + "'"};
        }
        setProjectPxPerMm(store, v);
    }
    if (const auto v = projectPxPerMm(store))
        std::cout << "photo scale: " << *v << " px per mm (" << 1000.0 / *v << " um per px)\n";
    else
        std::cout << "photo scale: not set; CG defect transplants estimate it per photo (grinding "
                     "marks, else a 4 mm wide view)\n";
    return 0;
}

// "--NAME X": a number of 0 or more, else a usage error.
std::optional<double> nonNegative(Args& args, const std::string& name, const char* what)
{
    const auto text = args.value(name);
    if (!text) return std::nullopt;
    try {
        std::size_t used = 0;
        const double v = std::stod(*text, &used);
        if (used == text->size() && std::isfinite(v) && v >= 0) return v;
    } catch (const std::exception&) {
    }
    throw UsageError{name + ": give " + what + ", a number of 0 or more (0: no limit), not '" +
                     *text + "'"};
}

// project retention: show or set how long and how much of the NG frames inspection keeps, and
// the free-disk floor (core/inspect/retention.h).
int retentionCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const auto days = nonNegative(args, "--days", "the days NG frames are kept");
    const auto maxGb = nonNegative(args, "--max-gb", "the GB NG frames may take");
    const auto minFree = nonNegative(args, "--min-free-gb", "the free disk space in GB");
    const bool asJson = args.flag("--json");
    args.finish();
    const bool set = days || maxGb || minFree;
    auto store = set ? ProjectStore::open(dir) : ProjectStore::openReadOnly(dir);
    inspect::RetentionPolicy p = inspect::loadRetentionPolicy(store);
    if (set) {
        if (days) p.days = *days;
        if (maxGb) p.maxGb = *maxGb;
        if (minFree) p.minFreeGb = *minFree;
        inspect::saveRetentionPolicy(store, p);
    }
    std::int64_t frames = 0, bytes = 0;
    for (const auto& f : store.removableFrames(inspect::kNgFrameSource)) {
        ++frames;
        bytes += f.bytes;
    }
    const auto free = inspect::freeDiskBytes(store.dir());
    const inspect::RetentionPolicy d;
    if (asJson) {
        json j = {{"days", p.days},
                  {"max_gb", p.maxGb},
                  {"min_free_gb", p.minFreeGb},
                  {"defaults", {{"days", d.days}, {"max_gb", d.maxGb}, {"min_free_gb", d.minFreeGb}}},
                  {"kept_frames", frames},
                  {"kept_bytes", bytes}};
        j["free_bytes"] = free ? json(*free) : json(nullptr);
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    auto limit = [](double v, const std::string& unit, double def) {
        return (v > 0 ? number(v) + " " + unit : std::string("no limit")) + " (default " +
               number(def) + " " + unit + ")";
    };
    std::cout << "keep NG frames for:   " << limit(p.days, "days", d.days) << "\n"
              << "keep NG frames up to: " << limit(p.maxGb, "GB", d.maxGb) << "\n"
              << "free disk floor:      "
              << (p.minFreeGb > 0 ? number(p.minFreeGb) + " GB" : std::string("none"))
              << " (default " << number(d.minFreeGb)
              << " GB; below it no frame is kept, inspection goes on)\n"
              << "kept now:             " << counted(frames, "frame") << ", "
              << inspect::formatBytes(double(bytes)) << "\n";
    if (free)
        std::cout << "free disk space:      " << inspect::formatBytes(double(*free)) << "\n";
    return 0;
}

// project roi: set, print or clear the project's region of interest.
int roiCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const auto rect = args.value("--rect");
    const auto polygon = args.value("--polygon");
    const bool clear = args.flag("--clear");
    const bool fractions = args.flag("--fraction");
    const bool asJson = args.flag("--json");
    args.finish();
    if (int(bool(rect)) + int(bool(polygon)) + int(clear) > 1)
        throw UsageError{"project roi takes one of --rect, --polygon and --clear"};
    auto store = ProjectStore::open(dir);
    const cv::Size ref = referenceImageSize(store);
    if (clear) {
        setProjectRoi(store, std::nullopt);
        std::cout << "region of interest cleared: models and the baseline see whole images\n";
        return 0;
    }
    if (rect || polygon) {
        const auto v = numberList(rect ? "--rect" : "--polygon", rect ? *rect : *polygon);
        if (rect && v.size() != 4)
            throw UsageError{"--rect needs x,y,w,h (4 numbers), got " + std::to_string(v.size())};
        if (polygon && (v.size() % 2 != 0))
            throw UsageError{"--polygon needs pairs x1,y1,x2,y2,...; got an odd count (" +
                             std::to_string(v.size()) + " numbers)"};
        if (polygon && v.size() < 6)
            throw UsageError{"--polygon needs at least 3 points (6 numbers), got " +
                             std::to_string(v.size() / 2) + (v.size() == 2 ? " point" : " points")};
        if (!fractions && ref.area() == 0)
            throw InvalidArgument("The project has no images to measure pixel coordinates "
                                  "against: import images first, or give the region as "
                                  "fractions of the width and height with --fraction.");
        const cv::Size size = fractions ? cv::Size(1, 1) : ref;
        imaging::Roi roi;
        if (rect) {
            // --fraction: a unit "image", in which fromPixelRect's pixels are fractions.
            roi = imaging::Roi::fromPixelRect({v[0], v[1], v[2], v[3]}, size);
        } else {
            std::vector<cv::Point2d> pts;
            for (std::size_t k = 0; k + 1 < v.size(); k += 2)
                pts.push_back({v[k], v[k + 1]});
            roi = imaging::Roi::fromPixelPolygon(pts, size);
        }
        setProjectRoi(store, roi);
    }
    const auto roi = projectRoi(store);
    if (asJson) {
        json j = roi ? roi->toJson() : json(nullptr);
        if (roi && ref.area() > 0) {
            json px = json::array();
            for (const auto& p : roi->pixelPolygon(ref))
                px.push_back({p.x, p.y});
            j["pixels"] = px;
            j["reference_size"] = {ref.width, ref.height};
        }
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    if (!roi) {
        std::cout << "region of interest: none (models and the baseline see whole images)\n";
        return 0;
    }
    std::cout << "region of interest: "
              << (roi->kind == imaging::Roi::Kind::Rect ? "rectangle" : "polygon") << "\n";
    std::string frac;
    for (const auto& p : roi->polygon)
        frac += (frac.empty() ? "" : " ") + number(p.x) + "," + number(p.y);
    std::cout << "  fractions of width,height: " << frac << "\n";
    if (ref.area() > 0) {
        if (roi->kind == imaging::Roi::Kind::Rect) {
            const cv::Rect b = roi->boundingBox(ref);
            std::cout << "  pixels of a " << ref.width << "x" << ref.height << " image: x,y,w,h "
                      << b.x << "," << b.y << "," << b.width << "," << b.height << "\n";
        } else {
            std::string px;
            for (const auto& p : roi->pixelPolygon(ref))
                px += (px.empty() ? "" : " ") + number(p.x) + "," + number(p.y);
            std::cout << "  pixels of a " << ref.width << "x" << ref.height << " image: " << px
                      << "\n";
        }
    }
    return 0;
}

// One line of stdin; on a terminal with the echo off, after a prompt on stderr.
std::string readSecretLine(const char* prompt)
{
    const bool tty = isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::cerr << prompt << std::flush;
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// project pin: sets, resets or clears the engineer PIN. Whoever can write the project folder
// may do this: file-system access is the trust boundary (docs/station.md).
int pinCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const bool clear = args.flag("--clear");
    const bool status = args.flag("--status");
    const std::string user = args.value("--user", "");
    args.finish();
    auto store = ProjectStore::open(dir);
    if (status) {
        std::cout << "engineer PIN: " << (hasEngineerPin(store) ? "set" : "not set") << "\n";
        return 0;
    }
    if (clear) {
        clearEngineerPin(store, user);
        std::cout << "engineer PIN cleared: the station asks for a new one when it is next "
                     "needed\n";
        return 0;
    }
    const std::string pin = readSecretLine("New engineer PIN: ");
    if (isatty(STDIN_FILENO) && readSecretLine("Repeat the PIN: ") != pin)
        throw InvalidArgument("The two PINs differ; nothing was changed. Run the command again.");
    const bool had = hasEngineerPin(store);
    setEngineerPin(store, pin, user);
    std::cout << "engineer PIN " << (had ? "reset" : "set") << "\n";
    return 0;
}

int projectCmd(Args& args)
{
    const std::string sub = args.takeFirst();
    if (sub == "init") {
        auto pos = args.positionals();
        args.finish();
        std::string dir = pos.empty() ? projectDir(args) : pos[0];
        auto store = ProjectStore::create(dir);
        std::cout << "Created Kizu project in " << store.dir().string() << "\n";
        return 0;
    }
    if (sub == "demo") {
        const char* env = std::getenv("KIZU_BSDATA");
        std::string from = args.value("--from", env && *env ? env : "../shared/data/bsdata");
        auto pos = args.positionals();
        args.finish();
        std::string dir = pos.empty() ? projectDir(args) : pos[0];
        StderrProgress bar("demo");
        auto rep = makeDemoProject(dir, from, [&](const Progress& p) { bar(p.done, p.total); },
                                   &interruptToken());
        bar.finish();
        if (rep.cancelled) {
            std::cerr << "Interrupted: " << dir << " holds only " << counted(rep.images, "image")
                      << " of the demo; remove the folder and run the command again.\n";
            return 130;
        }
        std::cout << "Created demo project in " << dir << " with " << rep.images << " "
                  << rep.source << " images\n";
        return 0;
    }
    if (sub == "roi") return roiCmd(args);
    if (sub == "scale") return scaleCmd(args);
    if (sub == "pin") return pinCmd(args);
    if (sub == "retention") return retentionCmd(args);
    if (sub == "info") {
        std::string dir = projectDir(args);
        bool asJson = args.flag("--json");
        args.finish();
        auto store = ProjectStore::openReadOnly(dir);
        json j = {{"dir", store.dir().string()},
                  {"schema_version", store.schemaVersion()},
                  {"images", store.stats().total()},
                  {"test_split_locked", store.testSplitLocked()},
                  {"integrity", store.integrityCheck()}};
        if (asJson) std::cout << jsonText(j) << "\n";
        else
            for (auto& [k, v] : j.items()) std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : jsonText(v)) << "\n";
        return 0;
    }
    throw UsageError{sub.empty() ? "project needs a subcommand" : "unknown subcommand '" + sub + "'"};
}

int importCmd(Args& args)
{
    const std::string dir = projectDir(args);
    ImportOptions opt;
    opt.group = args.value("--group", "");
    opt.groupRegex = args.value("--group-regex", "");
    opt.source = args.value("--source", "import");
    opt.maxPixels = std::int64_t(args.doubleValue("--max-megapixels", 100.0) * 1e6);
    opt.recursive = !args.flag("--no-recursive");
    if (auto l = args.value("--label")) opt.label = labelFromString(*l);
    const bool verbose = args.flag("--verbose");
    const bool quiet = args.flag("--quiet");
    auto pos = args.positionals();
    args.finish();
    if (pos.empty()) throw UsageError{"import needs files or folders"};
    auto store = ProjectStore::open(dir);
    std::vector<std::filesystem::path> paths(pos.begin(), pos.end());
    StderrProgress bar("import", quiet);
    std::size_t reported = 0;
    auto rep = store.importPaths(
        paths, opt,
        [&](const Progress& p) {
            if (verbose) {
                std::printf("done %s\n", p.item.c_str());
                std::fflush(stdout);
            }
            bar(p.done, p.total);
        },
        &interruptToken());
    bar.finish();
    for (; reported < rep.issues.size(); ++reported)
        std::fprintf(stderr, "kizu-cli: skipped %s: %s\n", rep.issues[reported].path.c_str(),
                     rep.issues[reported].reason.c_str());
    std::fprintf(stderr,
                 "imported %d new, %d already in the project, %d skipped%s; %d of the new "
                 "grouped with a near-duplicate\n",
                 rep.imported, rep.duplicates, rep.skipped, rep.cancelled ? " (interrupted)" : "",
                 rep.nearDuplicates);
    if (rep.cancelled) return 130;
    // Files beside the photos that are not images (annotations, notes, CG sidecars) are named
    // above but are no failure; an image that could not be imported, or a named path that
    // holds none, is.
    return rep.skipped > rep.notImages ? 1 : 0;
}

int labelCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const bool fromFolders = args.flag("--from-folders");
    const std::string user = args.value("--user", "");
    auto pos = args.positionals();
    args.finish();
    auto store = ProjectStore::open(dir);
    if (fromFolders) {
        if (!pos.empty()) throw UsageError{"--from-folders takes no image arguments"};
        int n = store.labelFromFolders(user);
        std::cout << "labeled " << counted(n, "image") << " from their ok/ and ng/ folders\n";
        return 0;
    }
    if (pos.size() < 2) throw UsageError{"label needs IMAGE... and ok|ng|unlabeled"};
    Label label = labelFromString(pos.back());
    std::vector<std::int64_t> ids;
    for (std::size_t k = 0; k + 1 < pos.size(); ++k) ids.push_back(store.findImage(pos[k]).id);
    int n = store.setLabels(ids, label, user);
    std::cout << "labeled " << counted(n, "image") << " " << labelName(label) << "\n";
    return 0;
}

int splitCmd(Args& args)
{
    const std::string dir = projectDir(args);
    const std::optional<std::string> fracText = args.value("--test-fraction");
    double frac = 0.2; // the default, said so in the output
    if (fracText) {
        try {
            std::size_t pos = 0;
            frac = std::stod(*fracText, &pos);
            if (pos != fracText->size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
            throw UsageError{"--test-fraction needs a number, got '" + *fracText + "'"};
        }
    }
    const bool force = args.flag("--force");
    std::uint64_t seed = std::uint64_t(args.intValue("--seed", 0));
    args.flag("--by-group"); // splitting is always by group; the flag is accepted for clarity
    std::optional<std::string> lock = args.value("--lock");
    std::optional<std::string> csv = args.value("--from-csv");
    bool withLabels = args.flag("--with-labels");
    const std::string user = args.value("--user", "");
    args.finish();
    auto store = ProjectStore::open(dir);
    if (csv) {
        auto rep = applyManifest(store, *csv, withLabels);
        std::cout << "split from " << *csv << ": " << rep.matched << " of "
                  << counted(rep.rows, "row") << " matched an image, "
                  << counted(rep.labelChanges, "label change") << "\n";
        return 0;
    }
    if (lock) {
        store.setTestSplitLocked(*lock == "on" || *lock == "1" || *lock == "true", user);
        std::cout << "test split " << (store.testSplitLocked() ? "locked" : "unlocked") << "\n";
        return 0;
    }
    // Reassigning moves images between train and test: models measured on the old test split
    // can no longer be compared, so it takes --force.
    const auto preview = store.previewSplit(frac, seed);
    if (preview.changedImages > 0 && !force) {
        const auto st = store.stats();
        std::cerr << "kizu-cli: "
                  << counted(st.bySplit(Split::Train) + st.bySplit(Split::Test), "image")
                  << " already in a split; this assignment would move "
                  << preview.changedImages
                  << " of them between train and test. Run again with --force to reassign, or "
                     "lock the test split first ('kizu-cli split --lock on') so that only images "
                     "without a split are assigned.\n";
        return 1;
    }
    auto rep = store.assignSplit(frac, seed, user);
    std::cout << "test fraction " << frac << (fracText ? "" : " (default; --test-fraction F)")
              << ", seed " << seed << (store.testSplitLocked() ? ", test split locked" : "")
              << "\n";
    std::cout << counted(rep.groups(), "group") << " (" << rep.nearDuplicateGroups
              << " from near-duplicate hashing, " << counted(rep.ungroupedImages, "image")
              << " without a group, each its own)\n";
    std::cout << "train: " << counted(rep.trainImages, "image") << " in "
              << counted(rep.trainGroups, "group") << "; test: " << counted(rep.testImages, "image")
              << " in " << counted(rep.testGroups, "group") << "\n";
    if (rep.changedImages > 0)
        std::cout << counted(rep.changedImages, "image") << " moved between train and test\n";
    if (rep.syntheticImages > 0)
        std::cout << counted(rep.syntheticImages, "synthetic image")
                  << " (CG renders, transplanted defects) kept in train: the test split holds "
                     "real photos only\n";
    return 0;
}

json toJson(const ImageRecord& r)
{
    return {{"id", r.id},          {"hash", r.hash},       {"path", r.originalPath},
            {"source", r.source},  {"width", r.width},     {"height", r.height},
            {"group", r.group},    {"label", labelName(r.label)},
            {"split", splitName(r.split)}, {"captured_at", r.capturedAt}};
}

ImageFilter filterFrom(Args& args)
{
    ImageFilter f;
    if (auto v = args.value("--label")) f.label = labelFromString(*v);
    if (auto v = args.value("--split")) f.split = splitFromString(*v);
    if (auto v = args.value("--source")) f.source = *v;
    if (auto v = args.value("--group")) f.group = *v;
    f.limit = args.intValue("--limit", -1);
    return f;
}

int listCmd(Args& args)
{
    const std::string dir = projectDir(args);
    ImageFilter f = filterFrom(args);
    bool asJson = args.flag("--json");
    args.finish();
    auto store = ProjectStore::open(dir);
    auto all = store.images(f);
    if (asJson) {
        json arr = json::array();
        for (auto& r : all) arr.push_back(toJson(r));
        std::cout << jsonText(arr) << "\n";
        return 0;
    }
    for (auto& r : all)
        std::printf("%6lld  %s  %-9s %-5s %-12s %s\n", (long long)r.id, r.hash.substr(0, 12).c_str(),
                    labelName(r.label).c_str(), splitName(r.split).c_str(), r.group.c_str(),
                    r.originalPath.c_str());
    return 0;
}

std::vector<std::string> syntheticSources(const ProjectStore& store)
{
    std::vector<std::string> out;
    for (const auto& src : store.sources())
        if (isSyntheticSource(src)) out.push_back(src);
    return out;
}

// "real: 688 OK, 167 NG; synthetic (cg, transplant): 200 NG, never in test"
std::string realAndSynthetic(const Stats& s, const std::vector<std::string>& sources)
{
    auto counts = [](std::int64_t ok, std::int64_t ng, std::int64_t unl) {
        std::string t = std::to_string(ok) + " OK, " + std::to_string(ng) + " NG";
        if (unl) t += ", " + std::to_string(unl) + " unlabeled";
        return t;
    };
    std::string out = "real: " + counts(s.realByLabel(Label::Ok), s.realByLabel(Label::Ng),
                                        s.realByLabel(Label::Unlabeled));
    if (s.syntheticTotal() == 0) return out + "; synthetic: none";
    std::string names;
    for (const auto& n : sources)
        names += (names.empty() ? "" : ", ") + n;
    return out + "; synthetic (" + names + "): " +
           counts(s.syntheticByLabel(Label::Ok), s.syntheticByLabel(Label::Ng),
                  s.syntheticByLabel(Label::Unlabeled)) +
           ", train only";
}

int statsCmd(Args& args)
{
    const std::string dir = projectDir(args);
    bool asJson = args.flag("--json");
    args.finish();
    auto store = ProjectStore::openReadOnly(dir);
    Stats s = store.stats();
    const Label labels[] = {Label::Ok, Label::Ng, Label::Unlabeled};
    const Split splits[] = {Split::Train, Split::Test, Split::None};
    if (asJson) {
        json j;
        j["total"] = s.total();
        for (Label l : labels) j["labels"][labelName(l)] = s.byLabel(l);
        for (Split sp : splits) j["splits"][splitName(sp)] = s.bySplit(sp);
        for (Label l : labels)
            for (Split sp : splits) j["counts"][labelName(l)][splitName(sp)] = s.counts[int(l)][int(sp)];
        j["groups"] = store.groups().size();
        j["test_split_locked"] = store.testSplitLocked();
        for (Label l : labels) {
            j["real"][labelName(l)] = s.realByLabel(l);
            j["synthetic"][labelName(l)] = s.syntheticByLabel(l);
        }
        j["synthetic_sources"] = syntheticSources(store);
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    std::printf("%-10s %8s %8s %8s %8s\n", "", "train", "test", "none", "all");
    for (Label l : labels)
        std::printf("%-10s %8lld %8lld %8lld %8lld\n", labelName(l).c_str(),
                    (long long)s.counts[int(l)][1], (long long)s.counts[int(l)][2],
                    (long long)s.counts[int(l)][0], (long long)s.byLabel(l));
    std::printf("%-10s %8lld %8lld %8lld %8lld\n", "all", (long long)s.bySplit(Split::Train),
                (long long)s.bySplit(Split::Test), (long long)s.bySplit(Split::None),
                (long long)s.total());
    std::cout << "\n" << realAndSynthetic(s, syntheticSources(store)) << "\n";
    return 0;
}

int exportCmd(Args& args)
{
    const std::string dir = projectDir(args);
    Split split = splitFromString(args.value("--split", "none"));
    std::string out = args.value("--out", "");
    bool quiet = args.flag("--quiet");
    args.finish();
    if (out.empty()) throw UsageError{"export needs --out FOLDER"};
    auto store = ProjectStore::open(dir);
    StderrProgress bar("export", quiet);
    auto n = store.exportSplit(split, out, [&](const Progress& p) { bar(p.done, p.total); },
                               &interruptToken());
    bar.finish();
    std::cout << "exported " << counted(n, "image") << " into " << out << "/ok and " << out
              << "/ng\n";
    return 0;
}

const Registrar r1{{"project", "create a project or show its state",
                    "Usage: kizu-cli project init [DIR]\n"
                    "       kizu-cli project demo [DIR] [--from BSDATA_DIR]\n"
                    "       kizu-cli [--project DIR] project info [--json]\n"
                    "       kizu-cli [--project DIR] project roi [--rect X,Y,W,H | --polygon "
                    "X1,Y1,X2,Y2,X3,Y3,... | --clear] [--fraction] [--json]\n"
                    "       kizu-cli [--project DIR] project scale [--px-per-mm X | --clear]\n"
                    "       kizu-cli [--project DIR] project pin [--clear | --status]\n"
                    "       kizu-cli [--project DIR] project retention [--days N] [--max-gb X] "
                    "[--min-free-gb Y] [--json]\n\n"
                    "init creates a project folder (a SQLite database and an images/ folder).\n"
                    "demo makes a project from the BSData photos ($KIZU_BSDATA or\n"
                    "../shared/data/bsdata), labeled and split as their manifest says, or,\n"
                    "without them, from 160 labeled CG renders made on the spot.\n"
                    "info prints the schema version, image count and integrity check.\n"
                    "roi sets the region of interest: the part of every image that models, the\n"
                    "baseline and inspection look at (outside it, pixels are filled with the\n"
                    "region's mean colour and the image is cropped to the region). Coordinates\n"
                    "are pixels of the project's most common image size, or fractions of the\n"
                    "width and height with --fraction; the project stores fractions, so one\n"
                    "region fits images of any size. Without an option it prints the region;\n"
                    "--clear removes it.\n"
                    "scale sets the photos' scale, pixels per millimetre of the surface, at which\n"
                    "CG defects are transplanted onto the project's OK photos (training with\n"
                    "--transplant, kizu-cli cg transplant --project, CG Studio); unset, each\n"
                    "photo's scale is estimated.\n"
                    "pin sets or resets the engineer PIN that station mode asks for (kizu\n"
                    "--station; docs/station.md): read from stdin, twice on a terminal, at least\n"
                    "4 characters, kept as a salted PBKDF2 hash. Anyone who can write the project\n"
                    "folder can reset it: the PIN guards the station's keyboard, file access is\n"
                    "the trust boundary. --clear removes it (the station asks for a new one).\n\n"
                    "retention sets how long (--days, default 30) and how much (--max-gb, default\n"
                    "20) of the NG frames inspection keeps: the oldest go first, their verdicts\n"
                    "stay and say so; 0 is no limit. Below --min-free-gb (default 2) of free\n"
                    "disk space no frame is kept, and inspection goes on. Without an option it\n"
                    "prints the settings and what is kept now (docs/station_retention.md).\n\n"
                    "Examples:\n  kizu-cli project init ~/kizu/spindles\n"
                    "  kizu-cli project scale --px-per-mm 80\n"
                    "  kizu-cli project roi --rect 40,20,560,440\n"
                    "  kizu-cli project roi --polygon 0.1,0.1,0.9,0.1,0.5,0.9 --fraction\n"
                    "  kizu-cli -p line3 project pin\n"
                    "  kizu-cli project retention --days 14 --max-gb 50\n",
                    projectCmd}};
const Registrar r2{{"import", "import image files and folders (recursive)",
                    "Usage: kizu-cli [--project DIR] import [OPTIONS] FILE|FOLDER...\n\n"
                    "Imports JPEG, PNG, BMP and TIFF files; folders recursively. Each image is\n"
                    "stored once under its content hash, so importing again adds nothing.\n"
                    "Unreadable, truncated or oversized files are skipped and reported, and so\n"
                    "are other files met in folders (JSON annotations, notes).\n"
                    "Without --group (or where --group-regex does not match), an image that is\n"
                    "a near-duplicate of a stored one (same perceptual hash within a few bits:\n"
                    "noise, brightness, a resized or re-encoded copy) joins its group.\n\n"
                    "Options:\n"
                    "  --group G            put every image in group G (near-duplicates)\n"
                    "  --group-regex RE     group = first capture of RE on the file name\n"
                    "  --label ok|ng        label new images on import\n"
                    "  --source NAME        source tag (default: import)\n"
                    "  --max-megapixels N   refuse larger images before decoding (default 100)\n"
                    "  --no-recursive       do not descend into sub-folders\n"
                    "  --verbose            print 'done PATH' on stdout after each file\n"
                    "  --quiet              no progress on stderr\n\n"
                    "Exit status: 0 every image imported (files that are not images are named and\n"
                    "left out), 1 some image or named path could not be imported, 130\n"
                    "interrupted.\n\n"
                    "Example:\n  kizu-cli -p spindles import --group-regex '_(\\d+_\\d+)_crop' "
                    "../shared/data/bsdata\n",
                    importCmd}};
const Registrar r3{{"label", "label images ok, ng or unlabeled",
                    "Usage: kizu-cli [--project DIR] label IMAGE... ok|ng|unlabeled\n"
                    "       kizu-cli [--project DIR] label --from-folders\n\n"
                    "IMAGE is an id, a hash prefix, a path or a file name. --from-folders labels\n"
                    "each image by an ok/ or ng/ folder on its original path. Every change is\n"
                    "written to the audit log (--user NAME, default $USER).\n\n"
                    "Examples:\n  kizu-cli label 42 ng\n  kizu-cli label --from-folders\n",
                    labelCmd}};
const Registrar r4{{"split", "assign train/test by group",
                    "Usage: kizu-cli [--project DIR] split [--test-fraction F] [--by-group] [--seed S]\n"
                    "                                     [--force]\n"
                    "       kizu-cli [--project DIR] split --lock on|off\n"
                    "       kizu-cli [--project DIR] split --from-csv manifest.csv [--with-labels]\n\n"
                    "Whole groups go to test until the fraction is reached (stratified by NG),\n"
                    "so near-duplicates never straddle the split. Groups come from --group or\n"
                    "--group-regex at import, else from near-duplicate hashing (\"dup-\" groups).\n"
                    "F defaults to 0.2. Moving images that already have a split between train\n"
                    "and test needs --force. With the test split locked, test images stay in\n"
                    "test and only images without a split are assigned. --from-csv takes\n"
                    "the split (and with --with-labels the label) from a CSV with path and split\n"
                    "columns, matched by file name (BSData's manifest.csv). Every image that\n"
                    "changes split, and the lock, go into the audit log (--user NAME, default\n"
                    "$USER).\n\n"
                    "Example:\n  kizu-cli split --test-fraction 0.25 --by-group --seed 7\n",
                    splitCmd}};
const Registrar r5{{"list", "list images with label, split and group",
                    "Usage: kizu-cli [--project DIR] list [--label L] [--split S] [--source S]\n"
                    "                                    [--group G] [--limit N] [--json]\n",
                    listCmd}};
const Registrar r6{{"stats", "counts per label and split",
                    "Usage: kizu-cli [--project DIR] stats [--json]\n", statsCmd}};
const Registrar r7{{"export", "copy a split's images into ok/ and ng/ folders",
                    "Usage: kizu-cli [--project DIR] export --out FOLDER [--split train|test|none]\n\n"
                    "Example:\n  kizu-cli export --split test --out /tmp/testset\n",
                    exportCmd}};

} // namespace
} // namespace kizu::cli
