// ONNX export: the network rebuilt node by node from the model's weights (BatchNorm folded into
// the convolutions, as the inference copy does), written with a small protobuf encoder so that
// Kizu needs no protobuf or onnx library. Field numbers are those of onnx/onnx.proto (IR 7).
// Only operators that OpenCV 4.6's ONNX importer reads are used (checked by
// tests/core/test_learn_onnx.cpp with cv::dnn and with Python's cv2).
#include "core/learn/onnx_export.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/learn/augment.h"
#include "core/learn/internal/torch_model.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <ctime>

namespace kizu::learn {
namespace {

using detail::StateDict;

// Protobuf wire format: varints (type 0), 32-bit (type 5) and length-delimited (type 2) fields.
class Pb {
public:
    void varint(std::uint64_t v)
    {
        while (v >= 0x80) {
            m_buf += char((v & 0x7f) | 0x80);
            v >>= 7;
        }
        m_buf += char(v);
    }
    void tag(int field, int wire) { varint((std::uint64_t(field) << 3) | std::uint64_t(wire)); }
    void i64(int field, std::int64_t v)
    {
        tag(field, 0);
        varint(std::uint64_t(v));
    }
    void f32(int field, float f)
    {
        tag(field, 5);
        char b[4];
        std::memcpy(b, &f, 4); // little-endian host (x86-64, aarch64)
        m_buf.append(b, 4);
    }
    void bytes(int field, const std::string& s)
    {
        tag(field, 2);
        varint(s.size());
        m_buf += s;
    }
    void msg(int field, const Pb& m) { bytes(field, m.m_buf); }
    const std::string& str() const { return m_buf; }

private:
    std::string m_buf;
};

// onnx.proto field numbers.
namespace f {
constexpr int kModelIrVersion = 1, kModelProducerName = 2, kModelProducerVersion = 3,
              kModelDocString = 6, kModelGraph = 7, kModelOpset = 8, kModelMetadata = 14;
constexpr int kOpsetDomain = 1, kOpsetVersion = 2;
constexpr int kEntryKey = 1, kEntryValue = 2;
constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphDocString = 10,
              kGraphInput = 11, kGraphOutput = 12;
constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5;
constexpr int kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrInts = 8, kAttrType = 20;
constexpr int kAttrTypeFloat = 1, kAttrTypeInt = 2, kAttrTypeInts = 7;
constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
constexpr int kTypeFloat = 1, kTypeInt64 = 7;
constexpr int kValueName = 1, kValueType = 2;
constexpr int kTypeTensor = 1, kTensorTypeElem = 1, kTensorTypeShape = 2;
constexpr int kShapeDim = 1, kDimValue = 1, kDimParam = 2;
} // namespace f

struct Attr {
    std::string name;
    int type = f::kAttrTypeInt;
    std::int64_t i = 0;
    float fl = 0;
    std::vector<std::int64_t> ints;
};
Attr intAttr(const std::string& n, std::int64_t v)
{
    return {n, f::kAttrTypeInt, v, 0, {}};
}
Attr intsAttr(const std::string& n, std::vector<std::int64_t> v)
{
    return {n, f::kAttrTypeInts, 0, 0, std::move(v)};
}

class GraphBuilder {
public:
    // A float initializer from a tensor (copied to the CPU, contiguous).
    std::string weight(const std::string& name, const torch::Tensor& t)
    {
        auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        Pb tp;
        for (auto d : c.sizes())
            tp.i64(f::kTensorDims, d);
        tp.i64(f::kTensorDataType, f::kTypeFloat);
        tp.bytes(f::kTensorName, name);
        tp.bytes(f::kTensorRawData,
                 std::string(static_cast<const char*>(c.data_ptr()), std::size_t(c.nbytes())));
        m_graph.msg(f::kGraphInitializer, tp);
        return name;
    }
    std::string int64s(const std::string& name, const std::vector<std::int64_t>& v)
    {
        Pb tp;
        tp.i64(f::kTensorDims, std::int64_t(v.size()));
        tp.i64(f::kTensorDataType, f::kTypeInt64);
        tp.bytes(f::kTensorName, name);
        tp.bytes(f::kTensorRawData, std::string(reinterpret_cast<const char*>(v.data()),
                                                v.size() * sizeof(std::int64_t)));
        m_graph.msg(f::kGraphInitializer, tp);
        return name;
    }
    std::string scalar(const std::string& name, float v)
    {
        return weight(name, torch::full({1}, v, torch::kFloat32));
    }
    // Adds a node; returns its output's name (`out`, or a fresh name from the op type).
    std::string node(const std::string& op, const std::vector<std::string>& inputs,
                     const std::vector<Attr>& attrs = {}, std::string out = {})
    {
        if (out.empty()) out = op + "_" + std::to_string(++m_count);
        Pb n;
        for (const auto& in : inputs)
            n.bytes(f::kNodeInput, in);
        n.bytes(f::kNodeOutput, out);
        n.bytes(f::kNodeName, out);
        n.bytes(f::kNodeOpType, op);
        for (const auto& a : attrs) {
            Pb ap;
            ap.bytes(f::kAttrName, a.name);
            ap.i64(f::kAttrType, a.type);
            if (a.type == f::kAttrTypeInt) ap.i64(f::kAttrI, a.i);
            if (a.type == f::kAttrTypeFloat) ap.f32(f::kAttrF, a.fl);
            if (a.type == f::kAttrTypeInts)
                for (auto v : a.ints)
                    ap.i64(f::kAttrInts, v);
            n.msg(f::kNodeAttribute, ap);
        }
        m_graph.msg(f::kGraphNode, n);
        return out;
    }
    // A float tensor of the graph's inputs or outputs; dimension 0 is the batch ("N").
    void value(int field, const std::string& name, const std::vector<std::int64_t>& dims)
    {
        Pb shape;
        for (std::size_t i = 0; i < dims.size(); ++i) {
            Pb d;
            if (i == 0)
                d.bytes(f::kDimParam, "N");
            else
                d.i64(f::kDimValue, dims[i]);
            shape.msg(f::kShapeDim, d);
        }
        Pb tensor;
        tensor.i64(f::kTensorTypeElem, f::kTypeFloat);
        tensor.msg(f::kTensorTypeShape, shape);
        Pb type;
        type.msg(f::kTypeTensor, tensor);
        Pb vi;
        vi.bytes(f::kValueName, name);
        vi.msg(f::kValueType, type);
        m_io.msg(field, vi);
    }
    std::string graph(const std::string& name, const std::string& doc) const
    {
        Pb g;
        g.bytes(f::kGraphName, name);
        g.bytes(f::kGraphDocString, doc);
        return g.str() + m_graph.str() + m_io.str();
    }

private:
    Pb m_graph, m_io;
    int m_count = 0;
};

// The trunk and heads of networks.cpp, as ONNX nodes over the weights of its state dict.
class NetWriter {
public:
    NetWriter(GraphBuilder& g, const StateDict& s) : m_g(g), m_s(s) {}

