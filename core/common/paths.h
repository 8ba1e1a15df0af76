// Where Kizu's shipped files live: the CG-pretrained model files (models/*.kizumodel and their
// cards). Installed: <prefix>/share/kizu/models next to <prefix>/bin/kizu; in a build tree: the
// source tree's models/ folder. KIZU_MODELS_DIR overrides both.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kizu {

// The first existing folder of: $KIZU_MODELS_DIR, <exe>/../share/kizu/models, the source
// tree's models/. Empty when none exists.
std::filesystem::path shippedModelsDir();
// The shipped model file named name (e.g. "squeezenet1_1-cg128.kizumodel"); empty when absent.
std::filesystem::path findShippedModel(const std::string& name);
// All shipped .kizumodel files, sorted by name.
std::vector<std::filesystem::path> shippedModels();
// The default CG-pretrained model file for an architecture ("squeezenet1_1", "resnet18"): the
// shipped "<arch>-cg*.kizumodel"; empty when none is shipped.
std::filesystem::path defaultCgModel(const std::string& arch);
// The CG-pretrained defect-map weights shipped for arch (<arch>-cgmap*.kizumodel, issue 21),
// or empty when there are none. defaultCgModel never returns these.
std::filesystem::path defaultCgMapModel(const std::string& arch);
// torchvision's ImageNet weights for an architecture ("<arch>-imagenet.pth"), which Kizu does
// not ship: the first found in $KIZU_WEIGHTS_DIR, the shipped models folder, or ../shared/weights
// beside the source tree. Empty when none is found.
std::filesystem::path findImagenetWeights(const std::string& arch);

} // namespace kizu
