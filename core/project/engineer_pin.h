// The engineer PIN of a project (docs/station.md): in station mode an operator inspects, and
// leaving it, or changing what decides a verdict (model, threshold, labels, split, deletions),
// needs the PIN. It is kept in the project's settings as a salted PBKDF2-HMAC-SHA256 hash,
// never in clear. Whoever can write the project folder can reset it (kizu-cli project pin):
// file-system access is the trust boundary, the PIN only keeps the station's keyboard honest.
#pragma once

#include <string>

namespace kizu::project {

class ProjectStore;

inline constexpr const char* kEngineerPinKey = "engineer_pin";
inline constexpr int kPinIterations = 120'000;
inline constexpr int kPinMinLength = 4;

// PBKDF2-HMAC-SHA256 (RFC 8018) of password and salt: dkLen bytes, as lowercase hex.
std::string pbkdf2Sha256Hex(const std::string& password, const std::string& salt, int iterations,
                            int dkLen = 32);

// "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX" with a fresh random 16-byte salt. Throws
// InvalidArgument for a PIN shorter than kPinMinLength.
std::string hashPin(const std::string& pin, int iterations = kPinIterations);
// True when pin matches a hashPin string (compared in constant time); false for a malformed one.
bool verifyPin(const std::string& pin, const std::string& stored);

bool hasEngineerPin(const ProjectStore& store);
// Sets (or replaces) the PIN; the audit log records "pin" set, never the value.
void setEngineerPin(ProjectStore& store, const std::string& pin, const std::string& user = {});
// Removes the PIN: the next station session asks for a new one.
void clearEngineerPin(ProjectStore& store, const std::string& user = {});
// False when no PIN is set or the PIN is wrong.
bool checkEngineerPin(const ProjectStore& store, const std::string& pin);

} // namespace kizu::project
