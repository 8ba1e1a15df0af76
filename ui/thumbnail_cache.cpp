#include "ui/thumbnail_cache.h"

#include "core/imaging/thumbnail.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QMutex>
#include <QMutexLocker>
#include <QThread>
#include <atomic>
#include <exception>
#include <opencv2/imgcodecs.hpp>
#include <vector>

namespace kizu::ui {

struct ThumbnailCache::Shared {
    struct Request {
        qint64 id = 0;
        QString file;
        QString hash;
    };
    mutable QMutex mutex;
    std::vector<Request> stack; // served last-in first-out: what was asked for last is on screen
    QSet<qint64> queued;        // ids in the stack or being made
    QString cacheDir;
    quint64 generation = 0;
    int workers = 0;
};

namespace {

QString diskPath(const QString& cacheDir, const QString& hash)
{
    return cacheDir + QLatin1Char('/') + hash.left(2) + QLatin1Char('/') + hash +
           QStringLiteral(".jpg");
}

// Runs on a pool thread. Never throws: a file that cannot be read gives a null image.
QImage makeThumbnail(const QString& cacheDir, const QString& file, const QString& hash)
{
    const QString cached = diskPath(cacheDir, hash);
    if (QFileInfo::exists(cached)) {
        QImage img(cached);
        if (!img.isNull()) return img;
        QFile::remove(cached); // torn by a crash: make it again
    }
    cv::Mat thumb;
    try {
        thumb = kizu::imaging::readThumbnail(file.toStdString(), ThumbnailCache::kDiskSide);
    } catch (const std::exception&) {
        return {};
    }
    QImage img(thumb.data, thumb.cols, thumb.rows, int(thumb.step), QImage::Format_BGR888);
    img = img.convertToFormat(QImage::Format_RGB32);
    // Small originals decode as fast as their thumbnail would: not worth the disk.
    if (std::max(thumb.cols, thumb.rows) >= ThumbnailCache::kDiskSide) {
        std::vector<uchar> jpeg;
        if (cv::imencode(".jpg", thumb, jpeg, {cv::IMWRITE_JPEG_QUALITY, 88})) {
            // A cache, not project data: written under a temporary name and renamed, no fsync.
            QDir().mkpath(QFileInfo(cached).absolutePath());
            const QString tmp =
                cached + QStringLiteral(".tmp%1").arg(quintptr(QThread::currentThreadId()));
            QFile out(tmp);
            if (out.open(QIODevice::WriteOnly) &&
                out.write(reinterpret_cast<const char*>(jpeg.data()), qint64(jpeg.size())) ==
                    qint64(jpeg.size())) {
                out.close();
                if (!QFile::rename(tmp, cached)) QFile::remove(tmp);
            } else {
                out.close();
                QFile::remove(tmp);
            }
        }
    }
    return img;
}

} // namespace

ThumbnailCache::ThumbnailCache(QObject* parent)
    : QObject(parent), m_shared(std::make_shared<Shared>())
{
    // Leave a core for the UI thread; decoding is the only heavy work here.
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount() - 1));
    m_memory.setMaxCost(192 * 1024); // KiB
}

ThumbnailCache::~ThumbnailCache()
{
    {
        QMutexLocker lock(&m_shared->mutex);
        m_shared->stack.clear();
        ++m_shared->generation;
    }
    m_pool.waitForDone();
}

void ThumbnailCache::setProject(const QString& projectDir)
{
    QMutexLocker lock(&m_shared->mutex);
    ++m_shared->generation;
    m_shared->stack.clear();
    m_shared->queued.clear();
    m_shared->cacheDir =
        projectDir.isEmpty() ? QString() : projectDir + QStringLiteral("/cache/thumbs");
    lock.unlock();
    m_memory.clear();
    m_failed.clear();
    m_madeFor = m_displaySize;
}

void ThumbnailCache::setDisplaySize(const QSize& size)
{
    if (size == m_displaySize) return;
    // Small changes (the grid following the window's width) keep what is in memory: the
    // delegate shrinks a slightly large pixmap when painting. Big ones rescale from disk.
    const bool big = qAbs(size.width() - m_madeFor.width()) > m_madeFor.width() / 6 ||
                     qAbs(size.height() - m_madeFor.height()) > m_madeFor.height() / 6;
    m_displaySize = size;
    if (big) {
        m_memory.clear();
        m_madeFor = size;
    }
}

QPixmap ThumbnailCache::get(qint64 id, const QString& imageFile, const QString& hash, State* state)
{
    if (QPixmap* p = m_memory.object(id)) {
        if (state) *state = State::Ready;
        return *p;
    }
    if (m_failed.contains(id)) {
        if (state) *state = State::Failed;
        return {};
    }
    if (state) *state = State::Pending;
    QMutexLocker lock(&m_shared->mutex);
    if (m_shared->cacheDir.isEmpty()) return {};
    if (m_shared->queued.contains(id)) {
        // Asked again (scrolled back into view): move it to the top of the stack.
        auto& st = m_shared->stack;
        for (std::size_t k = 0; k < st.size(); ++k)
            if (st[k].id == id) {
                auto r = std::move(st[k]);
                st.erase(st.begin() + std::ptrdiff_t(k));
                st.push_back(std::move(r));
                break;
            }
        return {};
    }
    m_shared->queued.insert(id);
    m_shared->stack.push_back({id, imageFile, hash});
    const bool start = m_shared->workers < m_pool.maxThreadCount();
    if (start) ++m_shared->workers;
    lock.unlock();
    if (start) startWorker();
    return {};
}

void ThumbnailCache::startWorker()
{
    std::shared_ptr<Shared> shared = m_shared;
    m_pool.start([this, shared] {
        for (;;) {
            QMutexLocker lock(&shared->mutex);
            if (shared->stack.empty()) {
                --shared->workers;
                return;
            }
            Shared::Request r = std::move(shared->stack.back());
            shared->stack.pop_back();
            const QString dir = shared->cacheDir;
            const quint64 generation = shared->generation;
            lock.unlock();
            QImage img = makeThumbnail(dir, r.file, r.hash);
            // Queued to the UI thread; dropped with this object if it is gone by then.
            QMetaObject::invokeMethod(
                this, [this, generation, id = r.id, img] { deliver(generation, id, img); },
                Qt::QueuedConnection);
        }
    });
}

void ThumbnailCache::deliver(quint64 generation, qint64 id, const QImage& image)
{
    {
        QMutexLocker lock(&m_shared->mutex);
        if (generation != m_shared->generation) return;
        m_shared->queued.remove(id);
    }
    if (image.isNull()) {
        m_failed.insert(id);
    } else {
        QImage scaled = image;
        if (image.width() > m_madeFor.width() || image.height() > m_madeFor.height())
            scaled = image.scaled(m_madeFor, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        auto* pm = new QPixmap(QPixmap::fromImage(scaled));
        m_memory.insert(id, pm, std::max(1, int(qint64(pm->width()) * pm->height() * 4 / 1024)));
    }
    Q_EMIT ready(id);
}

void ThumbnailCache::retainOnly(const QSet<qint64>& visible)
{
    QMutexLocker lock(&m_shared->mutex);
    auto& st = m_shared->stack;
    std::erase_if(st, [&](const Shared::Request& r) {
        if (visible.contains(r.id)) return false;
        m_shared->queued.remove(r.id);
        return true;
    });
}

int ThumbnailCache::pending() const
{
    QMutexLocker lock(&m_shared->mutex);
    return int(m_shared->queued.size());
}

void ThumbnailCache::waitForIdle()
{
    m_pool.waitForDone();
}

} // namespace kizu::ui
