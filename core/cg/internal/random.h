// Deterministic random numbers for the CG generator: every image draws from its own streams,
// derived by hashing (seed, index, purpose), so image i never depends on other images, on the
// order of rendering or on the number of threads. Internal to core/cg.
#pragma once

#include "core/cg/cg_params.h"

#include <cmath>
#include <cstdint>

namespace kizu::cg {

inline std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

inline std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b)
{
    return splitmix64(a ^ splitmix64(b + 0x632BE59BD9B4E019ull));
}

// xoshiro256** seeded through splitmix64; same sequence on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed)
    {
        for (auto& s : m_s) {
            seed = splitmix64(seed);
            s = seed;
        }
    }
    Rng(std::uint64_t seed, std::uint64_t index, std::uint64_t purpose)
        : Rng(hashCombine(hashCombine(seed, index), purpose))
    {
    }

    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; } // [0, 1)
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    double uniform(const Range& r) { return uniform(r.min, r.max); }
    // A whole number in [r.min, r.max].
    int integer(const Range& r)
    {
        const auto lo = std::int64_t(std::ceil(r.min));
        const auto hi = std::int64_t(std::floor(r.max));
        if (hi <= lo) return int(lo);
        return int(lo + std::int64_t(next() % std::uint64_t(hi - lo + 1)));
    }
    bool chance(double p) { return uniform() < p; }
    double normal()
    {
        double u1 = uniform();
        double u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4];
};

} // namespace kizu::cg
