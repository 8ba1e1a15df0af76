#include "core/learn/cg_source.h"

#include "core/common/sha256.h"

namespace kizu::learn {

CgSampleSource::CgSampleSource(const cg::CgParams& params, std::uint64_t seed)
    : m_generator(params, seed),
      m_hash(sha256Hex("cg:" + std::to_string(seed) + ":" + cg::paramsToJson(params).dump()))
{
}

int CgSampleSource::label(std::int64_t index) const
{
    return m_generator.isNg(std::uint64_t(index)) ? kNg : kOk;
}

Sample CgSampleSource::get(std::int64_t index)
{
    cg::CgSample s = m_generator.render(std::uint64_t(index));
    return {s.image, s.ng ? kNg : kOk, s.mask};
}

} // namespace kizu::learn
