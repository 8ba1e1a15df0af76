#include "ui/results_view.h"

#include "core/common/error.h"
#include "core/common/fs_util.h"
#include "core/inspect/inspection_step.h"
#include "core/inspect/results_export.h"
#include "core/inspect/retention.h"
#include "core/project/project_roi.h"
#include "ui/conversions.h"
#include "ui/retention_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <qcustomplot.h>
#include <sstream>

namespace kizu::ui {
namespace {
constexpr int kMaxRows = 10000; // the newest this many matches are listed and charted

QColor verdictColour(inspect::State s)
{
    switch (s) {
    case inspect::State::Ok:
        return QColor(0x27, 0xae, 0x60);
    case inspect::State::Ng:
        return QColor(0xc0, 0x39, 0x2b);
    default:
        return QColor(0xe6, 0x7e, 0x22);
    }
}

} // namespace

ResultsView::ResultsView(QWidget* parent) : QWidget(parent)
{
    m_useSince = new QCheckBox(tr("From"));
    m_since = new QDateTimeEdit(QDateTime::currentDateTime().addDays(-1));
    m_since->setCalendarPopup(true);
    m_since->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_useUntil = new QCheckBox(tr("to"));
    m_until = new QDateTimeEdit(QDateTime::currentDateTime());
    m_until->setCalendarPopup(true);
    m_until->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_verdict = new QComboBox;
    m_verdict->addItems({tr("All verdicts"), tr("OK"), tr("NG"), tr("FAULT"), tr("DROPPED")});
    m_model = new QLineEdit;
    m_model->setPlaceholderText(tr("model sha256 (start)"));
    m_model->setMaximumWidth(160);
    m_part = new QLineEdit;
    m_part->setPlaceholderText(tr("part id"));
    m_part->setMaximumWidth(110);
    auto* apply = new QPushButton(tr("Refresh"));
    auto* exportButton = new QPushButton(tr("Export CSV..."));
    exportButton->setObjectName(QStringLiteral("resultsExport"));
    m_retention = new QPushButton(tr("Retention..."));
    m_retention->setObjectName(QStringLiteral("resultsRetention"));
    m_retention->setToolTip(tr("How long and how much of the NG frames inspection keeps, and the "
                               "free disk space under which it keeps none"));
    m_retention->setEnabled(false);
    auto* filters = new QHBoxLayout;
    filters->addWidget(m_useSince);
    filters->addWidget(m_since);
    filters->addWidget(m_useUntil);
    filters->addWidget(m_until);
    filters->addWidget(m_verdict);
    filters->addWidget(m_model);
    filters->addWidget(m_part);
    filters->addWidget(apply);
    filters->addStretch(1);
    filters->addWidget(exportButton);
    filters->addWidget(m_retention);

    m_summary = new QLabel;
    m_table = new QTableWidget(0, 6);
    m_table->setHorizontalHeaderLabels(
        {tr("Time"), tr("Verdict"), tr("Score"), tr("Part"), tr("Frame"), tr("Model")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(22);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);

    m_imageLabel = new QLabel(tr("Select a result to see its stored frame (NG frames are kept)."));
    m_imageLabel->setAlignment(Qt::AlignCenter);
    m_imageLabel->setMinimumSize(320, 200);
    m_imageLabel->setWordWrap(true);
    m_heatBox = new QCheckBox(tr("Heat map"));
    m_heatBox->setChecked(true);
    m_heatBox->setToolTip(tr("Where the result's model looks; drawn when the Method box holds "
                             "that model"));
    m_note = new QLabel;
    m_note->setWordWrap(true);
    auto* imageSide = new QVBoxLayout;
    imageSide->addWidget(m_imageLabel, 1);
    imageSide->addWidget(m_heatBox);
    imageSide->addWidget(m_note);
    auto* imageWidget = new QWidget;
    imageWidget->setLayout(imageSide);

    m_chart = new QCustomPlot;
    m_chart->setMinimumHeight(180);
    m_chart->yAxis->setLabel(tr("results"));
    m_chart->yAxis2->setVisible(true);
    m_chart->yAxis2->setLabel(tr("NG rate %"));
    m_chart->yAxis2->setRange(0, 100);
    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat(QStringLiteral("MM-dd\nHH:mm"));
    m_chart->xAxis->setTicker(ticker);
    m_chart->legend->setVisible(true);
    m_chart->legend->setFont(QFont(font().family(), 8));

    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_table);
    top->addWidget(imageWidget);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_chart);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* root = new QVBoxLayout(this);
    root->addLayout(filters);
    root->addWidget(m_summary);
    root->addWidget(split, 1);

