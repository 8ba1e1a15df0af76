#include "ui/compare_models.h"

#include "core/evaluate/compare_report.h"

#include <QColor>
#include <QFileInfo>
#include <QFont>

namespace kizu::ui {

using kizu::learn::kNg;
using kizu::learn::kOk;

QString verdictText(int label)
{
    return label == kNg ? QStringLiteral("NG") : QStringLiteral("OK");
}

QColor methodColor(int k)
{
    return QColor(QString::fromStdString(kizu::learn::methodColor(std::size_t(k))));
}

QString imageName(const CompareData& d, std::size_t i)
{
    if (i < d.names.size() && !d.names[i].empty()) return QString::fromStdString(d.names[i]);
    return QString::fromStdString(d.items.at(i).path.filename().string());
}

QString shortMethodName(const kizu::learn::MethodScores& m)
{
    if (m.kind == "baseline" || m.file.empty()) return QString::fromStdString(m.name);
    return QFileInfo(QString::fromStdString(m.file)).completeBaseName();
}

CompareTableModel::CompareTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void CompareTableModel::setData(CompareData data)
{
    beginResetModel();
    m_data = std::move(data);
    m_thresholds.clear();
    m_metrics.clear();
    for (const auto& m : m_data.methods)
        m_thresholds.push_back(m.threshold);
    m_metrics.resize(m_data.methods.size());
    for (int k = 0; k < methodCount(); ++k)
        m_metrics[std::size_t(k)] = kizu::learn::metricsAt(
            m_data.methods[std::size_t(k)], m_data.labels, m_thresholds[std::size_t(k)]);
    endResetModel();
    Q_EMIT metricsChanged(-1);
}

void CompareTableModel::recompute(int k)
{
    m_metrics[std::size_t(k)] = kizu::learn::metricsAt(m_data.methods[std::size_t(k)],
                                                       m_data.labels, m_thresholds[std::size_t(k)]);
    Q_EMIT dataChanged(index(k, 0), index(k, ColumnCount - 1));
    Q_EMIT metricsChanged(k);
}

void CompareTableModel::setThreshold(int method, double threshold)
{
    if (method < 0 || method >= methodCount()) return;
    if (m_thresholds[std::size_t(method)] == threshold) return;
    m_thresholds[std::size_t(method)] = threshold;
    recompute(method);
}

double CompareTableModel::threshold(int method) const
{
    return m_thresholds.at(std::size_t(method));
}

const kizu::learn::MethodMetrics& CompareTableModel::metrics(int method) const
{
    return m_metrics.at(std::size_t(method));
}

void CompareTableModel::setLabel(std::size_t image, int label)
{
    if (image >= m_data.labels.size() || m_data.labels[image] == label) return;
    m_data.labels[image] = label;
    m_data.items[image].label = label;
    for (int k = 0; k < methodCount(); ++k) {
        m_metrics[std::size_t(k)] = kizu::learn::metricsAt(
            m_data.methods[std::size_t(k)], m_data.labels, m_thresholds[std::size_t(k)]);
    }
    if (methodCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(methodCount() - 1, ColumnCount - 1));
    Q_EMIT metricsChanged(-1);
}

int CompareTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : methodCount();
}
int CompareTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= methodCount()) return {};
    const auto& method = m_data.methods[std::size_t(index.row())];
    const auto& mm = m_metrics[std::size_t(index.row())];
    const auto& m = mm.metrics;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Method:
            return QString::fromStdString(method.name);
        case Threshold:
            return QString::number(threshold(index.row()), 'f', 3);
        case Accuracy:
            return QString::number(m.accuracy, 'f', 3);
        case BalancedAccuracy:
            return QString::number(m.balancedAccuracy, 'f', 3);
        case NgRecall:
            return QString::number(m.ngRecall, 'f', 3);
        case NgPrecision:
            return QString::number(m.ngPrecision, 'f', 3);
        case F1:
            return QString::number(mm.f1, 'f', 3);
        case Auc:
            return QString::number(m.auc, 'f', 3);
        case MsPerImage:
            return QString::number(method.msPerImage, 'f', 1);
        }
    } else if (role == Qt::UserRole) { // raw numbers, for sorting and tests
        switch (index.column()) {
        case Threshold:
            return threshold(index.row());
        case Accuracy:
            return m.accuracy;
        case BalancedAccuracy:
            return m.balancedAccuracy;
        case NgRecall:
            return m.ngRecall;
        case NgPrecision:
            return m.ngPrecision;
        case F1:
            return mm.f1;
        case Auc:
            return m.auc;
        case MsPerImage:
            return method.msPerImage;
        default:
            return {};
        }
    } else if (role == Qt::TextAlignmentRole) {
        return index.column() == Method ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                        : int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::DecorationRole && index.column() == Method) {
        return methodColor(index.row());
    } else if (role == Qt::ToolTipRole && index.column() == Method) {
        QString tip = method.kind == "baseline"
                          ? tr("The classical baseline (DoG, threshold, labeling, blob rules)")
                          : QString::fromStdString(method.file);
        if (method.fromCache) tip += tr("\nScores from the cache (same method, same images).");
        return tip;
    } else if (role == Qt::FontRole) {
        // The best balanced accuracy in bold.
        if (index.column() != BalancedAccuracy) return {};
        double best = -1;
        for (const auto& x : m_metrics)
            best = std::max(best, x.metrics.balancedAccuracy);
        if (m.balancedAccuracy == best && methodCount() > 1) {
            QFont f;
            f.setBold(true);
            return f;
        }
    }
    return {};
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {QT_TR_NOOP("Method"),    QT_TR_NOOP("Threshold"),
                                  QT_TR_NOOP("Accuracy"),  QT_TR_NOOP("Balanced acc."),
                                  QT_TR_NOOP("NG recall"), QT_TR_NOOP("NG precision"),
                                  QT_TR_NOOP("F1"),        QT_TR_NOOP("AUC"),
                                  QT_TR_NOOP("ms / image")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

ConfusionModel::ConfusionModel(CompareTableModel* table, int method, QObject* parent)
    : QAbstractTableModel(parent), m_table(table), m_method(method)
{
    connect(table, &CompareTableModel::metricsChanged, this, [this](int k) {
        if (k == -1 || k == m_method) Q_EMIT dataChanged(index(0, 0), index(1, 1));
    });
}

int ConfusionModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 2;
}
int ConfusionModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 2;
}

