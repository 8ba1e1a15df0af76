// Project store benchmark: images imported per second and label writes per second on the
// BSData photos (../shared/data/bsdata or $KIZU_BSDATA). Prints one JSON object.
//   bench_project [--runs 3] [--labels 2000]
#include "core/project/project_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace kizu::project;
using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

int main(int argc, char** argv)
{
    int runs = 3, labelWrites = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--runs") runs = std::atoi(argv[i + 1]);
        if (a == "--labels") labelWrites = std::atoi(argv[i + 1]);
    }
    const char* env = std::getenv("KIZU_BSDATA");
    fs::path data = env ? fs::path(env) : fs::path(KIZU_BSDATA_DIR_DEFAULT);
    if (!fs::exists(data / "manifest.csv")) {
        std::fprintf(stderr, "bench_project: BSData not found at %s (set KIZU_BSDATA)\n",
                     data.c_str());
        return 2;
    }
    fs::path root = fs::temp_directory_path() / ("kizu_bench_project_" + std::to_string(::getpid()));
    std::vector<double> importRates, labelRates;
    std::int64_t images = 0;
    for (int r = 0; r < runs; ++r) {
        fs::remove_all(root);
        auto store = ProjectStore::create(root);
        auto t0 = Clock::now();
        auto rep = store.importPaths({data});
        double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        images = rep.imported;
        importRates.push_back(rep.imported / dt);
        auto all = store.images();
        t0 = Clock::now();
        for (int k = 0; k < labelWrites; ++k)
            store.setLabel(all[std::size_t(k) % all.size()].id, k % 2 ? Label::Ng : Label::Ok, "bench");
        dt = std::chrono::duration<double>(Clock::now() - t0).count();
        labelRates.push_back(labelWrites / dt);
    }
    fs::remove_all(root);
    nlohmann::json j = {{"bench", "project_store"},
                        {"data", data.string()},
                        {"images", images},
                        {"runs", runs},
                        {"import_images_per_s", median(importRates)},
                        {"import_images_per_s_runs", importRates},
                        {"label_writes", labelWrites},
                        {"label_writes_per_s", median(labelRates)},
                        {"label_writes_per_s_runs", labelRates},
                        {"note", "each label write is its own transaction with synchronous=FULL "
                                 "and an audit-log row"}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
}
