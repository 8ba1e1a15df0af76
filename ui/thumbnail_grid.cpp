#include "ui/thumbnail_grid.h"

#include "ui/thumbnail_cache.h"
#include "ui/thumbnail_delegate.h"
#include "ui/thumbnail_model.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <algorithm>

namespace kizu::ui {

using kizu::project::Label;

ThumbnailGrid::ThumbnailGrid(ThumbnailCache* cache, QWidget* parent)
    : QListView(parent), m_cache(cache), m_delegate(new ThumbnailDelegate(this)),
      m_visibleTimer(new QTimer(this))
{
    // List mode wrapping left to right looks like icon mode, but with uniform item sizes its
    // layout is a few arrays instead of one item object per row: 100,000 rows lay out at once.
    setViewMode(QListView::ListMode);
    setFlow(QListView::LeftToRight);
    setWrapping(true);
    setResizeMode(QListView::Adjust);
    setLayoutMode(QListView::SinglePass);
    setUniformItemSizes(true);
    setMovement(QListView::Static);
    setSpacing(4);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setSelectionBehavior(QAbstractItemView::SelectItems);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn); // cell widths follow the viewport's
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setItemDelegate(m_delegate);
    setMouseTracking(false);
    updateCell();
    m_visibleTimer->setSingleShot(true);
    m_visibleTimer->setInterval(0);
    connect(m_visibleTimer, &QTimer::timeout, this, &ThumbnailGrid::updateVisible);
}

void ThumbnailGrid::setCellWidth(int width)
{
    m_cellWidth = std::clamp(width, 110, 420);
    updateCell();
}

void ThumbnailGrid::setImageAspect(double aspect)
{
    if (!(aspect > 0) || qAbs(aspect - m_aspect) < 0.05) return;
    m_aspect = aspect;
    updateCell();
}

void ThumbnailGrid::updateCell()
{
    // Cells grow a little so that whole columns fill the width: no ragged gap on the right.
    const int slot = m_cellWidth + 2 * spacing();
    const int avail = viewport()->width() - 1;
    const int columns = std::max(1, avail / slot);
    const int width = std::clamp(avail / columns - 2 * spacing(), m_cellWidth, m_cellWidth * 3 / 2);
    const QSize size = ThumbnailDelegate::cellFor(width, m_aspect);
    if (size == m_delegate->cellSize() && m_cache->displaySize() == m_delegate->thumbnailBox())
        return;
    m_delegate->setCellSize(size);
    m_cache->setDisplaySize(m_delegate->thumbnailBox());
    verticalScrollBar()->setSingleStep(size.height() / 3);
    doItemsLayout();
    // Cells changed size: keep the current image in view.
    if (currentIndex().isValid()) scrollTo(currentIndex());
}

std::pair<int, int> ThumbnailGrid::visibleRows() const
{
    if (!model() || model()->rowCount() == 0) return {-1, -1};
    const QRect vp = viewport()->rect();
    const QSize cell = m_delegate->cellSize();
    const int step = std::max(4, spacing() + 1);
    int first = -1, last = -1;
    // Probe a few points of the first and last cell rows; spacing may sit under any one point.
    for (int y = 0; y <= cell.height() + spacing() * 2 && first < 0; y += step)
        for (int x = step; x < std::min(vp.width(), cell.width() * 2) && first < 0; x += step) {
            const QModelIndex i = indexAt(QPoint(x, y));
            if (i.isValid()) first = i.row();
        }
    for (int y = vp.height() - 1; y >= vp.height() - cell.height() - spacing() * 2 && y >= 0;
         y -= step) {
        for (int x = vp.width() - 1; x >= 0; x -= step) {
            const QModelIndex i = indexAt(QPoint(x, y));
            if (i.isValid()) {
                last = std::max(last, i.row());
                break;
            }
        }
        if (last >= 0) break;
    }
    if (first < 0 && last < 0) return {-1, -1};
    if (first < 0) first = 0;
    if (last < 0) last = model()->rowCount() - 1;
    // Cells of the last row that are only partly shown may miss the probe: widen a little.
    const int perRow = std::max(1, vp.width() / (cell.width() + 2 * spacing()));
    last = std::min(model()->rowCount() - 1, last + perRow);
    return {first, std::max(first, last)};
}

