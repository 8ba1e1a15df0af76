// Versions of the libraries Kizu was built with, for the About dialog and bug reports.
#pragma once

#include <string>

namespace kizu::learn {

std::string torchVersion();  // LibTorch, e.g. "1.13.0"
std::string opencvVersion(); // OpenCV, e.g. "4.6.0"

} // namespace kizu::learn
