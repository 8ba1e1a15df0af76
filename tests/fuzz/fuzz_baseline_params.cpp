// Fuzz target: baseline (DoG/threshold/blob rule) parameter files from outside (JSON). Loading
// must end in valid parameters or a kizu::Error, never a crash or another exception; what
// loads must validate and survive a round trip through JSON.
#include "core/baseline/baseline.h"
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
    using kizu::baseline::BaselineParams;
    static const fs::path file =
        fs::temp_directory_path() / ("kizu_fuzz_baseline_" + std::to_string(::getpid()) + ".json");
    kizu::writeFileAtomic(file, std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        BaselineParams p = BaselineParams::load(file.string());
        p.validate();
        if (!(BaselineParams::fromJson(p.toJson()) == p)) __builtin_trap();
    } catch (const kizu::Error&) {
    }
    return 0;
}
