#include "core/common/paths.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace kizu {
namespace fs = std::filesystem;

namespace {
fs::path executableDir()
{
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path{} : exe.parent_path();
}

bool isDir(const fs::path& p)
{
    std::error_code ec;
    return !p.empty() && fs::is_directory(p, ec);
}
} // namespace

fs::path shippedModelsDir()
{
    if (const char* env = std::getenv("KIZU_MODELS_DIR"); env && *env) {
        if (isDir(env)) return env;
    }
    if (auto exe = executableDir(); !exe.empty()) {
        auto installed = exe.parent_path() / "share" / "kizu" / "models";
        if (isDir(installed)) return installed;
    }
#ifdef KIZU_SOURCE_DIR
    if (auto source = fs::path(KIZU_SOURCE_DIR) / "models"; isDir(source)) return source;
#endif
    return {};
}

std::vector<fs::path> shippedModels()
{
    std::vector<fs::path> out;
    const auto dir = shippedModelsDir();
    if (dir.empty()) return out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".kizumodel") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

fs::path findShippedModel(const std::string& name)
{
    const auto dir = shippedModelsDir();
    if (dir.empty()) return {};
    std::error_code ec;
    auto p = dir / name;
    return fs::is_regular_file(p, ec) ? p : fs::path{};
}

fs::path defaultCgModel(const std::string& arch)
{
    for (const auto& p : shippedModels()) {
        const auto stem = p.filename().string();
        if (stem.rfind(arch + "-cg", 0) == 0 && stem.rfind(arch + "-cgmap", 0) != 0) return p;
    }
    return {};
}

fs::path defaultCgMapModel(const std::string& arch)
{
    for (const auto& p : shippedModels())
        if (p.filename().string().rfind(arch + "-cgmap", 0) == 0) return p;
    return {};
}

fs::path findImagenetWeights(const std::string& arch)
{
    const std::string name = arch + "-imagenet.pth";
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("KIZU_WEIGHTS_DIR"); env && *env) dirs.emplace_back(env);
    dirs.push_back(shippedModelsDir());
#ifdef KIZU_SOURCE_DIR
    dirs.push_back(fs::path(KIZU_SOURCE_DIR).parent_path() / "shared" / "weights");
#endif
    std::error_code ec;
    for (const auto& d : dirs)
        if (!d.empty() && fs::is_regular_file(d / name, ec)) return d / name;
    return {};
}

} // namespace kizu
