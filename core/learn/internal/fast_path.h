// Internal to core/learn: the fast CPU inference path (issue 23). Never include this from a
// public header.
//
// LibTorch's eager convolution at batch 1 falls back to im2col + the system BLAS for small
// inputs (Debian's reference BLAS here: SqueezeNet 1.1 at 224 px took 45 ms a frame). The fast
// path traces the network once per input shape into a TorchScript graph whose weights are
// constants, and runs the passes of torch.jit.freeze + optimize_for_inference on it: conv
// folding, conv + add + ReLU fusion, and the conversion of the whole chain to oneDNN with
// prepacked weights (tensors stay in oneDNN's blocked layout between layers). The first run of
// a shape is checked against the plain path on a second input (a data-dependent trace would
// differ there); a failure or a mismatch falls back to the plain path for good, with a note.
#pragma once

#include "core/learn/internal/torch_model.h"

#include <functional>
#include <string>
#include <vector>

namespace kizu::learn::detail {

using TensorFn = std::function<std::vector<torch::Tensor>(const torch::Tensor&)>;

// fn(x), through the fast path when it is on and works for this model, `kind` (one name per
// distinct fn: "forward", "map", "cam", "anomaly") and x's shape; else fn(x) itself. The
// caller holds an InferenceMode guard. `net` and `extra` are what fn's result depends on
// besides x (the inference network; an anomaly model's memory, else undefined): when either is
// another object than last time, the compiled graphs are dropped. The cache keeps both alive,
// so an address is never reused for a new network while it is compared.
std::vector<torch::Tensor> runFast(Model::Impl& impl, const std::string& kind,
                                   const std::shared_ptr<Net>& net, const torch::Tensor& extra,
                                   const torch::Tensor& x, const TensorFn& fn);

// Multiply-adds of fn(x) as traced: convolutions and linear layers (and matrix products).
std::int64_t countMultiplyAdds(const TensorFn& fn, const torch::Tensor& x);

// On unless KIZU_FAST_INFERENCE=0, and only on the CPU (CUDA keeps the plain path).
bool fastPathWanted(const Model::Impl& impl);

// What the model's inference ran on so far: "fast" (oneDNN graph), "plain", or "plain (...
// why the fast path was not used)".
std::string inferencePath(const Model::Impl& impl);

} // namespace kizu::learn::detail
