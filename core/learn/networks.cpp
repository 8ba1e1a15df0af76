// ResNet-18/34/50 and SqueezeNet 1.1 with torchvision's module and parameter names, so
// torchvision state dicts load by name; and reading of torch.save zip archives.
#include "core/learn/internal/torch_model.h"
#include "core/learn/archive_check.h"
#include "core/learn/augment.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/sha256.h"

#include <opencv2/imgproc.hpp>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/serialize.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace kizu::learn::detail {
namespace nn = torch::nn;
namespace {

torch::Tensor reluInPlace(torch::Tensor t)
{
    return t.relu_();
}

nn::Conv2d conv(int in, int out, int k, int stride = 1, int pad = 0, bool bias = false)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

// Folds an eval-mode BatchNorm into the convolution before it (inference copies only).
void foldBatchNorm(nn::Conv2d& c, nn::BatchNorm2d& b)
{
    torch::NoGradGuard noGrad;
    auto scale = b->weight / torch::sqrt(b->running_var + b->options.eps());
    auto bias = b->bias - b->running_mean * scale;
    if (c->bias.defined()) bias = bias + c->bias * scale;
    c->weight.set_data(c->weight * scale.view({-1, 1, 1, 1}));
    // Conv2d's forward uses its bias member; a conv made without bias has none registered, and
    // this copy is never trained or saved, so the member is set directly.
    c->bias = bias.detach().clone();
}

// conv then BatchNorm, or the conv alone once the BatchNorm was folded into it.
torch::Tensor convBn(nn::Conv2d& c, nn::BatchNorm2d& b, const torch::Tensor& x, bool fused)
{
    return fused ? c(x) : b(c(x));
}

struct BlockImpl : nn::Module {
    virtual torch::Tensor forward(torch::Tensor x) = 0;
    virtual void fuse() = 0;
    bool fused = false;
};

struct BasicBlockImpl : BlockImpl {
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, dsConv{nullptr};
    nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, dsBn{nullptr};
    nn::Sequential downsample{nullptr};
    BasicBlockImpl(int inplanes, int planes, int stride)
    {
        conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        if (stride != 1 || inplanes != planes) {
            dsConv = conv(inplanes, planes, 1, stride);
            dsBn = nn::BatchNorm2d(planes);
            downsample = register_module("downsample", nn::Sequential(dsConv, dsBn));
        }
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        auto out = reluInPlace(convBn(conv1, bn1, x, fused));
        out = convBn(conv2, bn2, out, fused);
        out += downsample ? convBn(dsConv, dsBn, x, fused) : x;
        return reluInPlace(out);
    }
    void fuse() override
    {
        foldBatchNorm(conv1, bn1);
        foldBatchNorm(conv2, bn2);
        if (downsample) foldBatchNorm(dsConv, dsBn);
        fused = true;
    }
};
TORCH_MODULE(BasicBlock);

struct BottleneckImpl : BlockImpl {
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, dsConv{nullptr};
    nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, dsBn{nullptr};
    nn::Sequential downsample{nullptr};
    BottleneckImpl(int inplanes, int planes, int stride)
    {
        conv1 = register_module("conv1", conv(inplanes, planes, 1));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1)); // stride here: v1.5
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        conv3 = register_module("conv3", conv(planes, planes * 4, 1));
        bn3 = register_module("bn3", nn::BatchNorm2d(planes * 4));
        if (stride != 1 || inplanes != planes * 4) {
            dsConv = conv(inplanes, planes * 4, 1, stride);
            dsBn = nn::BatchNorm2d(planes * 4);
            downsample = register_module("downsample", nn::Sequential(dsConv, dsBn));
        }
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        auto out = reluInPlace(convBn(conv1, bn1, x, fused));
        out = reluInPlace(convBn(conv2, bn2, out, fused));
        out = convBn(conv3, bn3, out, fused);
        out += downsample ? convBn(dsConv, dsBn, x, fused) : x;
        return reluInPlace(out);
    }
    void fuse() override
    {
        foldBatchNorm(conv1, bn1);
        foldBatchNorm(conv2, bn2);
        foldBatchNorm(conv3, bn3);
        if (downsample) foldBatchNorm(dsConv, dsBn);
        fused = true;
    }
};
TORCH_MODULE(Bottleneck);


