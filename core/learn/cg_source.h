// Training data from the CG generator: an endless, deterministic stream of fresh labeled
// renders (no files), for pretraining on CG as the study did.
#pragma once

#include "core/cg/cg_generator.h"
#include "core/cg/cg_params.h"
#include "core/learn/dataset.h"

namespace kizu::learn {

class CgSampleSource : public SampleSource {
public:
    // Sample i is render i of (params, seed): the same index always gives the same image, so a
    // resumed run sees exactly the data an uninterrupted one would.
    CgSampleSource(const cg::CgParams& params, std::uint64_t seed);
    std::int64_t size() const override { return 0; }
    int label(std::int64_t index) const override;
    Sample get(std::int64_t index) override;
    std::string hash() const override { return m_hash; }

private:
    cg::CgGenerator m_generator;
    std::string m_hash;
};

} // namespace kizu::learn