    m_heatWatcher = new QFutureWatcher<QImage>(this);
    connect(m_heatWatcher, &QFutureWatcher<QImage>::finished, this, [this] {
        const QImage heat = m_heatWatcher->result();
        const int row = m_table->currentRow();
        if (row == m_heatFor && !heat.isNull()) {
            m_heat = heat;
            m_note->setText(tr("Heat map of the result's model: blue 0 to red 1."));
        } else if (row == m_heatFor) {
            m_note->setText(tr("The method gives no heat map for this frame."));
        }
        redrawImage();
        Q_EMIT heatmapDone();
    });
    connect(apply, &QPushButton::clicked, this, &ResultsView::refresh);
    connect(m_verdict, &QComboBox::currentIndexChanged, this, &ResultsView::refresh);
    connect(m_useSince, &QCheckBox::toggled, this, &ResultsView::refresh);
    connect(m_useUntil, &QCheckBox::toggled, this, &ResultsView::refresh);
    connect(m_model, &QLineEdit::returnPressed, this, &ResultsView::refresh);
    connect(m_part, &QLineEdit::returnPressed, this, &ResultsView::refresh);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ResultsView::showSelected);
    connect(m_heatBox, &QCheckBox::toggled, this, &ResultsView::showSelected);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Export results"), QStringLiteral("results.csv"), tr("CSV files (*.csv)"));
        if (!file.isEmpty()) exportCsv(file);
    });
    connect(m_retention, &QPushButton::clicked, this, &ResultsView::editRetention);
}

void ResultsView::editRetention()
{
    if (!m_store) return;
    try {
        inspect::RetentionReport usage;
        for (const auto& f : m_store->removableFrames(inspect::kNgFrameSource)) {
            ++usage.keptFrames;
            usage.keptBytes += f.bytes;
        }
        const auto free = inspect::freeDiskBytes(m_store->dir());
        RetentionDialog dialog(inspect::loadRetentionPolicy(*m_store), usage,
                               free ? double(*free) : -1.0, this);
        if (dialog.exec() != QDialog::Accepted) return;
        inspect::saveRetentionPolicy(*m_store, dialog.policy());
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot save the retention"),
                             QString::fromStdString(e.what()));
    }
}

ResultsView::~ResultsView()
{
    m_heatWatcher->waitForFinished(); // the pool thread uses m_classifier
}

void ResultsView::setProject(project::ProjectStore* store)
{
    m_store = store;
    m_retention->setEnabled(store != nullptr);
    m_classifier.reset();
    refresh();
}

void ResultsView::setClassifierSource(ClassifierSource source)
{
    m_heatWatcher->waitForFinished();
    m_source = std::move(source);
    m_classifier.reset();
}

project::InspectionFilter ResultsView::filter() const
{
    project::InspectionFilter f;
    if (m_useSince->isChecked()) f.since = m_since->dateTime().toMSecsSinceEpoch();
    if (m_useUntil->isChecked()) f.until = m_until->dateTime().toMSecsSinceEpoch();
    if (m_verdict->currentIndex() > 0) f.state = inspect::State(m_verdict->currentIndex() - 1);
    f.modelSha = m_model->text().trimmed().toStdString();
    f.partId = m_part->text().trimmed().toStdString();
    return f;
}

void ResultsView::setFilter(const project::InspectionFilter& f)
{
    const QSignalBlocker b1(m_useSince), b2(m_useUntil), b3(m_verdict);
    m_useSince->setChecked(bool(f.since));
    if (f.since) m_since->setDateTime(QDateTime::fromMSecsSinceEpoch(*f.since));
    m_useUntil->setChecked(bool(f.until));
    if (f.until) m_until->setDateTime(QDateTime::fromMSecsSinceEpoch(*f.until));
    m_verdict->setCurrentIndex(f.state ? int(*f.state) + 1 : 0);
    m_model->setText(QString::fromStdString(f.modelSha));
    m_part->setText(QString::fromStdString(f.partId));
    refresh();
}

int ResultsView::rowCount() const
{
    return m_table->rowCount();
}
QString ResultsView::summaryText() const
{
    return m_summary->text();
}
QString ResultsView::imageNote() const
{
    return m_note->text();
}

