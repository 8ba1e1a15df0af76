// A project's region of interest: the part of each photo that shows the inspected surface
// (a rectangle or a polygon). Classifiers, the baseline and training see only applyRoi(image),
// so a fixture, a label or the background outside the part cannot decide a verdict.
//
// Coordinates are stored normalised: x as a fraction of the image's width, y of its height,
// both in [0, 1], (0, 0) the top-left corner of the top-left pixel and (1, 1) the bottom-right
// corner of the bottom-right pixel. One ROI thus fits every image of a project, whatever its
// size; a pixel rectangle [x, x+w) x [y, y+h) of a W x H image is x/W, y/H, w/W, h/H.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <vector>

namespace kizu::imaging {

struct Roi {
    enum class Kind { Rect, Polygon };
    Kind kind = Kind::Polygon;
    // Normalised vertices in order (a rectangle: its four corners clockwise from top-left).
    // Empty: no region, the whole image.
    std::vector<cv::Point2d> polygon;

    bool empty() const { return polygon.empty(); }
    // Normalised rectangle; not validated.
    static Roi rect(double x, double y, double w, double h);
    // From pixel coordinates of an image of size `reference`. Throws InvalidArgument for
    // a point outside the image, too few points, a zero area or crossing edges.
    static Roi fromPixelRect(const cv::Rect2d& r, cv::Size reference);
    static Roi fromPixelPolygon(const std::vector<cv::Point2d>& points, cv::Size reference);

    // Throws InvalidArgument saying what is wrong: fewer than 3 points, a coordinate outside
    // [0, 1] or not finite, a zero area, or edges that cross. An empty ROI is valid.
    void validate() const;
    // The vertices in pixel coordinates of an image of this size (corners, not centres).
    std::vector<cv::Point2d> pixelPolygon(cv::Size size) const;
    // The bounding box of mask(size): the whole image for an empty ROI; empty when the
    // region covers no pixel centre (a sliver).
    cv::Rect boundingBox(cv::Size size) const;
    // CV_8U of `size`: 255 inside the region, 0 outside (all 255 for an empty ROI).
    cv::Mat mask(cv::Size size) const;

    // {"kind": "rect"|"polygon", "units": "fraction", "points": [[x, y], ...]}.
    nlohmann::json toJson() const;
    // Throws InvalidArgument on a wrong shape or values (validate()).
    static Roi fromJson(const nlohmann::json& j);
    bool operator==(const Roi&) const = default;
};

// What a classifier sees of an image: cropped to the ROI's bounding box, with the pixels
// outside the region filled with the mean colour of those inside. The image itself (not a
// copy) for an empty ROI. Throws InvalidArgument for an empty image or a region that covers
// no pixel of it.
cv::Mat applyRoi(const cv::Mat& image, const Roi& roi);

} // namespace kizu::imaging