// The defect-map head (issue 21), on the trunk's stride-16 features: a 3x3 convolution to 128
// channels and a 1x1 convolution to one defect logit per position. The image's NG logit comes
// from the map (its maximum, the mean of its top 1 %, its mean) and the head's features (mean
// and maximum over positions) through one linear layer, which starts as "the map's maximum":
// a map pretrained on CG masks is already a verdict before any real photo is seen.
struct MapHeadImpl : nn::Module {
    nn::Conv2d hidden{nullptr}, out{nullptr};
    nn::Linear decision{nullptr};
    static constexpr int kWidth = 128;
    explicit MapHeadImpl(int in)
    {
        hidden = register_module("hidden", conv(in, kWidth, 3, 1, 1, true));
        out = register_module("out", conv(kWidth, 1, 1, 1, 0, true));
        decision = register_module("decision", nn::Linear(3 + 2 * kWidth, 1));
        torch::NoGradGuard noGrad;
        nn::init::kaiming_normal_(hidden->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(hidden->bias);
        nn::init::normal_(out->weight, 0.0, 0.01);
        // A prior of about 2 % defect pixels (as for focal losses): the rare positives do not
        // have to fight a flood of confident false ones at the start.
        nn::init::constant_(out->bias, -4.0);
        nn::init::zeros_(decision->weight);
        decision->weight[0][0] = 1.0;
        nn::init::zeros_(decision->bias);
    }
    // {image NG logit [N], map logits [N, 1, h, w]}
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& features)
    {
        auto h = torch::relu(hidden(features));
        auto m = out(h);
        auto flat = m.flatten(1);
        const std::int64_t k = std::max<std::int64_t>(1, flat.size(1) / 100);
        auto top = std::get<0>(flat.topk(k, 1)).mean(1, true);
        auto pooled = torch::cat({std::get<0>(flat.max(1, true)), top, flat.mean(1, true),
                                  h.mean({2, 3}), h.amax({2, 3})},
                                 1);
        return {decision(pooled).squeeze(1), m};
    }
};
TORCH_MODULE(MapHead);

// [N] NG logits as the [N, 2] logits of an OK/NG classifier (softmax gives sigmoid(z)).
torch::Tensor twoClassLogits(const torch::Tensor& z)
{
    return torch::stack({torch::zeros_like(z), z}, 1);
}

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

struct ResNet : Net {
    nn::Conv2d conv1{nullptr};
    nn::BatchNorm2d bn1{nullptr};
    nn::MaxPool2d maxpool{nullptr};
    nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
    nn::Linear fc{nullptr};
    MapHead map{nullptr}; // defect-map networks: on layer3 (stride 16); no layer4 and fc

