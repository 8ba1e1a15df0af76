// The Inspect page's Results tab: the project's inspection results log with filters (time
// range, verdict, model, part id), counts and the NG rate over time as a chart, the stored NG
// frame of the selected result with its heat map, and export to CSV. The same queries and CSV
// as `kizu-cli results` (core/inspect/results_export.h).
#pragma once

#include "core/inspect/classifier.h"
#include "core/project/project_store.h"

#include <QFutureWatcher>
#include <QImage>
#include <QWidget>
#include <functional>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;
class QCustomPlot;

namespace kizu::ui {

class ResultsView : public QWidget {
    Q_OBJECT
public:
    // Makes the method a result's heat map is drawn with; may throw kizu::Error.
    using ClassifierSource = std::function<std::unique_ptr<inspect::Classifier>()>;

    explicit ResultsView(QWidget* parent = nullptr);
    ~ResultsView() override;
    void setProject(project::ProjectStore* store); // may be null
    // The Inspect page's current method: heat maps are drawn when its id is the result's model.
    void setClassifierSource(ClassifierSource source);

    // For tests and the CLI-like use: the filter as set in the widgets.
    project::InspectionFilter filter() const;
    void setFilter(const project::InspectionFilter& f);
    int rowCount() const;
    QString summaryText() const;
    // Writes the shown results (all that match, oldest first) as CSV; false with a message box
    // when the file cannot be written.
    bool exportCsv(const QString& file);
    void selectRow(int row);
    // The selected result's stored frame (null without one) and whether its heat map lies on it.
    QImage shownImage() const { return m_image; }
    bool heatmapShown() const { return !m_heat.isNull(); }
    QString imageNote() const;
    QCustomPlot* chart() const { return m_chart; }

public Q_SLOTS:
    void refresh();
    // Retention... : the project's retention of kept NG frames (RetentionDialog), saved when
    // accepted (docs/station_retention.md).
    void editRetention();

Q_SIGNALS:
    void heatmapDone(); // a heat map finished (or failed) for the selected result

private:
    void showSelected();
    void redrawImage();
    void drawChart();

    project::ProjectStore* m_store = nullptr;
    ClassifierSource m_source;
    std::shared_ptr<inspect::Classifier> m_classifier; // made on first use
    std::vector<project::InspectionRecord> m_records;  // newest first, as listed
    QDateTimeEdit* m_since;
    QDateTimeEdit* m_until;
    QCheckBox* m_useSince;
    QCheckBox* m_useUntil;
    QComboBox* m_verdict;
    QLineEdit* m_model;
    QLineEdit* m_part;
    QLabel* m_summary;
    QPushButton* m_retention;
    QTableWidget* m_table;
    QLabel* m_imageLabel;
    QLabel* m_note;
    QCheckBox* m_heatBox;
    QCustomPlot* m_chart;
    QImage m_image;
    QImage m_heat;
    QFutureWatcher<QImage>* m_heatWatcher;
    int m_heatFor = -1; // the row whose heat map is being made
};

} // namespace kizu::ui
