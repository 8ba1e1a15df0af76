#include "app/cli/commands.h"

#include "core/common/clock.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace kizu::cli {

Args::Args(std::vector<std::string> tokens) : m_tokens(std::move(tokens)) {}

bool Args::flag(const std::string& name)
{
    bool found = false;
    for (auto it = m_tokens.begin(); it != m_tokens.end();) {
        if (*it == name) {
            it = m_tokens.erase(it);
            found = true;
        } else {
            ++it;
        }
    }
    return found;
}

std::optional<std::string> Args::value(const std::string& name)
{
    auto all = values(name);
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::string Args::value(const std::string& name, const std::string& fallback)
{
    auto v = value(name);
    return v ? *v : fallback;
}

std::vector<std::string> Args::values(const std::string& name)
{
    std::vector<std::string> out;
    const std::string prefix = name + "=";
    for (std::size_t i = 0; i < m_tokens.size();) {
        if (m_tokens[i] == name) {
            if (i + 1 >= m_tokens.size()) throw UsageError{name + " needs a value"};
            out.push_back(m_tokens[i + 1]);
            m_tokens.erase(m_tokens.begin() + long(i), m_tokens.begin() + long(i) + 2);
        } else if (m_tokens[i].rfind(prefix, 0) == 0) {
            out.push_back(m_tokens[i].substr(prefix.size()));
            m_tokens.erase(m_tokens.begin() + long(i));
        } else {
            ++i;
        }
    }
    return out;
}

std::optional<std::string> Args::valueIf(const std::string& name,
                                         const std::function<bool(const std::string&)>& accept)
{
    std::optional<std::string> out;
    const std::string prefix = name + "=";
    for (std::size_t i = 0; i < m_tokens.size();) {
        if (m_tokens[i] == name && i + 1 < m_tokens.size() && accept(m_tokens[i + 1])) {
            out = m_tokens[i + 1];
            m_tokens.erase(m_tokens.begin() + long(i), m_tokens.begin() + long(i) + 2);
        } else if (m_tokens[i].rfind(prefix, 0) == 0) {
            out = m_tokens[i].substr(prefix.size());
            m_tokens.erase(m_tokens.begin() + long(i));
        } else {
            ++i;
        }
    }
    return out;
}

std::int64_t Args::intValue(const std::string& name, std::int64_t fallback)
{
    auto v = value(name);
    if (!v) return fallback;
    try {
        std::size_t pos = 0;
        long long x = std::stoll(*v, &pos);
        if (pos != v->size()) throw std::invalid_argument("trailing");
        return x;
    } catch (const std::exception&) {
        throw UsageError{name + " needs a whole number, got '" + *v + "'"};
    }
}

double Args::doubleValue(const std::string& name, double fallback)
{
    auto v = value(name);
    if (!v) return fallback;
    try {
        std::size_t pos = 0;
        double x = std::stod(*v, &pos);
        if (pos != v->size()) throw std::invalid_argument("trailing");
        return x;
    } catch (const std::exception&) {
        throw UsageError{name + " needs a number, got '" + *v + "'"};
    }
}

std::vector<std::string> Args::positionals()
{
    std::vector<std::string> out;
    for (const auto& t : m_tokens)
        if (t.size() < 2 || t[0] != '-' || t == "-") out.push_back(t);
    return out;
}

void Args::finish()
{
    for (const auto& t : m_tokens)
        if (t.size() >= 2 && t[0] == '-' && t != "-") throw UsageError{"unknown option " + t};
}

std::string Args::takeFirst()
{
    if (m_tokens.empty()) return {};
    std::string first = m_tokens.front();
    m_tokens.erase(m_tokens.begin());
    return first;
}

static std::vector<Command>& registry()
{
    static std::vector<Command> r;
    return r;
}

const std::vector<Command>& commands() { return registry(); }

Registrar::Registrar(Command command) { registry().push_back(std::move(command)); }

namespace {
kizu::CancelToken g_interrupt;
extern "C" void kizuCliOnInterrupt(int sig)
{
    if (g_interrupt.cancelled()) std::_Exit(128 + sig); // a second Ctrl+C stops at once
    g_interrupt.cancel();
}
} // namespace

kizu::CancelToken& interruptToken()
{
    static bool installed = [] {
        std::signal(SIGINT, kizuCliOnInterrupt);
        std::signal(SIGTERM, kizuCliOnInterrupt);
        return true;
    }();
    (void)installed;
    return g_interrupt;
}

std::string projectDir(Args& args)
{
    if (auto p = args.value("--project")) return *p;
    if (auto p = args.value("-p")) return *p;
    if (const char* env = std::getenv("KIZU_PROJECT"); env && *env) return env;
    return ".";
}

StderrProgress::StderrProgress(std::string what, bool quiet)
    : m_what(std::move(what)), m_quiet(quiet)
{
}

void StderrProgress::operator()(std::int64_t done, std::int64_t total, const std::string& item)
{
    if (m_quiet) return;
    double now = monotonicSeconds();
    bool last = total > 0 && done >= total;
    bool tty = ::isatty(2);
    // A terminal gets a live line; a log file gets a line every few seconds.
    if (!last && now - m_last < (tty ? 0.2 : 5.0)) return;
    m_last = now;
    if (total > 0)
        std::fprintf(stderr, "%s%s %lld/%lld (%d%%)%s", tty ? "\r" : "", m_what.c_str(),
                     (long long)done, (long long)total, int(100 * done / total), tty ? "" : "\n");
    else
        std::fprintf(stderr, "%s%s %lld%s", tty ? "\r" : "", m_what.c_str(), (long long)done,
                     tty ? "" : "\n");
    (void)item;
    m_dirty = tty;
    std::fflush(stderr);
}

void StderrProgress::finish()
{
    if (m_dirty) std::fputc('\n', stderr);
    m_dirty = false;
}

} // namespace kizu::cli