    ResNet(bool bottleneck, std::array<int, 4> blocks, int numClasses, bool defectMap)
    {
        const int expansion = bottleneck ? 4 : 1;
        int inplanes = 64;
        conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
        bn1 = register_module("bn1", nn::BatchNorm2d(64));
        maxpool =
            register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
        auto layer = [&](int planes, int n, int stride) {
            nn::Sequential seq;
            for (int i = 0; i < n; ++i) {
                if (bottleneck)
                    seq->push_back(Bottleneck(inplanes, planes, i == 0 ? stride : 1));
                else
                    seq->push_back(BasicBlock(inplanes, planes, i == 0 ? stride : 1));
                inplanes = planes * expansion;
            }
            return seq;
        };
        layer1 = register_module("layer1", layer(64, blocks[0], 1));
        layer2 = register_module("layer2", layer(128, blocks[1], 2));
        layer3 = register_module("layer3", layer(256, blocks[2], 2));
        if (!defectMap) {
            layer4 = register_module("layer4", layer(512, blocks[3], 2));
            fc = register_module("fc", nn::Linear(512 * expansion, numClasses));
        }

        torch::NoGradGuard noGrad;
        for (auto& m : modules(false)) {
            if (auto* c = m->as<nn::Conv2d>())
                nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
            else if (auto* b = m->as<nn::BatchNorm2d>()) {
                nn::init::ones_(b->weight);
                nn::init::zeros_(b->bias);
            }
        }
        // The map head initialises itself (after the trunk, so that the trunk's random start
        // is the classifier's).
        if (defectMap) map = register_module("map", MapHead(256 * expansion));
    }
    torch::Tensor stride16(torch::Tensor x)
    {
        x = maxpool(reluInPlace(convBn(conv1, bn1, x, fused)));
        return layer3->forward(layer2->forward(layer1->forward(x)));
    }
    std::pair<torch::Tensor, torch::Tensor> patchFeatures(torch::Tensor x) override
    {
        x = maxpool(reluInPlace(convBn(conv1, bn1, x, fused)));
        auto s8 = layer2->forward(layer1->forward(x));
        return {s8, layer3->forward(s8)};
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        if (map) return twoClassLogits(map->forward(stride16(x)).first);
        x = layer4->forward(stride16(x));
        x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        return fc(x);
    }
    std::pair<torch::Tensor, torch::Tensor> forwardMap(torch::Tensor x) override
    {
        if (!map) return Net::forwardMap(x);
        auto [z, m] = map->forward(stride16(x));
        return {twoClassLogits(z), m};
    }
    bool hasMap() const override { return bool(map); }
    torch::Tensor classMaps(torch::Tensor x) override
    {
        if (map) {
            auto m = map->forward(stride16(x)).second;
            return torch::cat({torch::zeros_like(m), m}, 1);
        }
        x = layer4->forward(stride16(x));
        const auto k = fc->weight.size(0), c = fc->weight.size(1);
        return torch::conv2d(x, fc->weight.view({k, c, 1, 1}), fc->bias);
    }
    std::vector<std::string> headNames() const override { return {"fc.weight", "fc.bias"}; }
    bool unusedTrunkKey(const std::string& key) const override
    {
        return map ? startsWith(key, "layer4.") || startsWith(key, "fc.")
                   : startsWith(key, "map.");
    }
    void fuseBatchNorm() override
    {
        foldBatchNorm(conv1, bn1);
        for (auto* layer : {&layer1, &layer2, &layer3, &layer4})
            if (*layer)
                for (auto& child : (*layer)->children())
                    std::dynamic_pointer_cast<BlockImpl>(child)->fuse();
        fused = true;
    }
    bool fused = false;
};

struct FireImpl : nn::Module {
    nn::Conv2d squeeze{nullptr}, expand1x1{nullptr}, expand3x3{nullptr};
    FireImpl(int in, int sq, int e1, int e3)
    {
        squeeze = register_module("squeeze", conv(in, sq, 1, 1, 0, true));
        expand1x1 = register_module("expand1x1", conv(sq, e1, 1, 1, 0, true));
        expand3x3 = register_module("expand3x3", conv(sq, e3, 3, 1, 1, true));
    }
    torch::Tensor forward(torch::Tensor x)
    {
        x = reluInPlace(squeeze(x));
        return torch::cat({torch::relu(expand1x1(x)), torch::relu(expand3x3(x))}, 1);
    }
};
TORCH_MODULE(Fire);

struct SqueezeNet : Net {
    nn::Sequential features{nullptr}, classifier{nullptr};
    nn::Conv2d finalConv{nullptr};
    MapHead map{nullptr}; // defect-map networks: on the features (stride 16); no classifier

