#include "ui/label_command.h"

#include "ui/conversions.h"

#include <QCoreApplication>
#include <map>

namespace kizu::ui {

using kizu::project::Label;

LabelCommand::LabelCommand(std::vector<qint64> ids, std::vector<Label> oldLabels, Label newLabel,
                           Apply apply)
    : m_ids(std::move(ids)), m_old(std::move(oldLabels)), m_new(newLabel), m_apply(std::move(apply))
{
    setText(m_ids.size() == 1
                ? QCoreApplication::translate("LabelCommand", "Label %1").arg(labelText(m_new))
                : QCoreApplication::translate("LabelCommand", "Label %1 images %2")
                      .arg(m_ids.size())
                      .arg(labelText(m_new)));
}

void LabelCommand::redo()
{
    if (!m_apply(m_ids, m_new)) setObsolete(true);
}

void LabelCommand::undo()
{
    // One store call per earlier label: each is one transaction.
    std::map<int, std::vector<qint64>> byOld;
    for (std::size_t k = 0; k < m_ids.size(); ++k)
        byOld[int(m_old[k])].push_back(m_ids[k]);
    bool ok = true;
    for (const auto& [label, ids] : byOld)
        ok = m_apply(ids, Label(label)) && ok;
    if (!ok) setObsolete(true);
}

RoiCommand::RoiCommand(Roi oldRoi, Roi newRoi, Apply apply)
    : m_old(std::move(oldRoi)), m_new(std::move(newRoi)), m_apply(std::move(apply))
{
    setText(m_new ? QCoreApplication::translate("RoiCommand", "Set region of interest")
                  : QCoreApplication::translate("RoiCommand", "Clear region of interest"));
}

void RoiCommand::redo()
{
    if (!m_apply(m_new)) setObsolete(true);
}

void RoiCommand::undo()
{
    if (!m_apply(m_old)) setObsolete(true);
}

} // namespace kizu::ui
