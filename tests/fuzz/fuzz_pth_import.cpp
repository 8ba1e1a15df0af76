// Fuzz target: torchvision weight files (.pth, torch.save zip archives) imported with
// --init imagenet:FILE. Only tensors are read (no code from the file runs); a damaged or
// hostile file must end in a kizu::Error, never a crash or another exception.
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
        fs::temp_directory_path() / ("kizu_fuzz_pth_" + std::to_string(::getpid()) + ".pth");
    static bool once = [] {
        kizu::learn::setTorchThreads(1);
        return true;
    }();
    (void)once;
    kizu::writeFileAtomic(file, std::string_view(reinterpret_cast<const char*>(data), size));
    kizu::learn::ModelInfo info;
    info.arch = "squeezenet1_1";
    info.inputSize = 32;
    try {
        (void)kizu::learn::Model::create(info, "imagenet:" + file.string(), 1);
    } catch (const kizu::Error&) {
    }
    return 0;
}
