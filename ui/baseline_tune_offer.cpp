#include "ui/baseline_tune_offer.h"

#include "core/learn/dataset.h"

#include "core/baseline/baseline_tuner.h"
#include "core/common/error.h"
#include "core/project/project_store.h"

#include <QHBoxLayout>
#include <QLabel>
#include <tuple>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace kizu::ui {

using kizu::baseline::BaselineParams;

namespace {
const char* kOfferText = QT_TRANSLATE_NOOP(
    "kizu::ui::BaselineTuneOffer",
    "<b>The classical baseline is not tuned for this project.</b> Its built-in defaults reject "
    "most good parts of a new line. Tune it on the labeled images of the train split: it "
    "takes well under a minute and can be cancelled.");
}

BaselineTuneOffer::BaselineTuneOffer(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("baselineTuneOffer"));
    setFrameShape(QFrame::StyledPanel);
    setStyleSheet(QStringLiteral("#baselineTuneOffer { background: #fdf3d8; border: 1px solid "
                                 "#e0c36b; border-radius: 4px; }"));
    m_text = new QLabel(tr(kOfferText));
    m_text->setWordWrap(true);
    m_tune = new QPushButton(tr("Tune on the train split"));
    m_tune->setToolTip(tr("Search the baseline's parameters that best separate the labeled OK "
                          "and NG images of the train split (%1 trials, seed 1) and keep them "
                          "in the project")
                           .arg(kDefaultTrials));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setVisible(false);
    m_progress = new QProgressBar;
    m_progress->setVisible(false);
    m_progress->setMaximumWidth(220);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_progress);
    layout->addWidget(m_tune);
    layout->addWidget(m_cancel);
    connect(m_tune, &QPushButton::clicked, this, &BaselineTuneOffer::startTune);
    connect(m_cancel, &QPushButton::clicked, this, &BaselineTuneOffer::cancelTune);
    m_pool.setMaxThreadCount(1);
    setVisible(false);
}

BaselineTuneOffer::~BaselineTuneOffer()
{
    if (m_cancelToken) m_cancelToken->cancel();
    m_pool.waitForDone();
}

bool BaselineTuneOffer::hasTunedParams(const kizu::project::ProjectStore& store)
{
    const auto saved = store.meta(kMetaKey);
    return saved && !saved->empty();
}

void BaselineTuneOffer::setProject(kizu::project::ProjectStore* store)
{
    if (store != m_store) {
        if (m_tuning) cancelTune(); // its result belongs to the old project
        m_text->setText(tr(kOfferText));
    }
    m_store = store;
    refresh();
}

void BaselineTuneOffer::refresh()
{
    if (m_tuning) return; // the offer stays until its run ends
    bool offer = false;
    try {
        offer = m_store && !hasTunedParams(*m_store);
    } catch (const kizu::Error&) {
        offer = false;
    }
    setVisible(offer);
}

QString BaselineTuneOffer::statusText() const
{
    return m_text->text();
}

void BaselineTuneOffer::setTuning(bool on)
{
    m_tuning = on;
    m_tune->setEnabled(!on);
    m_cancel->setVisible(on);
    m_cancel->setEnabled(on);
    m_progress->setVisible(on);
}

