// buildHeightMesh: area-averaged decimation of the height map, normals from central
// differences, and the defect triangles from the mask reduced with a maximum.
#include "core/cg/cg_mesh.h"

#include "core/common/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace kizu::cg {

HeightMesh buildHeightMesh(const cv::Mat& heightMapUm, double pixelSizeUm, int maxVertices,
                           double zScale, const cv::Mat& defectMask)
{
    if (heightMapUm.empty() || heightMapUm.type() != CV_32F)
        throw InvalidArgument("The height map for the 3D mesh must be a non-empty CV_32F image.");
    if (!defectMask.empty() &&
        (defectMask.size() != heightMapUm.size() || defectMask.type() != CV_8U))
        throw InvalidArgument("The defect mask must be CV_8U and as large as the height map (" +
                              std::to_string(heightMapUm.cols) + "x" +
                              std::to_string(heightMapUm.rows) + ").");
    if (maxVertices < 4)
        throw InvalidArgument("The 3D mesh needs at least 4 vertices, got " +
                              std::to_string(maxVertices) + ".");
    if (!(pixelSizeUm > 0)) throw InvalidArgument("The pixel size of the height map must be > 0.");

    // Grid size keeping the aspect ratio: cols * rows <= maxVertices.
    const double aspect = double(heightMapUm.rows) / heightMapUm.cols;
    int cols = std::min(heightMapUm.cols, std::max(2, int(std::sqrt(maxVertices / aspect))));
    int rows = std::min(heightMapUm.rows, std::max(2, int(cols * aspect + 0.5)));
    while (cols * rows > maxVertices && cols > 2 && rows > 2) {
        --cols;
        rows = std::max(2, int(cols * aspect + 0.5));
    }
    cv::Mat h;
    if (cols == heightMapUm.cols && rows == heightMapUm.rows)
        h = heightMapUm;
    else
        cv::resize(heightMapUm, h, cv::Size(cols, rows), 0, 0, cv::INTER_AREA);

    HeightMesh m;
    m.cols = cols;
    m.rows = rows;
    const double widthMm = heightMapUm.cols * pixelSizeUm / 1000.0;
    const double heightMm = heightMapUm.rows * pixelSizeUm / 1000.0;
    const double dx = widthMm / (cols - 1), dy = heightMm / (rows - 1);
    m.sizeMm = float(widthMm);
    const double mean = cv::mean(h)[0];
    const double zs = zScale / 1000.0; // um -> mm, exaggerated
    m.positions.resize(std::size_t(cols) * rows * 3);
    m.normals.resize(m.positions.size());
    for (int r = 0; r < rows; ++r) {
        const float* row = h.ptr<float>(r);
        for (int c = 0; c < cols; ++c) {
            const std::size_t k = (std::size_t(r) * cols + c) * 3;
            m.positions[k] = float(c * dx - widthMm / 2);
            m.positions[k + 1] = float(heightMm / 2 - r * dy);
            m.positions[k + 2] = float((row[c] - mean) * zs);
            // Central differences (one-sided at the border); y runs against the row.
            const int c0 = std::max(0, c - 1), c1 = std::min(cols - 1, c + 1);
            const int r0 = std::max(0, r - 1), r1 = std::min(rows - 1, r + 1);
            const double dzdx = (row[c1] - row[c0]) * zs / ((c1 - c0) * dx);
            const double dzdy = -(h.at<float>(r1, c) - h.at<float>(r0, c)) * zs / ((r1 - r0) * dy);
            const double len = std::sqrt(dzdx * dzdx + dzdy * dzdy + 1);
            m.normals[k] = float(-dzdx / len);
            m.normals[k + 1] = float(-dzdy / len);
            m.normals[k + 2] = float(1 / len);
        }
    }

    // A cell is on a defect when the mask has any pixel set over the cell's footprint.
    cv::Mat cellDefect;
    if (!defectMask.empty() && cv::countNonZero(defectMask) > 0) {
        cellDefect = cv::Mat::zeros(rows - 1, cols - 1, CV_8U);
        const double sx = double(defectMask.cols) / (cols - 1);
        const double sy = double(defectMask.rows) / (rows - 1);
        for (int r = 0; r < rows - 1; ++r)
            for (int c = 0; c < cols - 1; ++c) {
                const int x0 = int(c * sx), y0 = int(r * sy);
                const int x1 = std::min(defectMask.cols, std::max(x0 + 1, int((c + 1) * sx)));
                const int y1 = std::min(defectMask.rows, std::max(y0 + 1, int((r + 1) * sy)));
                if (cv::countNonZero(defectMask(cv::Rect(x0, y0, x1 - x0, y1 - y0))) > 0)
                    cellDefect.at<std::uint8_t>(r, c) = 1;
            }
    }

    m.indices.reserve(std::size_t(rows - 1) * (cols - 1) * 6);
    for (int r = 0; r < rows - 1; ++r)
        for (int c = 0; c < cols - 1; ++c) {
            const auto a = std::uint32_t(r * cols + c), b = a + 1;
            const auto d = std::uint32_t((r + 1) * cols + c), e = d + 1;
            // Row r is above row r + 1 (y decreases with the row): a b / d e, CCW from +z.
            const std::uint32_t tri[6] = {a, d, b, b, d, e};
            m.indices.insert(m.indices.end(), tri, tri + 6);
            if (!cellDefect.empty() && cellDefect.at<std::uint8_t>(r, c))
                m.defectIndices.insert(m.defectIndices.end(), tri, tri + 6);
        }
    return m;
}

} // namespace kizu::cg
