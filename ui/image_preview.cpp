#include "ui/image_preview.h"

#include "core/imaging/image_io.h"

#include <QFutureWatcher>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QPointer>
#include <QScrollBar>
#include <QWheelEvent>
#include <QtConcurrent>
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
    if (m_fitMode || !sameSize) fit();
}

void ImagePreview::showMessage(const QString& text)
{
    ++m_request;
    m_pixmap->setPixmap({});
    m_pixmap->setVisible(false);
    m_imageSize = {};
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

} // namespace kizu::ui