    bool has(const std::string& key) const { return m_s.count(key) > 0; }
    const torch::Tensor& at(const std::string& key) const
    {
        auto it = m_s.find(key);
        if (it == m_s.end())
            throw FormatError("The model lacks the tensor " + key + "; it cannot be exported.");
        return it->second;
    }

    // Conv (+ the BatchNorm `bn` folded into it, when given), optionally followed by ReLU.
    std::string conv(const std::string& x, const std::string& name, const std::string& bn,
                     int stride, int pad, bool relu)
    {
        torch::NoGradGuard noGrad;
        auto w = at(name + ".weight").to(torch::kCPU, torch::kFloat32);
        torch::Tensor b = has(name + ".bias") ? at(name + ".bias").to(torch::kCPU, torch::kFloat32)
                                              : torch::zeros({w.size(0)}, torch::kFloat32);
        if (!bn.empty()) {
            // As foldBatchNorm in networks.cpp (BatchNorm2d's default eps).
            auto scale =
                at(bn + ".weight").to(torch::kCPU, torch::kFloat32) /
                torch::sqrt(at(bn + ".running_var").to(torch::kCPU, torch::kFloat32) + 1e-5);
            b = at(bn + ".bias").to(torch::kCPU, torch::kFloat32) -
                at(bn + ".running_mean").to(torch::kCPU, torch::kFloat32) * scale + b * scale;
            w = w * scale.view({-1, 1, 1, 1});
        }
        const auto k = w.size(2);
        auto out = m_g.node(
            "Conv", {x, m_g.weight(name + ".weight", w), m_g.weight(name + ".bias", b)},
            {intsAttr("kernel_shape", {k, w.size(3)}), intsAttr("strides", {stride, stride}),
             intsAttr("pads", {pad, pad, pad, pad})});
        return relu ? m_g.node("Relu", {out}) : out;
    }
    std::string maxPool(const std::string& x, int pad, bool ceil)
    {
        return m_g.node("MaxPool", {x},
                        {intsAttr("kernel_shape", {3, 3}), intsAttr("strides", {2, 2}),
                         intsAttr("pads", {pad, pad, pad, pad}), intAttr("ceil_mode", ceil)});
    }
    std::string gemm(const std::string& x, const std::string& wName, const std::string& bName)
    {
        return m_g.node("Gemm", {m_g.node("Flatten", {x}, {intAttr("axis", 1)}), wName, bName},
                        {intAttr("transB", 1)});
    }

