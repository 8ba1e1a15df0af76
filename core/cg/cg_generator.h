// The CG scratch generator: a grinding surface of thin cylinders, defects cut into it (scratch
// chains of cylinders and spheres, pits, dents, cracks), a depth-buffer height map, and a
// domain-randomized physically based rendering of it. Sample i depends only on (seed, params, i).
#pragma once

#include "core/cg/cg_params.h"
#include "core/common/progress.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace kizu::cg {

// Bumped whenever a change alters the pixels for the same (seed, params, index).
constexpr int kGeneratorVersion = 1;

struct CgSample {
    std::uint64_t index = 0;
    bool ng = false;
    cv::Mat image;          // CV_8UC3 BGR, imageSize x imageSize
    cv::Mat mask;           // CV_8U, 255 where a defect is visible, 0 elsewhere (all 0 for OK)
    cv::Mat heightMap;      // CV_32F, surface height in um as seen by the camera
    double pixelSizeUm = 0; // lateral size of one pixel of heightMap at the image centre, um
    nlohmann::json sampled; // every sampled value: label, lights, material, defects, camera
};

class CgGenerator {
public:
    // Validates params (InvalidArgument naming the field).
    CgGenerator(CgParams params, std::uint64_t seed);

    // The label of index: exactly one of each pair (2k, 2k+1) is NG, chosen by a hashed coin,
    // so any prefix of even length is balanced and index parity carries no information.
    bool isNg(std::uint64_t index) const;
    CgSample render(std::uint64_t index) const;
    // Forces the label (for `cg render --ng/--ok`); otherwise identical to render(index).
    CgSample render(std::uint64_t index, bool ng) const;

    const CgParams& params() const { return m_params; }
    std::uint64_t seed() const { return m_seed; }

private:
    CgParams m_params;
    std::uint64_t m_seed;
};

// An endless in-memory stream of fresh labeled renders for training, with no files. Batches
// are rendered in parallel on OpenCV's thread pool; the result does not depend on threads.
class CgStream {
public:
    CgStream(CgParams params, std::uint64_t seed, std::uint64_t firstIndex = 0);
    CgSample next();
    std::vector<CgSample> nextBatch(int count);
    std::uint64_t position() const { return m_next; }

private:
    CgGenerator m_generator;
    std::uint64_t m_next;
};

// Renders indices [first, first + count) in parallel (OpenCV's pool), in index order.
std::vector<CgSample> renderRange(const CgGenerator& generator, std::uint64_t first, int count);

// A rendered sample as encoded files, for building demo projects without touching disk.
struct EncodedSample {
    std::uint64_t index = 0;
    bool ng = false;
    std::string png;     // the image, PNG bytes
    std::string maskPng; // the mask, PNG bytes
    nlohmann::json sampled;
};
// N balanced samples (indices 0..count-1) encoded as PNG; stops early when cancelled.
std::vector<EncodedSample> renderEncoded(const CgParams& params, std::uint64_t seed, int count,
                                         const ProgressFn& progress = {},
                                         const CancelToken* cancel = nullptr);

// PNG bytes of an 8-bit image, deterministic (fixed compression settings).
std::string encodePng(const cv::Mat& image);

// Writes the height map as a triangle mesh (two triangles per pixel cell) with per-vertex
// normals, in millimetres: "v x y z", "vn", "f a//a b//b c//c". Opens in Blender and MeshLab.
// Vertices: rows*cols, faces: 2*(rows-1)*(cols-1). Throws IoError when it cannot be written.
void writeObj(const cv::Mat& heightMapUm, double pixelSizeUm, const std::filesystem::path& path);

// A row of other images under the renders of a contact sheet (e.g. real photos).
struct SheetRow {
    std::string caption;
    std::vector<cv::Mat> images; // BGR; shown as centre squares
};
// A labelled grid: `rows` rows of `perRow` OK renders, as many of NG renders, then `extra`
// rows for comparison. BGR, CV_8UC3.
cv::Mat contactSheet(const CgGenerator& generator, int perRow, int rows, int tileSize,
                     const std::vector<SheetRow>& extra = {});

} // namespace kizu::cg
