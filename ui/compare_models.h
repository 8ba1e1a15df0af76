// The Qt models behind the Compare page: the metrics table (one row per method, recomputed
// when a method's threshold moves), a method's 2x2 confusion matrix, and the error browser's
// list of images where the methods err or disagree. The arithmetic is core's (core/learn/
// compare.h); these only present it.
#pragma once

#include "core/evaluate/compare.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

namespace kizu::ui {

// Everything one evaluation produced: the test set and every method's scores on it.
struct CompareData {
    QString description; // "project …, split test"
    std::vector<kizu::learn::LabeledPath> items;
    std::vector<std::int64_t> imageIds; // project image ids (empty for a folder)
    std::vector<std::string> names;     // for people: the original file names (may be empty)
    std::vector<int> labels;
    std::string imagesHash; // the key of the cached scores: a relabel keeps them
    std::vector<kizu::learn::MethodScores> methods;
};

class CompareTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Method,
        Threshold,
        Accuracy,
        BalancedAccuracy,
        NgRecall,
        NgPrecision,
        F1,
        Auc,
        MsPerImage,
        ColumnCount
    };
    explicit CompareTableModel(QObject* parent = nullptr);

    void setData(CompareData data);
    const CompareData& compareData() const { return m_data; }
    int methodCount() const { return int(m_data.methods.size()); }
    // Moves method k's operating point; the row, its confusion matrix and the charts follow.
    void setThreshold(int method, double threshold);
    double threshold(int method) const;
    const std::vector<double>& thresholds() const { return m_thresholds; }
    const kizu::learn::MethodMetrics& metrics(int method) const;
    // A corrected label (after relabeling): metrics are recomputed for every method.
    void setLabel(std::size_t image, int label);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // Method k's metrics changed (threshold or labels); -1: all of them (new data).
    void metricsChanged(int method);

private:
    void recompute(int method);
    CompareData m_data;
    std::vector<double> m_thresholds;
    std::vector<kizu::learn::MethodMetrics> m_metrics;
};

// Rows: true OK, true NG; columns: said OK, said NG.
class ConfusionModel : public QAbstractTableModel {
    Q_OBJECT
public:
    ConfusionModel(CompareTableModel* table, int method, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    CompareTableModel* m_table;
    int m_method;
};

// The images some method errs on (or where they disagree), worst first. Columns: image,
// label, then each method's verdict with its score.
class ErrorListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ErrorListModel(CompareTableModel* table, QObject* parent = nullptr);
    void setFilter(kizu::learn::ErrorFilter filter, int method = -1);
    kizu::learn::ErrorFilter filter() const { return m_filter; }
    // Index into the test set of row r.
    std::size_t imageIndex(int row) const { return m_rows.at(std::size_t(row)).index; }
    const kizu::learn::ImageVerdicts& verdicts(int row) const
    {
        return m_rows.at(std::size_t(row));
    }
    // Rebuilds from the table's thresholds and labels.
    void refresh();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    CompareTableModel* m_table;
    kizu::learn::ErrorFilter m_filter = kizu::learn::ErrorFilter::ErrorsOrDisagreements;
    int m_method = -1;
    std::vector<kizu::learn::ImageVerdicts> m_rows;
};

QString verdictText(int label); // "OK" / "NG"
// Image i's name for people: its original file name, else the file's name.
QString imageName(const CompareData& d, std::size_t i);
// A method's short name for narrow places: the model file's name, or "baseline".
QString shortMethodName(const kizu::learn::MethodScores& m);
QColor methodColor(int k); // the same colours as the report's charts

} // namespace kizu::ui
