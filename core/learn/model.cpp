// Model: creation from an init spec, the Kizu model file (save/load/verify) and inference.
//
// File format (.kizumodel): a zip archive written by torch::pickle_save (the format of
// torch.save) holding one dict: {"kizu_format": 1, "meta": JSON text, "state": {name: tensor},
// "extra": {name: tensor}}. meta carries architecture, input size, normalisation, class names,
// threshold, training configuration, data hash, metrics and "weights_sha256" over "state",
// which load() verifies. Only tensors and these known fields are read; nothing in a file runs.
#include "core/learn/internal/torch_model.h"
#include "core/learn/internal/fast_path.h"

#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/common/memory_budget.h"
#include "core/learn/dataset.h"

#include <opencv2/imgproc.hpp>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace kizu::learn {
using detail::StateDict;
using nlohmann::json;

namespace {
// 2: defect-map models (meta "head", "keep_aspect"); 3: anomaly models (meta "anomaly", the
// "memory" tensor and its "memory_sha256"). A classifier is still written as 1, so that older
// Kizu versions keep opening it.
constexpr int kFormatVersion = 3;

int formatOf(const ModelInfo& i)
{
    return i.anomaly() ? 3 : i.defectMap() ? 2 : 1;
}

std::once_flag g_threadsOnce;
bool g_threadsSet = false;

void ensureThreads()
{
    std::call_once(g_threadsOnce, [] {
        if (!g_threadsSet) setTorchThreads(0);
    });
}

json metaJson(const ModelInfo& i)
{
    auto parse = [](const std::string& s) {
        return s.empty() ? json() : json::parse(s, nullptr, false);
    };
    return json{{"arch", i.arch},
                {"input_size", i.inputSize},
                {"head", i.head},
                {"keep_aspect", i.keepAspect},
                {"mean", i.mean},
                {"std", i.std},
                {"class_names", i.classNames},
                {"threshold", i.threshold},
                {"init", i.init},
                {"steps", i.steps},
                {"train_config", parse(i.trainConfig)},
                {"data_hash", i.dataHash},
                {"metrics", parse(i.metrics)},
                {"threshold_rule", parse(i.thresholdRule)},
                {"created_at", i.createdAt},
                {"kizu_version", i.kizuVersion}};
}

ModelInfo infoFromJson(const json& j, const std::string& name)
{
    ModelInfo i;
    try {
        i.arch = j.at("arch").get<std::string>();
        i.inputSize = j.at("input_size").get<int>();
        i.head = j.value("head", std::string("classifier")); // format 1: classifiers only
        i.keepAspect = j.value("keep_aspect", false);
        i.mean = j.at("mean").get<std::array<float, 3>>();
        i.std = j.at("std").get<std::array<float, 3>>();
        i.classNames = j.at("class_names").get<std::vector<std::string>>();
        i.threshold = j.at("threshold").get<double>();
        i.init = j.value("init", "");
        i.steps = j.value("steps", std::int64_t(0));
        if (j.contains("train_config") && !j["train_config"].is_null())
            i.trainConfig = j["train_config"].dump();
        i.dataHash = j.value("data_hash", "");
        if (j.contains("metrics") && !j["metrics"].is_null()) i.metrics = j["metrics"].dump();
        if (j.contains("threshold_rule") && !j["threshold_rule"].is_null())
            i.thresholdRule = j["threshold_rule"].dump();
        i.createdAt = j.value("created_at", "");
        i.kizuVersion = j.value("kizu_version", "");
    } catch (const json::exception& e) {
        throw FormatError(name + ": the model description is incomplete or damaged (" +
                          std::string(e.what()) + ").");
    }
    const auto& archs = architectures();
    if (std::find(archs.begin(), archs.end(), i.arch) == archs.end())
        throw FormatError(name + ": unknown architecture '" + i.arch +
                          "'; the file was made by a newer Kizu or is damaged.");
    if (i.inputSize < 32 || i.inputSize > 4096)
        throw FormatError(name + ": implausible input size " + std::to_string(i.inputSize) + ".");
    if (i.head != "classifier" && i.head != "defect_map" && i.head != "anomaly")
        throw FormatError(name + ": unknown model head '" + i.head +
                          "'; the file was made by a newer Kizu or is damaged.");
    if (i.classNames.size() != 2)
        throw FormatError(name + ": a Kizu model has two classes (ok, ng), this file has " +
                          std::to_string(i.classNames.size()) + ".");
    for (float s : i.std)
        if (!(s > 0)) throw FormatError(name + ": normalisation std must be positive.");
    return i;
}

c10::Dict<std::string, torch::Tensor> toDict(const StateDict& s)
{
    c10::Dict<std::string, torch::Tensor> d;
    for (const auto& [k, v] : s)
        d.insert(k, v.detach().to(torch::kCPU).contiguous());
    return d;
}

StateDict fromDict(const torch::IValue& v, const std::string& name, const std::string& field)
{
    if (!v.isGenericDict())
        throw FormatError(name + ": '" + field + "' is not a tensor dictionary.");
    StateDict out;
    for (const auto& kv : v.toGenericDict()) {
        if (!kv.key().isString() || !kv.value().isTensor())
            throw FormatError(name + ": '" + field + "' holds something other than named tensors.");
        detail::checkTensorFromFile(kv.value().toTensor(), name, kv.key().toStringRef());
        out[kv.key().toStringRef()] = kv.value().toTensor();
    }
    return out;
}

bool isKizuArchive(const torch::IValue& root)
{
    if (!root.isGenericDict()) return false;
    auto d = root.toGenericDict();
    return d.find(torch::IValue(std::string("kizu_format"))) != d.end();
}

torch::IValue field(const torch::IValue& root, const std::string& key, const std::string& name)
{
    auto d = root.toGenericDict();
    auto it = d.find(torch::IValue(key));
    if (it == d.end())
        throw FormatError(name + ": the model file lacks its '" + key + "' part; it is damaged.");
    return it->value();
}

std::shared_ptr<Model::Impl> implFromArchive(const torch::IValue& root, const std::string& name)
{
    auto fmt = field(root, "kizu_format", name);
    if (!fmt.isInt()) throw FormatError(name + ": damaged format marker.");
    if (fmt.toInt() > kFormatVersion)
        throw FormatError(name + " was written by a newer Kizu (format " +
                          std::to_string(fmt.toInt()) + "); update Kizu to open it.");
    auto metaV = field(root, "meta", name);
    if (!metaV.isString()) throw FormatError(name + ": damaged model description.");
    json meta = json::parse(metaV.toStringRef(), nullptr, false);
    if (meta.is_discarded() || !meta.is_object())
        throw FormatError(name + ": the model description is not valid JSON; the file is damaged.");
    auto impl = std::make_shared<Model::Impl>();
    impl->info = infoFromJson(meta, name);
    StateDict state = fromDict(field(root, "state", name), name, "state");
    std::string expected = meta.value("weights_sha256", "");
    if (expected.empty() || detail::hashState(state) != expected)
        throw FormatError(name + ": the weights do not match their checksum; the file is damaged. "
                                 "Use another copy of the model.");
    impl->net = detail::makeNet(impl->info.arch, 2, impl->info.trunkToStride16());
    detail::loadStateDict(*impl->net, state, name + " (" + impl->info.arch + ")", false);
    impl->net->eval();
    if (impl->info.anomaly()) {
        auto memV = field(root, "memory", name);
        if (!memV.isTensor()) throw FormatError(name + ": the anomaly model's memory is damaged.");
        auto mem = memV.toTensor();
        detail::checkTensorFromFile(mem, name, "memory");
        if (mem.dim() != 2 || mem.size(0) < 1 || mem.scalar_type() != torch::kFloat32)
            throw FormatError(name + ": the anomaly model's memory has the wrong shape or type.");
        if (meta.value("memory_sha256", "") != detail::hashState({{"memory", mem}}))
            throw FormatError(name + ": the memory of OK patches does not match its checksum; "
                                     "the file is damaged. Use another copy of the model.");
        const json a = meta.value("anomaly", json::object());
        impl->anomalyScale = a.is_object() ? a.value("scale", 0.0) : 0.0;
        if (!(impl->anomalyScale > 0) || !std::isfinite(impl->anomalyScale))
            throw FormatError(name + ": the anomaly model's scale is missing or damaged.");
        impl->memory = mem.contiguous();
        impl->anomalyMeta = a.dump();
    }
    auto d = root.toGenericDict();
    if (auto it = d.find(torch::IValue(std::string("extra"))); it != d.end())
        impl->extra = fromDict(it->value(), name, "extra");
    if (meta.contains("checkpoint")) impl->extraMeta = meta["checkpoint"].dump();
    return impl;
}

torch::IValue readKizuOrWeights(const std::filesystem::path& file)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw IoError("Model file " + file.string() + " does not exist.");
    return detail::readArchive(file, readFile(file));
}

