#include "core/imaging/roi.h"

#include "core/common/error.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <sstream>

namespace kizu::imaging {
namespace {

std::string fmt(double v)
{
    std::ostringstream s;
    s.precision(6);
    s << v;
    return s.str();
}

double cross(cv::Point2d o, cv::Point2d a, cv::Point2d b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Whether segments ab and cd cross at a point inside both (touching ends do not count).
bool segmentsCross(cv::Point2d a, cv::Point2d b, cv::Point2d c, cv::Point2d d)
{
    const double d1 = cross(a, b, c), d2 = cross(a, b, d), d3 = cross(c, d, a), d4 = cross(c, d, b);
    return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

double area(const std::vector<cv::Point2d>& p)
{
    double a = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const auto& u = p[i];
        const auto& v = p[(i + 1) % p.size()];
        a += u.x * v.y - v.x * u.y;
    }
    return std::abs(a) / 2;
}

} // namespace

Roi Roi::rect(double x, double y, double w, double h)
{
    Roi r;
    r.kind = Kind::Rect;
    r.polygon = {{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}};
    return r;
}

Roi Roi::fromPixelRect(const cv::Rect2d& r, cv::Size reference)
{
    if (reference.width <= 0 || reference.height <= 0)
        throw InvalidArgument("A region in pixels needs the images' size, and there is none.");
    if (!(r.width > 0 && r.height > 0))
        throw InvalidArgument("The region's width and height must be positive, got " +
                              fmt(r.width) + " x " + fmt(r.height) + " px.");
    if (r.x < 0 || r.y < 0 || r.x + r.width > reference.width || r.y + r.height > reference.height)
        throw InvalidArgument("The rectangle " + fmt(r.x) + "," + fmt(r.y) + " " + fmt(r.width) +
                              " x " + fmt(r.height) + " px reaches outside the " +
                              std::to_string(reference.width) + " x " +
                              std::to_string(reference.height) + " px image.");
    Roi roi = rect(r.x / reference.width, r.y / reference.height, r.width / reference.width,
                   r.height / reference.height);
    roi.validate();
    return roi;
}

Roi Roi::fromPixelPolygon(const std::vector<cv::Point2d>& points, cv::Size reference)
{
    if (reference.width <= 0 || reference.height <= 0)
        throw InvalidArgument("A region in pixels needs the images' size, and there is none.");
    Roi roi;
    for (const auto& p : points) {
        if (!(p.x >= 0 && p.y >= 0 && p.x <= reference.width && p.y <= reference.height))
            throw InvalidArgument("The point " + fmt(p.x) + "," + fmt(p.y) + " lies outside the " +
                                  std::to_string(reference.width) + " x " +
                                  std::to_string(reference.height) + " px image.");
        roi.polygon.push_back({p.x / reference.width, p.y / reference.height});
    }
    roi.validate();
    return roi;
}

void Roi::validate() const
{
    if (polygon.empty()) return;
    if (polygon.size() < 3)
        throw InvalidArgument("A region needs at least 3 points, got " +
                              std::to_string(polygon.size()) + ".");
    for (const auto& p : polygon) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            throw InvalidArgument("A region's point is not a number.");
        if (p.x < -1e-9 || p.y < -1e-9 || p.x > 1 + 1e-9 || p.y > 1 + 1e-9)
            throw InvalidArgument("The region's point " + fmt(p.x) + "," + fmt(p.y) +
                                  " lies outside the image (stored coordinates are fractions "
                                  "of the width and height, 0 to 1).");
    }
    if (kind == Kind::Rect && polygon.size() != 4)
        throw InvalidArgument("A rectangular region has 4 corners, got " +
                              std::to_string(polygon.size()) + ".");
    const std::size_t n = polygon.size();
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 2; j < n; ++j) {
            if (i == 0 && j == n - 1) continue; // neighbours through the closing edge
            if (segmentsCross(polygon[i], polygon[(i + 1) % n], polygon[j], polygon[(j + 1) % n]))
                throw InvalidArgument("The region's edges cross (edge " + std::to_string(i + 1) +
                                      " and edge " + std::to_string(j + 1) +
                                      "): give the points in order around the region.");
        }
    if (area(polygon) < 1e-9)
        throw InvalidArgument("The region encloses no area (its points lie on one line).");
}

