// SHA-256 for content addressing (image store), model file integrity and data hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace kizu {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::string hexDigest(); // finishes the hash; the object must not be updated afterwards

private:
    void block(const std::uint8_t* p);
    std::uint32_t m_h[8];
    std::uint8_t m_buf[64];
    std::size_t m_bufLen = 0;
    std::uint64_t m_total = 0;
};

std::string sha256Hex(std::string_view data);
// Throws IoError when the file cannot be read.
std::string sha256File(const std::filesystem::path& file);

} // namespace kizu
