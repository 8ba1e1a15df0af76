// kizu-cli cg: render CG training images (one, a batch, a contact sheet) and show presets.
#include "app/cli/commands.h"
#include "app/cli/counted.h"
#include "core/cg/cg_batch.h"
#include "core/cg/cg_generator.h"
#include "core/cg/cg_project_batch.h"
#include "core/cg/cg_transplant_batch.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"
#include "core/project/project_store.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include <opencv2/imgcodecs.hpp>

namespace fs = std::filesystem;
using namespace kizu;
using namespace kizu::cli;

namespace {

const char* kHelp = R"(Usage: kizu-cli cg SUBCOMMAND [OPTIONS]

Domain-randomized CG images of ground metal surfaces with and without defects (scratches,
pits, dents, cracks), for pretraining. The same seed and parameters give byte-identical files.

Subcommands:
  render   one image with its mask, OBJ mesh of the height map and JSON sidecar
  batch    N balanced images into OUT/ok and OUT/ng (resumable, shardable)
  transplant  N CG defects transplanted onto real OK photos, into OUT/ng (resumable, shardable)
  sheet    a contact sheet of OK and NG renders (optionally beside real photos)
  preset   list | show NAME

Parameters (all subcommands): --preset NAME (default: default) or --params FILE.json
(groups and fields as printed by 'cg preset show default'; fields not given keep the
defaults), and --size PX (output size, default 224).

render:  --seed S [--index I] [--ng | --ok] --out DIR_OR_PREFIX
         Writes PREFIX.png, PREFIX_mask.png, PREFIX.obj, PREFIX.json. An existing folder
         (or one ending in /) gets PREFIX = DIR/cg_S_I.
batch:   --count N --seed S (--out DIR [--shard i/n] | --to-project PROJECT) [--quiet]
         Files DIR/{ok,ng}/cg_000123{.png,.json} and masks DIR/masks/{ok,ng}/cg_000123.png,
         named by the global index.
         --to-project renders into PROJECT/cg/batch_s<S>_n<N>_<hash>, records the batch and
         imports its images labelled OK/NG as source "cg" (as CG Studio's "into the project").
         Ctrl-C finishes the images in flight and exits (code 130); run the same command
         again to complete the batch. --shard i/n renders only indices with index % n == i.
transplant: (--onto DIR | --project P) --count N --seed S (--out DIR [--shard i/n] |
         --to-project) [--params NAME|FILE.json] [--px-per-mm X] [--grind-angle DEG] [--quiet]
         A CG defect rendered under the parameters' lights and material, aligned with each
         photo's grinding marks and at its scale, applied to the photo. Photos: DIR/ok/ (or
         the images in DIR), sorted by name, or the project's OK photos (not CG, not in the
         test split). Transplant i goes on photo order[i % photos], order a permutation of
         the photos seeded by S. Files OUT/ng/tp_000123{.png,.json} and masks
         OUT/masks/ng/tp_000123.png; the sidecar records the photo (path, sha256), its
         analysis (grinding angle, px per mm and whether they were estimated) and the
         sampled defect. --px-per-mm and --grind-angle replace the estimates for every photo.
         --to-project (with --project) writes into P/cg/transplant_s<S>_n<N>_<hash> and
         imports the images labelled NG as source "transplant", each in its photo's group
         (a photo without one gets a new group, "transplant-<sha256>"), so no split
         separates a transplant from its photo.
         Ctrl-C, resuming and --shard as for batch.
sheet:   --out FILE.png|.jpg [--seed S] [--count 16] [--per-row 8] [--tile 112]
         [--real DIR]... [--real-count 8] [--real-caption TEXT]
         16 OK and 16 NG renders in labelled rows; each --real DIR adds a row of photos
         (centre squares) for comparison, captioned with TEXT (e.g. their licence).

Examples:
  kizu-cli cg render --seed 7 --ng --out /tmp/cg/
  kizu-cli cg batch --count 20000 --seed 1 --out cg_set --preset pitting
  kizu-cli cg batch --count 2000 --seed 1 --to-project spindle_project
  kizu-cli cg batch --count 20000 --seed 1 --out /shared/cg_set \
      --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
  kizu-cli cg transplant --onto ../shared/data/bsdata --count 200 --seed 1 --out tp_set
  kizu-cli cg transplant --project spindle_project --count 500 --seed 2 --to-project
  kizu-cli cg sheet --count 16 --out docs/cg_contact_sheet.png
  kizu-cli cg sheet --count 8 --preset pitting --real ../shared/data/bsdata/ok \
      --real ../shared/data/bsdata/ng --out docs/cg_vs_bsdata.png
  kizu-cli cg preset show pitting > my.json   # edit, then --params my.json
)";

