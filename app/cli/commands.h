// kizu-cli's command registry and argument reader. Each cmd_*.cpp registers its top-level
// command with a static Registrar; main() dispatches on the first word.
#pragma once

#include "core/common/progress.h"

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kizu::cli {

// JSON text for output. File names on Linux are bytes, not necessarily UTF-8: invalid
// sequences become U+FFFD instead of failing the whole command after its work is done.
inline std::string jsonText(const nlohmann::json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Reads options lazily: a command asks for the options it knows (which consumes them) and
// then takes the positionals; finish() rejects anything left that looks like an option.
class Args {
public:
    explicit Args(std::vector<std::string> tokens);

    bool flag(const std::string& name); // --name
    std::optional<std::string> value(const std::string& name); // --name V or --name=V
    std::string value(const std::string& name, const std::string& fallback);
    std::vector<std::string> values(const std::string& name); // repeatable option
    // "--name=V", or "--name V" only when accept(V): lets a flag take an optional value
    // (e.g. `--trigger` alone and `--trigger software`).
    std::optional<std::string> valueIf(const std::string& name,
                                       const std::function<bool(const std::string&)>& accept);
    std::int64_t intValue(const std::string& name, std::int64_t fallback);
    double doubleValue(const std::string& name, double fallback);
    // Remaining tokens that are not options; call after all options were read.
    std::vector<std::string> positionals();
    // Throws a usage error if an unknown --option remains.
    void finish();
    // The first remaining token (a subcommand), removed; empty when none.
    std::string takeFirst();
    bool empty() const { return m_tokens.empty(); }

private:
    std::vector<std::string> m_tokens;
};

// Thrown for a wrong command line: printed with the command's usage, exit code 2.
struct UsageError {
    std::string message;
};

struct Command {
    std::string name;
    std::string summary; // one line for `kizu-cli --help`
    std::string help;    // full help with examples for `kizu-cli NAME --help`
    std::function<int(Args&)> run;
};

const std::vector<Command>& commands();

struct Registrar {
    explicit Registrar(Command command);
};

// A cancel token set by SIGINT/SIGTERM (Ctrl+C): long commands stop after the unit in flight.
kizu::CancelToken& interruptToken();

// The project folder: --project/-p, else $KIZU_PROJECT, else the current folder.
std::string projectDir(Args& args);

// Progress lines on stderr, throttled, ending with a newline.
class StderrProgress {
public:
    explicit StderrProgress(std::string what, bool quiet = false);
    void operator()(std::int64_t done, std::int64_t total, const std::string& item = {});
    void finish();

private:
    std::string m_what;
    bool m_quiet;
    double m_last = -1;
    bool m_dirty = false;
};

} // namespace kizu::cli
