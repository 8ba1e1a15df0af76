// Internal to core/learn: the torch side of Model, shared by the few .cpp files that include
// torch (networks.cpp, model.cpp, trainer.cpp). Never include this from a public header.
#pragma once

#include "core/common/error.h"
#include "core/learn/model.h"

#include <map>
#include <mutex>
#include <string>

#include <torch/torch.h>

namespace kizu::learn::detail {

// A classifier network with torchvision's parameter names.
struct Net : torch::nn::Module {
    virtual torch::Tensor forward(torch::Tensor x) = 0;
    // Names of the parameters of the classification head (replaced for OK/NG).
    virtual std::vector<std::string> headNames() const = 0;
    // Folds BatchNorm into the convolutions (inference copies only: the names change).
    virtual void fuseBatchNorm() {}
    // Class activation maps: the per-class logits at every position of the last feature map,
    // [N, classes, h, w], whose spatial mean is forward()'s output (Zhou et al., CAM; for
    // networks that end in global average pooling this equals Grad-CAM).
    virtual torch::Tensor classMaps(torch::Tensor x) = 0;
    // Defect-map networks (issue 21): {the [N, 2] logits of forward(), the defect map's logits
    // [N, 1, h, w] at stride 16}. Others throw.
    virtual std::pair<torch::Tensor, torch::Tensor> forwardMap(torch::Tensor)
    {
        throw InvalidArgument("This network has no defect map.");
    }
    virtual bool hasMap() const { return false; }
    // Mid-level features for patch-memory anomaly detection (issue 22): {stride 8, stride 16}
    // (ResNet's layer2 and layer3; SqueezeNet's features up to fire 5 and fire 7).
    virtual std::pair<torch::Tensor, torch::Tensor> patchFeatures(torch::Tensor x) = 0;
    // Keys of another kind of network of the same trunk that an init may leave out: a defect-map
    // network starting from a classifier's or ImageNet's weights has no use for their head
    // (and ResNet's layer4), a classifier none for a map head.
    virtual bool unusedTrunkKey(const std::string&) const { return false; }
};

// Throws InvalidArgument for an unknown architecture. Weights are initialised like
// torchvision does, from torch's global generator (seed it first).
std::shared_ptr<Net> makeNet(const std::string& arch, int numClasses, bool defectMap = false);

using StateDict = std::map<std::string, torch::Tensor>;

StateDict stateDict(Net& net); // parameters and buffers, detached, on the net's device
// Copies tensors into the net. With skipHead (an init from another network's weights), head
// tensors of another shape are left out (a 1000-class ImageNet head), and so are the parts that
// only one of a classifier and a defect-map network has (the new ones keep their fresh init). Missing keys, unknown keys or other shape mismatches throw
// FormatError naming `what` (a file name) and the first offending keys.
void loadStateDict(Net& net, const StateDict& state, const std::string& what, bool skipHead);

// Reads a torchvision state-dict file (zip written by torch.save). Only tensors are read; no code
// from the file runs. Throws IoError / FormatError naming the file.
StateDict readTorchvisionFile(const std::filesystem::path& file);

// Reads a whole zip/pickle archive (checks the zip magic) and returns its top-level IValue.
torch::IValue readArchive(const std::filesystem::path& file, const std::string& bytes);

std::string hashState(const StateDict& state);

// Checks a tensor read from a file before anything touches its data: dense, on the CPU, a
// number type, and its sizes, strides and offset inside the bytes its storage really holds (a
// hostile pickle can declare a [1000, 1000] tensor over an 8-byte storage). Throws FormatError
// naming `what` and `key`.
void checkTensorFromFile(const torch::Tensor& t, const std::string& what, const std::string& key);

// Channels-last (NHWC) weights and inputs for training (10-25% faster here; inference stays
// NCHW, which was faster at batch 1). On unless KIZU_CHANNELS_LAST=0.
bool useChannelsLast();
void toChannelsLast(Net& net);
torch::Tensor prepareInput(const torch::Tensor& x);

// The size a model's input tensor has for an image: inputSize x inputSize, or with keepAspect
// the image's canvas (canvasFor, long side inputSize).
cv::Size inputCanvas(const ModelInfo& info, cv::Size image);
// Converts BGR 8-bit images into a normalised NCHW float tensor, each resized to the first
// image's inputCanvas (a batch has one size).
torch::Tensor toInputTensor(const std::vector<cv::Mat>& images, const ModelInfo& info);

} // namespace kizu::learn::detail

namespace kizu::learn {

namespace detail {
struct FastPaths; // core/learn/fast_path.cpp
}

struct Model::Impl {
    ModelInfo info;
    std::shared_ptr<detail::Net> net;
    torch::Device device{torch::kCPU};
    // Extra tensors a training checkpoint carries (momentum buffers), keyed "optim.<param>".
    detail::StateDict extra;
    std::string extraMeta; // JSON of checkpoint state (step, ...), empty for a plain model
    // Inference copy of net (BatchNorm folded, channels-last), made on first predict; reset it
    // whenever net's weights or device change.
    std::shared_ptr<detail::Net> inferenceNet;
    // Anomaly models (core/learn/patchcore.cpp): the memory of OK patch features [M, C], the
    // distance that maps to score 0.5 divided by ln 2 (score = 1 - exp(-distance / scale)), and
    // the fit's settings and statistics (meta "anomaly").
    torch::Tensor memory;
    double anomalyScale = 1.0;
    std::string anomalyMeta;
    std::shared_ptr<std::mutex> inferenceMutex = std::make_shared<std::mutex>();
    // The fast inference path's compiled graphs (internal/fast_path.h), made on first use.
    std::shared_ptr<detail::FastPaths> fast;
};

namespace detail {
std::shared_ptr<Net> inferenceNet(Model::Impl& impl);
// Anomaly models: each patch's distance to its nearest remembered patch, [N, h, w] at stride 8,
// for an input batch on impl.device.
torch::Tensor anomalyDistances(Model::Impl& impl, Net& net, const torch::Tensor& x);
// The map of distances as scores in [0, 1): 1 - exp(-distance / scale).
torch::Tensor anomalyScores(const Model::Impl& impl, const torch::Tensor& distances);
// Memory one image needs during inference at `canvas` (activations, and for anomaly models the
// distances to every remembered patch); checkInferenceMemory throws InvalidArgument naming the
// sizes when one image alone is above the memory budget (core/common/memory_budget.h), and
// inferenceChunk says how many images of that size one forward pass may hold: at most `most`,
// at most what the budget allows, at least one.
double inferenceBytesPerImage(const Model::Impl& m, cv::Size canvas);
void checkInferenceMemory(const Model::Impl& m, cv::Size canvas);
std::size_t inferenceChunk(const Model::Impl& m, cv::Size canvas, std::size_t most);
// Saves model (+ checkpoint extras) as a Kizu model file, atomically.
void saveModelFile(const Model::Impl& impl, const std::filesystem::path& file);
std::shared_ptr<Model::Impl> loadModelFile(const std::filesystem::path& file);
} // namespace detail

} // namespace kizu::learn
