// kizu-cli: the command-line face of Kizu. Thin: parses arguments, calls core, prints.
#include "app/cli/commands.h"
#include "core/common/error.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <unistd.h>
#include <cstdio>
#include <iostream>

using namespace kizu::cli;

// The learning commands live in kizu-cli-learn.so (it needs LibTorch); load it on demand.
static std::string loadLearnModule()
{
    static std::string error = [] {
        namespace fs = std::filesystem;
        std::vector<fs::path> candidates;
        if (const char* env = std::getenv("KIZU_CLI_MODULE"); env && *env) candidates.emplace_back(env);
        std::error_code ec;
        fs::path exe = fs::read_symlink("/proc/self/exe", ec);
        if (!ec) {
            candidates.push_back(exe.parent_path() / "kizu-cli-learn.so");
            candidates.push_back(exe.parent_path().parent_path() / "lib/kizu/kizu-cli-learn.so");
        }
        candidates.emplace_back(KIZU_LIBDIR "/kizu-cli-learn.so");
        std::string why = "kizu-cli-learn.so not found next to kizu-cli or in " KIZU_LIBDIR;
        for (const auto& c : candidates) {
            if (!fs::exists(c, ec)) continue;
            if (dlopen(c.c_str(), RTLD_NOW | RTLD_GLOBAL)) return std::string();
            why = dlerror();
        }
        return why;
    }();
    return error;
}

static void printOverview()
{
    loadLearnModule();
    std::cout << "kizu-cli " KIZU_VERSION " - few-shot surface inspection from the command line\n\n"
                 "Usage: kizu-cli [--project DIR] COMMAND [OPTIONS]\n\nCommands:\n";
    auto cmds = commands();
    std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (const auto& c : cmds) std::printf("  %-12s %s\n", c.name.c_str(), c.summary.c_str());
    std::cout << "\nThe project folder is --project DIR, else $KIZU_PROJECT, else the current "
                 "folder.\nRun 'kizu-cli COMMAND --help' for a command's options and examples.\n";
}

// Escapes text for roff: backslashes, and leading dots or quotes.
static std::string roff(const std::string& text)
{
    std::string out;
    bool lineStart = true;
    for (char c : text) {
        if (c == '\\') out += "\\e";
        else if (lineStart && (c == '.' || c == '\'')) out += "\\&" + std::string(1, c);
        else out += c;
        lineStart = c == '\n';
    }
    return out;
}

// The man page, made from the same help texts that `--help` prints, so they never drift.
static void printManPage()
{
    loadLearnModule();
    auto cmds = commands();
    std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
    std::cout << ".TH KIZU-CLI 1 \"\" \"kizu-cli " KIZU_VERSION "\" \"Kizu\"\n"
                 ".SH NAME\nkizu-cli \\- few-shot surface inspection from the command line\n"
                 ".SH SYNOPSIS\n.B kizu-cli\n[\\fB\\-\\-project\\fR \\fIDIR\\fR] "
                 "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
                 ".SH DESCRIPTION\nThe command-line face of the Kizu inspection station: every "
                 "action of the GUI is a command. The project folder is \\fB\\-\\-project\\fR "
                 "\\fIDIR\\fR, else \\fB$KIZU_PROJECT\\fR, else the current folder.\n"
                 ".SH COMMANDS\n";
    for (const auto& c : cmds)
        std::cout << ".SS " << c.name << "\n" << roff(c.summary) << "\n.PP\n.nf\n" << roff(c.help)
                  << "\n.fi\n";
    std::cout << ".SH EXIT STATUS\n0 success, 1 an error (the message says what to do), 2 a wrong "
                 "command line, 130 interrupted.\n"
                 ".SH SEE ALSO\n.BR kizu (1)\n";
}

int main(int argc, char** argv)
{
    std::vector<std::string> tokens(argv + 1, argv + argc);
    if (tokens.empty() || tokens[0] == "--help" || tokens[0] == "-h" || tokens[0] == "help") {
        printOverview();
        return tokens.empty() ? 2 : 0;
    }
    if (tokens[0] == "--man") {
        printManPage();
        return 0;
    }
    if (tokens[0] == "--version") {
        std::cout << "kizu-cli " KIZU_VERSION "\n";
        return 0;
    }
    // Global options may stand before the command name.
    std::vector<std::string> global;
    while (!tokens.empty() && (tokens[0] == "--project" || tokens[0] == "-p") && tokens.size() > 1) {
        global.insert(global.end(), tokens.begin(), tokens.begin() + 2);
        tokens.erase(tokens.begin(), tokens.begin() + 2);
    }
    if (tokens.empty()) {
        printOverview();
        return 2;
    }
    const std::string name = tokens[0];
    tokens.erase(tokens.begin());
    tokens.insert(tokens.end(), global.begin(), global.end());
    auto find = [&] {
        const auto& cmds = commands();
        return std::find_if(cmds.begin(), cmds.end(), [&](auto& c) { return c.name == name; });
    };
    auto it = find();
    std::string moduleError;
    if (it == commands().end()) {
        moduleError = loadLearnModule();
        it = find();
    }
    if (it == commands().end()) {
        std::cerr << "kizu-cli: unknown command '" << name << "'. Run 'kizu-cli --help' for the list.\n";
        if (!moduleError.empty())
            std::cerr << "(The learning commands could not be loaded: " << moduleError << ")\n";
        return 2;
    }
    if (std::find(tokens.begin(), tokens.end(), "--help") != tokens.end() ||
        std::find(tokens.begin(), tokens.end(), "-h") != tokens.end()) {
        std::cout << it->help;
        return 0;
    }
    try {
        Args args(tokens);
        return it->run(args);
    } catch (const UsageError& e) {
        std::cerr << "kizu-cli " << name << ": " << e.message << "\n\n" << it->help;
        return 2;
    } catch (const kizu::Error& e) {
        std::cerr << "kizu-cli: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "kizu-cli: internal error: " << e.what()
                  << "\nPlease report this with the command line that caused it.\n";
        return 3;
    }
}
