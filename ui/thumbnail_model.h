// The Dataset grid's model: the images of the current filter, one row each. Ids, labels and
// splits of every row are held in memory (small, loaded in one query); the rest of a record is
// fetched in blocks for the rows that are drawn, so 100,000 images open in a blink.
#pragma once

#include "core/project/project_store.h"

#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <vector>

namespace kizu::ui {

class ThumbnailCache;

class ThumbnailModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        LabelRole,          // int(kizu::project::Label)
        SplitRole,          // int(kizu::project::Split)
        ThumbnailRole,      // QPixmap, null while it is being made
        ThumbnailStateRole, // int(ThumbnailCache::State)
        SourceRole,         // QString: the image's source ("import", "cg", "transplant", ...)
    };

    struct Counts {
        qint64 total = 0;
        qint64 byLabel[3] = {};
        qint64 bySplit[3] = {};
    };

    explicit ThumbnailModel(ThumbnailCache* cache, QObject* parent = nullptr);

    // The store is not owned; nullptr empties the model. Throws kizu::Error like reload().
    void setStore(kizu::project::ProjectStore* store, const kizu::project::ImageFilter& filter);
    void setFilter(const kizu::project::ImageFilter& filter);
    const kizu::project::ImageFilter& filter() const { return m_filter; }
    // Queries the store again (after an import, a split, a change made elsewhere). Throws
    // kizu::Error when the store fails.
    void reload();

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    qint64 idAt(int row) const { return m_rows[std::size_t(row)].id; }
    int rowOf(qint64 id) const { return m_rowOf.value(id, -1); }
    kizu::project::Label labelAt(int row) const { return m_rows[std::size_t(row)].label; }
    kizu::project::Split splitAt(int row) const { return m_rows[std::size_t(row)].split; }
    // The full record (from the block cache); nullopt when the image is gone.
    std::optional<kizu::project::ImageRecord> record(int row) const;
    // The first unlabeled row after `row`, wrapping around; -1 when there is none.
    int nextUnlabeled(int row) const;
    Counts counts() const { return m_counts; }

    // Shown rows follow a label or split change made through the store (rows stay in place
    // even when they no longer match the filter, so the selection does not jump).
    void applyLabels(const std::vector<qint64>& ids, kizu::project::Label label);
    void applySplits(const std::vector<qint64>& ids, kizu::project::Split split);

Q_SIGNALS:
    void countsChanged();

private:
    void thumbnailReady(qint64 id);
    void recount();
    static constexpr int kBlock = 128;

    ThumbnailCache* m_cache;
    kizu::project::ProjectStore* m_store = nullptr;
    kizu::project::ImageFilter m_filter;
    std::vector<kizu::project::ImageBrief> m_rows;
    QHash<qint64, int> m_rowOf;
    mutable QCache<int, std::vector<kizu::project::ImageRecord>> m_blocks;
    Counts m_counts;
};

} // namespace kizu::ui
