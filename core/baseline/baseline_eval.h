// Evaluation of the classical baseline on labeled images: loading labeled folders (ok/ and
// ng/, or the BSData layout with manifest.csv and splits), running the pipeline on every
// image, and the metrics every model is reported with (accuracy, balanced accuracy, AUC).
#pragma once

#include "core/baseline/baseline.h"
#include "core/common/progress.h"

#include "core/imaging/roi.h"

#include <memory>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kizu::baseline {

struct LabeledImage {
    std::string path; // absolute or relative to the working folder
    bool ng = false;
    std::string group;
    // The project's region of interest: the baseline sees imaging::applyRoi(image, *roi).
    // Null: the whole image.
    std::shared_ptr<const imaging::Roi> roi;
    // The image as the baseline sees it (IoError / FormatError naming the file).
    cv::Mat load() const;
};

// With dir/manifest.csv (path,label,group,split): the images of `split` ("train", "test";
// empty or "all" for every image). Without a manifest: dir/ok and dir/ng (any case), where
// split must be empty or "all". Throws IoError / FormatError / InvalidArgument.
std::vector<LabeledImage> loadLabeledFolder(const std::filesystem::path& dir,
                                            const std::string& split = {});

struct Metrics {
    int tp = 0, fp = 0, tn = 0, fn = 0; // NG is the positive class
    double accuracy = 0;
    double balancedAccuracy = 0; // mean of NG recall and OK recall
    double precision = 0;        // of the NG verdicts
    double recall = 0;           // of the NG images
    double auc = 0;              // ROC AUC of the score (ties count half)
    int total() const { return tp + fp + tn + fn; }
    nlohmann::json toJson() const;
};

// Verdict NG when score >= threshold.
Metrics computeMetrics(const std::vector<bool>& ng, const std::vector<double>& score,
                       double threshold);
double rocAuc(const std::vector<bool>& ng, const std::vector<double>& score);
// The threshold with the best balanced accuracy (midway between neighbouring scores; the
// lowest such threshold on ties). Needs both classes; throws InvalidArgument otherwise.
double bestThreshold(const std::vector<bool>& ng, const std::vector<double>& score,
                     double* balancedAccuracy = nullptr);

struct EvalItem {
    std::string path;
    bool ng = false; // label
    bool verdict = false;
    double score = 0;
    bool hasBlob = false;
    Blob decidingBlob; // valid when hasBlob
    int decidingIndex = -1;
    std::string error; // set when the image could not be read; then excluded from metrics
};

struct EvalReport {
    std::vector<EvalItem> items;
    Metrics metrics;
    int failed = 0;
    bool cancelled = false;
    double seconds = 0;
};

// Runs the baseline on every image (in parallel on OpenCV's thread pool), reporting progress
// and stopping early on cancel. Unreadable images are listed, not fatal.
EvalReport evaluate(const std::vector<LabeledImage>& images, const BaselineParams& params,
                    const ProgressFn& progress = {}, const CancelToken* cancel = nullptr);

// path,label,score,verdict,blob,area,length,width,elongation,angle,contrast,x,y,error
// (blob: the deciding blob's index, its features and centre, empty when there is none)
void writeEvalCsv(const EvalReport& report, const std::filesystem::path& file);

} // namespace kizu::baseline