void ResultsView::refresh()
{
    m_records.clear();
    if (m_store) {
        project::InspectionFilter f = filter();
        f.limit = kMaxRows;
        try {
            m_records = m_store->inspections(f);
        } catch (const kizu::Error& e) {
            m_summary->setText(
                tr("Cannot read the results: %1").arg(QString::fromStdString(e.what())));
        }
    }
    const QSignalBlocker block(m_table);
    m_table->setRowCount(int(m_records.size()));
    std::int64_t n[4] = {};
    for (int i = 0; i < int(m_records.size()); ++i) {
        const auto& r = m_records[std::size_t(i)];
        ++n[int(r.state)];
        const bool judged = r.state == inspect::State::Ok || r.state == inspect::State::Ng;
        auto* verdict = new QTableWidgetItem(QString::fromLatin1(inspect::stateName(r.state)));
        verdict->setForeground(verdictColour(r.state));
        if (!r.message.empty()) verdict->setToolTip(QString::fromStdString(r.message));
        m_table->setItem(i, 0,
                         new QTableWidgetItem(QDateTime::fromMSecsSinceEpoch(r.at).toString(
                             QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))));
        m_table->setItem(i, 1, verdict);
        m_table->setItem(
            i, 2, new QTableWidgetItem(judged ? QString::number(r.score, 'f', 3) : QString()));
        m_table->setItem(i, 3, new QTableWidgetItem(QString::fromStdString(r.partId)));
        m_table->setItem(i, 4,
                         new QTableWidgetItem(r.frame ? QString::number(*r.frame) : QString()));
        auto* model = new QTableWidgetItem(
            QString::fromStdString(r.method.empty() ? r.modelSha.substr(0, 16) : r.method));
        model->setToolTip(QString::fromStdString(r.modelSha));
        m_table->setItem(i, 5, model);
    }
    const std::int64_t judged = n[0] + n[1];
    QString text = tr("%1 results: %2 OK, %3 NG, %4 faults, %5 dropped")
                       .arg(m_records.size())
                       .arg(n[0])
                       .arg(n[1])
                       .arg(n[2])
                       .arg(n[3]);
    if (judged) text += tr("; NG rate %1 %").arg(100.0 * double(n[1]) / double(judged), 0, 'f', 1);
    if (int(m_records.size()) >= kMaxRows)
        text += tr(" (the newest %1; narrow the filter)").arg(kMaxRows);
    if (!m_store) text = tr("No project open.");
    m_summary->setText(text);
    drawChart();
    m_image = {};
    m_heat = {};
    m_note->clear();
    redrawImage();
}

void ResultsView::drawChart()
{
    m_chart->clearPlottables();
    if (m_records.empty()) {
        m_chart->replot();
        return;
    }
    const std::int64_t from = m_records.back().at, to = m_records.front().at;
    const std::int64_t width = inspect::bucketWidthMs(from, to, 120);
    const auto buckets = inspect::bucketResults(m_records, width);
    QVector<double> keys, ok, ng, rate, rateKeys;
    for (const auto& b : buckets) {
        const double key = double(b.start + width / 2) / 1000.0;
        keys << key;
        ok << double(b.ok);
        ng << double(b.ng);
        if (b.ok + b.ng > 0) {
            rateKeys << key;
            rate << 100.0 * b.ngRate();
        }
    }
    if (auto ticker = qSharedPointerDynamicCast<QCPAxisTickerDateTime>(m_chart->xAxis->ticker()))
        ticker->setDateTimeFormat(width < 60000      ? QStringLiteral("HH:mm:ss")
                                  : width < 86400000 ? QStringLiteral("MM-dd\nHH:mm")
                                                     : QStringLiteral("yyyy-MM-dd"));
    const double barWidth = 0.8 * double(width) / 1000.0;
    auto* okBars = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    okBars->setName(tr("OK"));
    okBars->setWidth(barWidth);
    okBars->setBrush(QColor(0x27, 0xae, 0x60, 170));
    okBars->setPen(Qt::NoPen);
    okBars->setData(keys, ok, true);
    auto* ngBars = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    ngBars->setName(tr("NG"));
    ngBars->setWidth(barWidth);
    ngBars->setBrush(QColor(0xc0, 0x39, 0x2b, 200));
    ngBars->setPen(Qt::NoPen);
    ngBars->setData(keys, ng, true);
    ngBars->moveAbove(okBars);
    auto* line = m_chart->addGraph(m_chart->xAxis, m_chart->yAxis2);
    line->setName(tr("NG rate %"));
    line->setPen(QPen(QColor(0x2c, 0x3e, 0x50), 2));
    line->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
    line->setData(rateKeys, rate, true);
    double top = 1;
    for (int i = 0; i < keys.size(); ++i)
        top = std::max(top, ok[i] + ng[i]);
    m_chart->yAxis->setRange(0, top * 1.15);
    const double pad = double(width) / 1000.0;
    m_chart->xAxis->setRange(keys.front() - pad, keys.back() + pad);
    m_chart->replot();
}

