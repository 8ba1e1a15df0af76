// An OK/NG classifier (ResNet-18/34/50 or SqueezeNet 1.1 with torchvision's parameter names)
// and the self-contained Kizu model file (.kizumodel) that kizu-cli and the GUI load. Torch
// stays behind the pimpl, so Qt code may include this header.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace kizu::learn {

// "resnet18", "resnet34", "resnet50", "squeezenet1_1".
const std::vector<std::string>& architectures();

// Uses all cores for LibTorch (it defaults to one here) unless threads > 0.
void setTorchThreads(int threads = 0);
// The LibTorch threads of the calling thread's own operators only (other threads keep theirs):
// the live pipeline's inference thread leaves a core to the thread that reads and decodes the
// next frame. Without OpenMP in this build it does nothing.
void setThisThreadTorchThreads(int threads);

// The machine's measured float32 multiply-add rate on the current LibTorch threads, in
// multiply-adds per second: the best of `repeats` runs of three matrix products (1 x 1
// convolutions through oneDNN: 1024 channels over 64 x 64 places, 256 over 28 x 28, 512 over
// 14 x 14). The arithmetic limit of a network's latency is its multiplyAdds() divided by this.
double measurePeakMacsPerSecond(int repeats = 10);
bool cudaAvailable();

struct ModelInfo {
    std::string arch = "squeezenet1_1";
    int inputSize = 224; // square input; images are resized (squashed) to it
    // "classifier" (an image classifier, format 1), "defect_map" (issue 21: a per-pixel
    // defect map at stride 16 and the verdict computed from it) or "anomaly" (issue 22: a
    // frozen trunk and a memory of OK patches, core/learn/patchcore.h; format 3).
    std::string head = "classifier";
    // Native aspect (issue 21): inputSize is the long side and the photo keeps its aspect
    // (canvasFor in core/learn/augment.h) instead of being squashed to a square.
    bool keepAspect = false;
    bool defectMap() const { return head == "defect_map"; }
    bool anomaly() const { return head == "anomaly"; }
    // The network is a trunk up to stride 16 (ResNet without layer4 and fc): defect-map and
    // anomaly models.
    bool trunkToStride16() const { return defectMap() || anomaly(); }
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f}; // RGB, torchvision convention
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};
    std::vector<std::string> classNames{"ok", "ng"};
    double threshold = 0.5;  // an image is NG when its NG score >= threshold
    std::string init;        // how the weights started: scratch, imagenet:FILE, cg:FILE, FILE
    std::int64_t steps = 0;  // training steps done
    std::string trainConfig; // JSON of the TrainConfig
    std::string dataHash;    // dataHash() of the training data
    std::string metrics;     // JSON: metrics measured when the model was made
    std::string thresholdRule; // JSON: how the threshold was chosen (rule, images); "" unknown
    std::string createdAt;   // ISO 8601 UTC
    std::string kizuVersion;
};

class Model {
public:
    // A new network. init: "scratch" (random, from seed), "imagenet:FILE" (torchvision
    // state dict; its 1000-class head is dropped), "cg:FILE" (Kizu's CG-pretrained model or a
    // state dict), or a Kizu model file (its weights, to continue training). Throws
    // InvalidArgument (unknown arch/init), IoError, FormatError.
    static Model create(const ModelInfo& info, const std::string& init, std::uint64_t seed);
    // Loads and verifies a Kizu model file (or a training checkpoint). A corrupted, truncated
    // or mismatched file throws FormatError naming the file and the problem.
    static Model load(const std::filesystem::path& file);
    // Writes atomically (temporary file, then rename).
    void save(const std::filesystem::path& file) const;

    const ModelInfo& info() const;
    ModelInfo& info();
    // "cpu" or "cuda"; throws InvalidArgument when CUDA is asked for but absent.
    void setDevice(const std::string& device);
    std::string device() const;
    // The inference path predict and heatmap take (issue 23): "fast (oneDNN graph)" on the CPU
    // (a frozen, oneDNN-converted graph per input shape, checked against the plain path when it
    // is built), else "plain (why)": the fast path failed or mismatched and was turned off for
    // this model, KIZU_FAST_INFERENCE=0, or a CUDA device.
    std::string inferencePath() const;
    // Multiply-adds of one inference on an image of this size (convolutions and linear layers
    // of the traced network at the model's input canvas; PatchCore's memory search included).
    std::int64_t multiplyAdds(cv::Size image) const;

    // NG scores (softmax probability of class NG) for BGR 8-bit images of any size.
    std::vector<float> predict(const std::vector<cv::Mat>& images) const;
    float predict(const cv::Mat& image) const;
    // Where the model sees NG, resized to the image (CV_32F, in [0, 1]). A defect-map model
    // gives its defect map (the probability of a defect at each place, not rescaled); a
    // classifier its class activation map of NG over OK (positive part) scaled to [0, 1], all
    // zero when nothing looks NG.
    cv::Mat heatmap(const cv::Mat& image) const;
    // A defect-map model's map at the network's resolution (stride 16 of the input canvas; the
    // probability of a defect at each place, CV_32F). Empty for a classifier.
    cv::Mat defectMap(const cv::Mat& image) const;
    // Decodes a file for this model (loadSquare at the input size) and scores it.
    float predictFile(const std::filesystem::path& file) const;

    // sha256 over parameter names, shapes and values.
    std::string weightsHash() const;
    std::int64_t parameterCount() const;

    struct Impl;
    explicit Model(std::shared_ptr<Impl> impl);
    const std::shared_ptr<Impl>& impl() const { return m; }

private:
    std::shared_ptr<Impl> m;
};

// For checking the weight import: runs our implementation of arch with the head of a torchvision
// state-dict file (e.g. 1000 ImageNet classes) on an NCHW float input; returns the logits.
std::vector<float> torchvisionLogits(const std::string& arch, const std::filesystem::path& pth,
                                     const std::vector<float>& input, int batch, int size);

} // namespace kizu::learn
