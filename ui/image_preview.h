// The large preview of the Dataset page: the full image, decoded off the UI thread with the
// core's limits, with wheel zoom around the cursor, drag to pan, Fit (F) and 1:1 (1). It shows
// the project's region of interest (outline, outside dimmed) and lets the operator draw one:
// in drawing mode a drag draws a rectangle, Shift+clicks add polygon points (double-click or
// Enter closes the polygon), Esc cancels.
#pragma once

#include "core/imaging/roi.h"

#include <QGraphicsView>
#include <QImage>
#include <QPolygonF>
#include <QString>

#include <optional>

class QGraphicsPathItem;
class QGraphicsPixmapItem;
class QGraphicsSimpleTextItem;

namespace kizu::ui {

class ImagePreview : public QGraphicsView {
    Q_OBJECT
public:
    explicit ImagePreview(QWidget* parent = nullptr);
    ~ImagePreview() override;

    // Loads the file in the background; a later call wins over one still loading.
    void showFile(const QString& file);
    void showImage(const QImage& image);
    void showMessage(const QString& text);
    bool hasImage() const;
    QSize imageSize() const { return m_imageSize; }
    double zoom() const; // 1.0 = one image pixel per screen pixel

    // The region shown over every image (normalised, so it fits any image size).
    void setRoi(const std::optional<kizu::imaging::Roi>& roi);
    const std::optional<kizu::imaging::Roi>& roi() const { return m_roi; }
    // While drawing, the mouse draws a region instead of panning.
    void setDrawing(bool on);
    bool drawing() const { return m_drawing; }

public Q_SLOTS:
    void fit();
    void actualSize();
    void zoomBy(double factor);

Q_SIGNALS:
    void zoomChanged(double zoom);
    void loaded(const QString& file, bool ok);
    // A region was drawn (valid; not yet shown: the receiver stores it and calls setRoi).
    void roiDrawn(const kizu::imaging::Roi& roi);
    // Drawing ended without a region (Esc, or setDrawing(false)).
    void drawingFinished();

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

private:
    QPointF imagePoint(const QPoint& viewPos) const; // clamped to the image
    void updateRoiItems();
    void updateSketch();
    void finishPolygon();
    void cancelSketch();
    void emitRegion(const kizu::imaging::Roi& roi);

    QGraphicsPixmapItem* m_pixmap;
    QGraphicsSimpleTextItem* m_message;
    QSize m_imageSize;
    bool m_fitMode = true;
    quint64 m_request = 0;
    std::optional<kizu::imaging::Roi> m_roi;
    QGraphicsPathItem* m_dim;     // the image outside the region, darkened
    QGraphicsPathItem* m_outline; // the region's edge
    QGraphicsPathItem* m_sketch;  // the region being drawn
    bool m_drawing = false;
    bool m_dragging = false;
    QPointF m_dragStart, m_dragEnd;
    QPolygonF m_points; // polygon points placed so far (image pixels)
};

} // namespace kizu::ui
