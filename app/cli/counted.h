// Counts with their noun in the right English number for kizu-cli's messages: "1 image",
// "2 images". The GUI gets the same from Qt's numerus forms (ui/english_plurals.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kizu::cli {

// counted(1, "image") is "1 image", counted(2, "image") "2 images"; a noun with an irregular
// plural names it: counted(n, "match", "matches").
inline std::string counted(std::int64_t n, std::string_view one, std::string_view many = {})
{
    std::string out = std::to_string(n) + ' ';
    if (n == 1) {
        out += one;
    } else if (many.empty()) {
        out += one;
        out += 's';
    } else {
        out += many;
    }
    return out;
}

} // namespace kizu::cli
