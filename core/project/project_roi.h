// The project's region of interest (core/imaging/roi.h), kept as a project setting: the meta
// key "roi" holds Roi::toJson(), normalised to the images' width and height.
#pragma once

#include "core/imaging/roi.h"
#include "core/project/project_store.h"

#include <optional>

#include <opencv2/core.hpp>

namespace kizu::project {

inline constexpr const char* kRoiMetaKey = "roi";

// The stored ROI, none when unset or cleared. Throws FormatError when the stored text is not
// a valid region.
std::optional<imaging::Roi> projectRoi(const ProjectStore& store);
// Stores (validated: InvalidArgument) or clears (std::nullopt or an empty Roi) the ROI.
void setProjectRoi(ProjectStore& store, const std::optional<imaging::Roi>& roi);
// The ROI's mask for an image of this size (CV_8U, 255 inside), or an empty Mat when the
// project has none: the convention of cg::TransplantOptions::roi (empty = the whole image).
cv::Mat roiMaskFor(const ProjectStore& store, cv::Size size);
// The size most of the project's images have (the first such when tied), for reading a region
// given in pixels; 0 x 0 for a project without images.
cv::Size referenceImageSize(const ProjectStore& store);

} // namespace kizu::project
