// The project's photo scale, px per mm of the imaged surface: what CG defect transplants need
// to draw a 100 um pit at its size in the project's photos (issue 20). Unset, each photo's
// scale is estimated (cg::estimatePxPerMm); a QA engineer who knows the optics (or has
// measured a feature of known size) sets it once per project.
#pragma once

#include <optional>

namespace kizu::project {

class ProjectStore;

// BSData's photos (1130x460 px): calibrated on its train split (docs/transplant.md); the BSData
// demo project is made with it.
inline constexpr double kBsdataPxPerMm = 80;

// The project meta key that holds it (text, a positive number).
inline constexpr const char* kPxPerMmKey = "px_per_mm";

// The setting, or nothing when unset; a stored value that is not a positive number (edited by
// hand) reads as unset.
std::optional<double> projectPxPerMm(const ProjectStore& store);
// Sets it, or clears it with std::nullopt. InvalidArgument unless 0 < pxPerMm <= 100000.
void setProjectPxPerMm(ProjectStore& store, std::optional<double> pxPerMm);

} // namespace kizu::project
