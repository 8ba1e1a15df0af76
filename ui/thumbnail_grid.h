// The Dataset grid: a QListView laid out as a wrapping grid of equal cells, with the labeling
// keys (O, N, U), preview keys (F, 1) and the bookkeeping that keeps thumbnail work limited
// to the cells on screen.
#pragma once

#include "core/project/project_store.h"

#include <QListView>
#include <QSet>

class QTimer;

namespace kizu::ui {

class ThumbnailCache;
class ThumbnailDelegate;

class ThumbnailGrid : public QListView {
    Q_OBJECT
public:
    explicit ThumbnailGrid(ThumbnailCache* cache, QWidget* parent = nullptr);

    ThumbnailDelegate* thumbnailDelegate() const { return m_delegate; }
    // Cell width in pixels (Ctrl+wheel changes it) and the width/height ratio of the images,
    // so that wide parts get wide tiles instead of thick black bars.
    void setCellWidth(int width);
    int cellWidth() const { return m_cellWidth; }
    void setImageAspect(double aspect);
    // First and last row whose cell is at least partly on screen; (-1, -1) when empty.
    std::pair<int, int> visibleRows() const;
    // Rows selected, in row order.
    QList<int> selectedRows() const;
    // Selects exactly `row`, makes it current and scrolls to it.
    void selectRow(int row);
    // A "drop to import" frame over the grid while files are dragged over the page.
    void setDropHint(bool on);
    bool dropHint() const { return m_dropHint; }
    // How many times the viewport has been painted with items in it (for benchmarks).
    int paintCount() const { return m_paintCount; }

Q_SIGNALS:
    void labelRequested(kizu::project::Label label);
    void fitRequested();
    void actualSizeRequested();
    void undoRequested();
    void redoRequested();
    void painted();

protected:
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void setSelection(const QRect& rect, QItemSelectionModel::SelectionFlags command) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;
    void wheelEvent(QWheelEvent* event) override;
    void rowsInserted(const QModelIndex& parent, int start, int end) override;
    void reset() override;

private:
    void updateCell();
    void scheduleVisibleUpdate();
    void updateVisible();

    ThumbnailCache* m_cache;
    ThumbnailDelegate* m_delegate;
    QTimer* m_visibleTimer;
    int m_paintCount = 0;
    int m_cellWidth = 188;
    double m_aspect = 4.0 / 3.0;
    bool m_dropHint = false;
    bool m_rangeSelection = false; // Shift+arrow or Shift+click in progress
};

} // namespace kizu::ui
