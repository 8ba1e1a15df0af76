// A height map as an indexed triangle mesh in memory, decimated for interactive viewing (the
// CG Studio's 3D view), with a second index list for the triangles on a defect. OBJ export of
// the full-resolution mesh is writeObj in cg_generator.h.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::cg {

struct HeightMesh {
    int cols = 0, rows = 0;             // vertex grid
    std::vector<float> positions;       // x, y, z per vertex, millimetres, centred on the origin
    std::vector<float> normals;         // unit normals, x, y, z per vertex
    std::vector<std::uint32_t> indices; // triangles, counter-clockwise seen from +z
    std::vector<std::uint32_t> defectIndices; // the triangles touching a defect pixel
    float sizeMm = 0;                         // width of the mesh in x, mm
    std::size_t vertexCount() const { return positions.size() / 3; }
};

// Samples the height map (um) on a regular grid of at most maxVertices vertices (never more
// than the map's pixels), area-averaging the heights, and builds two triangles per grid cell.
// x grows with the image column, y against the image row (up in the picture), z is the height
// in mm times zScale (the relief of a ground surface is microns over millimetres: an
// exaggeration makes it visible). A cell is on a defect when any mask pixel under it is set.
// Throws InvalidArgument for an empty or non-CV_32F map, a mask of another size, or
// maxVertices < 4.
HeightMesh buildHeightMesh(const cv::Mat& heightMapUm, double pixelSizeUm, int maxVertices,
                           double zScale = 1.0, const cv::Mat& defectMask = cv::Mat());

} // namespace kizu::cg