void ResultsView::selectRow(int row)
{
    m_table->selectRow(row);
}

void ResultsView::showSelected()
{
    const int row = m_table->currentRow();
    m_image = {};
    m_heat = {};
    m_note->clear();
    m_heatFor = -1;
    if (!m_store || row < 0 || row >= int(m_records.size())) {
        redrawImage();
        return;
    }
    const auto& r = m_records[std::size_t(row)];
    std::optional<project::ImageRecord> img;
    if (r.imageId) img = m_store->image(*r.imageId);
    if (!img) {
        // Retention says in the result what became of its frame (docs/station_retention.md).
        m_note->setText(
            r.state != inspect::State::Ng ? tr("Only NG frames are kept.")
            : r.message.empty()
                ? tr("This NG frame was not kept (--no-save-ng, or it was deleted).")
                : tr("This NG frame is not here: %1.").arg(QString::fromStdString(r.message)));
        redrawImage();
        return;
    }
    const std::string path = m_store->imagePath(*img).string();
    const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
    if (bgr.empty()) {
        m_note->setText(tr("Cannot read %1.").arg(QString::fromStdString(path)));
        redrawImage();
        return;
    }
    m_image = toQImage(bgr);
    redrawImage();
    if (!m_heatBox->isChecked() || !m_source) return;
    try {
        if (!m_classifier) m_classifier = m_source();
    } catch (const std::exception& e) {
        m_note->setText(tr("No heat map: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    if (!m_classifier || m_classifier->id() != r.modelSha) {
        m_note->setText(tr("No heat map: this result is from %1; choose that model in the Method "
                           "box to see where it looked.")
                            .arg(QString::fromStdString(r.method.empty() ? r.modelSha.substr(0, 16)
                                                                         : r.method)));
        return;
    }
    if (m_heatWatcher->isRunning()) m_heatWatcher->waitForFinished();
    inspect::InspectionOptions opt;
    opt.roi = project::projectRoi(*m_store); // where the method looked, as in inspection
    m_heatFor = row;
    m_note->setText(tr("Drawing the heat map..."));
    auto cls = m_classifier;
    m_heatWatcher->setFuture(QtConcurrent::run([cls, opt, bgr]() -> QImage {
        try {
            inspect::InspectionStep step(*cls, nullptr, opt, "results");
            const cv::Mat h = step.heatmap(bgr);
            return h.empty() ? QImage() : heatmapOverlay(h);
        } catch (const std::exception&) {
            return {};
        }
    }));
}

void ResultsView::redrawImage()
{
    if (m_image.isNull()) {
        m_imageLabel->setPixmap({});
        m_imageLabel->setText(tr("Select a result to see its stored frame (NG frames are kept)."));
        return;
    }
    QImage shown = m_image.convertToFormat(QImage::Format_RGB32);
    if (!m_heat.isNull()) {
        QPainter p(&shown);
        p.drawImage(shown.rect(), m_heat);
    }
    const QSize box = m_imageLabel->size().boundedTo(QSize(900, 700)).expandedTo(QSize(240, 160));
    m_imageLabel->setPixmap(
        QPixmap::fromImage(shown.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

bool ResultsView::exportCsv(const QString& file)
{
    if (!m_store) return false;
    project::InspectionFilter f = filter();
    f.oldestFirst = true;
    try {
        std::ostringstream out;
        inspect::writeResultsCsv(m_store->inspections(f), out);
        writeFileAtomic(file.toStdString(), out.str());
        return true;
    } catch (const kizu::Error& e) {
        QMessageBox::warning(this, tr("Cannot export"), QString::fromStdString(e.what()));
        return false;
    }
}

} // namespace kizu::ui