    // ResNet's layer1-3 (stride 16) or layer1-4 (stride 32).
    std::string resnetTrunk(std::string x, int layers)
    {
        x = maxPool(conv(x, "conv1", "bn1", 2, 3, true), 1, false);
        for (int l = 1; l <= layers; ++l) {
            for (int b = 0;; ++b) {
                const std::string p = "layer" + std::to_string(l) + "." + std::to_string(b) + ".";
                if (!has(p + "conv1.weight")) break;
                const int stride = l > 1 && b == 0 ? 2 : 1;
                std::string out;
                if (has(p + "conv3.weight")) { // Bottleneck (v1.5: the stride on conv2)
                    out = conv(x, p + "conv1", p + "bn1", 1, 0, true);
                    out = conv(out, p + "conv2", p + "bn2", stride, 1, true);
                    out = conv(out, p + "conv3", p + "bn3", 1, 0, false);
                } else {
                    out = conv(x, p + "conv1", p + "bn1", stride, 1, true);
                    out = conv(out, p + "conv2", p + "bn2", 1, 1, false);
                }
                const std::string skip =
                    has(p + "downsample.0.weight")
                        ? conv(x, p + "downsample.0", p + "downsample.1", stride, 0, false)
                        : x;
                x = m_g.node("Relu", {m_g.node("Add", {out, skip})});
            }
        }
        return x;
    }

    std::string squeezenetTrunk(std::string x)
    {
        auto fire = [&](const std::string& in, int i) {
            const std::string p = "features." + std::to_string(i) + ".";
            auto s = conv(in, p + "squeeze", "", 1, 0, true);
            return m_g.node("Concat",
                            {conv(s, p + "expand1x1", "", 1, 0, true),
                             conv(s, p + "expand3x3", "", 1, 1, true)},
                            {intAttr("axis", 1)});
        };
        x = maxPool(conv(x, "features.0", "", 2, 0, true), 0, true);
        x = maxPool(fire(fire(x, 3), 4), 0, true);
        x = maxPool(fire(fire(x, 6), 7), 0, true);
        for (int i : {9, 10, 11, 12})
            x = fire(x, i);
        return x;
    }