// The network's [N, 2] logits, through the fast path where it works (internal/fast_path.h).
torch::Tensor fastForward(Model::Impl& m, const std::shared_ptr<detail::Net>& net,
                          const torch::Tensor& x)
{
    return detail::runFast(m, "forward", net, {}, x, [&](const torch::Tensor& t) {
               return std::vector<torch::Tensor>{net->forward(t)};
           }).at(0);
}

// An anomaly model's distance map [N, h, w], the memory search included in the fast graph.
torch::Tensor anomalyDistances(Model::Impl& m, const std::shared_ptr<detail::Net>& net,
                               const torch::Tensor& x)
{
    return detail::runFast(m, "anomaly", net, m.memory, x, [&](const torch::Tensor& t) {
               return std::vector<torch::Tensor>{detail::anomalyDistances(m, *net, t)};
           }).at(0);
}

} // namespace

namespace detail {

void saveModelFile(const Model::Impl& impl, const std::filesystem::path& file)
{
    StateDict state = stateDict(*impl.net);
    json meta = metaJson(impl.info);
    meta["weights_sha256"] = hashState(state);
    if (!impl.extraMeta.empty()) meta["checkpoint"] = json::parse(impl.extraMeta);
    if (impl.info.anomaly()) {
        if (!impl.memory.defined())
            throw InvalidArgument("An anomaly model without its memory of OK patches cannot be "
                                  "saved; fit it first.");
        json a = impl.anomalyMeta.empty() ? json::object() : json::parse(impl.anomalyMeta);
        a["scale"] = impl.anomalyScale;
        meta["anomaly"] = a;
        meta["memory_sha256"] = hashState({{"memory", impl.memory}});
    }
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert(std::string("kizu_format"), std::int64_t(formatOf(impl.info)));
    root.insert(std::string("meta"), meta.dump());
    root.insert(std::string("state"), toDict(state));
    if (!impl.extra.empty()) root.insert(std::string("extra"), toDict(impl.extra));
    if (impl.info.anomaly())
        root.insert(std::string("memory"), impl.memory.detach().to(torch::kCPU).contiguous());
    std::vector<char> bytes;
    try {
        bytes = torch::pickle_save(root);
    } catch (const c10::Error& e) {
        throw IoError("Cannot serialise the model for " + file.string() + ": " +
                      e.what_without_backtrace());
    }
    writeFileAtomic(file, std::string_view(bytes.data(), bytes.size()));
}

std::shared_ptr<Model::Impl> loadModelFile(const std::filesystem::path& file)
{
    ensureThreads();
    torch::IValue root = readKizuOrWeights(file);
    if (!isKizuArchive(root))
        throw FormatError(file.string() +
                          " is not a Kizu model file (it looks like a plain weights "
                          "file; use it with --init imagenet:FILE or cg:FILE).");
    return implFromArchive(root, file.string());
}

} // namespace detail

