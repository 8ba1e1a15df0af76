// The Train page's live charts (QCustomPlot): training loss (raw and smoothed), learning rate,
// and validation accuracy / AUC against the step. Points arrive at every step; the plots are
// redrawn at most ten times a second. Finished runs can be laid over the live one to compare.
#pragma once

#include "core/learn/train_run.h"

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

class QCustomPlot;
class QTimer;

namespace kizu::ui {

struct ChartRun {
    QString name;
    kizu::learn::Curves curves;
};

class TrainCharts : public QWidget {
    Q_OBJECT
public:
    explicit TrainCharts(QWidget* parent = nullptr);

    // Starts over with an empty live run of totalSteps steps (the x axis spans them).
    void reset(qint64 totalSteps);
    // Shows saved curves as the live run's start (a resumed run).
    void setCurves(const kizu::learn::Curves& curves);
    void addStep(qint64 step, double loss, double lr);
    void addValidation(const kizu::learn::ValidationPoint& p);
    // Finished runs drawn dashed under the live one (at most four are shown).
    void setReferences(const QList<ChartRun>& runs);

    const kizu::learn::Curves& curves() const { return m_curves; }
    int replotCount() const { return m_replots; }
    QCustomPlot* lossPlot() const { return m_loss; }
    QCustomPlot* lrPlot() const { return m_lr; }
    QCustomPlot* validationPlot() const { return m_val; }

private:
    void scheduleReplot();
    void replotNow();
    void rebuildGraphs();

    kizu::learn::Curves m_curves;
    QList<ChartRun> m_refs;
    qint64 m_total = 0;
    QCustomPlot* m_loss;
    QCustomPlot* m_lr;
    QCustomPlot* m_val;
    QTimer* m_timer;
    bool m_dirty = false;
    int m_replots = 0;
};

} // namespace kizu::ui
