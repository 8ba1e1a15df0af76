// What live inspection asks of a method: a verdict and a score for one frame. The deep model
// (core/learn) and the classical baseline (core/baseline) both implement it, so the pipeline,
// the CLI and the Inspect page treat them alike.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace kizu::inspect {

struct Verdict {
    bool ng = false;
    double score = 0;     // higher = more likely NG
    double threshold = 0; // the score at which the method says NG
};

class Classifier {
public:
    virtual ~Classifier() = default;
    virtual Verdict classify(const cv::Mat& bgr) = 0;
    // Identifies the exact method: the model file's sha256, or the baseline parameters' hash.
    virtual std::string id() const = 0;
    virtual std::string name() const = 0; // for people: "squeezenet1_1 @224", "baseline"
    // Where the method looks: a CV_32F map in [0,1] of the frame's size (Grad-CAM for a model,
    // the deciding blobs for the baseline); empty when the method has none.
    virtual cv::Mat heatmap(const cv::Mat& bgr) { return {}; }
    // How the method runs, for the operator and the logs: a model's inference path ("fast
    // (oneDNN graph)", or "plain (why)"); empty when there is nothing to say.
    virtual std::string runtime() const { return {}; }
    // The smallest size of a frame's view (the frame cut to the region of interest) that keeps
    // everything the method uses, for a view of size `view`: a network resizes to its input,
    // so a source may decode the frame that much smaller (FrameSource::setDecodeReduction).
    // A method that uses every pixel (the baseline) returns `view`.
    virtual cv::Size inputNeed(cv::Size view) const { return view; }
};

} // namespace kizu::inspect
