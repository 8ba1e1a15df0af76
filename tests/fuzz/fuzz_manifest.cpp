// Fuzz target: split/label manifests (CSV) applied to a small project.
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/project/manifest.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace fs = std::filesystem;
    static const fs::path dir =
        fs::temp_directory_path() / ("kizu_fuzz_manifest_" + std::to_string(::getpid()));
    static kizu::project::ProjectStore* store = [] {
        fs::remove_all(dir);
        auto* s = new kizu::project::ProjectStore(kizu::project::ProjectStore::create(dir / "p"));
        for (int i = 0; i < 3; ++i) {
            std::vector<uchar> png;
            cv::imencode(".png", cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(i * 50)), png);
            s->addEncodedImage(std::string(png.begin(), png.end()), ".png", "fuzz");
        }
        return s;
    }();
    kizu::writeFileAtomic(dir / "m.csv", std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        kizu::project::applyManifest(*store, dir / "m.csv", true, "fuzz");
    } catch (const kizu::Error&) {
    }
    return 0;
}
