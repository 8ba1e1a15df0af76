// CgGenerator, CgStream and renderRange: chain the stages of cg_scene.h for one index.
#include "core/cg/cg_generator.h"

#include "core/cg/internal/scene.h"
#include "core/common/error.h"

#include <opencv2/imgproc.hpp>

namespace kizu::cg {
using namespace detail;

CgGenerator::CgGenerator(CgParams params, std::uint64_t seed)
    : m_params(std::move(params)), m_seed(seed)
{
    validate(m_params);
}

bool CgGenerator::isNg(std::uint64_t index) const
{
    const bool firstIsNg = Rng(m_seed, index / 2, kLabel).next() & 1;
    return ((index & 1) == 0) == firstIsNg;
}

CgSample CgGenerator::render(std::uint64_t index) const
{
    return render(index, isNg(index));
}

CgSample CgGenerator::render(std::uint64_t index, bool ng) const
{
    const Scene s = sampleScene(m_params, m_seed, index);
    cv::Mat surface(s.n, s.n, CV_32F, cv::Scalar(0));
    grindSurface(s, m_seed, index, surface);

    CgSample out;
    out.index = index;
    out.ng = ng;
    out.pixelSizeUm = s.pixelUm * s.oversample;
    nlohmann::json defects = nlohmann::json::array();
    cv::Mat height, mask, dark;
    // An NG image must show its defect; a defect that ends up invisible (shallower than the
    // grinding marks) is drawn again from the next stream.
    for (int attempt = 0;; ++attempt) {
        Carving c{ng ? surface.clone() : surface, cv::Mat(), cv::Mat()};
        if (!ng) {
            height = c.height;
            mask = cv::Mat::zeros(s.size, s.size, CV_8U);
            break;
        }
        c.mask = cv::Mat(surface.size(), CV_8U, cv::Scalar(0));
        Rng rng(m_seed, index, kDefects + 1000 * std::uint64_t(attempt));
        defects = cutDefects(s, m_params, rng, c);
        height = c.height;
        mask = c.mask;
        dark = c.dark;
        if (s.oversample > 1) {
            cv::resize(mask, mask, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);
            cv::threshold(mask, mask, 63, 255, cv::THRESH_BINARY);
        }
        if (cv::countNonZero(mask) > 0) break;
        if (attempt >= 15)
            throw Error("The CG generator could not place a visible defect for image " +
                        std::to_string(index) +
                        ". Make the defects larger or deeper (depthUm, widthUm, radiusUm).");
    }
    addWaviness(s, m_seed, index, height);
    cv::Mat rgb = shade(s, m_seed, index, height, dark);
    out.image = develop(s, m_seed, index, rgb);
    if (s.oversample > 1)
        cv::resize(height, out.heightMap, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);
    else
        out.heightMap = height;
    out.mask = mask;
    out.sampled = sceneJson(s);
    out.sampled["generatorVersion"] = kGeneratorVersion;
    out.sampled["seed"] = m_seed;
    out.sampled["index"] = index;
    out.sampled["label"] = ng ? "ng" : "ok";
    out.sampled["defects"] = defects;
    return out;
}

std::vector<CgSample> renderRange(const CgGenerator& generator, std::uint64_t first, int count)
{
    std::vector<CgSample> out(std::size_t(std::max(0, count)));
    cv::parallel_for_(cv::Range(0, int(out.size())), [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i)
            out[std::size_t(i)] = generator.render(first + std::uint64_t(i));
    });
    return out;
}

CgStream::CgStream(CgParams params, std::uint64_t seed, std::uint64_t firstIndex)
    : m_generator(std::move(params), seed), m_next(firstIndex)
{
}

CgSample CgStream::next()
{
    return m_generator.render(m_next++);
}

std::vector<CgSample> CgStream::nextBatch(int count)
{
    auto out = renderRange(m_generator, m_next, count);
    m_next += out.size();
    return out;
}

} // namespace kizu::cg
