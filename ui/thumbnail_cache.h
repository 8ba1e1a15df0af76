// Thumbnails for the Dataset grid: made on a thread pool from the project's image files, kept
// on disk in <project>/cache/thumbs and in memory, most recent request first. Requests for
// images that scrolled out of view are dropped before any work is spent on them.
#pragma once

#include <QCache>
#include <QHash>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QSize>
#include <QString>
#include <QThreadPool>
#include <memory>

namespace kizu::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    // The longer side of thumbnails kept on disk; the grid draws them at its own cell size.
    static constexpr int kDiskSide = 256;

    explicit ThumbnailCache(QObject* parent = nullptr);
    ~ThumbnailCache() override;

    // Forgets everything of the previous project; thumbnails go to <projectDir>/cache/thumbs.
    void setProject(const QString& projectDir);
    // The box that pixmaps are scaled to fit (keeps scaling out of the paint path).
    void setDisplaySize(const QSize& size);
    QSize displaySize() const { return m_displaySize; }

    enum class State { Ready, Pending, Failed };
    // Returns the pixmap when it is in memory; otherwise queues it and returns a null pixmap.
    // ready(id) follows once it is made (or failed: then state() says Failed).
    QPixmap get(qint64 id, const QString& imageFile, const QString& hash, State* state = nullptr);
    // Drops queued requests for every id not in `visible` (work already started finishes).
    void retainOnly(const QSet<qint64>& visible);
    // Requests queued or in progress.
    int pending() const;
    // Waits until no job runs (for tests and benchmarks).
    void waitForIdle();

Q_SIGNALS:
    void ready(qint64 id);

private:
    struct Shared;
    void deliver(quint64 generation, qint64 id, const QImage& image);
    void startWorker();

    std::shared_ptr<Shared> m_shared;
    QThreadPool m_pool;
    QCache<qint64, QPixmap> m_memory;
    QSet<qint64> m_failed;
    QSize m_displaySize{160, 96};
    QSize m_madeFor{160, 96}; // the box the pixmaps in memory were scaled for
};

} // namespace kizu::ui
