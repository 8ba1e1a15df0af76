// Replays fuzz inputs without libFuzzer: every file named on the command line (or inside a
// folder named there) goes through LLVMFuzzerTestOneInput once. CTest runs the seed corpus and
// every input a fuzzer ever found this way, so a fixed crash stays fixed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv)
{
    namespace fs = std::filesystem;
    int runs = 0;
    auto runFile = [&](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        ++runs;
    };
    for (int i = 1; i < argc; ++i) {
        fs::path p(argv[i]);
        if (fs::is_directory(p)) {
            for (auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file()) runFile(e.path());
        } else if (fs::exists(p)) {
            runFile(p);
        }
    }
    std::printf("replayed %d input(s) without a crash\n", runs);
    return runs > 0 ? 0 : 1;
}