QList<int> ThumbnailGrid::selectedRows() const
{
    QList<int> rows;
    for (const QModelIndex& i : selectionModel()->selectedIndexes())
        rows.append(i.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

void ThumbnailGrid::selectRow(int row)
{
    if (!model() || row < 0 || row >= model()->rowCount()) return;
    const QModelIndex i = model()->index(row, 0);
    setCurrentIndex(i); // through the view: it also moves the anchor of Shift+arrow selection
    selectionModel()->select(i, QItemSelectionModel::ClearAndSelect);
    scrollTo(i);
}

void ThumbnailGrid::keyPressEvent(QKeyEvent* event)
{
    // Shortcuts (Edit > Undo) normally take Ctrl+Z first; this covers the grid on its own.
    if (event->matches(QKeySequence::Undo)) {
        Q_EMIT undoRequested();
        return;
    }
    if (event->matches(QKeySequence::Redo)) {
        Q_EMIT redoRequested();
        return;
    }
    if (!(event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier))) {
        switch (event->key()) {
        case Qt::Key_O:
            Q_EMIT labelRequested(Label::Ok);
            return;
        case Qt::Key_N:
            Q_EMIT labelRequested(Label::Ng);
            return;
        case Qt::Key_U:
            Q_EMIT labelRequested(Label::Unlabeled);
            return;
        case Qt::Key_F:
            Q_EMIT fitRequested();
            return;
        case Qt::Key_1:
            Q_EMIT actualSizeRequested();
            return;
        default:
            break;
        }
    }
    m_rangeSelection = event->modifiers() & Qt::ShiftModifier;
    QListView::keyPressEvent(event);
    m_rangeSelection = false;
}

void ThumbnailGrid::mousePressEvent(QMouseEvent* event)
{
    m_rangeSelection = event->modifiers() & Qt::ShiftModifier;
    QListView::mousePressEvent(event);
    m_rangeSelection = false;
}

void ThumbnailGrid::setSelection(const QRect& rect, QItemSelectionModel::SelectionFlags command)
{
    // For Shift+arrow and Shift+click Qt passes a rectangle from the anchor's centre to the
    // new item; in a wrapped grid that would select a block. Images are picked in reading
    // order instead, like files in a file manager. A rubber band keeps the rectangle.
    if (m_rangeSelection && model()) {
        const QModelIndex a = indexAt(rect.topLeft());
        const QModelIndex b = indexAt(rect.bottomRight());
        if (a.isValid() && b.isValid()) {
            const int lo = std::min(a.row(), b.row()), hi = std::max(a.row(), b.row());
            selectionModel()->select(QItemSelection(model()->index(lo, 0), model()->index(hi, 0)),
                                     command);
            return;
        }
    }
    QListView::setSelection(rect, command);
}

void ThumbnailGrid::setDropHint(bool on)
{
    if (on == m_dropHint) return;
    m_dropHint = on;
    viewport()->update();
}

void ThumbnailGrid::paintEvent(QPaintEvent* event)
{
    QListView::paintEvent(event);
    if (m_dropHint) {
        QPainter p(viewport());
        p.setRenderHint(QPainter::Antialiasing);
        const QRect r = viewport()->rect().adjusted(8, 8, -8, -8);
        QColor fill = palette().color(QPalette::Highlight);
        fill.setAlpha(40);
        p.setBrush(fill);
        p.setPen(QPen(palette().color(QPalette::Highlight), 2, Qt::DashLine));
        p.drawRoundedRect(r, 10, 10);
        QFont f = font();
        f.setPixelSize(18);
        f.setBold(true);
        p.setFont(f);
        p.setPen(palette().color(QPalette::Highlight).darker(120));
        p.drawText(r, Qt::AlignCenter, tr("Drop to import into this project"));
    }
    if (model() && model()->rowCount() > 0) {
        ++m_paintCount;
        Q_EMIT painted();
    }
}

void ThumbnailGrid::resizeEvent(QResizeEvent* event)
{
    QListView::resizeEvent(event);
    updateCell();
    scheduleVisibleUpdate();
}

void ThumbnailGrid::scrollContentsBy(int dx, int dy)
{
    QListView::scrollContentsBy(dx, dy);
    scheduleVisibleUpdate();
}

void ThumbnailGrid::wheelEvent(QWheelEvent* event)
{
    // Ctrl+wheel changes the cell size, like file managers do.
    if (event->modifiers() & Qt::ControlModifier) {
        const double f = event->angleDelta().y() > 0 ? 1.15 : 1 / 1.15;
        setCellWidth(int(m_cellWidth * f));
        event->accept();
        return;
    }
    QListView::wheelEvent(event);
}

void ThumbnailGrid::rowsInserted(const QModelIndex& parent, int start, int end)
{
    QListView::rowsInserted(parent, start, end);
    scheduleVisibleUpdate();
}

void ThumbnailGrid::reset()
{
    QListView::reset();
    scheduleVisibleUpdate();
}

void ThumbnailGrid::scheduleVisibleUpdate()
{
    if (!m_visibleTimer->isActive()) m_visibleTimer->start();
}

void ThumbnailGrid::updateVisible()
{
    auto* m = qobject_cast<ThumbnailModel*>(model());
    if (!m) return;
    const auto [first, last] = visibleRows();
    QSet<qint64> ids;
    if (first >= 0)
        for (int r = first; r <= last; ++r)
            ids.insert(m->idAt(r));
    m_cache->retainOnly(ids);
}

} // namespace kizu::ui