CancelToken* g_cancel = nullptr;
extern "C" void onInterrupt(int)
{
    if (g_cancel) g_cancel->cancel();
}

cg::CgParams readParams(Args& args)
{
    auto preset = args.value("--preset");
    auto file = args.value("--params");
    if (preset && file) throw UsageError{"give either --preset or --params, not both"};
    cg::CgParams p = file ? cg::loadParamsFile(*file) : cg::loadPreset(preset.value_or("default"));
    if (auto size = args.value("--size")) {
        std::int64_t s = 0;
        try {
            s = std::stoll(*size);
        } catch (const std::exception&) {
            throw UsageError{"--size needs a whole number of pixels, got '" + *size + "'"};
        }
        p.camera.imageSize = double(s);
        cg::validate(p);
    }
    return p;
}

std::uint64_t readSeed(Args& args, bool required)
{
    auto v = args.value("--seed");
    if (!v) {
        if (required) throw UsageError{"--seed S is required (any whole number)"};
        return 1;
    }
    try {
        std::size_t pos = 0;
        unsigned long long s = std::stoull(*v, &pos);
        if (pos != v->size() || (*v)[0] == '-') throw std::invalid_argument("x");
        return s;
    } catch (const std::exception&) {
        throw UsageError{"--seed needs a non-negative whole number, got '" + *v + "'"};
    }
}

int runRender(Args& args)
{
    const cg::CgParams params = readParams(args);
    const std::uint64_t seed = readSeed(args, true);
    const std::int64_t index = args.intValue("--index", 0);
    const bool ng = args.flag("--ng"), ok = args.flag("--ok");
    auto out = args.value("--out");
    args.finish();
    if (ng && ok) throw UsageError{"give --ng or --ok, not both"};
    if (!out) throw UsageError{"--out DIR_OR_PREFIX is required"};
    if (index < 0) throw UsageError{"--index must be 0 or more"};
    const cg::CgGenerator gen(params, seed);
    const auto idx = std::uint64_t(index);
    cg::CgSample s = (ng || ok) ? gen.render(idx, ng) : gen.render(idx);

    fs::path prefix = *out;
    std::error_code ec;
    if (out->back() == '/' || fs::is_directory(prefix, ec))
        prefix = prefix / ("cg_" + std::to_string(seed) + "_" + std::to_string(index));
    if (prefix.has_parent_path()) fs::create_directories(prefix.parent_path(), ec);
    const std::string base = prefix.string();
    writeFileAtomic(base + ".png", cg::encodePng(s.image));
    writeFileAtomic(base + "_mask.png", cg::encodePng(s.mask));
    cg::writeObj(s.heightMap, s.pixelSizeUm, base + ".obj");
    writeFileAtomic(base + ".json", s.sampled.dump(2) + "\n");
    std::cout << (s.ng ? "NG" : "OK") << " " << base << ".png (+ _mask.png, .obj, .json)\n";
    return 0;
}

int runBatch(Args& args)
{
    const cg::CgParams params = readParams(args);
    const std::uint64_t seed = readSeed(args, true);
    const std::int64_t count = args.intValue("--count", -1);
    auto out = args.value("--out");
    auto project = args.value("--to-project");
    auto shardText = args.value("--shard");
    const bool quiet = args.flag("--quiet");
    args.finish();
    if (count < 1) throw UsageError{"--count N (1 or more) is required"};
    if (out && project) throw UsageError{"give either --out DIR or --to-project PROJECT, not both"};
    if (!out && !project) throw UsageError{"--out DIR (or --to-project PROJECT) is required"};
    if (project && shardText)
        throw UsageError{"--shard works with --out only: render the shards into one folder, then "
                         "import it with 'kizu-cli project import'"};
    const cg::Shard shard = cg::parseShard(shardText.value_or("0/1"));

    CancelToken cancel;
    g_cancel = &cancel;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    StderrProgress bar("cg batch", quiet);
    const ProgressFn progress = [&](const Progress& p) { bar(p.done, p.total, p.item); };
    cg::BatchResult result;
    std::string folder = out.value_or("");
    std::optional<cg::ProjectBatchResult> intoProject;
    if (project) {
        intoProject =
            cg::generateBatchIntoProject(*project, params, seed, count, progress, &cancel);
        result = intoProject->render;
        folder = intoProject->folder.string();
    } else {
        result = cg::generateBatch(params, seed, count, *out, shard, progress, &cancel);
    }
    bar.finish();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    g_cancel = nullptr;
    std::cout << "rendered " << result.rendered << ", already complete " << result.skipped
              << ", shard total " << result.total << " in " << folder << "\n";
    if (intoProject && intoProject->batchId > 0)
        std::cout << "imported " << intoProject->imported << " into " << *project << " (new "
                  << intoProject->newImages << ") as source cg, group cg_batch_"
                  << intoProject->batchId << "\n";
    if (result.cancelled) {
        std::cerr << "Interrupted: finished files are kept. Run the same command again to "
                     "complete the batch.\n";
        return 130;
    }
    return 0;
}

