// Training and evaluation data for the learn module: labelled image lists (from a project's
// split, ok/ and ng/ folders, or BSData's manifest.csv), few-shot draws with a seed, a hash of
// the data, and SampleSource, the one interface the trainer reads images through.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/imaging/roi.h"

namespace kizu::learn {

// Class indices of every Kizu model: 0 = OK, 1 = NG.
constexpr int kOk = 0;
constexpr int kNg = 1;

struct LabeledPath {
    std::filesystem::path path;
    int label = kOk;
    std::string group; // near-duplicates share a group (may be empty)
    // The project's region of interest: what a model sees of this image is
    // imaging::applyRoi(image, *roi). Null: the whole image.
    std::shared_ptr<const imaging::Roi> roi;
};

// Images under dir/ok and dir/ng. With a split ("train" or "test"), dir must hold a
// manifest.csv with columns path,label,group,split (the BSData layout); only that split is kept.
// Throws InvalidArgument when the folder has neither layout, IoError when unreadable.
std::vector<LabeledPath> listFolder(const std::filesystem::path& dir,
                                    const std::string& split = {});

// The labelled images of a project's split ("train", "test", or "" for all labelled ones),
// each with the project's region of interest when it has one.
std::vector<LabeledPath> listProject(const std::filesystem::path& dir, const std::string& split);

// perClass images of each class, drawn with the seed (all of a class when it has fewer).
std::vector<LabeledPath> drawShots(const std::vector<LabeledPath>& items, int perClass,
                                   std::uint64_t seed);

// Up to perClass images of each class from all that are not in train and share no group with
// an image of train (near-duplicates of a training shot would flatter the model), drawn with
// the seed. Images without a group are their own group.
std::vector<LabeledPath> heldOutImages(const std::vector<LabeledPath>& all,
                                       const std::vector<LabeledPath>& train, int perClass,
                                       std::uint64_t seed);

// sha256 over the sorted (file content hash, label) pairs: names and order do not matter.
// An image with a region of interest hashes with its region (a new region, new data).
std::string dataHash(const std::vector<LabeledPath>& items);
// The same over the images' content only, without their labels: the key of cached scores
// (a relabel changes the metrics, never what a method says about an image).
std::string imagesHash(const std::vector<LabeledPath>& items);
// Both, reading each file once.
struct DataHashes {
    std::string labeled; // dataHash()
    std::string images;  // imagesHash()
};
DataHashes hashData(const std::vector<LabeledPath>& items);

// Counts per class: {ok, ng}.
std::pair<std::int64_t, std::int64_t> classCounts(const std::vector<LabeledPath>& items);

// Decodes an image file and resizes it (squashing, INTER_AREA) to size x size, BGR 8-bit.
// Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that still covers size, which is much
// faster. Throws IoError / FormatError naming the file.
cv::Mat loadSquare(const std::filesystem::path& file, int size, const imaging::Roi* roi = nullptr);
// The item at full resolution, cut to its region of interest as loadSquare cuts it (the same
// picture, not squared): where CG defects are transplanted.
cv::Mat loadOriginal(const LabeledPath& item);
// The same for a listed image: cut to its region of interest first, when it has one.
cv::Mat loadSquare(const LabeledPath& item, int size);
// What a model with this input size sees of an item: loadSquare, or with keepAspect (native-
// aspect models, issue 21) the region at its own aspect, resized to canvasFor(its size, size).
cv::Mat loadForInput(const LabeledPath& item, int size, bool keepAspect);

struct Sample {
    cv::Mat image; // BGR 8-bit, any size (the trainer crops and resizes)
    int label = kOk;
    // Where the defect is (CV_8U, the image's size, non-zero = defect), when known: CG renders
    // come with one. Empty: unknown (a real photo; an OK one is defect-free anyway).
    cv::Mat mask = {};
};

// What the trainer draws images from. get() must be deterministic for an index and safe to call
// from one other thread (the trainer's prefetch thread) while the caller waits.
class SampleSource {
public:
    virtual ~SampleSource() = default;
    // Number of distinct samples, or 0 for an endless stream (CG renders): the trainer then
    // asks for indices 0, 1, 2, ... in order and takes the labels the stream gives.
    virtual std::int64_t size() const = 0;
    // Label of sample i without decoding it (finite sources; used for balanced sampling).
    virtual int label(std::int64_t index) const = 0;
    virtual Sample get(std::int64_t index) = 0;
    // Sample i as the camera took it (full resolution, not squared), for what must happen at
    // the photo's own scale: CG defect transplants. Empty when the source has no such image
    // (a CG stream); get(i) then stands in for it.
    virtual cv::Mat original(std::int64_t index) { return {}; }
    // Identifies the data in the model file (e.g. dataHash()).
    virtual std::string hash() const = 0;
};

// Image files, decoded once and cached at cacheSize x cacheSize (few-shot data is small).
class FileSource : public SampleSource {
public:
    // keepAspect: cached at the photo's own aspect, cacheSize the long side (native-aspect
    // defect-map training, issue 21); else squashed to cacheSize x cacheSize.
    FileSource(std::vector<LabeledPath> items, int cacheSize, std::string hash = {},
               bool keepAspect = false);
    std::int64_t size() const override { return std::int64_t(m_items.size()); }
    int label(std::int64_t index) const override { return m_items.at(std::size_t(index)).label; }
    Sample get(std::int64_t index) override;
    // Decoded again on every call (only transplants ask, once per OK photo and step).
    cv::Mat original(std::int64_t index) override;
    std::string hash() const override;
    const std::vector<LabeledPath>& items() const { return m_items; }

private:
    std::vector<LabeledPath> m_items;
    int m_cacheSize;
    bool m_keepAspect = false;
    mutable std::string m_hash;
    mutable std::mutex m_mutex;
    std::vector<cv::Mat> m_cache;
};

// An endless (or finite) stream from a function, e.g. the CG renderer: fn(index) -> sample.
class FunctionSource : public SampleSource {
public:
    using Fn = std::function<Sample(std::int64_t index)>;
    using LabelFn = std::function<int(std::int64_t index)>;
    using OriginalFn = std::function<cv::Mat(std::int64_t index)>;
    // size 0 = endless. labelFn is needed only for a finite size with balanced sampling;
    // originalFn only for transplants at the photos' own resolution.
    FunctionSource(Fn fn, std::string hash, std::int64_t size = 0, LabelFn labelFn = {},
                   OriginalFn originalFn = {});
    std::int64_t size() const override { return m_size; }
    int label(std::int64_t index) const override;
    Sample get(std::int64_t index) override { return m_fn(index); }
    cv::Mat original(std::int64_t index) override
    {
        return m_originalFn ? m_originalFn(index) : cv::Mat();
    }
    std::string hash() const override { return m_hash; }

private:
    Fn m_fn;
    OriginalFn m_originalFn;
    std::string m_hash;
    std::int64_t m_size;
    LabelFn m_labelFn;
};

} // namespace kizu::learn
