// Small helpers shared by the benchmarks: command-line options, medians, the load average,
// and running a peer command that prints one JSON object.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kizu::bench {

inline std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return argv[i + 1];
    return fallback;
}

inline bool flag(int argc, char** argv, const std::string& name)
{
    for (int i = 1; i < argc; ++i)
        if (argv[i] == name) return true;
    return false;
}

inline double median(std::vector<double> v)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The value at quantile q (0-1) of v: nearest rank, no interpolation.
inline double percentile(std::vector<double> v, double q)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))];
}

inline double loadAverage()
{
    std::ifstream f("/proc/loadavg");
    double l = 0;
    f >> l;
    return l;
}

// Runs cmd and parses the JSON object on the last line it printed; null when there is none.
inline nlohmann::json runPeer(const std::string& cmd)
{
    std::FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
    if (!p) return {};
    std::string out;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), int(buf.size()), p)) out += buf.data();
    ::pclose(p);
    // The peer prints one JSON line; take the last line that starts an object.
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    const auto nl = out.rfind('\n');
    const std::string last = nl == std::string::npos ? out : out.substr(nl + 1);
    auto j = nlohmann::json::parse(last, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

} // namespace kizu::bench