    // MapHead: {the [N, 2] logits, the map's logits [N, 1, h, w]}. topK: the places the "top
    // 1 %" feature averages (n = h * w of them).
    std::pair<std::string, std::string> mapHead(const std::string& features, std::int64_t n,
                                                std::int64_t topK)
    {
        auto h = conv(features, "map.hidden", "", 1, 1, true);
        auto m = conv(h, "map.out", "", 1, 0, false);
        auto mx = m_g.node("GlobalMaxPool", {m});
        auto top = topK == 1 ? mx : topMean(m, n, topK);
        auto pooled = m_g.node("Concat",
                               {mx, top, m_g.node("GlobalAveragePool", {m}),
                                m_g.node("GlobalAveragePool", {h}), m_g.node("GlobalMaxPool", {h})},
                               {intAttr("axis", 1)});
        // The [N, 2] logits [0, z] of twoClassLogits as one Gemm: a zero row, then the decision.
        torch::NoGradGuard noGrad;
        auto dw = at("map.decision.weight").to(torch::kCPU, torch::kFloat32);
        auto db = at("map.decision.bias").to(torch::kCPU, torch::kFloat32);
        auto w2 = torch::cat({torch::zeros_like(dw), dw}, 0);
        auto b2 = torch::cat({torch::zeros_like(db), db}, 0);
        auto logits = gemm(pooled, m_g.weight("map.decision2.weight", w2),
                           m_g.weight("map.decision2.bias", b2));
        return {logits, m};
    }

private:
    // The mean of the k largest of the n map logits, without TopK (OpenCV 4.6 lacks it):
    // the sum of the k largest is min over t of k t + sum_i relu(x_i - t), attained at t = the
    // k-th largest, so it is enough to try every x_j as t. The pairwise differences come from a
    // 1 x 1 convolution (n copies of the row) and its transpose: n^2 values.
    std::string topMean(const std::string& m, std::int64_t n, std::int64_t k)
    {
        auto row = m_g.node("Reshape", {m, m_g.int64s("topk.row_shape", {-1, 1, 1, n})});
        auto copies = m_g.node(
            "Conv", {row, m_g.weight("topk.ones", torch::ones({n, 1, 1, 1}, torch::kFloat32))},
            {intsAttr("kernel_shape", {1, 1})}); // [N, n, 1, n]: x_i
        auto other = m_g.node("Transpose", {copies}, {intsAttr("perm", {0, 3, 2, 1})}); // x_j
        auto excess = m_g.node("Relu", {m_g.node("Sub", {copies, other})});
        auto meanExcess = m_g.node("GlobalAveragePool", {excess}); // [N, n, 1, 1]
        auto col = m_g.node("Reshape", {m, m_g.int64s("topk.col_shape", {-1, n, 1, 1})});
        auto candidate = m_g.node(
            "Add",
            {col, m_g.node("Mul", {meanExcess, m_g.scalar("topk.n_over_k", float(n) / float(k))})});
        // min_j as -max_j(-x): GlobalMaxPool over the n candidates laid out as a row.
        auto minusOne = m_g.scalar("topk.minus_one", -1.0f);
        auto negRow =
            m_g.node("Mul", {m_g.node("Reshape", {candidate, "topk.row_shape"}), minusOne});
        return m_g.node("Mul", {m_g.node("GlobalMaxPool", {negRow}), minusOne});
    }