    SqueezeNet(int numClasses, bool defectMap)
    {
        auto pool = [] { return nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).ceil_mode(true)); };
        auto relu = [] { return nn::ReLU(nn::ReLUOptions(true)); };
        features = register_module(
            "features", nn::Sequential(conv(3, 64, 3, 2, 0, true), relu(), pool(),
                                       Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                                       Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                                       Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                                       Fire(384, 64, 256, 256), Fire(512, 64, 256, 256)));
        finalConv = conv(512, numClasses, 1, 1, 0, true);
        // torchvision puts a ReLU on the logits. Kept for other heads (the ImageNet parity
        // check), but not on the OK/NG head: there it lets both logits die at 0 during
        // fine-tuning (seen on BSData: every score 0.5). It has no parameters, so the names of
        // the parameters (classifier.1.*) are the same either way.
        nn::Sequential head(nn::Dropout(0.5), finalConv);
        if (numClasses != 2) head->push_back(relu());
        head->push_back(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
        if (!defectMap) classifier = register_module("classifier", head);
        torch::NoGradGuard noGrad;
        for (auto& m : features->modules(false)) {
            if (auto* c = m->as<nn::Conv2d>()) {
                nn::init::kaiming_uniform_(c->weight);
                nn::init::zeros_(c->bias);
            }
        }
        nn::init::normal_(finalConv->weight, 0.0, 0.01);
        nn::init::zeros_(finalConv->bias);
        if (defectMap) map = register_module("map", MapHead(512));
    }
    std::pair<torch::Tensor, torch::Tensor> patchFeatures(torch::Tensor x) override
    {
        // features: 0-2 stem, 3-4 fire 2-3, 5 pool, 6-7 fire 4-5 (256 channels, stride 8),
        // 8 pool, 9-10 fire 6-7 (384 channels, stride 16), 11-12 fire 8-9 (512).
        auto it = features->begin();
        for (std::size_t i = 0; i <= 7; ++i)
            x = it[std::ptrdiff_t(i)].forward(x);
        auto s8 = x;
        for (std::size_t i = 8; i <= 10; ++i)
            x = it[std::ptrdiff_t(i)].forward(x);
        return {s8, x};
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        if (map) return twoClassLogits(map->forward(features->forward(x)).first);
        return classifier->forward(features->forward(x)).flatten(1);
    }
    std::pair<torch::Tensor, torch::Tensor> forwardMap(torch::Tensor x) override
    {
        if (!map) return Net::forwardMap(x);
        auto [z, m] = map->forward(features->forward(x));
        return {twoClassLogits(z), m};
    }
    bool hasMap() const override { return bool(map); }
    bool unusedTrunkKey(const std::string& key) const override
    {
        return map ? startsWith(key, "classifier.") : startsWith(key, "map.");
    }
    torch::Tensor classMaps(torch::Tensor x) override
    {
        if (map) {
            auto m = map->forward(features->forward(x)).second;
            return torch::cat({torch::zeros_like(m), m}, 1);
        }
        auto maps = finalConv->forward(features->forward(x));
        return finalConv->options.out_channels() != 2 ? torch::relu(maps) : maps;
    }
    std::vector<std::string> headNames() const override
    {
        return {"classifier.1.weight", "classifier.1.bias"};
    }
};

std::string shapeText(const torch::Tensor& t)
{
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

} // namespace

std::shared_ptr<Net> makeNet(const std::string& arch, int numClasses, bool defectMap)
{
    if (arch == "resnet18")
        return std::make_shared<ResNet>(false, std::array{2, 2, 2, 2}, numClasses, defectMap);
    if (arch == "resnet34")
        return std::make_shared<ResNet>(false, std::array{3, 4, 6, 3}, numClasses, defectMap);
    if (arch == "resnet50")
        return std::make_shared<ResNet>(true, std::array{3, 4, 6, 3}, numClasses, defectMap);
    if (arch == "squeezenet1_1") return std::make_shared<SqueezeNet>(numClasses, defectMap);
    throw InvalidArgument("Unknown model architecture '" + arch +
                          "'. Choose one of: resnet18, resnet34, resnet50, squeezenet1_1.");
}

StateDict stateDict(Net& net)
{
    StateDict out;
    for (auto& p : net.named_parameters(true))
        out[p.key()] = p.value().detach();
    for (auto& b : net.named_buffers(true))
        out[b.key()] = b.value().detach();
    return out;
}

