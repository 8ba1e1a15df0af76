// Crash-safe file writes: data goes to a temporary name in the same folder, is flushed to disk
// and renamed over the target, so a reader sees either the old file or the complete new one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kizu {

// Throws IoError naming the file and the reason (e.g. disk full, read-only folder).
void writeFileAtomic(const std::filesystem::path& target, std::string_view bytes);
void copyFileAtomic(const std::filesystem::path& source, const std::filesystem::path& target);
std::string readFile(const std::filesystem::path& file);

// A unique temporary sibling name for target (pid + counter), for writers that produce a file
// with a library (cv::imwrite, torch::save) and then call commitAtomic().
std::filesystem::path tempSibling(const std::filesystem::path& target);
// fsyncs tmp, renames it to target and fsyncs the folder.
void commitAtomic(const std::filesystem::path& tmp, const std::filesystem::path& target);

// A path read from a data folder's file (a manifest row), resolved inside dir: refuses an empty
// or absolute path and any '..' component with a FormatError that names `where` (file and
// line) and the path, so no row can point outside the data folder.
std::filesystem::path pathInsideFolder(const std::filesystem::path& dir, const std::string& rel,
                                       const std::string& where);

} // namespace kizu
