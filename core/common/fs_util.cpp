#include "core/common/fs_util.h"

#include "core/common/error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace kizu {
namespace fs = std::filesystem;

namespace {
std::string errnoText() { return std::strerror(errno); }

void fsyncPath(const fs::path& p, int flags)
{
    int fd = ::open(p.c_str(), flags);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

void writeAll(int fd, const char* data, std::size_t size, const fs::path& target)
{
    while (size) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError("Cannot write " + target.string() + ": " + errnoText() +
                          ". Free some disk space or choose another folder.");
        }
        data += n;
        size -= std::size_t(n);
    }
}
} // namespace

fs::path tempSibling(const fs::path& target)
{
    // kizu-cli and its learn module each link their own copy of kizu_core, so two counters
    // can hand out the same number in one process: the thread makes the name unique anyway.
    static std::atomic<unsigned> counter{0};
    // A file name may be up to 255 bytes (NAME_MAX): keep the temporary one under that for a
    // target with a long name too (the prefix stays, so ".NAME...tmp" patterns still match).
    std::string name = target.filename().string();
    if (name.size() > 200) name.resize(200);
    return target.parent_path() / ("." + name + ".tmp" + std::to_string(::getpid()) + "_" +
                                   std::to_string(static_cast<unsigned>(::gettid())) + "_" +
                                   std::to_string(counter.fetch_add(1)));
}

void commitAtomic(const fs::path& tmp, const fs::path& target)
{
    fsyncPath(tmp, O_RDONLY);
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("Cannot write " + target.string() + ": " + ec.message() + ".");
    }
    fsyncPath(target.parent_path().empty() ? fs::path(".") : target.parent_path(),
              O_RDONLY | O_DIRECTORY);
}

void writeFileAtomic(const fs::path& target, std::string_view bytes)
{
    fs::path tmp = tempSibling(target);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw IoError("Cannot write " + target.string() + ": " + errnoText() +
                      ". Check that the folder exists and is writable.");
    try {
        writeAll(fd, bytes.data(), bytes.size(), target);
        if (::fsync(fd) != 0)
            throw IoError("Cannot write " + target.string() + ": " + errnoText() + ".");
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        ::unlink(tmp.c_str());
        throw IoError("Cannot write " + target.string() + ": " + ec.message() + ".");
    }
    fsyncPath(target.parent_path().empty() ? fs::path(".") : target.parent_path(),
              O_RDONLY | O_DIRECTORY);
}

std::string readFile(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in) throw IoError("Cannot read " + file.string() + ": " + errnoText() + ".");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw IoError("Cannot read " + file.string() + ": read error.");
    return ss.str();
}

void copyFileAtomic(const fs::path& source, const fs::path& target)
{
    writeFileAtomic(target, readFile(source));
}

fs::path pathInsideFolder(const fs::path& dir, const std::string& rel, const std::string& where)
{
    const fs::path p(rel);
    const std::string hint = ": paths in a manifest must be relative to the data folder " +
                             dir.string() + " and stay inside it (like ok/img1.jpg); fix or "
                             "remove that row.";
    if (rel.empty()) throw FormatError(where + ": the path is empty" + hint);
    if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
        throw FormatError(where + ": the absolute path '" + rel + "' is refused" + hint);
    for (const auto& part : p)
        if (part == "..")
            throw FormatError(where + ": the path '" + rel + "' leaves the folder ('..')" + hint);
    return dir / p;
}

} // namespace kizu
