// kizu-cli model: the project's models (list, show, activate, rename, delete, export). In the
// learning module because activating a model loads it with LibTorch.
#include "app/cli/commands.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/imaging/image_io.h"
#include "core/learn/defaults.h"
#include "core/learn/model_classifier.h"
#include "core/learn/onnx_export.h"
#include "core/learn/train_run.h"
#include "core/project/project_store.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kizu::cli {
namespace {
using nlohmann::json;

// A record by id, name or file (its path or file name); throws when none or several match.
std::int64_t findModel(const project::ProjectStore& store, const std::string& ref)
{
    std::vector<std::int64_t> hits;
    const bool numeric = !ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos;
    for (const auto& r : store.models()) {
        if (numeric && std::to_string(r.id) == ref) return r.id;
        const auto file = store.modelPath(r);
        if (r.name == ref || r.file == ref || file.filename().string() == ref ||
            file.string() == ref)
            hits.push_back(r.id);
    }
    if (hits.size() == 1) return hits[0];
    throw InvalidArgument(hits.empty() ? "No model '" + ref +
                                             "' in this project; 'kizu-cli model list' shows them."
                                       : "Several models are called '" + ref +
                                             "'; name one by its id (see 'kizu-cli model list').");
}

std::string fmt(const json& metrics, const char* split, const char* key)
{
    const auto it = metrics.find(split);
    if (it == metrics.end() || !it->contains(key)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", (*it)[key].get<double>());
    return buf;
}

// The photos' size for an ONNX export of a native-aspect model: --aspect W:H (or WxH) or the
// size of --image FILE; empty when neither is given.
cv::Size onnxImageSize(const std::optional<std::string>& aspect,
                       const std::optional<std::string>& image)
{
    if (aspect && image) throw UsageError{"give --aspect or --image, not both"};
    if (image) {
        const auto info = imaging::probe(readFile(*image), *image);
        return {info.width, info.height};
    }
    if (!aspect) return {};
    const auto sep = aspect->find_first_of(":x");
    double w = 0, h = 0;
    try {
        if (sep != std::string::npos) {
            std::size_t used = 0;
            w = std::stod(aspect->substr(0, sep), &used);
            if (used != sep) w = 0;
            const std::string rest = aspect->substr(sep + 1);
            h = std::stod(rest, &used);
            if (used != rest.size()) h = 0;
        }
    } catch (const std::exception&) {
        w = h = 0;
    }
    if (!(w > 0) || !(h > 0) || w / h > 100 || h / w > 100)
        throw UsageError{"--aspect needs W:H, e.g. --aspect 1130:460 (the photos' width and "
                         "height or their ratio), not '" +
                         *aspect + "'"};
    // A ratio such as 16:9 as a size: only the aspect matters to the canvas.
    const double scale = 4096.0 / std::max(w, h);
    return {std::max(1, int(std::lround(w * scale))), std::max(1, int(std::lround(h * scale)))};
}

void printOnnx(const learn::OnnxExportInfo& info, const std::filesystem::path& file)
{
    std::cout << "exported ONNX to " << file.string() << " (input 'image' [N, 3, "
              << info.canvas.height << ", " << info.canvas.width << "] BGR 0-255; outputs";
    for (const auto& o : info.outputs)
        std::cout << " '" << o << "'";
    if (info.mapSize.area() > 0)
        std::cout << "; defect map " << info.mapSize.width << " x " << info.mapSize.height;
    std::cout << ")\n";
}

int modelCmd(Args& args)
{
    const std::string sub = args.takeFirst();
    const std::string dir = projectDir(args);
    const bool asJson = args.flag("--json");
    const bool keepFile = args.flag("--keep-file");
    const bool force = args.flag("--force");
    const auto onnx = args.value("--onnx");
    const auto modelFile = args.value("--model");
    const auto aspect = args.value("--aspect");
    const auto image = args.value("--image");
    auto pos = args.positionals();
    args.finish();
    if ((onnx || modelFile || aspect || image) && sub != "export")
        throw UsageError{"--onnx, --model, --aspect and --image belong to 'model export'"};
    if (sub == "export" && (modelFile || aspect || image) && !onnx)
        throw UsageError{"--model, --aspect and --image go with --onnx FILE"};
    if (sub == "export" && onnx) {
        if (onnx->empty()) throw UsageError{"--onnx needs the file to write"};
        const cv::Size imageSize = onnxImageSize(aspect, image);
        if (modelFile) { // a model file, no project needed
            if (!pos.empty())
                throw UsageError{"model export --model FILE --onnx OUT takes no MODEL id"};
            learn::OnnxExportOptions options;
            options.imageSize = imageSize;
            printOnnx(learn::exportOnnx(learn::Model::load(*modelFile), *onnx, options), *onnx);
            return 0;
        }
        if (pos.size() != 1)
            throw UsageError{"model export --onnx FILE needs MODEL (or --model FILE.kizumodel)"};
        auto store = project::ProjectStore::open(dir);
        const auto out = learn::exportModelOnnx(store, findModel(store, pos[0]), *onnx, imageSize);
        std::cout << "exported ONNX to " << out.string() << "\n";
        return 0;
    }
    auto store = project::ProjectStore::open(dir);
    if (sub == "activate") {
        if (pos.size() != 1) throw UsageError{"model activate needs FILE.kizumodel or a model id"};
        std::error_code ec;
        std::filesystem::path file;
        if (std::filesystem::is_regular_file(pos[0], ec)) {
            file = std::filesystem::absolute(pos[0]).lexically_normal();
            learn::ModelClassifier check(file); // refuses a damaged or foreign file
            store.setMeta("active_model", file.string());
        } else {
            const auto id = findModel(store, pos[0]);
            // As the GUI asks before it does: a model whose check after training warned is
            // only made active with --force.
            if (const auto rec = store.model(id); rec && !force) {
                const json met = json::parse(rec->metrics, nullptr, false);
                if (met.is_object() && met.contains("assessment")) {
                    const auto a = learn::assessmentFromJson(met["assessment"]);
                    if (a.warns())
                        throw UsageError{"model '" + rec->name +
                                         "' did badly when checked after "
                                         "training: " +
                                         a.message + " Pass --force to make it active anyway."};
                }
            }
            file = learn::activateModel(store, id);
        }
        learn::ModelClassifier check(file);
        std::cout << "active model: " << file.string() << " (" << check.name() << ", sha256 "
                  << check.id().substr(0, 12) << ")\n";
        return 0;
    }
    if (sub == "show") {
        auto file = store.meta("active_model").value_or("");
        std::cout << (file.empty() ? "no active model" : file) << "\n";
        return 0;
    }
    if (sub == "list") {
        const auto active = learn::activeModelId(store);
        json all = json::array();
        for (const auto& r : store.models()) {
            json cfg = json::parse(r.config, nullptr, false);
            json met = json::parse(r.metrics, nullptr, false);
            if (!cfg.is_object()) cfg = json::object();
            if (!met.is_object()) met = json::object();
            met.erase("curves");
            all.push_back({{"id", r.id},
                           {"name", r.name},
                           {"file", store.modelPath(r).string()},
                           {"arch", r.arch},
                           {"input_size", cfg.value("input_size", 0)},
                           {"init", cfg.value("init", "")},
                           {"shots", cfg.value("shots", 0)},
                           {"created_at", r.createdAt},
                           {"active", active && *active == r.id},
                           {"metrics", met}});
        }
        if (asJson) {
            std::cout << all.dump() << "\n";
            return 0;
        }
        if (all.empty()) {
            std::cout << "no models; train one with 'kizu-cli train' or on the Train page\n";
            return 0;
        }
        std::printf("%4s  %-24s %-14s %5s %-22s %5s %8s %8s %6s\n", "id", "name", "arch", "size",
                    "init", "shots", "test acc", "bal acc", "AUC");
        for (const auto& m : all) {
            std::string init = m["init"].get<std::string>();
            if (auto slash = init.find_last_of('/'); slash != std::string::npos)
                init = init.substr(0, init.find(':') + 1) + init.substr(slash + 1);
            const auto shots = m["shots"].get<std::int64_t>();
            std::printf("%4lld%s %-24s %-14s %5d %-22s %5s %8s %8s %6s\n",
                        (long long)m["id"].get<std::int64_t>(), m["active"].get<bool>() ? "*" : " ",
                        m["name"].get<std::string>().c_str(), m["arch"].get<std::string>().c_str(),
                        m["input_size"].get<int>(), init.substr(0, 22).c_str(),
                        shots > 0 ? std::to_string(shots).c_str() : "all",
                        fmt(m["metrics"], "test", "accuracy").c_str(),
                        fmt(m["metrics"], "test", "balanced_accuracy").c_str(),
                        fmt(m["metrics"], "test", "auc").c_str());
        }
        if (learn::activeModelId(store)) std::printf("(* = the station's active model)\n");
        return 0;
    }
    if (sub == "rename") {
        if (pos.size() != 2) throw UsageError{"model rename needs ID NEW-NAME"};
        if (pos[1].empty()) throw UsageError{"a model's name cannot be empty"};
        const auto id = findModel(store, pos[0]);
        store.renameModel(id, pos[1]);
        std::cout << "model " << id << " is now called '" << pos[1] << "'\n";
        return 0;
    }
    if (sub == "delete") {
        if (pos.size() != 1) throw UsageError{"model delete needs ID"};
        const auto id = findModel(store, pos[0]);
        const auto rec = *store.model(id);
        const bool cleared = learn::deleteModel(store, id, !keepFile);
        std::cout << "deleted model " << id << " (" << rec.name << ")"
                  << (keepFile ? "; its file was kept" : "") << "\n";
        if (cleared) std::cout << "it was the active model: the station has none now\n";
        return 0;
    }
    if (sub == "export") {
        if (pos.size() != 2) throw UsageError{"model export needs ID TARGET (a file or folder)"};
        const auto out = learn::exportModel(store, findModel(store, pos[0]), pos[1]);
        std::cout << "exported to " << out.string() << "\n";
        return 0;
    }
    throw UsageError{sub.empty() ? "model needs list, show, activate, rename, delete or export"
                                 : "unknown subcommand '" + sub + "'"};
}

const Registrar reg{
    {"model", "the project's models: list, rename, delete, export, activate",
     "Usage: kizu-cli [--project DIR] model list [--json]\n"
     "       kizu-cli [--project DIR] model rename MODEL NEW-NAME\n"
     "       kizu-cli [--project DIR] model delete MODEL [--keep-file]\n"
     "       kizu-cli [--project DIR] model export MODEL TARGET\n"
     "       kizu-cli [--project DIR] model export MODEL --onnx FILE [--aspect W:H | --image "
     "PHOTO]\n"
     "       kizu-cli model export --model FILE.kizumodel --onnx FILE [--aspect W:H | --image "
     "PHOTO]\n"
     "       kizu-cli [--project DIR] model activate (MODEL | FILE.kizumodel) [--force]\n"
     "         (--force: also a model that was near chance or worse than the\n"
     "         baseline when checked after training)\n"
     "       kizu-cli [--project DIR] model show\n\n"
     "MODEL is a model's id, name or file name as 'model list' shows them.\n"
     "The active model is what the Inspect page and 'kizu-cli inspect' use.\n"
     "delete removes the record and its file under the project's models/\n"
     "folder (--keep-file keeps the file); deleting the active model leaves\n"
     "the station without one. export copies the model file (TARGET may be\n"
     "a folder). export --onnx writes the network as standard ONNX (opset 13)\n"
     "for OpenCV's DNN module or ONNX Runtime: input 'image' is the photo\n"
     "resized to the model's canvas as BGR 0-255 (cv::dnn::blobFromImage), the\n"
     "normalisation is inside the graph; outputs 'logits', 'scores' (column 1\n"
     "is the NG score) and, for defect-map models, 'defect_map'. The graph's\n"
     "input size is fixed: a model that keeps the photos' aspect needs their\n"
     "size, --aspect W:H or --image PHOTO (docs/learn.md, \"ONNX export\").\n\n"
     "Examples:\n"
     "  kizu-cli -p ~/kizu/spindles model list\n"
     "  kizu-cli -p ~/kizu/spindles model rename 3 'cg init, 20 shots'\n"
     "  kizu-cli -p ~/kizu/spindles model activate 3\n"
     "  kizu-cli -p ~/kizu/spindles model export 3 --onnx spindles.onnx --aspect 1130:460\n",
     modelCmd}};

} // namespace
} // namespace kizu::cli
