// The Compare page's charts (QCustomPlot): the ROC curves of every method in one plot with
// each method's operating point, and accuracy against shots per class from experiment results
// (mean over seeds with error bars, log2 axis, the baseline as a dashed line).
#pragma once

#include "core/evaluate/compare_report.h"

#include <QWidget>

class QCustomPlot;

namespace kizu::ui {

class CompareTableModel;

class RocChart : public QWidget {
    Q_OBJECT
public:
    explicit RocChart(QWidget* parent = nullptr);
    // Follows the table: curves on new data, operating points when a threshold moves.
    void setTable(CompareTableModel* table);
    QCustomPlot* plot() const { return m_plot; }
    // For tests: the operating point drawn for method k (fpr, tpr).
    QPointF operatingPoint(int method) const;
    int curveCount() const;

private:
    void rebuild();
    void updatePoint(int method);
    CompareTableModel* m_table = nullptr;
    QCustomPlot* m_plot;
};

enum class ErrorBars { MinMax, StdDev };

class ShotsChart : public QWidget {
    Q_OBJECT
public:
    explicit ShotsChart(QWidget* parent = nullptr);
    void setSeries(const std::vector<kizu::learn::ShotSeries>& series, const QString& metricLabel,
                   ErrorBars bars = ErrorBars::MinMax);
    QCustomPlot* plot() const { return m_plot; }
    int seriesCount() const;

private:
    QCustomPlot* m_plot;
};

} // namespace kizu::ui
