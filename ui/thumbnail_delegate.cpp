#include "ui/thumbnail_delegate.h"

#include "core/project/project_store.h"
#include "ui/thumbnail_cache.h"
#include "ui/thumbnail_model.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <algorithm>

namespace kizu::ui {

using kizu::project::Label;
using kizu::project::Split;

namespace {
constexpr int kPad = 5;   // frame to thumbnail
constexpr int kText = 18; // the name line
} // namespace

ThumbnailDelegate::ThumbnailDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

void ThumbnailDelegate::setCellSize(const QSize& size)
{
    m_cell = size;
}

QSize ThumbnailDelegate::cellFor(int width, double aspect)
{
    const int boxW = width - 2 * kPad;
    const int boxH = int(boxW / std::clamp(aspect, 1.0, 2.6) + 0.5);
    return {width, boxH + 2 * kPad + kText};
}

QSize ThumbnailDelegate::thumbnailBox() const
{
    return {m_cell.width() - 2 * kPad, m_cell.height() - 2 * kPad - kText};
}

QColor ThumbnailDelegate::labelColor(int label)
{
    switch (Label(label)) {
    case Label::Ok:
        return QColor(0x2e, 0xa0, 0x43);
    case Label::Ng:
        return QColor(0xd7, 0x3a, 0x3a);
    default:
        return QColor(0x8a, 0x8f, 0x98);
    }
}

QString ThumbnailDelegate::syntheticBadge(const std::string& source)
{
    if (source == kizu::project::kSourceCg) return QStringLiteral("CG");
    if (source == kizu::project::kSourceTransplant) return QStringLiteral("transplant");
    return {};
}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem&, const QModelIndex&) const
{
    return m_cell;
}

void ThumbnailDelegate::paint(QPainter* p, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const
{
    const QRect cell = option.rect.adjusted(1, 1, -1, -1);
    const int label = index.data(ThumbnailModel::LabelRole).toInt();
    const int split = index.data(ThumbnailModel::SplitRole).toInt();
    const bool selected = option.state & QStyle::State_Selected;
    const bool current = option.state & QStyle::State_HasFocus;
    const QPalette& pal = option.palette;
    const QColor lc = labelColor(label);

    p->save();
    p->setRenderHint(QPainter::Antialiasing, true);

    // Cell background: the selection colour, else a quiet card.
    QColor bg = selected ? pal.color(QPalette::Highlight) : pal.color(QPalette::Base);
    p->setPen(Qt::NoPen);
    p->setBrush(bg);
    p->drawRoundedRect(cell, 5, 5);

    // Thumbnail tile, framed in the label colour.
    const QRect tile(cell.left() + kPad - 1, cell.top() + kPad - 1, thumbnailBox().width(),
                     thumbnailBox().height());
    p->setBrush(QColor(0x26, 0x28, 0x2c));
    p->drawRect(tile);
    const QPixmap pm = index.data(ThumbnailModel::ThumbnailRole).value<QPixmap>();
    if (!pm.isNull()) {
        QSize s = pm.size();
        if (s.width() > tile.width() || s.height() > tile.height())
            s.scale(tile.size(), Qt::KeepAspectRatio);
        const QRect target(tile.left() + (tile.width() - s.width()) / 2,
                           tile.top() + (tile.height() - s.height()) / 2, s.width(), s.height());
        p->drawPixmap(target, pm);
    } else {
        const auto state =
            ThumbnailCache::State(index.data(ThumbnailModel::ThumbnailStateRole).toInt());
        p->setPen(QColor(0x9a, 0x9e, 0xa6));
        p->drawText(tile, Qt::AlignCenter,
                    state == ThumbnailCache::State::Failed ? tr("cannot read") : QString());
    }
    p->setBrush(Qt::NoBrush);
    p->setPen(QPen(lc, Label(label) == Label::Unlabeled ? 2 : 3));
    p->drawRect(tile.adjusted(0, 0, -1, -1));

    QFont small = option.font;
    small.setPixelSize(10);
    small.setBold(true);
    p->setFont(small);
    const QFontMetrics fm(small);

    // Label chip, bottom left of the tile.
    if (Label(label) != Label::Unlabeled) {
        const QString text =
            Label(label) == Label::Ok ? QStringLiteral("OK") : QStringLiteral("NG");
        const QRect chip(tile.left() + 4, tile.bottom() - fm.height() - 6,
                         fm.horizontalAdvance(text) + 10, fm.height() + 3);
        p->setPen(Qt::NoPen);
        p->setBrush(lc);
        p->drawRoundedRect(chip, 3, 3);
        p->setPen(Qt::white);
        p->drawText(chip, Qt::AlignCenter, text);
    }

    // Split badge, top right of the tile.
    if (Split(split) != Split::None) {
        const bool test = Split(split) == Split::Test;
        const QString text = test ? QStringLiteral("TEST") : QStringLiteral("TRAIN");
        const QRect badge(tile.right() - fm.horizontalAdvance(text) - 14, tile.top() + 5,
                          fm.horizontalAdvance(text) + 10, fm.height() + 3);
        p->setPen(Qt::NoPen);
        p->setBrush(test ? QColor(0xe0, 0x8e, 0x0b) : QColor(0x2f, 0x6f, 0xd6));
        p->drawRoundedRect(badge, 3, 3);
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, text);
    }

    // Source badge, top left of the tile: synthetic images are marked, since they teach but
    // never measure a model.
    const std::string source = index.data(ThumbnailModel::SourceRole).toString().toStdString();
    if (kizu::project::isSyntheticSource(source)) {
        const QString text = syntheticBadge(source);
        const QRect badge(tile.left() + 5, tile.top() + 5, fm.horizontalAdvance(text) + 10,
                          fm.height() + 3);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0x7e, 0x57, 0xc2));
        p->drawRoundedRect(badge, 3, 3);
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, text);
    }

    // File name.
    QFont nameFont = option.font;
    nameFont.setPixelSize(11);
    p->setFont(nameFont);
    p->setPen(selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::Text));
    const QRect textRect(cell.left() + kPad, tile.bottom() + 2, cell.width() - 2 * kPad,
                         cell.bottom() - tile.bottom() - 2);
    const QString name = index.data(Qt::DisplayRole).toString();
    p->drawText(textRect, Qt::AlignHCenter | Qt::AlignVCenter,
                QFontMetrics(nameFont).elidedText(name, Qt::ElideMiddle, textRect.width()));

    if (current) {
        p->setBrush(Qt::NoBrush);
        p->setPen(QPen(pal.color(QPalette::Highlight).darker(130), 2));
        p->drawRoundedRect(cell.adjusted(1, 1, -1, -1), 5, 5);
    }
    p->restore();
}

} // namespace kizu::ui
