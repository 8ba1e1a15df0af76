// Evaluation of an OK/NG model: accuracy, balanced accuracy, NG precision and recall, confusion
// matrix, ROC curve and AUC, per-image scores; and the choice of the decision threshold, which
// is made on training data only and then applied unchanged to the test split.
#pragma once

#include "core/common/progress.h"
#include "core/learn/dataset.h"
#include "core/learn/model.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kizu::learn {

struct RocPoint {
    double threshold = 0;
    double fpr = 0; // OK images called NG / OK images
    double tpr = 0; // NG images called NG / NG images
};

struct Metrics {
    double threshold = 0.5;
    std::int64_t n = 0;
    std::int64_t tp = 0, fp = 0, tn = 0, fn = 0; // positive = NG
    double accuracy = 0;
    double balancedAccuracy = 0;
    double ngPrecision = 0;
    double ngRecall = 0;
    double okRecall = 0;
    double auc = 0; // NaN-free: 0.5 when one class is absent
    std::vector<RocPoint> roc;
};

// labels: kOk / kNg; scores: NG probability. An image is NG when score >= threshold.
Metrics computeMetrics(const std::vector<float>& scores, const std::vector<int>& labels,
                       double threshold);
// The threshold that maximises balanced accuracy (midpoint between neighbouring scores;
// ties go to the one nearest 0.5). 0.5 when a class is missing.
double chooseThreshold(const std::vector<float>& scores, const std::vector<int>& labels);

nlohmann::json toJson(const Metrics& m, bool withRoc = true);

struct ImageScore {
    std::string path;
    int label = kOk;
    float score = 0;
    int predicted = kOk;
};

struct EvalResult {
    Metrics metrics;
    std::vector<ImageScore> images;
    bool cancelled = false;
};

// Scores every image with the model and measures at the model's own threshold (from
// training). Unreadable images throw (naming the file).
EvalResult evaluate(const Model& model, const std::vector<LabeledPath>& items,
                    const ProgressFn& progress = {}, const CancelToken* cancel = nullptr,
                    int batch = 16);

// "path,label,score,predicted" with labels as ok/ng.
std::string scoresCsv(const std::vector<ImageScore>& images);

} // namespace kizu::learn
