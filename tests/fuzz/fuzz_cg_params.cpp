// Fuzz target: CG parameter files and presets from outside (JSON). Loading must end in valid
// parameters or a kizu::Error (FormatError / InvalidArgument), never a crash or another
// exception; what loads must validate and survive a round trip through JSON.
#include "core/cg/cg_params.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace fs = std::filesystem;
    static const fs::path file =
        fs::temp_directory_path() / ("kizu_fuzz_cg_params_" + std::to_string(::getpid()) + ".json");
    kizu::writeFileAtomic(file, std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        kizu::cg::CgParams p = kizu::cg::loadParamsFile(file.string());
        kizu::cg::validate(p);
        kizu::cg::CgParams again = kizu::cg::paramsFromJson(kizu::cg::paramsToJson(p));
        if (kizu::cg::paramsToJson(again) != kizu::cg::paramsToJson(p)) __builtin_trap();
    } catch (const kizu::Error&) {
    }
    return 0;
}