void BaselineTuneOffer::startTune()
{
    if (m_tuning || !m_store) return;
    // The train split only: tuning on the test split would flatter the baseline.
    // The project's labeled train images, as the CLI's `baseline tune --split train` reads them.
    std::vector<kizu::baseline::LabeledImage> labeled;
    std::int64_t ok = 0, ng = 0;
    try {
        const auto items = kizu::learn::listProject(m_store->dir(), "train");
        std::tie(ok, ng) = kizu::learn::classCounts(items);
        for (const auto& it : items)
            labeled.push_back({it.path.string(), it.label == kizu::learn::kNg, it.group, it.roi});
    } catch (const kizu::InvalidArgument&) {
        // no labeled train images: the message below says what is missing
    } catch (const kizu::Error& e) {
        m_text->setText(tr("Cannot read the project: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    if (ok == 0 || ng == 0) {
        m_text->setText(tr("<b>The baseline is not tuned.</b> Tuning needs labeled OK and NG "
                           "images in the train split (it has %1 OK, %2 NG): label images and "
                           "assign a split on the Dataset page, then try again.")
                            .arg(ok)
                            .arg(ng));
        Q_EMIT tuneFinished(false);
        return;
    }
    kizu::baseline::TuneOptions opt;
    opt.trials = std::max(1, m_trials);
    opt.budgetSeconds = kBudgetSeconds;
    opt.seed = 1;
    m_cancelToken = std::make_shared<kizu::CancelToken>();
    setTuning(true);
    m_progress->setRange(0, 0);
    m_text->setText(
        tr("Reading %1 train images (%2 OK, %3 NG)...").arg(labeled.size()).arg(ok).arg(ng));

    auto* store = m_store;
    auto token = m_cancelToken;
    (void)QtConcurrent::run(&m_pool, [this, labeled, opt, token, store, ok, ng] {
        BaselineParams best = opt.start;
        QString summary, error;
        bool cancelled = false;
        try {
            auto rep = kizu::baseline::tuneBaseline(
                labeled, opt,
                [this](const kizu::Progress& p) {
                    const int done = int(p.done), total = int(p.total);
                    const bool tuning = p.stage == "tune";
                    QMetaObject::invokeMethod(
                        this,
                        [this, done, total, tuning] {
                            if (!m_tuning) return;
                            m_progress->setRange(0, std::max(1, total));
                            m_progress->setValue(done);
                            m_progress->setFormat(tuning ? tr("trial %v of %m")
                                                         : tr("reading %v of %m"));
                            if (tuning && m_cancel->isEnabled()) // not once Cancel was pressed
                                m_text->setText(tr("Tuning the baseline on the train split; "
                                                   "Cancel keeps the defaults."));
                            Q_EMIT tuneProgress(done, total);
                        },
                        Qt::QueuedConnection);
                },
                token.get());
            best = rep.best;
            cancelled = rep.cancelled;
            // In the operator's terms: how many good parts each set of parameters rejects.
            summary = tr("Baseline tuned on the train split (%1 OK, %2 NG) in %3 s: it rejects "
                         "%4 of %5 OK parts and finds %6 of %7 NG (the defaults rejected %8 OK "
                         "and found %9 NG). Balanced accuracy %10 (defaults %11).")
                          .arg(ok)
                          .arg(ng)
                          .arg(rep.seconds, 0, 'f', 1)
                          .arg(rep.train.fp)
                          .arg(rep.train.fp + rep.train.tn)
                          .arg(rep.train.tp)
                          .arg(rep.train.tp + rep.train.fn)
                          .arg(rep.start.fp)
                          .arg(rep.start.tp)
                          .arg(rep.train.balancedAccuracy, 0, 'f', 3)
                          .arg(rep.start.balancedAccuracy, 0, 'f', 3);
        } catch (const kizu::Error& e) {
            error = QString::fromStdString(e.what());
        } catch (const std::exception& e) {
            error = tr("Unexpected error: %1").arg(QString::fromUtf8(e.what()));
        }
        QMetaObject::invokeMethod(
            this,
            [this, best, summary, cancelled, error, store] {
                onDone(best, summary, cancelled, error, store);
            },
            Qt::QueuedConnection);
    });
}

void BaselineTuneOffer::cancelTune()
{
    if (!m_tuning || !m_cancelToken) return;
    m_cancelToken->cancel();
    m_cancel->setEnabled(false);
    m_text->setText(tr("Cancelling..."));
}

void BaselineTuneOffer::onDone(const BaselineParams& best, const QString& summary, bool cancelled,
                               const QString& error, kizu::project::ProjectStore* store)
{
    setTuning(false);
    bool stored = false;
    if (!error.isEmpty()) {
        m_text->setText(tr("<b>Tuning failed:</b> %1").arg(error.toHtmlEscaped()));
    } else if (cancelled) {
        m_text->setText(tr("Tuning cancelled; the baseline keeps its defaults. %1")
                            .arg(tr("Tune again when you are ready.")));
    } else if (store && store == m_store) {
        try {
            store->setMeta(kMetaKey, best.toJson().dump());
            m_params = best;
            stored = true;
            m_text->setText(summary);
        } catch (const kizu::Error& e) {
            m_text->setText(tr("<b>Cannot keep the tuned parameters:</b> %1")
                                .arg(QString::fromStdString(e.what()).toHtmlEscaped()));
        }
    }
    if (stored) {
        setVisible(false);
        Q_EMIT tuned();
    } else if (store != m_store) {
        m_text->setText(tr(kOfferText)); // the project changed meanwhile
        refresh();
    }
    Q_EMIT tuneFinished(stored);
}

} // namespace kizu::ui
