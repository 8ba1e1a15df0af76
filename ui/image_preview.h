// The large preview of the Dataset page: the full image, decoded off the UI thread with the
// core's limits, with wheel zoom around the cursor, drag to pan, Fit (F) and 1:1 (1).
#pragma once

#include <QGraphicsView>
#include <QImage>
#include <QString>

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

public Q_SLOTS:
    void fit();
    void actualSize();
    void zoomBy(double factor);

Q_SIGNALS:
    void zoomChanged(double zoom);
    void loaded(const QString& file, bool ok);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    QGraphicsPixmapItem* m_pixmap;
    QGraphicsSimpleTextItem* m_message;
    QSize m_imageSize;
    bool m_fitMode = true;
    quint64 m_request = 0;
};

} // namespace kizu::ui
