// kizu-cli: the command-line face of Kizu. Thin: parses arguments, calls core, prints.
#include "app/cli/commands.h"
#include "core/common/error.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

using namespace kizu::cli;

static void printOverview()
{
    std::cout << "kizu-cli " KIZU_VERSION " - few-shot surface inspection from the command line\n\n"
                 "Usage: kizu-cli [--project DIR] COMMAND [OPTIONS]\n\nCommands:\n";
    auto cmds = commands();
    std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (const auto& c : cmds) std::printf("  %-12s %s\n", c.name.c_str(), c.summary.c_str());
    std::cout << "\nThe project folder is --project DIR, else $KIZU_PROJECT, else the current "
                 "folder.\nRun 'kizu-cli COMMAND --help' for a command's options and examples.\n";
}

int main(int argc, char** argv)
{
    std::vector<std::string> tokens(argv + 1, argv + argc);
    if (tokens.empty() || tokens[0] == "--help" || tokens[0] == "-h" || tokens[0] == "help") {
        printOverview();
        return tokens.empty() ? 2 : 0;
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
    const auto& cmds = commands();
    auto it = std::find_if(cmds.begin(), cmds.end(), [&](auto& c) { return c.name == name; });
    if (it == cmds.end()) {
        std::cerr << "kizu-cli: unknown command '" << name << "'. Run 'kizu-cli --help' for the list.\n";
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
