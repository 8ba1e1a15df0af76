// Scoring a test set: which images (a project's split or a folder), and every chosen method's
// scores on them (models and the classical baseline), from the cache when the method and the
// images' hash match. The one home of this workflow: `kizu-cli compare` and the Compare page
// both call scoreTestSet, so they give the same numbers for the same inputs. No torch here.
#pragma once

#include "core/baseline/baseline.h"
#include "core/common/progress.h"
#include "core/evaluate/compare.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kizu::learn {

// The images every method is scored on, in a fixed order (the store's, or the folder's).
struct TestSet {
    std::string description; // for people: "project /p, split test", "folder /d, split test"
    std::vector<LabeledPath> items;
    std::vector<std::int64_t> imageIds; // project image ids in items' order (empty: a folder)
    std::vector<std::string> names;     // the original file names (project; may be empty)
    std::vector<int> labels;            // items' labels (kOk / kNg)
    std::string imagesHash;             // imagesHash(items): the cache key, labels left out
    std::string dataHash;               // dataHash(items): images and their labels
};

// The labelled images of a project's split: "train", "test", or "all" / "" (every labelled
// image). Throws InvalidArgument (what to do) when there is none.
TestSet projectTestSet(const std::filesystem::path& projectDir, const std::string& split);
// A folder with ok/ and ng/, or a BSData manifest.csv. split "" is the default: the test split
// when the folder has a manifest, else every image; "all" is every image. Throws as above.
TestSet folderTestSet(const std::filesystem::path& dir, const std::string& split = {});

// What to score a test set with.
struct ScoringRequest {
    std::vector<std::filesystem::path> models; // .kizumodel files
    bool baseline = false;
    baseline::BaselineParams baselineParams;
    std::filesystem::path cacheDir; // where scores are cached; empty: no cache
};

struct ScoringResult {
    std::vector<MethodScores> methods; // the models in the request's order, then the baseline
    int fromCache = 0;                 // methods whose scores came from the cache
    bool cancelled = false;            // methods finished before the cancel are cached
};

// Scores the test set with every method of the request. Progress counts images over all
// methods (a cached method counts at once); its stage is the method being scored (the model
// file's name or "baseline"), its item "cache" when the scores came from the cache. A missing
// or unreadable model file or image throws (naming it).
ScoringResult scoreTestSet(const TestSet& set, const ScoringRequest& request,
                           const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

} // namespace kizu::learn