const std::vector<std::string>& architectures()
{
    static const std::vector<std::string> a{"resnet18", "resnet34", "resnet50", "squeezenet1_1"};
    return a;
}

void setTorchThreads(int threads)
{
    g_threadsSet = true;
    int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(n);
}

void setThisThreadTorchThreads(int threads)
{
    ensureThreads();
    // LibTorch sets each thread's OpenMP thread count on that thread's first operator (from
    // the global count); do that first so it does not undo the limit, then limit this thread.
    (void)at::get_num_threads();
#ifdef _OPENMP
    omp_set_num_threads(std::max(1, threads));
#else
    (void)threads;
#endif
}

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

Model::Model(std::shared_ptr<Impl> impl) : m(std::move(impl)) {}

Model Model::create(const ModelInfo& infoIn, const std::string& init, std::uint64_t seed)
{
    ensureThreads();
    auto impl = std::make_shared<Impl>();
    impl->info = infoIn;
    impl->info.init = init;
    if (impl->info.createdAt.empty()) impl->info.createdAt = utcIsoNow();
    if (impl->info.kizuVersion.empty()) impl->info.kizuVersion = KIZU_VERSION;
    if (impl->info.inputSize < 32 || impl->info.inputSize > 4096)
        throw InvalidArgument("Input size must be between 32 and 4096 pixels.");
    if (impl->info.head != "classifier" && impl->info.head != "defect_map" &&
        impl->info.head != "anomaly")
        throw InvalidArgument("Unknown model head '" + impl->info.head +
                              "'; use classifier, defect_map or anomaly.");
    torch::manual_seed(seed);
    impl->net = detail::makeNet(impl->info.arch, 2, impl->info.trunkToStride16());

    std::string kind = "file", path = init;
    if (init == "scratch" || init.empty()) {
        kind = "scratch";
    } else if (init.rfind("imagenet:", 0) == 0) {
        kind = "imagenet";
        path = init.substr(9);
    } else if (init.rfind("cg:", 0) == 0) {
        kind = "cg";
        path = init.substr(3);
    }
    if (kind != "scratch") {
        if (path.empty())
            throw InvalidArgument("--init " + init + " needs a file name after the colon.");
        std::error_code ec;
        if (kind == "file" && !std::filesystem::exists(path, ec))
            throw InvalidArgument("Unknown initialisation '" + init +
                                  "': use scratch, imagenet:FILE, "
                                  "cg:FILE or the name of an existing Kizu model file.");
        torch::IValue root = readKizuOrWeights(path);
        if (isKizuArchive(root)) {
            if (kind == "imagenet")
                throw InvalidArgument(path +
                                      " is a Kizu model file, not torchvision ImageNet weights; "
                                      "use --init cg:FILE or --init FILE.");
            auto src = implFromArchive(root, path);
            if (src->info.arch != impl->info.arch)
                throw InvalidArgument(path + " holds a " + src->info.arch + " model, but a " +
                                      impl->info.arch + " is being trained; choose --model " +
                                      src->info.arch + ".");
            // A defect-map network may start from a classifier's trunk and the other way round.
            const bool sameHead = src->info.head == impl->info.head;
            detail::loadStateDict(*impl->net, detail::stateDict(*src->net), path, !sameHead);
        } else {
            if (kind == "file")
                throw InvalidArgument(path +
                                      " is not a Kizu model file; for torchvision weights use "
                                      "--init imagenet:" +
                                      path + ".");
            detail::loadStateDict(*impl->net, detail::readTorchvisionFile(path),
                                  path + " (" + impl->info.arch + ")", true);
        }
    }
    impl->net->eval();
    return Model(impl);
}

