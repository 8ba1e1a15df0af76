// CG Studio's "On your photos" strip: the first few CG defect transplants of a batch (fixed
// seed) onto the project's OK photos, redone off the GUI thread as the ranges change, with the
// mask outline on demand and a PNG contact sheet of the photos and their transplants.
#pragma once

#include "core/cg/cg_params.h"
#include "core/cg/cg_transplant_batch.h"

#include <QFutureWatcher>
#include <QGroupBox>
#include <QImage>
#include <QList>

#include <memory>
#include <vector>

class QCheckBox;
class QLabel;
class QPushButton;
class QTimer;

namespace kizu {
class CancelToken;
}
namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

struct TransplantStripResult;

class TransplantStrip : public QGroupBox {
    Q_OBJECT
public:
    static constexpr int kCount = 6;
    static constexpr quint64 kSeed = 1; // the strip shows transplants 0-5 of a batch with seed 1

    explicit TransplantStrip(QWidget* parent = nullptr);
    ~TransplantStrip() override;

    // The ranges to transplant with; a change restarts the strip after a short pause.
    void setParams(const kizu::cg::CgParams& params);

    // Tiles on screen now (0 before the first result, or without OK photos).
    int tileCount() const { return int(m_tiles.size()); }
    // The tile as shown: the transplant scaled to the tile, its mask outlined when maskShown().
    QImage tileImage(int i) const;
    // Counts changes (params, project); a result belongs to the change that asked for it.
    quint64 requestedGeneration() const { return m_generation; }
    quint64 shownGeneration() const { return m_shownGeneration; }
    bool busy() const;
    QString message() const; // the line above the tiles
    int okPhotoCount() const { return m_okPhotos; }

    bool maskShown() const;
    void setMaskShown(bool on);

    // A PNG contact sheet of the photos and their transplants (cg::transplantSheet).
    bool exportSheet(const QString& file, QString* error = nullptr);

public Q_SLOTS:
    void setStore(kizu::project::ProjectStore* store);
    void exportSheetDialog();

Q_SIGNALS:
    void updated();
    void statusMessage(const QString& text);

protected:
    // Labels may have changed on the Dataset page: a changed set of OK photos starts over.
    void showEvent(QShowEvent* event) override;

private:
    void start();
    void apply(const TransplantStripResult& r);
    void showTiles();
    void setMessage(const QString& text);

    kizu::project::ProjectStore* m_store = nullptr;
    kizu::cg::CgParams m_params;
    bool m_haveParams = false;
    std::string m_paramsKey;
    quint64 m_generation = 0;
    quint64 m_shownGeneration = 0;
    int m_okPhotos = 0;
    std::vector<kizu::cg::TransplantPhoto> m_photoList;
    kizu::cg::TransplantOptions m_options;
    std::shared_ptr<kizu::CancelToken> m_cancel;
    // Photos read and measured once per project (shared with the jobs, which only read them).
    std::shared_ptr<const std::vector<kizu::cg::AnalysedPhoto>> m_photos;
    quint64 m_photosGeneration = 0;

    QLabel* m_message = nullptr;
    QCheckBox* m_showMask = nullptr;
    QPushButton* m_export = nullptr;
    QList<QLabel*> m_tileLabels;
    QTimer* m_timer = nullptr;
    QFutureWatcher<TransplantStripResult>* m_watcher = nullptr;

    QList<QImage> m_tiles, m_outlined;
    std::shared_ptr<const std::vector<kizu::cg::TransplantResult>> m_results;
};

} // namespace kizu::ui