// --params NAME|FILE for transplant: a preset's name, else a parameter file (--preset works too).
cg::CgParams readTransplantParams(Args& args)
{
    auto preset = args.value("--preset");
    auto given = args.value("--params");
    if (preset && given) throw UsageError{"give either --preset or --params, not both"};
    if (given) {
        const auto names = cg::presetNames();
        std::error_code ec;
        if (!fs::exists(*given, ec) && std::find(names.begin(), names.end(), *given) != names.end())
            return cg::loadPreset(*given);
        return cg::loadParamsFile(*given);
    }
    return cg::loadPreset(preset.value_or("default"));
}

int runTransplant(Args& args)
{
    const cg::CgParams params = readTransplantParams(args);
    const std::uint64_t seed = readSeed(args, true);
    const std::int64_t count = args.intValue("--count", -1);
    auto onto = args.value("--onto");
    auto project = args.value("--project");
    auto out = args.value("--out");
    auto shardText = args.value("--shard");
    const bool toProject = args.flag("--to-project");
    const bool quiet = args.flag("--quiet");
    const double pxPerMm = args.doubleValue("--px-per-mm", -1);
    auto angleText = args.value("--grind-angle");
    args.finish();
    if (count < 1) throw UsageError{"--count N (1 or more) is required"};
    if (onto && project) throw UsageError{"give either --onto DIR or --project P, not both"};
    if (!onto && !project)
        throw UsageError{"give the photos: --onto DIR (a folder of OK photos, or one with ok/) "
                         "or --project P (its OK photos)"};
    if (toProject && !project)
        throw UsageError{"--to-project needs --project P: the transplants go into the project "
                         "whose OK photos they are made from"};
    if (toProject && out) throw UsageError{"give either --out DIR or --to-project, not both"};
    if (!toProject && !out) throw UsageError{"--out DIR (or --to-project) is required"};
    if (toProject && shardText)
        throw UsageError{"--shard works with --out only: transplant the shards into one folder, "
                         "then import it with 'kizu-cli project import'"};
    cg::TransplantOptions options;
    if (pxPerMm != -1) {
        if (!(pxPerMm >= cg::kMinPxPerMm && pxPerMm <= cg::kMaxPxPerMm))
            throw UsageError{"--px-per-mm must be between " + std::to_string(int(cg::kMinPxPerMm)) +
                             " and " + std::to_string(int(cg::kMaxPxPerMm))};
        options.pxPerMm = pxPerMm;
    }
    if (angleText) {
        double a = 0;
        try {
            std::size_t pos = 0;
            a = std::stod(*angleText, &pos);
            if (pos != angleText->size() || !std::isfinite(a)) throw std::invalid_argument("x");
        } catch (const std::exception&) {
            throw UsageError{"--grind-angle needs degrees (0 = along the image's x axis), got '" +
                             *angleText + "'"};
        }
        a = std::fmod(a, 180.0);
        options.grindAngleDeg = a < 0 ? a + 180.0 : a;
    }
    const cg::Shard shard = cg::parseShard(shardText.value_or("0/1"));

    CancelToken cancel;
    g_cancel = &cancel;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    StderrProgress bar("cg transplant", quiet);
    const ProgressFn progress = [&](const Progress& p) { bar(p.done, p.total, p.item); };
    cg::BatchResult result;
    std::string folder = out.value_or("");
    std::optional<cg::ProjectTransplantResult> intoProject;
    std::size_t photoCount = 0;
    if (toProject) {
        intoProject = cg::generateTransplantsIntoProject(*project, params, seed, count, options,
                                                         progress, &cancel);
        result = intoProject->render;
        folder = intoProject->folder.string();
        photoCount = std::size_t(intoProject->photos);
    } else {
        std::vector<cg::TransplantPhoto> photos;
        if (onto) {
            photos = cg::folderOkPhotos(*onto);
        } else {
            const auto store = project::ProjectStore::open(*project);
            photos = cg::projectOkPhotos(store);
            if (photos.empty())
                throw InvalidArgument("The project " + *project +
                                      " has no OK photos to transplant defects onto (CG images "
                                      "and test-split photos are not used). Label some photos "
                                      "OK first.");
            options = cg::projectTransplantOptions(store, options);
        }
        photoCount = photos.size();
        result = cg::generateTransplantBatch(photos, params, seed, count, *out, options, shard,
                                             progress, &cancel);
    }
    bar.finish();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    g_cancel = nullptr;
    std::cout << "transplanted " << result.rendered << ", already complete " << result.skipped
              << ", shard total " << result.total << " onto "
              << counted(std::int64_t(photoCount), "photo") << " in " << folder << "\n";
    if (intoProject && !result.cancelled)
        std::cout << "imported " << intoProject->imported << " into " << *project << " (new "
                  << intoProject->newImages << ") as source transplant, labelled NG, in "
                  << counted(intoProject->groups, "group") << " (each with its source photo)\n";
    if (result.cancelled) {
        std::cerr << "Interrupted: finished files are kept. Run the same command again to "
                     "complete the batch.\n";
        return 130;
    }
    return 0;
}

