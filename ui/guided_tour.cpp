#include "ui/guided_tour.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace kizu::ui {

GuidedTour::GuidedTour(QWidget* window, QTabWidget* pages, QVector<Step> steps)
    : QWidget(window), m_pages(pages), m_steps(std::move(steps))
{
    setObjectName(QStringLiteral("guidedTour"));
    setAttribute(Qt::WA_NoSystemBackground);
    setFocusPolicy(Qt::StrongFocus);
    hide();
    window->installEventFilter(this);

    m_card = new QWidget(this);
    m_card->setObjectName(QStringLiteral("tourCard"));
    m_card->setAutoFillBackground(true);
    m_card->setStyleSheet(QStringLiteral(
        "#tourCard { background: palette(base); border: 2px solid #2f7bd8; border-radius: 8px; }"));
    auto* v = new QVBoxLayout(m_card);
    v->setContentsMargins(18, 14, 18, 12);
    m_title = new QLabel;
    m_title->setStyleSheet(QStringLiteral("font-size: 17px; font-weight: 600;"));
    m_text = new QLabel;
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_text->setMinimumWidth(420);
    auto* row = new QHBoxLayout;
    m_counter = new QLabel;
    m_counter->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto* skip = new QPushButton(tr("Skip tour"));
    m_back = new QPushButton(tr("Back"));
    m_next = new QPushButton(tr("Next"));
    m_next->setDefault(true);
    skip->setToolTip(tr("End the tour (Esc). Help > Guided Tour starts it again."));
    m_back->setToolTip(tr("Previous page (Left)"));
    m_next->setToolTip(tr("Next page (Right or Enter)"));
    for (auto* b : {skip, m_back, m_next}) b->setFocusPolicy(Qt::NoFocus);
    row->addWidget(m_counter);
    row->addStretch();
    row->addWidget(skip);
    row->addWidget(m_back);
    row->addWidget(m_next);
    v->addWidget(m_title);
    v->addWidget(m_text);
    v->addLayout(row);
    connect(skip, &QPushButton::clicked, this, &GuidedTour::finish);
    connect(m_back, &QPushButton::clicked, this, &GuidedTour::back);
    connect(m_next, &QPushButton::clicked, this, &GuidedTour::next);
}

QString GuidedTour::currentTitle() const
{
    return m_step >= 0 && m_step < m_steps.size() ? m_steps[m_step].title : QString();
}

void GuidedTour::start()
{
    if (m_steps.isEmpty()) return;
    m_step = 0;
    setGeometry(parentWidget()->rect());
    show();
    raise();
    setFocus();
    showStep();
}

void GuidedTour::next()
{
    if (!isVisible()) return;
    if (m_step + 1 >= m_steps.size()) {
        hide();
        Q_EMIT finished(true);
        return;
    }
    ++m_step;
    showStep();
}

void GuidedTour::back()
{
    if (!isVisible() || m_step == 0) return;
    --m_step;
    showStep();
}

void GuidedTour::finish()
{
    if (!isVisible()) return;
    hide();
    Q_EMIT finished(false);
}

void GuidedTour::showStep()
{
    const Step& s = m_steps[m_step];
    if (m_pages && s.page >= 0 && s.page < m_pages->count()) m_pages->setCurrentIndex(s.page);
    m_title->setText(s.title);
    m_text->setText(s.text);
    m_counter->setText(tr("%1 of %2").arg(m_step + 1).arg(m_steps.size()));
    m_back->setEnabled(m_step > 0);
    m_next->setText(m_step + 1 == m_steps.size() ? tr("Finish") : tr("Next"));
    placeCard();
    update();
}

QRect GuidedTour::highlightRect() const
{
    if (!m_pages) return {};
    QTabBar* bar = m_pages->tabBar();
    const int page = m_steps.value(m_step).page;
    if (page < 0 || page >= bar->count()) return {};
    QRect r = bar->tabRect(page);
    r.moveTopLeft(bar->mapTo(parentWidget(), r.topLeft()));
    return r.adjusted(-4, -3, 4, 3);
}

