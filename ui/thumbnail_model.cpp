#include "ui/thumbnail_model.h"

#include "core/common/error.h"
#include "ui/thumbnail_cache.h"

#include <QDateTime>
#include <QPixmap>

namespace kizu::ui {

using kizu::project::ImageRecord;
using kizu::project::Label;
using kizu::project::Split;

ThumbnailModel::ThumbnailModel(ThumbnailCache* cache, QObject* parent)
    : QAbstractListModel(parent), m_cache(cache)
{
    m_blocks.setMaxCost(96); // blocks of kBlock records: a few screens either way
    connect(m_cache, &ThumbnailCache::ready, this, &ThumbnailModel::thumbnailReady);
}

void ThumbnailModel::setStore(kizu::project::ProjectStore* store,
                              const kizu::project::ImageFilter& filter)
{
    m_store = store;
    m_filter = filter;
    reload();
}

void ThumbnailModel::setFilter(const kizu::project::ImageFilter& filter)
{
    m_filter = filter;
    reload();
}

void ThumbnailModel::reload()
{
    std::vector<kizu::project::ImageBrief> rows;
    if (m_store) rows = m_store->imageBriefs(m_filter); // may throw: the model stays as it was
    beginResetModel();
    m_rows = std::move(rows);
    m_rowOf.clear();
    m_rowOf.reserve(qsizetype(m_rows.size()));
    for (std::size_t k = 0; k < m_rows.size(); ++k)
        m_rowOf.insert(m_rows[k].id, int(k));
    m_blocks.clear();
    endResetModel();
    recount();
}

int ThumbnailModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

std::optional<ImageRecord> ThumbnailModel::record(int row) const
{
    if (row < 0 || row >= int(m_rows.size()) || !m_store) return std::nullopt;
    const int block = row / kBlock;
    std::vector<ImageRecord>* recs = m_blocks.object(block);
    if (!recs) {
        const int begin = block * kBlock;
        const int end = std::min(int(m_rows.size()), begin + kBlock);
        std::vector<std::int64_t> ids;
        for (int r = begin; r < end; ++r)
            ids.push_back(m_rows[std::size_t(r)].id);
        std::vector<ImageRecord> found;
        try {
            found = m_store->imagesByIds(ids);
        } catch (const kizu::Error&) {
            return std::nullopt; // painted as missing; the next reload shows what is there
        }
        // Aligned with the rows: an image deleted meanwhile leaves a record with id 0.
        recs = new std::vector<ImageRecord>(ids.size());
        std::size_t f = 0;
        for (std::size_t k = 0; k < ids.size() && f < found.size(); ++k)
            if (found[f].id == ids[k]) (*recs)[k] = std::move(found[f++]);
        m_blocks.insert(block, recs);
    }
    const ImageRecord& r = (*recs)[std::size_t(row - block * kBlock)];
    if (r.id == 0) return std::nullopt;
    ImageRecord out = r;
    out.label = m_rows[std::size_t(row)].label; // the in-memory state is the newest
    out.split = m_rows[std::size_t(row)].split;
    return out;
}

QVariant ThumbnailModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const auto& brief = m_rows[std::size_t(index.row())];
    switch (role) {
    case IdRole:
        return QVariant::fromValue(qint64(brief.id));
    case LabelRole:
        return int(brief.label);
    case SplitRole:
        return int(brief.split);
    case Qt::DisplayRole: {
        auto r = record(index.row());
        return r ? QString::fromStdString(r->fileName()) : QString();
    }
    case Qt::ToolTipRole: {
        auto r = record(index.row());
        if (!r) return {};
        return tr("%1\n%2 x %3 px, group %4, source %5\ncaptured %6")
            .arg(QString::fromStdString(r->originalPath))
            .arg(r->width)
            .arg(r->height)
            .arg(r->group.empty() ? tr("(none)") : QString::fromStdString(r->group),
                 QString::fromStdString(r->source),
                 QDateTime::fromMSecsSinceEpoch(r->capturedAt).toString(Qt::ISODate));
    }
    case SourceRole: {
        auto r = record(index.row());
        return r ? QString::fromStdString(r->source) : QString();
    }
    case ThumbnailRole:
    case ThumbnailStateRole: {
        auto r = record(index.row());
        if (!r) return role == ThumbnailRole ? QVariant() : int(ThumbnailCache::State::Failed);
        ThumbnailCache::State state;
        QPixmap pm = m_cache->get(brief.id, QString::fromStdString(m_store->imagePath(*r).string()),
                                  QString::fromStdString(r->hash), &state);
        return role == ThumbnailRole ? QVariant::fromValue(pm) : QVariant(int(state));
    }
    default:
        return {};
    }
}

int ThumbnailModel::nextUnlabeled(int row) const
{
    const int n = int(m_rows.size());
    for (int k = 1; k <= n; ++k) {
        const int r = (row + k) % n;
        if (m_rows[std::size_t(r)].label == Label::Unlabeled) return r;
    }
    return -1;
}

void ThumbnailModel::applyLabels(const std::vector<qint64>& ids, Label label)
{
    for (qint64 id : ids) {
        const int row = rowOf(id);
        if (row < 0) continue;
        m_rows[std::size_t(row)].label = label;
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i, {LabelRole});
    }
    recount();
}

void ThumbnailModel::applySplits(const std::vector<qint64>& ids, Split split)
{
    for (qint64 id : ids) {
        const int row = rowOf(id);
        if (row < 0) continue;
        m_rows[std::size_t(row)].split = split;
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i, {SplitRole});
    }
    recount();
}

void ThumbnailModel::thumbnailReady(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0) return;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {ThumbnailRole});
}

void ThumbnailModel::recount()
{
    Counts c;
    c.total = qint64(m_rows.size());
    for (const auto& b : m_rows) {
        ++c.byLabel[int(b.label)];
        ++c.bySplit[int(b.split)];
    }
    m_counts = c;
    Q_EMIT countsChanged();
}

} // namespace kizu::ui