void loadStateDict(Net& net, const StateDict& state, const std::string& what, bool skipHead)
{
    auto heads = net.headNames();
    auto isHead = [&](const std::string& k) {
        return std::find(heads.begin(), heads.end(), k) != heads.end();
    };
    auto isMapKey = [](const std::string& k) { return k.rfind("map.", 0) == 0; };
    const bool srcIsMap =
        std::any_of(state.begin(), state.end(), [&](const auto& kv) { return isMapKey(kv.first); });
    StateDict mine = stateDict(net);
    std::vector<std::string> missing, mismatched, unknown;
    for (auto& [k, v] : mine) {
        auto it = state.find(k);
        if (it == state.end()) {
            // Old BatchNorm files have no counter; it does not affect the weights.
            // (No ends_with: the fuzz build compiles core/learn as C++17, see core/CMakeLists.txt.)
            static const std::string counter = "num_batches_tracked";
            if (k.size() > counter.size() &&
                k.compare(k.size() - counter.size(), counter.size(), counter) == 0)
                continue;
            // From a defect-map network's weights a classifier takes the trunk: ResNet's layer4
            // and the head start fresh.
            const bool fresh = isHead(k) || isMapKey(k) || (srcIsMap && k.rfind("layer4.", 0) == 0);
            if (!(skipHead && fresh)) missing.push_back(k);
            continue;
        }
        if (it->second.sizes() != v.sizes()) {
            if (!(skipHead && isHead(k)))
                mismatched.push_back(k + " (file " + shapeText(it->second) + ", model " +
                                     shapeText(v) + ")");
        }
    }
    for (auto& [k, v] : state)
        if (!mine.count(k) && !(skipHead && net.unusedTrunkKey(k))) unknown.push_back(k);
    auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size() && i < 3; ++i)
            s += (i ? ", " : "") + v[i];
        if (v.size() > 3) s += ", ... (" + std::to_string(v.size()) + " in all)";
        return s;
    };
    if (!missing.empty() || !mismatched.empty() || !unknown.empty()) {
        std::string msg = what + " does not fit this model architecture";
        if (!missing.empty()) msg += "; missing: " + list(missing);
        if (!mismatched.empty()) msg += "; wrong shape: " + list(mismatched);
        if (!unknown.empty()) msg += "; unexpected: " + list(unknown);
        throw FormatError(msg + ". Check that the file was made for this architecture.");
    }
    torch::NoGradGuard noGrad;
    for (auto& [k, v] : mine) {
        auto it = state.find(k);
        if (it == state.end()) continue;
        if (it->second.sizes() != v.sizes()) continue; // a skipped head keeps its fresh init
        if (!it->second.is_floating_point() && v.is_floating_point())
            throw FormatError(what + ": tensor " + k + " is not floating point.");
        v.copy_(it->second.to(v.device(), v.scalar_type()));
    }
}

torch::IValue readArchive(const std::filesystem::path& file, const std::string& bytes)
{
    const std::string name = file.string();
    if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0) {
        if (bytes.size() >= 2 && (unsigned char)bytes[0] == 0x80)
            throw FormatError(name +
                              " is a torch.save file in the old (pre-1.6) format. Re-save it "
                              "in Python with torch.save(torch.load(f), f2) to convert it.");
        throw FormatError(name + " is not a model or weights file (no zip archive inside).");
    }
    // LibTorch trusts the sizes inside the file; refuse hostile ones before it allocates.
    checkTorchArchive(bytes, name);
    try {
        // torch::pickle_load, except that every tensor storage is made first from its zip record,
        // with the record's true size. pickle_load sizes a storage by the element count the
        // pickle declares, over a buffer of the record's size: a file that declares more reads
        // past the buffer (found by fuzz_model_file). The views are then checked against these
        // true sizes (LibTorch's set_ and checkTensorFromFile).
        std::istringstream in(bytes);
        caffe2::serialize::PyTorchStreamReader reader(&in);
        auto storages = std::make_shared<torch::jit::DeserializationStorageContext>();
        for (const auto& record : reader.getAllRecords()) {
            if (record.rfind("data/", 0) != 0) continue;
            auto [ptr, size] = reader.getRecord(record);
            storages->addStorage(record.substr(5),
                                 c10::Storage(c10::Storage::use_byte_size_t(), size,
                                              std::move(ptr), nullptr, false));
        }
        return torch::jit::readArchiveAndTensors("data", "", "", c10::nullopt, c10::nullopt,
                                                 c10::nullopt, reader,
                                                 torch::jit::Unpickler::defaultTypeParser,
                                                 storages);
    } catch (const c10::Error& e) {
        std::string why = e.what_without_backtrace();
        if (why.size() > 200) why = why.substr(0, 200) + "...";
        throw FormatError(name + " is damaged or truncated and cannot be read (" + why + ").");
    } catch (const std::exception& e) {
        throw FormatError(name + " is damaged or truncated and cannot be read (" +
                          std::string(e.what()).substr(0, 200) + ").");
    }
}

