// Training data from a Kizu project: kept apart from dataset.cpp so that only callers that
// read projects link the project store.
#include "core/learn/dataset.h"

#include "core/common/error.h"
#include "core/project/project_roi.h"
#include "core/project/project_store.h"

namespace kizu::learn {

std::vector<LabeledPath> listProject(const std::filesystem::path& dir, const std::string& split)
{
    auto store = project::ProjectStore::open(dir);
    project::ImageFilter filter;
    if (!split.empty()) filter.split = project::splitFromString(split);
    std::shared_ptr<const imaging::Roi> roi;
    if (auto r = project::projectRoi(store)) roi = std::make_shared<const imaging::Roi>(*r);
    std::vector<LabeledPath> out;
    for (const auto& rec : store.images(filter)) {
        if (rec.label == project::Label::Unlabeled) continue;
        out.push_back(
            {store.imagePath(rec), rec.label == project::Label::Ng ? kNg : kOk, rec.group, roi});
    }
    if (out.empty())
        throw InvalidArgument("The project in " + dir.string() + " has no labelled images" +
                              (split.empty() ? std::string() : " in its " + split + " split") +
                              "; label images (and assign a split) first.");
    return out;
}

} // namespace kizu::learn
