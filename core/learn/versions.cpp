#include "core/learn/versions.h"

#include <opencv2/core/version.hpp>
#include <torch/version.h>

namespace kizu::learn {

std::string torchVersion() { return TORCH_VERSION; }
std::string opencvVersion() { return CV_VERSION; }

} // namespace kizu::learn