Model Model::load(const std::filesystem::path& file)
{
    return Model(detail::loadModelFile(file));
}

void Model::save(const std::filesystem::path& file) const
{
    Impl copy = *m;
    copy.extra.clear();
    copy.extraMeta.clear();
    detail::saveModelFile(copy, file);
}

const ModelInfo& Model::info() const
{
    return m->info;
}
ModelInfo& Model::info()
{
    return m->info;
}

void Model::setDevice(const std::string& device)
{
    if (device == "cpu") {
        m->device = torch::kCPU;
    } else if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
        if (!torch::cuda::is_available())
            throw InvalidArgument("CUDA was asked for, but this machine or this LibTorch build "
                                  "has no CUDA device; use --device cpu.");
        m->device = torch::Device(device);
    } else {
        throw InvalidArgument("Unknown device '" + device + "'; use cpu or cuda.");
    }
    m->net->to(m->device);
    m->inferenceNet.reset();
}

std::string Model::device() const
{
    return m->device.str();
}

std::string Model::inferencePath() const
{
    return detail::inferencePath(*m);
}

std::int64_t Model::multiplyAdds(cv::Size image) const
{
    if (image.width <= 0 || image.height <= 0)
        throw InvalidArgument("multiplyAdds needs an image size.");
    auto net = detail::inferenceNet(*m);
    const cv::Mat blank(image, CV_8UC3, cv::Scalar::all(128));
    auto x = detail::toInputTensor({blank}, m->info).to(m->device);
    return detail::countMultiplyAdds(
        [&](const torch::Tensor& t) {
            return std::vector<torch::Tensor>{
                m->info.anomaly() ? detail::anomalyDistances(*m, *net, t) : net->forward(t)};
        },
        x);
}

