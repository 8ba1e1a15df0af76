// Shared by the learning commands: which images a command line names (a project's split or a
// folder with ok/ and ng/, optionally a BSData manifest.csv with a split column).
#pragma once

#include "app/cli/commands.h"
#include "core/common/error.h"
#include "core/learn/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kizu::cli {

struct DataChoice {
    std::vector<learn::LabeledPath> items;
    std::string description; // for messages, e.g. "project /p, split train"
    bool isFolder = false;
    std::string dir; // the folder or project

    // The same source's test split (for measuring after training).
    std::vector<learn::LabeledPath> testItems() const
    {
        return isFolder ? learn::listFolder(dir, "test") : learn::listProject(dir, "test");
    }
};

// Reads --data FOLDER [--split S] or the project (--project/-p, $KIZU_PROJECT, current folder)
// with --split S; defaultSplit applies when no --split is given ("" = all labelled images).
inline DataChoice chooseData(Args& args, const std::string& defaultSplit)
{
    DataChoice d;
    auto data = args.value("--data");
    auto split = args.value("--split");
    if (data) {
        std::error_code ec;
        const bool manifest =
            std::filesystem::exists(std::filesystem::path(*data) / "manifest.csv", ec);
        const std::string s = split ? *split : (manifest ? defaultSplit : std::string());
        d.items = learn::listFolder(*data, s);
        d.isFolder = true;
        d.dir = *data;
        d.description = "folder " + *data + (s.empty() ? std::string() : ", split " + s);
    } else {
        const std::string dir = projectDir(args);
        const std::string s = split ? *split : defaultSplit;
        d.dir = dir;
        d.items = learn::listProject(dir, s);
        d.description = "project " + dir + (s.empty() ? std::string() : ", split " + s);
    }
    if (d.items.empty())
        throw kizu::InvalidArgument("No labelled images found in " + d.description + ".");
    return d;
}

} // namespace kizu::cli
