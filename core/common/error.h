// The one error hierarchy of Kizu. Core throws these with messages written for the operator:
// what failed, which file, and what to do about it. Cancellation is not an error (see
// progress.h); callers get a result flagged as cancelled instead.
#pragma once

#include <stdexcept>
#include <string>

namespace kizu {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The caller passed something unusable: a bad parameter, an unknown name, an empty range.
class InvalidArgument : public Error {
public:
    using Error::Error;
};

// A file could not be read or written (missing, permissions, disk full).
class IoError : public Error {
public:
    using Error::Error;
};

// A file was read but its content is not what it should be (corrupt, truncated, wrong type).
class FormatError : public Error {
public:
    using Error::Error;
};

// The project store refused or failed an operation (not a project, schema too new, SQL error).
class StoreError : public Error {
public:
    using Error::Error;
};

// A camera or other device failed (disconnected, timed out, not found).
class DeviceError : public Error {
public:
    using Error::Error;
};

} // namespace kizu