namespace detail {

double inferenceBytesPerImage(const Model::Impl& m, cv::Size canvas)
{
    // Activations: 140-151 bytes per input pixel measured with torchvision's SqueezeNet 1.1 and
    // ResNet-18 in inference mode (batch 8 at 448 px, batch 2 at 896 px, peak RSS), doubled for
    // the fast path's oneDNN buffers and the defect-map head's upsampling.
    const double pixels = double(canvas.width) * double(canvas.height);
    double bytes = 300.0 * pixels;
    if (m.info.anomaly() && m.memory.defined()) {
        // Each patch (stride 8) against every remembered patch, twice (the product and the
        // distances made from it).
        const double patches = std::ceil(canvas.width / 8.0) * std::ceil(canvas.height / 8.0);
        bytes += 2.0 * sizeof(float) * patches * double(m.memory.size(0));
    }
    return bytes;
}

void checkInferenceMemory(const Model::Impl& m, cv::Size canvas)
{
    std::string fields = "model input " + std::to_string(canvas.width) + " x " +
                         std::to_string(canvas.height) + " px";
    if (m.info.anomaly() && m.memory.defined())
        fields += " x " + std::to_string(m.memory.size(0)) + " remembered patches";
    checkMemoryBudget("Inference on one image", inferenceBytesPerImage(m, canvas), fields);
}

std::size_t inferenceChunk(const Model::Impl& m, cv::Size canvas, std::size_t most)
{
    const double one = inferenceBytesPerImage(m, canvas);
    const double fit = std::floor(double(memoryBudgetBytes()) / one);
    return std::size_t(std::clamp(fit, 1.0, double(std::max<std::size_t>(1, most))));
}

} // namespace detail

std::vector<float> Model::predict(const std::vector<cv::Mat>& images) const
{
    std::vector<float> out;
    out.reserve(images.size());
    auto net = detail::inferenceNet(*m);
    c10::InferenceMode guard;
    for (std::size_t i = 0; i < images.size();) {
        // A chunk holds images of one input size (native-aspect models: one canvas), at most
        // 32 and at most what the memory budget holds (core/common/memory_budget.h).
        std::size_t end = i + 1;
        if (!images[i].empty()) {
            const cv::Size canvas = detail::inputCanvas(m->info, images[i].size());
            detail::checkInferenceMemory(*m, canvas);
            const std::size_t chunk = detail::inferenceChunk(*m, canvas, 32);
            while (end < images.size() && end - i < chunk && !images[end].empty() &&
                   detail::inputCanvas(m->info, images[end].size()) == canvas)
                ++end;
        }
        std::vector<cv::Mat> part(images.begin() + long(i), images.begin() + long(end));
        i = end;
        auto x = detail::toInputTensor(part, m->info).to(m->device);
        auto p = m->info.anomaly()
                     ? detail::anomalyScores(*m, anomalyDistances(*m, net, x).flatten(1).amax(1))
                           .to(torch::kCPU)
                           .contiguous()
                     : torch::softmax(fastForward(*m, net, x), 1)
                           .select(1, kNg)
                           .to(torch::kCPU)
                           .contiguous();
        const float* d = p.data_ptr<float>();
        out.insert(out.end(), d, d + p.numel());
    }
    return out;
}

