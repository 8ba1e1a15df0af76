// One labeling action on the undo stack: the images, the label each had before and the label
// given. Redo and undo both write through the project store, so the audit log records the
// undo as a change of its own.
#pragma once

#include "core/imaging/roi.h"
#include "core/project/project_store.h"

#include <QUndoCommand>
#include <functional>
#include <optional>
#include <vector>

namespace kizu::ui {

class LabelCommand : public QUndoCommand {
public:
    // Writes `label` for `ids`; returns false when the store refused (the message is shown by
    // whoever applies).
    using Apply = std::function<bool(const std::vector<qint64>& ids, kizu::project::Label label)>;

    LabelCommand(std::vector<qint64> ids, std::vector<kizu::project::Label> oldLabels,
                 kizu::project::Label newLabel, Apply apply);

    void redo() override;
    void undo() override;

    const std::vector<qint64>& ids() const { return m_ids; }
    kizu::project::Label newLabel() const { return m_new; }

private:
    std::vector<qint64> m_ids;
    std::vector<kizu::project::Label> m_old;
    kizu::project::Label m_new;
    Apply m_apply;
};

// Setting or clearing the project's region of interest, undoable like a label.
class RoiCommand : public QUndoCommand {
public:
    using Roi = std::optional<kizu::imaging::Roi>;
    // Stores a region (none: clears it); returns false when the store refused.
    using Apply = std::function<bool(const Roi& roi)>;

    RoiCommand(Roi oldRoi, Roi newRoi, Apply apply);
    void redo() override;
    void undo() override;

private:
    Roi m_old, m_new;
    Apply m_apply;
};

} // namespace kizu::ui
