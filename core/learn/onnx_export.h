// ONNX export (issue 23): a Kizu model as a standard ONNX graph (opset 13) that OpenCV's DNN
// module and ONNX Runtime run without Kizu. The station's normalisation is inside the graph;
// the resize it applies before is described in the file's metadata. Torch-free header.
#pragma once

#include "core/learn/model.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::learn {

struct OnnxExportOptions {
    // ONNX graphs have a fixed input size. A native-aspect (keepAspect) model needs the size of
    // the photos it will see (or just their aspect, e.g. 1130 x 460): the input is then their
    // canvas, canvasFor(imageSize, inputSize). Ignored by square models.
    cv::Size imageSize;
    // More metadata_props entries (e.g. the project's region of interest).
    std::vector<std::pair<std::string, std::string>> metadata;
};

struct OnnxExportInfo {
    cv::Size canvas;  // the graph's input: [N, 3, canvas.height, canvas.width]
    cv::Size mapSize; // defect-map models: the map's size (stride 16); else empty
    int topK = 0;     // defect-map models: the places averaged for the "top 1 %" feature
    std::vector<std::string> outputs;
    std::int64_t bytes = 0;
};

// The input canvas an export with these options gets. Throws InvalidArgument for a keepAspect
// model without an image size.
cv::Size onnxCanvas(const ModelInfo& info, const OnnxExportOptions& options);

// Writes `model` to `file` as ONNX, atomically. The graph takes "image" (float32
// [N, 3, H, W], BGR channel order, values 0-255 as cv::dnn::blobFromImage gives them from the
// photo resized to the canvas) and gives "logits" [N, 2], "scores" [N, 2] (softmax; column 1 is
// the NG score Model::predict returns) and, for defect-map models, "defect_map"
// [N, 1, h, w] (the probability of a defect at each place, Model::defectMap). Throws
// InvalidArgument (no canvas for a keepAspect model, a map too large to export) or IoError
// (the file cannot be written).
OnnxExportInfo exportOnnx(const Model& model, const std::filesystem::path& file,
                          const OnnxExportOptions& options = {});

// The image resized as the station resizes it for the model's input canvas (what the graph's
// input expects before blobFromImage): INTER_AREA when shrinking both sides, else
// INTER_LINEAR. Gray and BGRA images become BGR.
cv::Mat resizeForOnnx(const cv::Mat& bgr, cv::Size canvas);

} // namespace kizu::learn