StateDict readTorchvisionFile(const std::filesystem::path& file)
{
    std::string bytes;
    {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec))
            throw IoError("Weights file " + file.string() + " does not exist.");
        bytes = readFile(file);
    }
    torch::IValue root = readArchive(file, bytes);
    if (root.isGenericDict()) {
        auto d = root.toGenericDict();
        for (const char* key : {"state_dict", "model"}) {
            auto it = d.find(torch::IValue(std::string(key)));
            if (it != d.end() && it->value().isGenericDict()) {
                root = it->value();
                break;
            }
        }
    }
    if (!root.isGenericDict())
        throw FormatError(file.string() + " is not a state dict (a dictionary of tensors).");
    StateDict out;
    for (const auto& kv : root.toGenericDict()) {
        if (!kv.key().isString()) continue;
        std::string k = kv.key().toStringRef();
        if (k.rfind("module.", 0) == 0) k = k.substr(7); // saved from DataParallel
        if (!kv.value().isTensor())
            throw FormatError(file.string() + ": entry " + k +
                              " is not a tensor; not a state dict.");
        checkTensorFromFile(kv.value().toTensor(), file.string(), k);
        out[k] = kv.value().toTensor();
    }
    if (out.empty()) throw FormatError(file.string() + " holds no tensors.");
    return out;
}

void checkTensorFromFile(const torch::Tensor& t, const std::string& what, const std::string& key)
{
    auto bad = [&](const std::string& why) {
        throw FormatError(what + ": tensor " + key + " " + why + "; the file is damaged.");
    };
    if (!t.defined()) bad("is empty");
    if (t.layout() != torch::kStrided || t.is_quantized() || t.device().type() != torch::kCPU)
        bad("is not a plain CPU tensor");
    switch (t.scalar_type()) {
    case torch::kFloat: case torch::kDouble: case torch::kHalf: case torch::kBFloat16:
    case torch::kLong: case torch::kInt: case torch::kShort: case torch::kChar: case torch::kByte:
    case torch::kBool:
        break;
    default:
        bad("has an unsupported element type");
    }
    const auto sizes = t.sizes();
    const auto strides = t.strides();
    if (sizes.size() > 8) bad("has more than 8 dimensions");
    std::int64_t numel = 1;
    std::int64_t last = t.storage_offset(); // largest element index the view reaches
    if (last < 0) bad("starts before its storage");
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] < 0 || strides[i] < 0) bad("has a negative size or stride");
        if (__builtin_mul_overflow(numel, sizes[i], &numel)) bad("is impossibly large");
    }
    if (numel == 0) return;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::int64_t reach = 0;
        if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &reach) ||
            __builtin_add_overflow(last, reach, &last))
            bad("is impossibly large");
    }
    std::int64_t need = 0;
    if (__builtin_add_overflow(last, std::int64_t(1), &need) ||
        __builtin_mul_overflow(need, std::int64_t(t.element_size()), &need))
        bad("is impossibly large");
    const auto have = static_cast<std::int64_t>(t.storage().nbytes());
    if (!t.storage().data() && have > 0) bad("has no data");
    if (need > have)
        bad("needs " + std::to_string(need) + " bytes but its storage holds " +
            std::to_string(have));
}

