// The fast CPU inference path (issue 23): a traced, frozen, oneDNN-converted graph per input
// shape. See internal/fast_path.h for why and how it falls back.
#include "core/learn/internal/fast_path.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/frozen_conv_add_relu_fusion.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>
#include <torch/csrc/jit/passes/frozen_linear_transpose.h>
#include <torch/csrc/jit/passes/frozen_ops_to_mkldnn.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>

namespace kizu::learn::detail {

namespace {

struct Compiled {
    std::shared_ptr<torch::jit::Graph> graph;
    std::unique_ptr<torch::jit::Code> code;
    std::size_t outputs = 0;
};

// Compiled graphs kept per model: a live station sees one shape; an evaluation in chunks of 32
// adds the last, shorter chunk. Each holds a prepacked copy of the weights.
constexpr std::size_t kMaxGraphs = 4;

std::string shapeKey(const std::string& kind, const torch::Tensor& x)
{
    std::ostringstream s;
    s << kind << x.sizes();
    return s.str();
}

std::shared_ptr<torch::jit::Graph> trace(const TensorFn& fn, const torch::Tensor& example)
{
    auto traced = torch::jit::tracer::trace(
        torch::jit::Stack{example},
        [&](torch::jit::Stack in) {
            torch::jit::Stack out;
            for (auto& t : fn(in.at(0).toTensor()))
                out.emplace_back(std::move(t));
            return out;
        },
        [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/false,
        /*force_outplace=*/false);
    return traced.first->graph;
}

std::shared_ptr<Compiled> compile(const TensorFn& fn, const torch::Tensor& example)
{
    auto graph = trace(fn, example);
    // What torch.jit.freeze and optimize_for_inference run on a frozen graph.
    torch::jit::ConstantPropagation(graph);
    torch::jit::OptimizeFrozenGraph(graph, /*optimize_numerics=*/true);
    torch::jit::FuseFrozenConvAddRelu(graph);
    torch::jit::ConvertFrozenOpsToMKLDNN(graph);
    torch::jit::FrozenLinearTranspose(graph);
    torch::jit::EliminateDeadCode(graph);
    auto c = std::make_shared<Compiled>();
    c->outputs = graph->outputs().size();
    c->code = std::make_unique<torch::jit::Code>(graph, "kizu_fast_inference");
    c->graph = std::move(graph);
    return c;
}

std::vector<torch::Tensor> run(const Compiled& c, const torch::Tensor& x)
{
    torch::jit::Stack stack{x};
    torch::jit::InterpreterState(*c.code).run(stack);
    std::vector<torch::Tensor> out;
    out.reserve(stack.size());
    for (auto& v : stack)
        out.push_back(v.toTensor());
    return out;
}

// Whether the fast outputs match the plain ones: same shapes, and within 1e-3 of the largest
// magnitude (float rounding in another order of summation is about 1e-6 of it).
bool same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, std::string& why)
{
    if (a.size() != b.size()) {
        why = "a different number of outputs";
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].sizes() != b[i].sizes()) {
            why = "an output of another shape";
            return false;
        }
        const double scale = 1.0 + b[i].abs().max().item<double>();
        const double diff = (a[i].to(torch::kFloat32) - b[i].to(torch::kFloat32)).abs().max().item<double>();
        if (!(diff <= 1e-3 * scale)) {
            std::ostringstream s;
            s << "its result differed from the plain path's by " << diff;
            why = s.str();
            return false;
        }
    }
    return true;
}

} // namespace

struct FastPaths {
    std::mutex mutex;
    std::shared_ptr<Net> net; // what the graphs were traced from
    torch::Tensor extra;
    std::map<std::string, std::shared_ptr<Compiled>> graphs;
    std::deque<std::string> order; // least recently compiled first
    std::string broken;            // why the fast path is off for this model, once it failed
};

bool fastPathWanted(const Model::Impl& impl)
{
    const char* e = std::getenv("KIZU_FAST_INFERENCE");
    if (e && std::string(e) == "0") return false;
    return impl.device.is_cpu();
}

std::string inferencePath(const Model::Impl& impl)
{
    auto f = impl.fast;
    if (!fastPathWanted(impl))
        return impl.device.is_cpu() ? "plain (KIZU_FAST_INFERENCE=0)" : "plain (" + impl.device.str() + ")";
    if (!f) return "fast (oneDNN graph, not used yet)";
    std::lock_guard lock(f->mutex);
    if (!f->broken.empty()) return "plain (the fast path " + f->broken + ")";
    return "fast (oneDNN graph)";
}