// Native child windows (a QWindowContainer, as the CG Studio's Qt3D view) are drawn above all
// sibling widgets, this overlay included: the card has to stay out of their way.
QVector<QRect> GuidedTour::keepClearRects() const
{
    QVector<QRect> out;
    QWidget* window = parentWidget();
    auto add = [&](const QWidget* w) {
        if (!w || !w->isVisible()) return;
        const QRect r(w->mapTo(window, QPoint(0, 0)), w->size());
        if (!out.contains(r)) out.push_back(r);
    };
    for (const auto& w : m_keepClear)
        add(w);
    for (const QWidget* w : window->findChildren<QWidget*>())
        if (w->inherits("QWindowContainer")) add(w);
    return out;
}

void GuidedTour::placeCard()
{
    m_card->adjustSize();
    const QRect target = highlightRect();
    QSize sz = m_card->sizeHint().expandedTo(QSize(480, 0));
    sz.setWidth(std::min(sz.width(), std::max(300, width() - 40)));
    sz.setHeight(std::max(sz.height(), m_card->heightForWidth(sz.width())));
    m_card->resize(sz);
    int x = target.isValid() ? target.left() : (width() - sz.width()) / 2;
    x = std::clamp(x, 20, std::max(20, width() - sz.width() - 20));
    const int y = target.isValid() ? target.bottom() + 28 : height() / 3;
    const QPoint preferred(x, std::min(y, std::max(0, height() - sz.height() - 20)));

    // Under the tab if that is clear; else beside, below or above what must stay clear.
    const QVector<QRect> avoid = keepClearRects();
    QVector<QPoint> candidates{preferred};
    for (const QRect& r : avoid) {
        candidates.push_back({r.left() - 16 - sz.width(), preferred.y()});
        candidates.push_back({r.right() + 17, preferred.y()});
        candidates.push_back({preferred.x(), r.bottom() + 17});
        candidates.push_back({r.left(), r.bottom() + 17});
        candidates.push_back({preferred.x(), r.top() - 16 - sz.height()});
    }
    const QRect inside = rect().adjusted(8, 8, -8, -8);
    for (const QPoint& c : candidates) {
        const QRect card(c, sz);
        if (!inside.contains(card)) continue;
        if (std::none_of(avoid.begin(), avoid.end(),
                         [&](const QRect& r) { return r.intersects(card); })) {
            m_card->move(c);
            return;
        }
    }
    m_card->move(preferred); // no clear spot (a tiny window): at least under the tab
}

void GuidedTour::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    QPainterPath dim;
    dim.addRect(rect());
    const QRect hole = highlightRect();
    if (hole.isValid()) {
        QPainterPath h;
        h.addRoundedRect(hole, 6, 6);
        dim = dim.subtracted(h);
    }
    p.fillPath(dim, QColor(0, 0, 0, 120));
    if (hole.isValid()) {
        p.setPen(QPen(QColor(0x2f, 0x7b, 0xd8), 3));
        p.drawRoundedRect(hole, 6, 6);
        // A pointer from the card to the tab.
        const QPoint a(hole.center().x(), hole.bottom() + 3);
        const QPoint b(std::clamp(a.x(), m_card->x() + 20, m_card->x() + m_card->width() - 20),
                       m_card->y());
        p.drawLine(a, b);
    }
}

bool GuidedTour::event(QEvent* event)
{
    // Claim typed keys and the tour's own before the pages' single-key shortcuts (R, H, O,
    // N...) see them: they come here as key presses, which the tour uses or swallows. Ctrl/Alt
    // shortcuts and F1 (help) still work.
    if (event->type() == QEvent::ShortcutOverride) {
        const auto* key = static_cast<QKeyEvent*>(event);
        const bool plain =
            !(key->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier));
        const bool ours = key->key() == Qt::Key_Left || key->key() == Qt::Key_Right ||
                          key->key() == Qt::Key_Backspace || key->key() == Qt::Key_Escape;
        if (plain && (ours || !key->text().isEmpty())) {
            event->accept();
            return true;
        }
    }
    return QWidget::event(event);
}

void GuidedTour::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Right:
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
        next();
        return;
    case Qt::Key_Left:
    case Qt::Key_Backspace:
        back();
        return;
    case Qt::Key_Escape:
        finish();
        return;
    default:
        event->accept(); // the pages underneath get no keys while the tour runs
    }
}

void GuidedTour::mousePressEvent(QMouseEvent* event)
{
    event->accept(); // clicks on the dimmed area do nothing; the card has the buttons
}

bool GuidedTour::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize && isVisible()) {
        setGeometry(parentWidget()->rect());
        placeCard();
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace kizu::ui
