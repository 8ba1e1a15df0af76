// Small real inspection methods for the tests of the inspection step and the Inspect page:
// mean brightness against 0.5 (optionally slow, to load the inference thread), and the same
// method failing on its n-th frame, as a model may on a bad frame.
#pragma once

#include "core/inspect/classifier.h"

#include <chrono>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <thread>

namespace kizu::test {

class BrightnessClassifier : public inspect::Classifier {
public:
    explicit BrightnessClassifier(int delayMs = 0) : m_delay(delayMs) {}
    inspect::Verdict classify(const cv::Mat& bgr) override
    {
        if (m_delay) std::this_thread::sleep_for(std::chrono::milliseconds(m_delay));
        const double m = cv::mean(bgr)[0] / 255.0;
        return {m > 0.5, m, 0.5};
    }
    std::string id() const override { return "brightness-0.5"; }
    std::string name() const override { return "brightness"; }
    cv::Mat heatmap(const cv::Mat& bgr) override
    {
        return cv::Mat(bgr.rows, bgr.cols, CV_32F, cv::Scalar(0.8));
    }

private:
    int m_delay;
};

// Brightness, but the n-th call (from 1) throws.
class FailingClassifier : public BrightnessClassifier {
public:
    explicit FailingClassifier(int failOn) : m_failOn(failOn) {}
    inspect::Verdict classify(const cv::Mat& bgr) override
    {
        if (++m_calls == m_failOn) throw std::runtime_error("out of memory on the device");
        return BrightnessClassifier::classify(bgr);
    }

private:
    int m_failOn;
    int m_calls = 0;
};

} // namespace kizu::test