cv::Mat Model::heatmap(const cv::Mat& image) const
{
    if (m->info.anomaly()) {
        // The anomaly map: scores at stride 8, upsampled and smoothed (sigma 4 px of the
        // network's input, as in the reference), not rescaled: 0.5 is the OK-only threshold.
        auto net = detail::inferenceNet(*m);
        c10::InferenceMode guard;
        detail::checkInferenceMemory(*m, detail::inputCanvas(m->info, image.size()));
        auto x = detail::toInputTensor({image}, m->info).to(m->device);
        auto s = detail::anomalyScores(*m, anomalyDistances(*m, net, x))
                     .squeeze(0)
                     .to(torch::kCPU)
                     .contiguous();
        cv::Mat small(int(s.size(0)), int(s.size(1)), CV_32F, s.data_ptr<float>());
        cv::Mat out;
        cv::resize(small, out, image.size(), 0, 0, cv::INTER_LINEAR);
        const double sigma = 4.0 * double(image.cols) / double(x.size(3));
        cv::GaussianBlur(out, out, cv::Size(), sigma);
        cv::threshold(out, out, 1.0, 1.0, cv::THRESH_TRUNC);
        cv::max(out, 0.0, out);
        return out;
    }
    if (m->info.defectMap()) {
        const cv::Mat small = defectMap(image);
        cv::Mat out;
        cv::resize(small, out, image.size(), 0, 0, cv::INTER_LINEAR);
        cv::threshold(out, out, 1.0, 1.0, cv::THRESH_TRUNC);
        cv::max(out, 0.0, out);
        return out;
    }
    auto net = detail::inferenceNet(*m);
    c10::InferenceMode guard;
    detail::checkInferenceMemory(*m, detail::inputCanvas(m->info, image.size()));
    auto x = detail::toInputTensor({image}, m->info).to(m->device);
    auto maps = detail::runFast(*m, "cam", net, {}, x, [&](const torch::Tensor& t) {
                    return std::vector<torch::Tensor>{net->classMaps(t)};
                }).at(0).to(torch::kCPU);
    auto diff = (maps.select(1, kNg) - maps.select(1, kOk)).squeeze(0).clamp_min(0).contiguous();
    cv::Mat small(int(diff.size(0)), int(diff.size(1)), CV_32F, diff.data_ptr<float>());
    double mx = 0;
    cv::minMaxLoc(small, nullptr, &mx);
    cv::Mat out;
    cv::resize(small, out, image.size(), 0, 0, cv::INTER_CUBIC);
    if (mx > 0) out /= mx;
    cv::threshold(out, out, 1.0, 1.0, cv::THRESH_TRUNC);
    cv::max(out, 0.0, out);
    return out;
}

cv::Mat Model::defectMap(const cv::Mat& image) const
{
    if (!m->info.defectMap()) return {};
    auto net = detail::inferenceNet(*m);
    c10::InferenceMode guard;
    detail::checkInferenceMemory(*m, detail::inputCanvas(m->info, image.size()));
    auto x = detail::toInputTensor({image}, m->info).to(m->device);
    auto mapLogits = detail::runFast(*m, "map", net, {}, x, [&](const torch::Tensor& t) {
                         auto [logits, map] = net->forwardMap(t);
                         return std::vector<torch::Tensor>{logits, map};
                     }).at(1);
    auto p = torch::sigmoid(mapLogits).to(torch::kCPU).squeeze(0).squeeze(0).contiguous();
    return cv::Mat(int(p.size(0)), int(p.size(1)), CV_32F, p.data_ptr<float>()).clone();
}

float Model::predict(const cv::Mat& image) const
{
    return predict(std::vector<cv::Mat>{image}).at(0);
}

float Model::predictFile(const std::filesystem::path& file) const
{
    return predict(loadForInput(LabeledPath{file, kOk, {}, nullptr}, m->info.inputSize,
                                m->info.keepAspect));
}

std::string Model::weightsHash() const
{
    return detail::hashState(detail::stateDict(*m->net));
}

std::int64_t Model::parameterCount() const
{
    std::int64_t n = 0;
    for (const auto& p : m->net->parameters())
        n += p.numel();
    return n;
}

std::vector<float> torchvisionLogits(const std::string& arch, const std::filesystem::path& pth,
                                     const std::vector<float>& input, int batch, int size)
{
    ensureThreads();
    StateDict state = detail::readTorchvisionFile(pth);
    auto net = detail::makeNet(arch, 2);
    auto head = net->headNames().front();
    auto it = state.find(head);
    if (it == state.end()) throw FormatError(pth.string() + " has no " + head + " tensor.");
    net = detail::makeNet(arch, int(it->second.size(0)));
    detail::loadStateDict(*net, state, pth.string(), false);
    net->eval();
    if (input.size() != std::size_t(batch) * 3 * size * size)
        throw InvalidArgument(
            "torchvisionLogits: input size does not match batch x 3 x size x size.");
    c10::InferenceMode guard;
    auto x =
        torch::from_blob(const_cast<float*>(input.data()), {batch, 3, size, size}, torch::kFloat32);
    auto y = net->forward(x).contiguous();
    return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

} // namespace kizu::learn
