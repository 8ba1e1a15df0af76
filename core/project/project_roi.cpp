#include "core/project/project_roi.h"

#include "core/common/error.h"

#include <map>

namespace kizu::project {

std::optional<imaging::Roi> projectRoi(const ProjectStore& store)
{
    const auto text = store.meta(kRoiMetaKey);
    if (!text || text->empty()) return std::nullopt;
    try {
        auto roi = imaging::Roi::fromJson(nlohmann::json::parse(*text));
        if (roi.empty()) return std::nullopt;
        return roi;
    } catch (const std::exception& e) {
        throw FormatError("The project's region of interest cannot be read (" +
                          std::string(e.what()) +
                          "); set it again with 'kizu-cli project roi' or clear it with "
                          "'kizu-cli project roi --clear'.");
    }
}

void setProjectRoi(ProjectStore& store, const std::optional<imaging::Roi>& roi)
{
    if (!roi || roi->empty()) {
        store.setMeta(kRoiMetaKey, "");
        return;
    }
    roi->validate();
    store.setMeta(kRoiMetaKey, roi->toJson().dump());
}

cv::Mat roiMaskFor(const ProjectStore& store, cv::Size size)
{
    const auto roi = projectRoi(store);
    if (!roi) return {};
    return roi->mask(size);
}

cv::Size referenceImageSize(const ProjectStore& store)
{
    std::map<std::pair<int, int>, std::int64_t> count;
    std::pair<int, int> best{0, 0};
    std::int64_t bestCount = 0;
    for (const auto& img : store.images()) {
        const auto key = std::pair{img.width, img.height};
        if (img.width <= 0 || img.height <= 0) continue;
        if (++count[key] > bestCount) {
            bestCount = count[key];
            best = key;
        }
    }
    return {best.first, best.second};
}

} // namespace kizu::project
