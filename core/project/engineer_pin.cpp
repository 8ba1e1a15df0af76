#include "core/project/engineer_pin.h"

#include "core/common/error.h"
#include "core/common/sha256.h"
#include "core/project/project_store.h"

#include <array>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

namespace kizu::project {
namespace {
using Digest = std::array<std::uint8_t, 32>;

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Digest finish(Sha256& h)
{
    const std::string hex = h.hexDigest();
    Digest d{};
    for (int i = 0; i < 32; ++i)
        d[i] = std::uint8_t(hexValue(hex[2 * i]) * 16 + hexValue(hex[2 * i + 1]));
    return d;
}

std::string toHex(const std::uint8_t* p, std::size_t n)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}

bool fromHex(const std::string& hex, std::string& out)
{
    if (hex.size() % 2) return false;
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int a = hexValue(hex[i]), b = hexValue(hex[i + 1]);
        if (a < 0 || b < 0) return false;
        out += char(a * 16 + b);
    }
    return true;
}

// HMAC-SHA256 with the key's inner and outer pads hashed once.
struct Hmac {
    Sha256 inner, outer;
    explicit Hmac(const std::string& key)
    {
        std::string k = key;
        if (k.size() > 64) {
            Sha256 h;
            h.update(k);
            const auto d = finish(h);
            k.assign(d.begin(), d.end());
        }
        k.resize(64, '\0');
        std::string ipad(64, '\0'), opad(64, '\0');
        for (int i = 0; i < 64; ++i) {
            ipad[i] = char(k[i] ^ 0x36);
            opad[i] = char(k[i] ^ 0x5c);
        }
        inner.update(ipad);
        outer.update(opad);
    }
    Digest mac(const void* data, std::size_t n) const
    {
        Sha256 i = inner;
        i.update(data, n);
        const auto d = finish(i);
        Sha256 o = outer;
        o.update(d.data(), d.size());
        return finish(o);
    }
};
} // namespace

std::string pbkdf2Sha256Hex(const std::string& password, const std::string& salt, int iterations,
                            int dkLen)
{
    if (iterations < 1 || dkLen < 1) throw InvalidArgument("PBKDF2 needs iterations and length >= 1");
    const Hmac hmac(password);
    std::vector<std::uint8_t> out;
    for (std::uint32_t block = 1; int(out.size()) < dkLen; ++block) {
        std::string first = salt;
        first += char(block >> 24);
        first += char(block >> 16);
        first += char(block >> 8);
        first += char(block);
        Digest u = hmac.mac(first.data(), first.size());
        Digest t = u;
        for (int i = 1; i < iterations; ++i) {
            u = hmac.mac(u.data(), u.size());
            for (int j = 0; j < 32; ++j) t[j] ^= u[j];
        }
        out.insert(out.end(), t.begin(), t.end());
    }
    return toHex(out.data(), std::size_t(dkLen));
}

std::string hashPin(const std::string& pin, int iterations)
{
    if (int(pin.size()) < kPinMinLength)
        throw InvalidArgument("The engineer PIN needs at least " + std::to_string(kPinMinLength) +
                              " characters.");
    std::random_device rd;
    std::uint8_t salt[16];
    for (auto& b : salt) b = std::uint8_t(rd());
    const std::string saltBytes(reinterpret_cast<const char*>(salt), sizeof salt);
    return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + toHex(salt, sizeof salt) + "$" +
           pbkdf2Sha256Hex(pin, saltBytes, iterations);
}

bool verifyPin(const std::string& pin, const std::string& stored)
{
    std::vector<std::string> parts;
    std::stringstream in(stored);
    for (std::string p; std::getline(in, p, '$');) parts.push_back(p);
    if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
    int iterations = 0;
    try {
        iterations = std::stoi(parts[1]);
    } catch (const std::exception&) {
        return false;
    }
    std::string salt, expect;
    if (iterations < 1 || iterations > 10'000'000 || !fromHex(parts[2], salt) ||
        !fromHex(parts[3], expect) || expect.empty())
        return false;
    std::string got;
    fromHex(pbkdf2Sha256Hex(pin, salt, iterations, int(expect.size())), got);
    unsigned char diff = 0; // constant time: every byte is compared
    for (std::size_t i = 0; i < expect.size(); ++i) diff |= std::uint8_t(got[i] ^ expect[i]);
    return diff == 0;
}

bool hasEngineerPin(const ProjectStore& store)
{
    return !store.meta(kEngineerPinKey).value_or("").empty();
}

void setEngineerPin(ProjectStore& store, const std::string& pin, const std::string& user)
{
    store.setMeta(kEngineerPinKey, hashPin(pin), user);
}

void clearEngineerPin(ProjectStore& store, const std::string& user)
{
    store.setMeta(kEngineerPinKey, "", user);
}

bool checkEngineerPin(const ProjectStore& store, const std::string& pin)
{
    const auto stored = store.meta(kEngineerPinKey);
    return stored && !stored->empty() && verifyPin(pin, *stored);
}

} // namespace kizu::project
