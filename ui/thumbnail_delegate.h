// Draws one cell of the Dataset grid: the thumbnail letterboxed on a dark tile, the label as
// a coloured frame and chip (OK green, NG red, unlabeled grey), the split as a TRAIN/TEST
// badge, and the file name underneath.
#pragma once

#include <QColor>
#include <QSize>
#include <QStyledItemDelegate>
#include <string>

namespace kizu::ui {

class ThumbnailDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ThumbnailDelegate(QObject* parent = nullptr);

    // The cell of the given width whose thumbnail box has the given width/height ratio.
    static QSize cellFor(int width, double aspect);
    // The whole cell, and the box inside it that the thumbnail is scaled to fit.
    void setCellSize(const QSize& size);
    QSize cellSize() const { return m_cell; }
    QSize thumbnailBox() const;

    static QColor labelColor(int label);
    // The badge a synthetic image wears ("CG", "transplant"); empty for a real one.
    static QString syntheticBadge(const std::string& source);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    QSize m_cell{188, 124};
};

} // namespace kizu::ui
