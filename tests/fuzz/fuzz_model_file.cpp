// Fuzz target: Kizu model files (.kizumodel) from outside. Model::load reads the zip/pickle
// archive (tensors and known fields only; nothing in a file runs) and verifies the weights'
// checksum: it must end in a model or a kizu::Error, never a crash or another exception.
// Links core/learn/model.cpp (LibTorch).
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/learn/model.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace fs = std::filesystem;
    static const fs::path file =
        fs::temp_directory_path() / ("kizu_fuzz_model_" + std::to_string(::getpid()) + ".kizumodel");
    static bool once = [] {
        kizu::learn::setTorchThreads(1);
        return true;
    }();
    (void)once;
    kizu::writeFileAtomic(file, std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        kizu::learn::Model m = kizu::learn::Model::load(file);
        if (m.info().classNames.size() != 2) __builtin_trap();
    } catch (const kizu::Error&) {
    }
    return 0;
}
