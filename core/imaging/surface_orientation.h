// The direction and spacing of the grinding marks in a photo of a ground surface: what a CG
// defect transplanted onto the photo must be aligned with and scaled to (issue 20), and a
// starting point for the baseline's grinding angle. The direction comes from the structure
// tensor (averaged gradient outer products); the spacing from the intensity profile across
// the marks.
#pragma once

#include <opencv2/core.hpp>

namespace kizu::imaging {

struct SurfaceOrientation {
    // Direction of the marks in image coordinates, degrees in [0, 180): 0 along +x
    // (horizontal), 90 along +y (down the image), as BaselineParams::grindingAngle.
    double angleDeg = 0;
    // How strongly the texture is oriented, 0 (no direction: isotropic or flat) to 1 (perfect
    // parallel marks). Below about 0.2 the angle means little.
    double coherence = 0;
    // Distance between neighbouring marks across their direction, in pixels; 0 when no
    // periodic pattern was found (the profile is flat or shorter than four periods).
    double periodPx = 0;
};

// Estimates the orientation of an 8-bit grey, BGR or BGRA image, or of the pixels where `mask`
// (8-bit, same size) is non-zero. Throws InvalidArgument for an empty image, another depth,
// or a mask of another size; an image smaller than 8x8 gives coherence 0.
SurfaceOrientation estimateSurfaceOrientation(const cv::Mat& image, const cv::Mat& mask = {});

} // namespace kizu::imaging
