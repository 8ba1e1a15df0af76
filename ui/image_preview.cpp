#include "ui/image_preview.h"

#include "core/imaging/image_io.h"

#include <QFutureWatcher>
#include <QGraphicsPathItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainterPath>
#include <QPointer>
#include <QScrollBar>
#include <QWheelEvent>
#include <QtConcurrent>
#include <algorithm>
#include <cmath>

namespace kizu::ui {

namespace {
struct Loaded {
    QImage image;
    QString error;
};

Loaded loadImage(const QString& file)
{
    Loaded out;
    try {
        cv::Mat m = kizu::imaging::readImage(file.toStdString());
        out.image = QImage(m.data, m.cols, m.rows, int(m.step), QImage::Format_BGR888)
                        .convertToFormat(QImage::Format_RGB32);
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}
} // namespace

ImagePreview::ImagePreview(QWidget* parent) : QGraphicsView(parent)
{
    auto* scene = new QGraphicsScene(this);
    setScene(scene);
    m_pixmap = scene->addPixmap({});
    m_pixmap->setTransformationMode(Qt::SmoothTransformation);
    m_dim = scene->addPath({}, Qt::NoPen, QColor(0, 0, 0, 140));
    m_dim->setZValue(1);
    QPen outline(QColor(0xff, 0xc1, 0x07), 2);
    outline.setCosmetic(true); // the same width at every zoom
    m_outline = scene->addPath({}, outline);
    m_outline->setZValue(2);
    QPen sketch(QColor(0x4f, 0xc3, 0xf7), 2, Qt::DashLine);
    sketch.setCosmetic(true);
    m_sketch = scene->addPath({}, sketch);
    m_sketch->setZValue(3);
    m_message = scene->addSimpleText({});
    m_message->setBrush(QColor(0xb0, 0xb4, 0xbb));
    setBackgroundBrush(QColor(0x1e, 0x1f, 0x22));
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setRenderHint(QPainter::SmoothPixmapTransform, true);
    setFrameShape(QFrame::NoFrame);
    setMinimumSize(200, 120);
}

ImagePreview::~ImagePreview() = default;

void ImagePreview::showFile(const QString& file)
{
    const quint64 request = ++m_request;
    auto* watcher = new QFutureWatcher<Loaded>(this);
    connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, request, file] {
        watcher->deleteLater();
        if (request != m_request) return; // another image was asked for meanwhile
        const Loaded r = watcher->result();
        if (r.image.isNull())
            showMessage(r.error);
        else
            showImage(r.image);
        Q_EMIT loaded(file, !r.image.isNull());
    });
    watcher->setFuture(QtConcurrent::run(loadImage, file));
}

void ImagePreview::showImage(const QImage& image)
{
    const bool sameSize = image.size() == m_imageSize;
    m_message->setText({});
    m_pixmap->setPixmap(QPixmap::fromImage(image));
    m_pixmap->setVisible(true);
    m_imageSize = image.size();
    scene()->setSceneRect(QRectF(QPointF(0, 0), QSizeF(m_imageSize)));
    // Same-size images (a production series) keep the zoom and position the operator chose.
    updateRoiItems();
    if (m_fitMode || !sameSize) fit();
}

void ImagePreview::showMessage(const QString& text)
{
    ++m_request;
    m_pixmap->setPixmap({});
    m_pixmap->setVisible(false);
    m_imageSize = {};
    cancelSketch();
    updateRoiItems();
    m_message->setText(text);
    resetTransform();
    scene()->setSceneRect(m_message->boundingRect().adjusted(-20, -20, 20, 20));
    centerOn(m_message);
}

bool ImagePreview::hasImage() const
{
    return !m_imageSize.isEmpty();
}

double ImagePreview::zoom() const
{
    return transform().m11();
}

void ImagePreview::fit()
{
    m_fitMode = true;
    if (!hasImage()) return;
    fitInView(m_pixmap, Qt::KeepAspectRatio);
    Q_EMIT zoomChanged(zoom());
}

void ImagePreview::actualSize()
{
    m_fitMode = false;
    if (!hasImage()) return;
    const QPointF centre = mapToScene(viewport()->rect().center());
    resetTransform();
    centerOn(centre);
    Q_EMIT zoomChanged(zoom());
}

void ImagePreview::zoomBy(double factor)
{
    if (!hasImage()) return;
    const double z = zoom() * factor;
    if (z < 0.02 || z > 40) return;
    m_fitMode = false;
    scale(factor, factor);
    Q_EMIT zoomChanged(zoom());
}

void ImagePreview::wheelEvent(QWheelEvent* event)
{
    const int dy = event->angleDelta().y();
    if (dy == 0) return;
    zoomBy(std::pow(1.0015, dy)); // one notch (120) is about 20%
    event->accept();
}

void ImagePreview::keyPressEvent(QKeyEvent* event)
{
    if (m_drawing) {
        if (event->key() == Qt::Key_Escape) {
            cancelSketch();
            setDrawing(false);
            return;
        }
        if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
            finishPolygon();
            return;
        }
    }
    switch (event->key()) {
    case Qt::Key_F:
        fit();
        return;
    case Qt::Key_1:
        actualSize();
        return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(1.25);
        return;
    case Qt::Key_Minus:
        zoomBy(0.8);
        return;
    default:
        QGraphicsView::keyPressEvent(event);
    }
}