QVariant ConfusionModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || m_method >= m_table->methodCount()) return {};
    const auto& m = m_table->metrics(m_method).metrics;
    const bool trueNg = index.row() == 1, saidNg = index.column() == 1;
    const std::int64_t count = trueNg ? (saidNg ? m.tp : m.fn) : (saidNg ? m.fp : m.tn);
    if (role == Qt::DisplayRole) return QString::number(count);
    if (role == Qt::UserRole) return qlonglong(count);
    if (role == Qt::TextAlignmentRole) return int(Qt::AlignCenter);
    if (role == Qt::BackgroundRole) {
        const std::int64_t rowTotal = trueNg ? m.tp + m.fn : m.tn + m.fp;
        const double share = rowTotal > 0 ? double(count) / double(rowTotal) : 0;
        const bool correct = trueNg == saidNg;
        QColor c = correct ? QColor(46, 160, 67) : QColor(214, 39, 40);
        c.setAlphaF(0.12 + 0.55 * share);
        return c;
    }
    if (role == Qt::ToolTipRole) {
        if (trueNg) return saidNg ? tr("NG images found") : tr("NG images missed (escapes)");
        return saidNg ? tr("OK images rejected (false alarms)") : tr("OK images passed");
    }
    return {};
}

QVariant ConfusionModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (role != Qt::DisplayRole) return {};
    if (o == Qt::Horizontal) return section == 0 ? tr("said OK") : tr("said NG");
    return section == 0 ? tr("OK") : tr("NG");
}

ErrorListModel::ErrorListModel(CompareTableModel* table, QObject* parent)
    : QAbstractTableModel(parent), m_table(table)
{
    connect(table, &CompareTableModel::metricsChanged, this, &ErrorListModel::refresh);
    connect(table, &QAbstractItemModel::modelReset, this, &ErrorListModel::refresh);
}

void ErrorListModel::setFilter(kizu::learn::ErrorFilter filter, int method)
{
    m_filter = filter;
    m_method = method;
    refresh();
}

void ErrorListModel::refresh()
{
    const auto& d = m_table->compareData();
    beginResetModel();
    m_rows.clear();
    if (m_table->methodCount() > 0) {
        const auto all = kizu::learn::imageVerdicts(d.methods, m_table->thresholds(), d.labels);
        m_rows = kizu::learn::filterVerdicts(all, m_filter, m_method);
    }
    endResetModel();
}

int ErrorListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int ErrorListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 2 + m_table->methodCount();
}

QVariant ErrorListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const auto& v = m_rows[std::size_t(index.row())];
    const auto& d = m_table->compareData();
    const int c = index.column();
    if (c == 0) {
        if (role == Qt::DisplayRole) return imageName(d, v.index);
        if (role == Qt::ToolTipRole) return QString::fromStdString(d.items[v.index].path.string());
        return {};
    }
    if (c == 1) {
        if (role == Qt::DisplayRole) return verdictText(v.label);
        if (role == Qt::TextAlignmentRole) return int(Qt::AlignCenter);
        return {};
    }
    const int k = c - 2;
    if (k >= int(v.predicted.size())) return {};
    const bool wrong = v.predicted[std::size_t(k)] != v.label;
    if (role == Qt::DisplayRole)
        return QStringLiteral("%1  %2").arg(
            verdictText(v.predicted[std::size_t(k)]),
            QString::number(d.methods[std::size_t(k)].scores[v.index], 'f', 3));
    if (role == Qt::ForegroundRole) return wrong ? QColor(198, 40, 40) : QColor(26, 127, 55);
    if (role == Qt::UserRole) return wrong;
    return {};
}

QVariant ErrorListModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    if (section == 0) return tr("Image");
    if (section == 1) return tr("Label");
    const int k = section - 2;
    if (k < m_table->methodCount())
        return shortMethodName(m_table->compareData().methods[std::size_t(k)]);
    return {};
}

} // namespace kizu::ui
