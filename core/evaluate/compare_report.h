// The comparison report: one self-contained HTML file (metrics table, confusion matrices, ROC
// curves and the accuracy-against-shots chart as inline SVG, the worst errors as embedded
// JPEGs). Written by `kizu-cli compare --report` and the Compare page (which also prints it to
// PDF). Plain strings in, a string out: no torch, no Qt.
#pragma once

#include "core/evaluate/compare.h"
#include "core/experiment/experiment.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kizu::learn {

// One line of the accuracy-against-shots chart: a metric's mean over seeds per shot count.
struct ShotPoint {
    int shots = 0;
    int runs = 0; // seeds aggregated
    double mean = 0, std = 0, min = 0, max = 0;
};
struct ShotSeries {
    std::string name; // the initialisation: scratch, imagenet, cg, baseline, ...
    bool baseline = false;
    std::vector<ShotPoint> points; // ascending shots
};
// The chart's lines from kizu-cli experiment's results (core/experiment aggregates over
// seeds): one per initialisation in the study's column order, the baseline last. Throws
// InvalidArgument for an unknown metric.
std::vector<ShotSeries> shotSeries(const std::vector<experiment::RunResult>& rows,
                                   const std::string& metric = "accuracy");
// <project>/experiments/*/results.csv, sorted.
std::vector<std::filesystem::path> findExperimentResults(const std::filesystem::path& projectDir);

struct ReportMethod {
    std::string name;
    MethodMetrics metrics; // at the threshold the report is made for
    double msPerImage = 0;
};

struct ReportError {
    std::string path;
    int label = kOk;
    std::vector<int> predicted; // per method
    std::vector<float> scores;  // per method
    std::string imageUri;       // data: URI (jpegDataUri) or empty
};

struct CompareReport {
    std::string title = "Kizu comparison";
    std::string data;      // what the test set is, e.g. "project /p, split test (210 images)"
    std::string createdAt; // ISO 8601
    std::vector<ReportMethod> methods;
    std::vector<ShotSeries> shots; // may be empty
    std::vector<ReportError> errors;
    // When set, used instead of the inline SVG charts (e.g. PNG resources for a PDF).
    std::string rocImage, shotsImage;
};

// Charts as standalone SVG documents (fixed colours per method index, as on the page).
std::string rocSvg(const std::vector<ReportMethod>& methods, int width = 640, int height = 460);
std::string shotsSvg(const std::vector<ShotSeries>& series, int width = 620, int height = 380);
std::string compareReportHtml(const CompareReport& report);
// A JPEG data: URI of the image scaled down to fit maxSide.
std::string jpegDataUri(const cv::Mat& bgr, int maxSide = 220);
// The colour of method k on charts, "#rrggbb".
std::string methodColor(std::size_t k);
std::string htmlEscape(const std::string& s);

} // namespace kizu::learn
