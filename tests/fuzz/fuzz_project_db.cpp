// Fuzz target: a project database opened from a hostile file. Opening, reading counts and
// images and the integrity check must end in data or a kizu::Error, never a crash.
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/project/project_store.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace fs = std::filesystem;
    static const fs::path dir =
        fs::temp_directory_path() / ("kizu_fuzz_db_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const char* junk : {"project.kizu-wal", "project.kizu-shm"}) fs::remove(dir / junk);
    kizu::writeFileAtomic(dir / kizu::project::ProjectStore::kDatabaseName,
                          std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        auto store = kizu::project::ProjectStore::open(dir);
        (void)store.stats();
        for (const auto& img : store.images()) (void)store.imagePath(img);
        (void)store.auditLog();
        (void)store.integrityCheck();
        (void)store.inspections(10);
    } catch (const kizu::Error&) {
    }
    return 0;
}