std::string hashState(const StateDict& state)
{
    Sha256 h;
    for (const auto& [k, v] : state) {
        auto t = v.detach().to(torch::kCPU).contiguous();
        h.update(k);
        for (auto s : t.sizes())
            h.update(&s, sizeof(s));
        auto st = std::string(c10::toString(t.scalar_type()));
        h.update(st);
        h.update(t.data_ptr(), t.numel() * t.element_size());
    }
    return h.hexDigest();
}

bool useChannelsLast()
{
    static const bool on = [] {
        const char* e = std::getenv("KIZU_CHANNELS_LAST");
        return !(e && std::string(e) == "0");
    }();
    return on;
}

void toChannelsLast(Net& net)
{
    if (!useChannelsLast()) return;
    torch::NoGradGuard noGrad;
    for (auto& p : net.parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

std::shared_ptr<Net> inferenceNet(Model::Impl& impl)
{
    std::lock_guard lock(*impl.inferenceMutex);
    if (impl.inferenceNet) return impl.inferenceNet;
    auto n = makeNet(impl.info.arch, 2, impl.info.trunkToStride16());
    loadStateDict(*n, stateDict(*impl.net), "model", false);
    n->eval();
    const char* e = std::getenv("KIZU_FUSE_BN");
    n->to(impl.device);
    if (!(e && std::string(e) == "0")) n->fuseBatchNorm();
    // An inference copy is never trained; the fast path (fast_path.cpp) traces its weights
    // into a graph as constants, which tensors that require grad cannot be.
    for (auto& p : n->parameters())
        p.set_requires_grad(false);
    // No channels-last here: at batch 1 it made SqueezeNet 1.1 inference 60% slower (100 vs
    // 61 ms at 224 px) and did not change ResNet-18; in training it gains 10-25%.
    impl.inferenceNet = n;
    return n;
}

torch::Tensor prepareInput(const torch::Tensor& x)
{
    return useChannelsLast() ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

cv::Size inputCanvas(const ModelInfo& info, cv::Size image)
{
    return info.keepAspect ? canvasFor(image, info.inputSize)
                           : cv::Size(info.inputSize, info.inputSize);
}

torch::Tensor toInputTensor(const std::vector<cv::Mat>& images, const ModelInfo& info)
{
    if (images.empty()) return torch::empty({0, 3, info.inputSize, info.inputSize});
    // One size per batch: the first image's canvas (at the input size when squashing).
    const cv::Size canvas = inputCanvas(info, images.front().size());
    const int W = canvas.width, H = canvas.height, plane = W * H;
    auto out = torch::empty({std::int64_t(images.size()), 3, H, W}, torch::kFloat32);
    float* dst = out.data_ptr<float>();
    float scale[3], shift[3];
    for (int c = 0; c < 3; ++c) {
        scale[c] = 1.0f / (255.0f * info.std[std::size_t(c)]);
        shift[c] = -info.mean[std::size_t(c)] / info.std[std::size_t(c)];
    }
    for (std::size_t i = 0; i < images.size(); ++i) {
        cv::Mat im = images[i];
        if (im.empty()) throw InvalidArgument("An empty image was given to the model.");
        if (im.channels() == 1) cv::cvtColor(im, im, cv::COLOR_GRAY2BGR);
        if (im.channels() == 4) cv::cvtColor(im, im, cv::COLOR_BGRA2BGR);
        if (im.depth() != CV_8U) throw InvalidArgument("The model takes 8-bit images.");
        if (im.size() != canvas)
            cv::resize(im, im, canvas, 0, 0,
                       im.cols > W && im.rows > H ? cv::INTER_AREA : cv::INTER_LINEAR);
        float* r = dst + i * 3 * std::size_t(plane);
        float* g = r + plane;
        float* b = g + plane;
        for (int y = 0; y < H; ++y) {
            const unsigned char* p = im.ptr<unsigned char>(y);
            for (int x = 0; x < W; ++x, p += 3) { // BGR in, RGB planes out
                *r++ = p[2] * scale[0] + shift[0];
                *g++ = p[1] * scale[1] + shift[1];
                *b++ = p[0] * scale[2] + shift[2];
            }
        }
    }
    return out;
}

} // namespace kizu::learn::detail