    GraphBuilder& m_g;
    const StateDict& m_s;
};

// n^2 floats of pairwise differences for the top-1 % mean: 4096 places is 64 MiB.
constexpr std::int64_t kMaxTopKPlaces = 4096;

} // namespace

cv::Size onnxCanvas(const ModelInfo& info, const OnnxExportOptions& options)
{
    if (!info.keepAspect) return {info.inputSize, info.inputSize};
    if (options.imageSize.width < 1 || options.imageSize.height < 1)
        throw InvalidArgument(
            "This model keeps the photos' aspect ratio, and an ONNX graph has a fixed input "
            "size: give the photos' size or aspect (kizu-cli: --aspect W:H or --image FILE).");
    return canvasFor(options.imageSize, info.inputSize);
}

cv::Mat resizeForOnnx(const cv::Mat& bgrIn, cv::Size canvas)
{
    if (bgrIn.empty()) throw InvalidArgument("An empty image was given for the ONNX input.");
    cv::Mat im = bgrIn;
    if (im.channels() == 1) cv::cvtColor(im, im, cv::COLOR_GRAY2BGR);
    if (im.channels() == 4) cv::cvtColor(im, im, cv::COLOR_BGRA2BGR);
    if (im.size() == canvas) return im;
    // As toInputTensor (core/learn/networks.cpp).
    cv::Mat out;
    cv::resize(im, out, canvas, 0, 0,
               im.cols > canvas.width && im.rows > canvas.height ? cv::INTER_AREA
                                                                 : cv::INTER_LINEAR);
    return out;
}

OnnxExportInfo exportOnnx(const Model& model, const std::filesystem::path& file,
                          const OnnxExportOptions& options)
{
    const ModelInfo& info = model.info();
    if (info.anomaly())
        throw InvalidArgument("ONNX export of models made from OK photos only (PatchCore) is not "
                              "available yet: their memory search is not part of the exported "
                              "graph. Use the .kizumodel file in Kizu, or export a trained model.");
    OnnxExportInfo result;
    result.canvas = onnxCanvas(info, options);
    const auto& impl = *model.impl();
    StateDict state = detail::stateDict(*impl.net);

    // The map's size at this canvas, from the network itself (SqueezeNet's ceil-mode pools make
    // it more than a division by 16).
    std::int64_t places = 0;
    if (info.defectMap()) {
        auto net = detail::inferenceNet(const_cast<Model::Impl&>(impl));
        c10::InferenceMode guard;
        auto probe = torch::zeros({1, 3, result.canvas.height, result.canvas.width},
                                  torch::TensorOptions().device(impl.device));
        auto m = net->forwardMap(probe).second;
        result.mapSize = cv::Size(int(m.size(3)), int(m.size(2)));
        places = std::int64_t(result.mapSize.area());
        result.topK = int(std::max<std::int64_t>(1, places / 100)); // as MapHead::forward
        if (result.topK > 1 && places > kMaxTopKPlaces)
            throw InvalidArgument(
                "The defect map at a " + std::to_string(result.canvas.width) + " x " +
                std::to_string(result.canvas.height) + " input has " + std::to_string(places) +
                " places; the ONNX export computes its top-1 % mean pairwise and is limited to " +
                std::to_string(kMaxTopKPlaces) + " places (about 1024 px on the long side).");
    }

    GraphBuilder g;
    NetWriter w(g, state);
    const int H = result.canvas.height, W = result.canvas.width;
    g.value(f::kGraphInput, "image", {1, 3, H, W});

    // The station's normalisation as a 1 x 1 convolution: BGR 0-255 in, normalised RGB out.
    auto pw = torch::zeros({3, 3, 1, 1}, torch::kFloat32);
    auto pb = torch::zeros({3}, torch::kFloat32);
    for (int c = 0; c < 3; ++c) {
        const float sd = info.std[std::size_t(c)], mu = info.mean[std::size_t(c)];
        pw[c][2 - c][0][0] = 1.0f / (255.0f * sd);
        pb[c] = -mu / sd;
    }
    auto x =
        g.node("Conv", {"image", g.weight("normalize.weight", pw), g.weight("normalize.bias", pb)},
               {intsAttr("kernel_shape", {1, 1})}, "normalized");

    const bool resnet = info.arch.rfind("resnet", 0) == 0;
    std::string logits, mapLogits;
    if (info.defectMap()) {
        auto features = resnet ? w.resnetTrunk(x, 3) : w.squeezenetTrunk(x);
        std::tie(logits, mapLogits) = w.mapHead(features, places, result.topK);
    } else if (resnet) {
        auto pooled = g.node("GlobalAveragePool", {w.resnetTrunk(x, 4)});
        logits = w.gemm(pooled, g.weight("fc.weight", w.at("fc.weight")),
                        g.weight("fc.bias", w.at("fc.bias")));
    } else {
        auto maps = w.conv(w.squeezenetTrunk(x), "classifier.1", "", 1, 0, false);
        logits = g.node("Flatten", {g.node("GlobalAveragePool", {maps})}, {intAttr("axis", 1)});
    }
    g.node("Identity", {logits}, {}, "logits");
    g.node("Softmax", {"logits"}, {intAttr("axis", 1)}, "scores");
    g.value(f::kGraphOutput, "logits", {1, 2});
    g.value(f::kGraphOutput, "scores", {1, 2});
    result.outputs = {"logits", "scores"};
    if (info.defectMap()) {
        g.node("Sigmoid", {mapLogits}, {}, "defect_map");
        g.value(f::kGraphOutput, "defect_map", {1, 1, result.mapSize.height, result.mapSize.width});
        result.outputs.push_back("defect_map");
    }

    const std::string doc =
        "Kizu " + info.arch + " " + info.head +
        " model. Input 'image': float32 [N, 3, H, W], BGR, 0-255 (cv::dnn::blobFromImage of "
        "the photo resized to W x H = " +
        std::to_string(W) + " x " + std::to_string(H) +
        "; INTER_AREA when shrinking both sides, else INTER_LINEAR); the mean/std normalisation "
        "is inside the graph. Outputs: 'logits' [N, 2] (ok, ng), 'scores' = softmax(logits) "
        "(column 1 is the NG score; NG when >= threshold)" +
        (info.defectMap() ? ", 'defect_map' [N, 1, h, w] (defect probability at stride 16)" : "") +
        ".";

    nlohmann::json meta = {
        {"kizu_onnx_format", "1"},
        {"arch", info.arch},
        {"head", info.head},
        {"input_name", "image"},
        {"input_width", std::to_string(W)},
        {"input_height", std::to_string(H)},
        {"input_size", std::to_string(info.inputSize)},
        {"keep_aspect", info.keepAspect ? "true" : "false"},
        {"channel_order", "BGR"},
        {"input_range", "0-255"},
        {"resize", "to input_width x input_height: INTER_AREA when shrinking both sides, else "
                   "INTER_LINEAR" +
                       std::string(info.keepAspect ? " (the photo's canvas: aspect kept, sides "
                                                     "rounded to multiples of 16)"
                                                   : " (squashed to a square)")},
        {"normalization", "inside the graph: (value / 255 - mean) / std per RGB channel"},
        {"mean", nlohmann::json(info.mean).dump()},
        {"std", nlohmann::json(info.std).dump()},
        {"class_names", nlohmann::json(info.classNames).dump()},
        {"ng_score", "scores[:, 1]"},
        {"threshold", nlohmann::json(info.threshold).dump()},
        {"weights_sha256", model.weightsHash()},
        {"kizu_version", KIZU_VERSION},
        {"model_kizu_version", info.kizuVersion},
        {"model_created_at", info.createdAt},
        {"exported_at", utcIsoNow()},
    };
    for (const auto& [key, value] : options.metadata)
        meta[key] = value;
    if (info.defectMap()) {
        meta["defect_map_width"] = std::to_string(result.mapSize.width);
        meta["defect_map_height"] = std::to_string(result.mapSize.height);
        meta["top_k"] = std::to_string(result.topK);
    }

    Pb modelPb;
    modelPb.i64(f::kModelIrVersion, 7);
    modelPb.bytes(f::kModelProducerName, "kizu");
    modelPb.bytes(f::kModelProducerVersion, KIZU_VERSION);
    modelPb.bytes(f::kModelDocString, doc);
    {
        Pb opset;
        opset.bytes(f::kOpsetDomain, "");
        opset.i64(f::kOpsetVersion, 13);
        modelPb.msg(f::kModelOpset, opset);
    }
    for (auto it = meta.begin(); it != meta.end(); ++it) {
        Pb e;
        e.bytes(f::kEntryKey, it.key());
        e.bytes(f::kEntryValue, it.value().get<std::string>());
        modelPb.msg(f::kModelMetadata, e);
    }
    std::string bytes;
    {
        const std::string body = g.graph("kizu_" + info.arch + "_" + info.head, doc);
        bytes = modelPb.str();
        // The graph is the largest field: appended once instead of copied through a Pb.
        Pb header;
        header.tag(f::kModelGraph, 2);
        header.varint(body.size());
        bytes += header.str();
        bytes += body;
    }
    writeFileAtomic(file, bytes);
    result.bytes = std::int64_t(bytes.size());
    return result;
}

} // namespace kizu::learn
