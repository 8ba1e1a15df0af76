// Conversions from core's types to Qt's, defined once for the whole UI: an OpenCV image as a
// QImage and a label as the text an operator reads.
#pragma once

#include "core/project/project_store.h"

#include <QImage>
#include <QString>
#include <opencv2/core.hpp>

namespace kizu::ui {

// A deep copy of an 8-bit OpenCV image: one channel as Grayscale8, BGR as RGB888, BGRA as
// ARGB32. An empty Mat gives a null QImage; other depths or channel counts throw
// InvalidArgument.
QImage toQImage(const cv::Mat& m);

// A heat map (CV_32F in [0, 1]) as a translucent overlay: the JET colour map, alpha 0.6 x the
// value (cold places see-through). The Inspect page's live overlay and its Results tab use it.
QImage heatmapOverlay(const cv::Mat& heat);

// "OK", "NG" or "unlabeled" (translated), as the Dataset page, its undo stack and the
// captions show a label.
QString labelText(project::Label label);

} // namespace kizu::ui