std::vector<torch::Tensor> runFast(Model::Impl& impl, const std::string& kind,
                                   const std::shared_ptr<Net>& net, const torch::Tensor& extra,
                                   const torch::Tensor& x, const TensorFn& fn)
{
    if (!fastPathWanted(impl) || x.scalar_type() != torch::kFloat32) return fn(x);
    std::shared_ptr<FastPaths> f;
    {
        std::lock_guard lock(*impl.inferenceMutex);
        if (!impl.fast) impl.fast = std::make_shared<FastPaths>();
        f = impl.fast;
    }
    std::shared_ptr<Compiled> c;
    {
        std::lock_guard lock(f->mutex);
        if (!f->broken.empty()) {
            return fn(x);
        }
        const auto* extraImpl = extra.defined() ? extra.unsafeGetTensorImpl() : nullptr;
        const auto* heldImpl = f->extra.defined() ? f->extra.unsafeGetTensorImpl() : nullptr;
        if (f->net != net || heldImpl != extraImpl) {
            f->graphs.clear();
            f->order.clear();
            f->net = net;
            f->extra = extra;
        }
        const auto key = shapeKey(kind, x);
        auto it = f->graphs.find(key);
        if (it != f->graphs.end()) {
            c = it->second;
        } else {
            std::string why;
            try {
                // Traced outside inference mode (the tracer records autograd-visible ops), on a
                // copy of the input that is a normal tensor.
                c10::InferenceMode off(false);
                torch::NoGradGuard noGrad;
                auto example = x.clone();
                c = compile(fn, example);
                // Checked on another input of the same shape: a trace that baked in a value
                // of this input (a data-dependent branch) would differ there.
                auto other = example.flip({3}).mul(0.5).add(0.25);
                std::vector<torch::Tensor> plain;
                {
                    c10::InferenceMode on;
                    plain = fn(other);
                }
                if (!same(run(*c, other), plain, why)) c.reset();
            } catch (const std::exception& e) {
                why = std::string("could not be built: ") + e.what();
                if (why.size() > 300) why = why.substr(0, 300) + "...";
                c.reset();
            }
            if (!c) {
                f->broken = why.empty() ? "could not be built" : why;
                f->graphs.clear();
                f->order.clear();
                    return fn(x);
            }
            f->graphs[key] = c;
            f->order.push_back(key);
            while (f->order.size() > kMaxGraphs) {
                f->graphs.erase(f->order.front());
                f->order.pop_front();
            }
        }
    }
    return run(*c, x);
}

std::vector<std::int64_t> sizesOf(const torch::jit::Value* v)
{
    auto t = v->type()->cast<c10::TensorType>();
    if (!t) return {};
    return t->sizes().concrete_sizes().value_or(std::vector<std::int64_t>{});
}

std::int64_t countMultiplyAdds(const TensorFn& fn, const torch::Tensor& x)
{
    c10::InferenceMode off(false);
    torch::NoGradGuard noGrad;
    auto graph = trace(fn, x.clone());
    std::int64_t total = 0;
    for (const auto* n : graph->nodes()) {
        const std::string kind = n->kind().toQualString();
        if (n->outputs().empty() || n->inputs().size() < 2) continue;
        const auto out = sizesOf(n->output(0));
        std::int64_t outCount = 1;
        for (auto d : out)
            outCount *= d;
        if (out.empty()) continue;
        std::int64_t perOutput = 0;
        if (kind == "aten::conv2d" || kind == "aten::_convolution" || kind == "aten::convolution") {
            const auto w = sizesOf(n->input(1)); // [out, in / groups, kh, kw]
            if (w.size() == 4) perOutput = w[1] * w[2] * w[3];
        } else if (kind == "aten::linear") {
            const auto w = sizesOf(n->input(1)); // [out, in]
            if (w.size() == 2) perOutput = w[1];
        } else if (kind == "aten::addmm") {
            const auto a = sizesOf(n->input(1)); // [m, k]
            if (a.size() == 2) perOutput = a[1];
        } else if (kind == "aten::mm" || kind == "aten::matmul" || kind == "aten::bmm") {
            const auto a = sizesOf(n->input(0));
            if (!a.empty()) perOutput = a.back();
        }
        total += outCount * perOutput;
    }
    return total;
}

} // namespace kizu::learn::detail

namespace kizu::learn {

double measurePeakMacsPerSecond(int repeats)
{
    c10::InferenceMode guard;
    // 1 x 1 convolutions are matrix products: [side^2 places x c] times [c x c]. One large
    // product (1024 channels on 64 x 64) alone understated the peak by about half (its 36 MB
    // stream from memory; ResNet-18 ran faster than that "limit"), so the best of three shapes
    // counts, two of them small enough to stay in cache like a network's layers.
    double best = 0;
    for (auto [c, side] : {std::pair<std::int64_t, std::int64_t>{1024, 64}, {256, 28}, {512, 14}}) {
        auto x = torch::rand({1, c, side, side});
        auto w = torch::rand({c, c, 1, 1}) * 0.01;
        auto wPacked = at::mkldnn_reorder_conv2d_weight(w.to_mkldnn(), {0, 0}, {1, 1}, {1, 1}, 1);
        auto xm = x.to_mkldnn();
        const double macs = double(c) * double(c) * double(side * side);
        // Small shapes run several times per timing so that the clock's resolution and the
        // call's fixed cost do not count.
        const int inner = std::max<std::int64_t>(1, std::int64_t(2e8 / macs));
        for (int i = 0; i < std::max(1, repeats) + 2; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            for (int k = 0; k < inner; ++k)
                auto y = at::mkldnn_convolution(xm, wPacked, {}, {0, 0}, {1, 1}, {1, 1}, 1);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (i >= 2 && s > 0) best = std::max(best, inner * macs / s); // two warm-up runs
        }
    }
    return best;
}

} // namespace kizu::learn
