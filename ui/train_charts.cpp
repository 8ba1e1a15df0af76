#include "ui/train_charts.h"

#include <QGridLayout>
#include <QLabel>
#include <QTimer>

#include <qcustomplot.h>

#include <algorithm>

namespace kizu::ui {

namespace {
const QColor kLive(0x1f, 0x77, 0xb4);
const QColor kLiveLight(0x1f, 0x77, 0xb4, 70);
const QColor kAuc(0xd6, 0x62, 0x1a);
const QList<QColor> kRefColours{QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
                                QColor(0x8c, 0x56, 0x4b), QColor(0x7f, 0x7f, 0x7f)};

QCustomPlot* makePlot(const QString& title, const QString& yLabel)
{
    auto* p = new QCustomPlot;
    p->setMinimumHeight(150);
    p->plotLayout()->insertRow(0);
    auto* t = new QCPTextElement(p, title, QFont(QStringLiteral("sans"), 10, QFont::Bold));
    p->plotLayout()->addElement(0, 0, t);
    p->xAxis->setLabel(QObject::tr("step"));
    p->yAxis->setLabel(yLabel);
    // The legend in a row of its own between the title and the axes, never over the curves
    // (the loss starts high on the left, accuracy ends high on the right).
    p->legend->setVisible(true);
    p->legend->setFont(QFont(QStringLiteral("sans"), 8));
    p->legend->setBorderPen(Qt::NoPen);
    p->legend->setBrush(Qt::NoBrush);
    p->legend->setFillOrder(QCPLegend::foColumnsFirst);
    p->legend->setWrap(3);
    p->legend->setRowSpacing(0);
    p->legend->setMargins(QMargins(4, 0, 4, 0));
    p->axisRect()->insetLayout()->take(p->legend);
    p->plotLayout()->insertRow(1);
    p->plotLayout()->addElement(1, 0, p->legend);
    p->plotLayout()->setRowStretchFactor(0, 0.001);
    p->plotLayout()->setRowStretchFactor(1, 0.001);
    p->setNoAntialiasingOnDrag(true);
    return p;
}

// Exponential moving average, as training dashboards smooth a noisy loss.
QVector<double> smooth(const std::vector<double>& v, double alpha = 0.1)
{
    QVector<double> out;
    out.reserve(int(v.size()));
    double s = v.empty() ? 0 : v.front();
    for (double x : v) {
        s = alpha * x + (1 - alpha) * s;
        out.push_back(s);
    }
    return out;
}

QVector<double> toQ(const std::vector<double>& v)
{
    return QVector<double>(v.begin(), v.end());
}
QVector<double> toQ(const std::vector<std::int64_t>& v)
{
    QVector<double> out;
    out.reserve(int(v.size()));
    for (auto x : v)
        out.push_back(double(x));
    return out;
}

QCPGraph* addGraph(QCustomPlot* p, const QString& name, const QColor& c, double width,
                   Qt::PenStyle style = Qt::SolidLine)
{
    QCPGraph* g = p->addGraph();
    g->setName(name);
    QPen pen(c, width, style);
    g->setPen(pen);
    return g;
}
} // namespace

TrainCharts::TrainCharts(QWidget* parent) : QWidget(parent)
{
    m_loss = makePlot(tr("Training loss"), tr("cross-entropy"));
    m_lr = makePlot(tr("Learning rate"), tr("lr"));
    m_val = makePlot(tr("Validation"), tr("accuracy / AUC"));
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(m_loss, 0, 0, 1, 2);
    grid->addWidget(m_lr, 1, 0);
    grid->addWidget(m_val, 1, 1);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 2);
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    m_timer->setInterval(100); // at most ten redraws a second, however fast the steps come
    connect(m_timer, &QTimer::timeout, this, &TrainCharts::replotNow);
    rebuildGraphs();
    replotNow();
}

void TrainCharts::reset(qint64 totalSteps)
{
    m_total = totalSteps;
    m_curves = {};
    rebuildGraphs();
    scheduleReplot();
}

void TrainCharts::setCurves(const kizu::learn::Curves& curves)
{
    m_curves = curves;
    scheduleReplot();
}

void TrainCharts::addStep(qint64 step, double loss, double lr)
{
    if (!m_curves.steps.empty() && m_curves.steps.back() >= step) m_curves.truncate(step - 1);
    m_curves.steps.push_back(step);
    m_curves.loss.push_back(loss);
    m_curves.lr.push_back(lr);
    scheduleReplot();
}