void ImagePreview::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (m_fitMode) fit();
}

void ImagePreview::setRoi(const std::optional<kizu::imaging::Roi>& roi)
{
    m_roi = roi && !roi->empty() ? roi : std::nullopt;
    updateRoiItems();
}

void ImagePreview::updateRoiItems()
{
    QPainterPath dim, edge;
    if (m_roi && hasImage()) {
        QPolygonF poly;
        const cv::Size size(m_imageSize.width(), m_imageSize.height());
        for (const auto& p : m_roi->pixelPolygon(size))
            poly << QPointF(p.x, p.y);
        poly << poly.first();
        edge.addPolygon(poly);
        dim.addRect(QRectF(QPointF(0, 0), QSizeF(m_imageSize)));
        dim.addPolygon(poly);
        dim.setFillRule(Qt::OddEvenFill);
    }
    m_dim->setPath(dim);
    m_outline->setPath(edge);
}

void ImagePreview::setDrawing(bool on)
{
    if (on == m_drawing) return;
    m_drawing = on;
    cancelSketch();
    setDragMode(on ? QGraphicsView::NoDrag : QGraphicsView::ScrollHandDrag);
    viewport()->setCursor(on ? Qt::CrossCursor : Qt::OpenHandCursor);
    if (on)
        setFocus();
    else
        Q_EMIT drawingFinished();
}

QPointF ImagePreview::imagePoint(const QPoint& viewPos) const
{
    const QPointF p = mapToScene(viewPos);
    return {std::clamp(p.x(), 0.0, double(m_imageSize.width())),
            std::clamp(p.y(), 0.0, double(m_imageSize.height()))};
}

void ImagePreview::updateSketch()
{
    QPainterPath path;
    if (m_dragging) path.addRect(QRectF(m_dragStart, m_dragEnd).normalized());
    if (!m_points.isEmpty()) {
        path.addPolygon(m_points);
        for (const QPointF& p : m_points) {
            const double r = 3 / std::max(zoom(), 1e-3); // about 3 screen pixels
            path.addEllipse(p, r, r);
        }
    }
    m_sketch->setPath(path);
}

void ImagePreview::cancelSketch()
{
    m_dragging = false;
    m_points.clear();
    if (m_sketch) m_sketch->setPath({});
}

void ImagePreview::emitRegion(const kizu::imaging::Roi& roi)
{
    cancelSketch();
    m_drawing = false;
    setDragMode(QGraphicsView::ScrollHandDrag);
    viewport()->setCursor(Qt::OpenHandCursor);
    Q_EMIT roiDrawn(roi);
    Q_EMIT drawingFinished();
}

void ImagePreview::finishPolygon()
{
    if (m_points.size() < 3) return;
    std::vector<cv::Point2d> pts;
    for (const QPointF& p : m_points)
        pts.push_back({p.x(), p.y()});
    try {
        emitRegion(kizu::imaging::Roi::fromPixelPolygon(
            pts, cv::Size(m_imageSize.width(), m_imageSize.height())));
    } catch (const std::exception&) {
        cancelSketch(); // crossing edges or no area: start again
    }
}

void ImagePreview::mousePressEvent(QMouseEvent* event)
{
    if (!m_drawing || !hasImage() || event->button() != Qt::LeftButton) {
        QGraphicsView::mousePressEvent(event);
        return;
    }
    const QPointF p = imagePoint(event->position().toPoint());
    // Shift starts a polygon; once one is begun, every click adds a point.
    if ((event->modifiers() & Qt::ShiftModifier) || !m_points.isEmpty()) {
        m_dragging = false;
        m_points << p;
    } else {
        m_points.clear();
        m_dragging = true;
        m_dragStart = m_dragEnd = p;
    }
    updateSketch();
    event->accept();
}

void ImagePreview::mouseMoveEvent(QMouseEvent* event)
{
    if (m_drawing && m_dragging) {
        m_dragEnd = imagePoint(event->position().toPoint());
        updateSketch();
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void ImagePreview::mouseReleaseEvent(QMouseEvent* event)
{
    if (!m_drawing || !m_dragging || event->button() != Qt::LeftButton) {
        QGraphicsView::mouseReleaseEvent(event);
        return;
    }
    m_dragEnd = imagePoint(event->position().toPoint());
    m_dragging = false;
    const QRectF r = QRectF(m_dragStart, m_dragEnd).normalized();
    event->accept();
    // A click (or a sliver) is no rectangle: keep drawing.
    if (r.width() < 2 || r.height() < 2) {
        updateSketch();
        return;
    }
    try {
        emitRegion(
            kizu::imaging::Roi::fromPixelRect({r.x(), r.y(), r.width(), r.height()},
                                              cv::Size(m_imageSize.width(), m_imageSize.height())));
    } catch (const std::exception&) {
        cancelSketch();
    }
}

void ImagePreview::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (m_drawing && !m_points.isEmpty()) {
        // The double-click's first press already placed its point.
        finishPolygon();
        event->accept();
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

} // namespace kizu::ui
