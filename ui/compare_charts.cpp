#include "ui/compare_charts.h"

#include "ui/compare_models.h"

#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace kizu::ui {

namespace {
void styleAxes(QCustomPlot* p)
{
    p->setBackground(QBrush(Qt::white));
    p->legend->setFont(QFont(p->font().family(), 9));
    p->legend->setBorderPen(Qt::NoPen);
    p->legend->setBrush(Qt::NoBrush);
    p->legend->setMargins(QMargins(8, 2, 8, 4));
    p->axisRect()->insetLayout()->take(p->legend);
    p->legend->setVisible(false);
}

// The legend goes under the axes, where it can cover no curve (a weak method's ROC runs
// through the corner an inset legend would take); with nothing to name it is not shown at
// all and gives its row back to the axes.
void showLegend(QCustomPlot* p, bool show)
{
    QCPLayoutGrid* layout = p->plotLayout();
    const bool placed = layout->rowCount() > 1 && layout->element(1, 0) == p->legend;
    if (show && !placed) {
        if (layout->rowCount() < 2) layout->insertRow(1);
        layout->addElement(1, 0, p->legend);
        layout->setRowStretchFactor(1, 0.001);
    } else if (!show && placed) {
        layout->take(p->legend);
        layout->simplify();
    }
    p->legend->setVisible(show);
}
} // namespace

RocChart::RocChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot)
{
    auto* l = new QVBoxLayout(this);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(m_plot);
    styleAxes(m_plot);
    m_plot->xAxis->setLabel(tr("false NG rate (OK images rejected)"));
    m_plot->yAxis->setLabel(tr("NG recall (NG images found)"));
    m_plot->xAxis->setRange(-0.01, 1.01);
    m_plot->yAxis->setRange(-0.01, 1.01);
    m_plot->setMinimumSize(320, 280);
    rebuild();
}

void RocChart::setTable(CompareTableModel* table)
{
    m_table = table;
    connect(table, &CompareTableModel::metricsChanged, this, [this](int k) {
        if (k < 0)
            rebuild();
        else
            updatePoint(k);
    });
    rebuild();
}

void RocChart::rebuild()
{
    m_plot->clearPlottables();
    // Chance diagonal.
    auto* chance = new QCPCurve(m_plot->xAxis, m_plot->yAxis);
    chance->setData({0, 1}, {0, 1}, {0, 1});
    chance->setPen(QPen(QColor(180, 180, 180), 1, Qt::DashLine));
    chance->removeFromLegend();
    const int n = m_table ? m_table->methodCount() : 0;
    for (int k = 0; k < n; ++k) {
        const auto& m = m_table->metrics(k).metrics;
        auto* curve = new QCPCurve(m_plot->xAxis, m_plot->yAxis);
        QVector<double> t, x, y;
        for (std::size_t i = 0; i < m.roc.size(); ++i) {
            t << double(i);
            x << m.roc[i].fpr;
            y << m.roc[i].tpr;
        }
        curve->setData(t, x, y);
        curve->setPen(QPen(methodColor(k), 2));
        curve->setName(
            QStringLiteral("%1  (AUC %2)")
                .arg(QString::fromStdString(m_table->compareData().methods[std::size_t(k)].name))
                .arg(m.auc, 0, 'f', 3));
    }
    for (int k = 0; k < n; ++k) {
        auto* point = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
        point->setLineStyle(QCPGraph::lsNone);
        point->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::black, 1.5),
                                               QBrush(methodColor(k)), 11));
        point->removeFromLegend();
        point->setProperty("kizuMethod", k);
    }
    for (int k = 0; k < n; ++k)
        updatePoint(k);
    showLegend(m_plot, n > 0);
    m_plot->replot();
}

void RocChart::updatePoint(int method)
{
    if (!m_table || method >= m_table->methodCount()) return;
    // Graphs are the operating points, in method order (curves are QCPCurve, not graphs).
    if (method >= m_plot->graphCount()) return;
    const auto op = kizu::learn::operatingPoint(m_table->metrics(method).metrics);
    m_plot->graph(method)->setData({op.fpr}, {op.tpr});
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QPointF RocChart::operatingPoint(int method) const
{
    if (method < 0 || method >= m_plot->graphCount() || m_plot->graph(method)->data()->isEmpty())
        return {-1, -1};
    auto it = m_plot->graph(method)->data()->constBegin();
    return {it->key, it->value};
}

int RocChart::curveCount() const
{
    return m_table ? m_table->methodCount() : 0;
}

ShotsChart::ShotsChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot)
{
    auto* l = new QVBoxLayout(this);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(m_plot);
    styleAxes(m_plot);
    m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
    ticker->setLogBase(2);
    ticker->setSubTickCount(0);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setNumberFormat(QStringLiteral("f"));
    m_plot->xAxis->setNumberPrecision(0);
    m_plot->xAxis->setLabel(tr("shots per class (log2)"));
    m_plot->setMinimumSize(320, 260);
}

void ShotsChart::setSeries(const std::vector<kizu::learn::ShotSeries>& series,
                           const QString& metricLabel, ErrorBars bars)
{
    m_plot->clearPlottables();
    m_plot->yAxis->setLabel(tr("%1 (mean over seeds)").arg(metricLabel));
    double lo = 0, hi = 0, ymin = 1, ymax = 0;
    int colour = 0;
    for (const auto& s : series) {
        auto* g = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
        const QColor c = s.baseline ? QColor(50, 50, 50) : methodColor(colour++);
        g->setPen(QPen(c, 2, s.baseline ? Qt::DashLine : Qt::SolidLine));
        g->setScatterStyle(QCPScatterStyle(
            s.baseline ? QCPScatterStyle::ssSquare : QCPScatterStyle::ssDisc, c, c, 7));
        g->setName(s.baseline ? tr("classical baseline") : QString::fromStdString(s.name));
        auto* err = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
        err->removeFromLegend();
        err->setDataPlottable(g);
        err->setPen(QPen(c, 1.2));
        err->setWhiskerWidth(8);
        QVector<double> x, y, minus, plus;
        for (const auto& p : s.points) {
            x << p.shots;
            y << p.mean;
            if (bars == ErrorBars::MinMax) {
                minus << p.mean - p.min;
                plus << p.max - p.mean;
            } else {
                minus << p.std;
                plus << p.std;
            }
            lo = lo == 0 ? p.shots : std::min(lo, double(p.shots));
            hi = std::max(hi, double(p.shots));
            ymin = std::min(ymin, p.mean - minus.back());
            ymax = std::max(ymax, p.mean + plus.back());
        }
        g->setData(x, y);
        err->setData(minus, plus);
    }
    if (lo <= 0) {
        lo = 1;
        hi = 64;
    }
    m_plot->xAxis->setRange(lo / 1.4, std::max(hi, lo * 2) * 1.4);
    if (ymax < ymin) {
        ymin = 0.4;
        ymax = 1.0;
    }
    m_plot->yAxis->setRange(std::max(0.0, std::floor((ymin - 0.03) * 20) / 20),
                            std::min(1.02, std::ceil((ymax + 0.03) * 20) / 20));
    showLegend(m_plot, !series.empty());
    m_plot->replot();
}

int ShotsChart::seriesCount() const
{
    return m_plot->graphCount();
}

} // namespace kizu::ui