void TrainCharts::addValidation(const kizu::learn::ValidationPoint& p)
{
    m_curves.validation.push_back(p);
    scheduleReplot();
}

void TrainCharts::setReferences(const QList<ChartRun>& runs)
{
    m_refs = runs.mid(0, 4);
    rebuildGraphs();
    scheduleReplot();
}

void TrainCharts::scheduleReplot()
{
    m_dirty = true;
    if (!m_timer->isActive()) m_timer->start();
}

// Graph order per plot: the references (dashed) first, then the live run on top.
void TrainCharts::rebuildGraphs()
{
    for (QCustomPlot* p : {m_loss, m_lr, m_val})
        p->clearGraphs();
    for (int i = 0; i < m_refs.size(); ++i) {
        const QColor c = kRefColours[i % kRefColours.size()];
        const auto& r = m_refs[i];
        const auto steps = toQ(r.curves.steps);
        addGraph(m_loss, r.name, c, 1.5, Qt::DashLine)->setData(steps, smooth(r.curves.loss), true);
        addGraph(m_lr, r.name, c, 1.5, Qt::DashLine)->setData(steps, toQ(r.curves.lr), true);
        QVector<double> vs, va;
        for (const auto& v : r.curves.validation) {
            vs.push_back(double(v.step));
            va.push_back(v.accuracy);
        }
        auto* g = addGraph(m_val, tr("%1 accuracy").arg(r.name), c, 1.5, Qt::DashLine);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        g->setData(vs, va, true);
    }
    addGraph(m_loss, tr("loss"), kLiveLight, 1);
    addGraph(m_loss, tr("loss (smoothed)"), kLive, 2.2);
    addGraph(m_lr, tr("learning rate"), kLive, 2);
    auto* acc = addGraph(m_val, tr("accuracy"), kLive, 2);
    acc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    auto* auc = addGraph(m_val, tr("AUC"), kAuc, 2);
    auc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    m_dirty = true;
}

void TrainCharts::replotNow()
{
    if (!m_dirty) return;
    m_dirty = false;
    ++m_replots;
    const int r = int(m_refs.size());
    const auto steps = toQ(m_curves.steps);
    m_loss->graph(r)->setData(steps, toQ(m_curves.loss), true);
    m_loss->graph(r + 1)->setData(steps, smooth(m_curves.loss), true);
    m_lr->graph(r)->setData(steps, toQ(m_curves.lr), true);
    QVector<double> vs, va, vu;
    for (const auto& v : m_curves.validation) {
        vs.push_back(double(v.step));
        va.push_back(v.accuracy);
        vu.push_back(v.auc);
    }
    m_val->graph(r)->setData(vs, va, true);
    m_val->graph(r + 1)->setData(vs, vu, true);

    double xMax = double(std::max<qint64>(m_total, 1));
    for (const auto& ref : m_refs)
        if (!ref.curves.steps.empty()) xMax = std::max(xMax, double(ref.curves.steps.back()));
    if (!m_curves.steps.empty()) xMax = std::max(xMax, double(m_curves.steps.back()));
    for (QCustomPlot* p : {m_loss, m_lr, m_val})
        p->xAxis->setRange(0, xMax);
    bool found = false;
    QCPRange lossRange = m_loss->graph(r)->data()->valueRange(found);
    for (int i = 0; i < r; ++i) {
        bool f = false;
        auto rr = m_loss->graph(i)->data()->valueRange(f);
        if (f)
            lossRange = found ? QCPRange(std::min(lossRange.lower, rr.lower),
                                         std::max(lossRange.upper, rr.upper))
                              : rr;
        found = found || f;
    }
    m_loss->yAxis->setRange(0, found ? std::max(0.1, lossRange.upper * 1.05) : 1.0);
    bool lrFound = false;
    double lrMax = 0;
    for (int i = 0; i <= r; ++i) {
        bool f = false;
        auto rr = m_lr->graph(i)->data()->valueRange(f);
        if (f) lrMax = std::max(lrMax, rr.upper);
        lrFound = lrFound || f;
    }
    m_lr->yAxis->setRange(0, lrFound && lrMax > 0 ? lrMax * 1.1 : 0.01);
    m_val->yAxis->setRange(0, 1.02);
    for (QCustomPlot* p : {m_loss, m_lr, m_val})
        p->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace kizu::ui