std::vector<cv::Point2d> Roi::pixelPolygon(cv::Size size) const
{
    std::vector<cv::Point2d> out;
    out.reserve(polygon.size());
    for (const auto& p : polygon)
        out.push_back({p.x * size.width, p.y * size.height});
    return out;
}

cv::Mat Roi::mask(cv::Size size) const
{
    if (polygon.empty()) return cv::Mat(size, CV_8U, cv::Scalar(255));
    cv::Mat m = cv::Mat::zeros(size, CV_8U);
    const auto px = pixelPolygon(size);
    if (kind == Kind::Rect) {
        // Exact for pixel rectangles: [x, x+w) x [y, y+h).
        double x0 = px[0].x, y0 = px[0].y, x1 = px[0].x, y1 = px[0].y;
        for (const auto& p : px) {
            x0 = std::min(x0, p.x), y0 = std::min(y0, p.y);
            x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
        }
        const cv::Point a(int(std::lround(x0)), int(std::lround(y0)));
        const cv::Point b(int(std::lround(x1)), int(std::lround(y1)));
        const cv::Rect r = cv::Rect(a, b) & cv::Rect({}, size);
        if (!r.empty()) m(r).setTo(255);
        return m;
    }
    // fillPoly's integer points are pixel centres: shift the corners by half a pixel, with
    // 8 fractional bits.
    constexpr int kShift = 8;
    std::vector<cv::Point> pts;
    for (const auto& p : px)
        pts.push_back({int(std::lround((p.x - 0.5) * (1 << kShift))),
                       int(std::lround((p.y - 0.5) * (1 << kShift)))});
    cv::fillPoly(m, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(255), cv::LINE_8, kShift);
    return m;
}

cv::Rect Roi::boundingBox(cv::Size size) const
{
    if (polygon.empty()) return cv::Rect({}, size);
    return cv::boundingRect(mask(size));
}

nlohmann::json Roi::toJson() const
{
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : polygon)
        pts.push_back({p.x, p.y});
    return {
        {"kind", kind == Kind::Rect ? "rect" : "polygon"}, {"units", "fraction"}, {"points", pts}};
}

Roi Roi::fromJson(const nlohmann::json& j)
{
    if (!j.is_object()) throw InvalidArgument("A region must be a JSON object.");
    Roi r;
    const std::string kind = j.value("kind", std::string("polygon"));
    if (kind == "rect")
        r.kind = Kind::Rect;
    else if (kind == "polygon")
        r.kind = Kind::Polygon;
    else
        throw InvalidArgument("Unknown region kind '" + kind + "': use rect or polygon.");
    if (j.value("units", std::string("fraction")) != "fraction")
        throw InvalidArgument("A stored region's units must be \"fraction\".");
    if (!j.contains("points") || !j["points"].is_array())
        throw InvalidArgument("A region needs \"points\": [[x, y], ...].");
    for (const auto& p : j["points"]) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
            throw InvalidArgument("Each region point must be [x, y] with two numbers.");
        r.polygon.push_back({p[0].get<double>(), p[1].get<double>()});
    }
    r.validate();
    return r;
}

cv::Mat applyRoi(const cv::Mat& image, const Roi& roi)
{
    if (image.empty()) throw InvalidArgument("There is no image to cut to the region.");
    if (roi.empty()) return image;
    const cv::Mat m = roi.mask(image.size());
    const cv::Rect box = cv::boundingRect(m);
    if (box.empty())
        throw InvalidArgument("The region covers no pixel of a " + std::to_string(image.cols) +
                              " x " + std::to_string(image.rows) + " px image.");
    cv::Mat out = image(box).clone();
    const cv::Mat inside = m(box);
    const cv::Scalar mean = cv::mean(out, inside);
    out.setTo(mean, inside == 0);
    return out;
}

} // namespace kizu::imaging