int runSheet(Args& args)
{
    const cg::CgParams params = readParams(args);
    const std::uint64_t seed = readSeed(args, false);
    const std::int64_t count = args.intValue("--count", 16);
    const std::int64_t perRow = args.intValue("--per-row", 8);
    const std::int64_t tile = args.intValue("--tile", 112);
    const auto realDirs = args.values("--real");
    const std::int64_t realCount = args.intValue("--real-count", perRow);
    const std::string credit = args.value("--real-caption", "");
    auto out = args.value("--out");
    args.finish();
    if (!out) throw UsageError{"--out FILE.png is required"};
    if (count < 1 || perRow < 1 || count % perRow != 0)
        throw UsageError{"--count must be a positive multiple of --per-row"};
    if (tile < 16 || tile > 1024) throw UsageError{"--tile must be 16..1024"};

    std::vector<cg::SheetRow> extra;
    for (const auto& dir : realDirs) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (imaging::hasImageExtension(e.path())) files.push_back(e.path());
        if (ec || files.empty())
            throw IoError("No images found in " + dir + ". Give a folder of photos.");
        std::sort(files.begin(), files.end());
        cg::SheetRow row{"Real: " + fs::path(dir).filename().string() +
                             (credit.empty() ? "" : " - " + credit),
                         {}};
        // Spread over the folder: time-lapse series make neighbours near-duplicates.
        const std::size_t want = std::size_t(std::min<std::int64_t>(realCount, perRow));
        for (std::size_t i = 0; i < want && i < files.size(); ++i)
            row.images.push_back(imaging::readImage(files[i * files.size() / want]));
        extra.push_back(std::move(row));
    }
    const cg::CgGenerator gen(params, seed);
    cv::Mat sheet = cg::contactSheet(gen, int(perRow), int(count / perRow), int(tile), extra);
    // Sheets are for documents: compressed hard (PNG level 9) or as JPEG by extension.
    std::vector<std::uint8_t> bytes;
    const std::string ext = fs::path(*out).extension().string();
    const bool jpeg = ext == ".jpg" || ext == ".jpeg";
    if (!cv::imencode(jpeg ? ".jpg" : ".png", sheet, bytes,
                      jpeg ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 88}
                           : std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, 9}))
        throw FormatError("Could not encode the contact sheet.");
    writeFileAtomic(*out, std::string(bytes.begin(), bytes.end()));
    std::cout << *out << "\n";
    return 0;
}

int runPreset(Args& args)
{
    const std::string what = args.takeFirst();
    if (what == "list") {
        args.finish();
        for (const auto& name : cg::presetNames())
            std::cout << name << "\t" << cg::presetDescription(name) << "\n";
        return 0;
    }
    if (what == "show") {
        auto pos = args.positionals();
        args.finish();
        if (pos.size() != 1) throw UsageError{"cg preset show NAME"};
        std::cout << cg::paramsToJson(cg::loadPreset(pos[0])).dump(2) << "\n";
        return 0;
    }
    throw UsageError{"cg preset needs 'list' or 'show NAME'"};
}

int runCg(Args& args)
{
    const std::string sub = args.takeFirst();
    if (sub == "render") return runRender(args);
    if (sub == "batch") return runBatch(args);
    if (sub == "transplant") return runTransplant(args);
    if (sub == "sheet") return runSheet(args);
    if (sub == "preset") return runPreset(args);
    if (sub.empty()) throw UsageError{"cg needs a subcommand"};
    throw UsageError{"unknown cg subcommand '" + sub + "'"};
}

const Registrar kRegistrar{{"cg",
                            "render domain-randomized CG images of ground metal (render, batch, "
                            "transplant, sheet, preset)",
                            kHelp, runCg}};

} // namespace
