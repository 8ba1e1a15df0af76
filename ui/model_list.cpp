#include "ui/model_list.h"

#include "core/common/error.h"
#include "core/learn/train_run.h"
#include "core/project/project_store.h"
#include "ui/model_overlay.h"

#include <QAction>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

namespace kizu::ui {
using nlohmann::json;

namespace {
QTableWidgetItem* cell(const QString& text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter)
{
    auto* it = new QTableWidgetItem(text);
    it->setFlags(it->flags() & ~Qt::ItemIsEditable);
    it->setTextAlignment(align);
    return it;
}

// Numbers sort as numbers; "-" (no test split) sorts first.
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(double v, const QString& text) : QTableWidgetItem(text), m_v(v)
    {
        setFlags(flags() & ~Qt::ItemIsEditable);
        setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    bool operator<(const QTableWidgetItem& other) const override
    {
        if (auto* o = dynamic_cast<const NumberItem*>(&other)) return m_v < o->m_v;
        return QTableWidgetItem::operator<(other);
    }

private:
    double m_v;
};

QTableWidgetItem* metricCell(const json& metrics, const char* key)
{
    auto it = metrics.find("test");
    if (it == metrics.end() || !it->is_object() || !it->contains(key))
        return new NumberItem(-1, QStringLiteral("-"));
    const double v = (*it)[key].get<double>();
    return new NumberItem(v, QString::number(v, 'f', 3));
}

QString initText(const std::string& init)
{
    const QString s = QString::fromStdString(init);
    if (s.isEmpty()) return QStringLiteral("?");
    if (s == QLatin1String("scratch")) return s;
    const int colon = s.indexOf(u':');
    const QString kind = colon > 1 ? s.left(colon) : QString();
    const QString file = QFileInfo(colon > 1 ? s.mid(colon + 1) : s).fileName();
    if (kind == QLatin1String("cg")) return QObject::tr("CG (%1)").arg(file);
    if (kind == QLatin1String("imagenet")) return QObject::tr("ImageNet (%1)").arg(file);
    return QObject::tr("model %1").arg(file);
}
} // namespace

ModelList::ModelList(QWidget* parent) : QWidget(parent)
{
    m_table = new QTableWidget(0, Count);
    m_table->setHorizontalHeaderLabels({tr("Name"), tr("Arch"), tr("Output, size"), tr("Init"),
                                        tr("Shots"), tr("Test acc."), tr("Bal. acc."), tr("AUC"),
                                        tr("Created")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::DoubleClicked);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
    m_table->setSortingEnabled(true);
    m_table->setAlternatingRowColors(true);
    m_table->setToolTip(
        tr("Select runs to lay their curves over the charts. F2 renames, Del "
           "deletes, Ctrl+E exports (Ctrl+Shift+E as ONNX), Ctrl+Shift+A makes the model "
           "active."));

    m_activate = new QPushButton(tr("Make &active"));
    m_activate->setToolTip(
        tr("The Inspect page and kizu-cli inspect use this model (Ctrl+Shift+A)"));
    m_rename = new QPushButton(tr("Rename"));
    m_rename->setToolTip(tr("F2"));
    m_export = new QPushButton(tr("Export..."));
    m_export->setToolTip(tr("Copy the model file (Ctrl+E)"));
    m_exportOnnx = new QPushButton(tr("Export as ONNX..."));
    m_exportOnnx->setObjectName(QStringLiteral("exportOnnxButton"));
    m_exportOnnx->setToolTip(tr("Write the network as a standard ONNX file for OpenCV's DNN "
                                "module or ONNX Runtime (Ctrl+Shift+E)"));
    m_delete = new QPushButton(tr("Delete"));
    m_delete->setToolTip(tr("Remove the model and its file (Del)"));
    m_details = new QLabel;
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setStyleSheet(QStringLiteral("color: palette(dark);"));

    auto add = [this](const QKeySequence& key, auto fn) {
        auto* a = new QAction(this);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(a, &QAction::triggered, this, fn);
        addAction(a);
    };
    auto current = [this]() -> qint64 {
        const auto sel = selectedIds();
        return sel.isEmpty() ? 0 : sel.first();
    };
    auto doActivate = [this, current] {
        if (auto id = current()) makeActive(id);
    };
    auto doRename = [this] {
        const int row = m_table->currentRow();
        if (row >= 0) m_table->editItem(m_table->item(row, Name));
    };
    auto doExport = [this, current] {
        const auto id = current();
        if (!id || !m_store) return;
        const auto rec = m_store->model(id);
        if (!rec) return;
        const QString suggested =
            QFileInfo(QString::fromStdString(m_store->modelPath(*rec).string())).fileName();
        const QString target = QFileDialog::getSaveFileName(this, tr("Export model"), suggested,
                                                            tr("Kizu models (*.kizumodel)"));
        if (!target.isEmpty()) exportTo(id, target);
    };
    auto doExportOnnx = [this, current] {
        const auto id = current();
        if (!id || !m_store) return;
        const auto rec = m_store->model(id);
        if (!rec) return;
        const QString suggested =
            QFileInfo(QString::fromStdString(m_store->modelPath(*rec).string()))
                .completeBaseName() +
            QStringLiteral(".onnx");
        const QString target = QFileDialog::getSaveFileName(this, tr("Export model as ONNX"),
                                                            suggested, tr("ONNX models (*.onnx)"));
        if (!target.isEmpty()) exportOnnxTo(id, target);
    };
    auto doDelete = [this, current] {
        if (auto id = current()) remove(id, true);
    };
    connect(m_activate, &QPushButton::clicked, this, doActivate);
    connect(m_rename, &QPushButton::clicked, this, doRename);
    connect(m_export, &QPushButton::clicked, this, doExport);
    connect(m_exportOnnx, &QPushButton::clicked, this, doExportOnnx);
    connect(m_delete, &QPushButton::clicked, this, doDelete);
    add(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), doActivate);
    add(QKeySequence(Qt::Key_F2), doRename);
    add(QKeySequence(Qt::CTRL | Qt::Key_E), doExport);
    add(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), doExportOnnx);
    add(QKeySequence::Delete, doDelete);

    connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (m_loading || item->column() != Name) return;
        const qint64 id = item->data(Qt::UserRole).toLongLong();
        QString name = item->text().trimmed();
        if (name.startsWith(QStringLiteral("\u2605 "))) name = name.mid(2);
        rename(id, name);
    });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        updateButtons();
        Q_EMIT selectionChanged(selectedIds());
    });

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_activate);
    buttons->addWidget(m_rename);
    buttons->addWidget(m_export);
    buttons->addWidget(m_exportOnnx);
    buttons->addWidget(m_delete);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_details);
    updateButtons();
}

void ModelList::setStore(kizu::project::ProjectStore* store)
{
    m_store = store;
    reload();
}

void ModelList::reload()
{
    const QList<qint64> keep = selectedIds();
    m_loading = true;
    m_table->setSortingEnabled(false);
    m_table->clearContents();
    m_table->setRowCount(0);
    if (m_store) {
        std::vector<kizu::project::ModelRecord> models;
        std::optional<std::int64_t> active;
        try {
            models = m_store->models();
            active = kizu::learn::activeModelId(*m_store);
        } catch (const kizu::Error& e) {
            Q_EMIT statusMessage(QString::fromStdString(e.what()));
        }
        m_table->setRowCount(int(models.size()));
        for (int row = 0; row < int(models.size()); ++row) {
            const auto& r = models[std::size_t(row)];
            json cfg = json::parse(r.config, nullptr, false);
            json met = json::parse(r.metrics, nullptr, false);
            if (!cfg.is_object()) cfg = json::object();
            if (!met.is_object()) met = json::object();
            const bool isActive = active && *active == r.id;
            auto* name = new QTableWidgetItem((isActive ? QStringLiteral("\u2605 ") : QString()) +
                                              QString::fromStdString(r.name));
            name->setData(Qt::UserRole, qint64(r.id));
            name->setToolTip(QString::fromStdString(m_store->modelPath(r).string()));
            if (isActive) {
                QFont f = name->font();
                f.setBold(true);
                name->setFont(f);
            }
            if (met.contains("assessment")) {
                const auto a = kizu::learn::assessmentFromJson(met["assessment"]);
                if (a.warns()) {
                    name->setIcon(style()->standardIcon(QStyle::SP_MessageBoxWarning));
                    name->setToolTip(name->toolTip() + QStringLiteral("\n") +
                                     QString::fromStdString(a.message));
                }
            }
            m_table->setItem(row, Name, name);
            m_table->setItem(row, Arch, cell(QString::fromStdString(r.arch)));
            const int size = cfg.value("input_size", 0);
            auto* sizeItem = new NumberItem(size, headText(cfg));
            const std::string head = recordHead(cfg);
            sizeItem->setToolTip(
                head == "defect_map" ? tr("A defect map: where the defect is, and the verdict "
                                          "from it")
                : head == "anomaly"
                    ? tr("An anomaly map, learned from OK photos only (PatchCore): how unlike "
                         "the OK photos each place is, and the verdict from its worst place")
                    : tr("An image classifier: one OK/NG score per photo"));
            m_table->setItem(row, Size, sizeItem);
            m_table->setItem(row, Init, cell(initText(cfg.value("init", std::string()))));
            const int shots = cfg.value("shots", 0);
            m_table->setItem(row, Shots,
                             new NumberItem(shots, shots > 0 ? QString::number(shots) : tr("all")));
            m_table->setItem(row, TestAccuracy, metricCell(met, "accuracy"));
            m_table->setItem(row, BalancedAccuracy, metricCell(met, "balanced_accuracy"));
            m_table->setItem(row, Auc, metricCell(met, "auc"));
            const auto created = QDateTime::fromMSecsSinceEpoch(r.createdAt);
            auto* c = new NumberItem(double(r.createdAt),
                                     created.toString(QStringLiteral("yyyy-MM-dd HH:mm")));
            m_table->setItem(row, Created, c);
        }
    }
    m_table->setSortingEnabled(true);
    m_loading = false;
    for (qint64 id : keep)
        selectModel(id);
    updateButtons();
    Q_EMIT modelsChanged();
}

QList<qint64> ModelList::ids() const
{
    QList<qint64> out;
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (auto* it = m_table->item(row, Name)) out.append(it->data(Qt::UserRole).toLongLong());
    return out;
}

QList<qint64> ModelList::selectedIds() const
{
    QList<qint64> out;
    const auto rows = m_table->selectionModel()->selectedRows(Name);
    for (const auto& idx : rows)
        out.append(idx.data(Qt::UserRole).toLongLong());
    return out;
}

void ModelList::selectModel(qint64 id)
{
    for (int row = 0; row < m_table->rowCount(); ++row) {
        auto* it = m_table->item(row, Name);
        if (it && it->data(Qt::UserRole).toLongLong() == id) {
            m_table->setCurrentCell(row, Name,
                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
            return;
        }
    }
}

void ModelList::updateButtons()
{
    const auto sel = selectedIds();
    const bool one = sel.size() == 1 && m_store;
    for (QPushButton* b : {m_activate, m_rename, m_export, m_exportOnnx, m_delete})
        b->setEnabled(one);
    m_details->clear();
    if (!one) return;
    const auto rec = m_store->model(sel.first());
    if (!rec) return;
    const json cfg = json::parse(rec->config, nullptr, false);
    QString text = tr("File %1 · sha256 %2")
                       .arg(QString::fromStdString(m_store->modelPath(*rec).string()),
                            QString::fromStdString(rec->sha256.substr(0, 12)));
    if (cfg.is_object()) {
        if (cfg.contains("data_hash"))
            text +=
                tr(" · data %1")
                    .arg(QString::fromStdString(cfg["data_hash"].get<std::string>().substr(0, 12)));
        if (cfg.contains("steps"))
            text += tr(" · %n step(s)", nullptr, int(cfg["steps"].get<std::int64_t>()));
        if (cfg.contains("seconds"))
            text += tr(" in %1 s").arg(cfg["seconds"].get<double>(), 0, 'f', 0);
        if (cfg.contains("threshold"))
            text += tr(" · NG threshold %1").arg(cfg["threshold"].get<double>(), 0, 'f', 3);
    }
    const json met = json::parse(rec->metrics, nullptr, false);
    if (met.is_object() && met.contains("assessment")) {
        const auto a = kizu::learn::assessmentFromJson(met["assessment"]);
        if (!a.message.empty())
            text += (a.warns() ? tr("\nWarning: %1") : tr("\nCheck: %1"))
                        .arg(QString::fromStdString(a.message));
    }
    m_details->setText(text);
}

void ModelList::error(const QString& title, const QString& text)
{
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    Q_EMIT statusMessage(text);
}

bool ModelList::makeActive(qint64 id, bool confirmWeak)
{
    if (!m_store) return false;
    if (confirmWeak) {
        const auto rec = m_store->model(id);
        const json met = rec ? json::parse(rec->metrics, nullptr, false) : json();
        if (met.is_object() && met.contains("assessment")) {
            const auto a = kizu::learn::assessmentFromJson(met["assessment"]);
            if (a.warns()) {
                QMessageBox box(QMessageBox::Warning, tr("Make a weak model active?"),
                                tr("\"%1\" did badly when it was checked after training:\n\n%2\n\n"
                                   "The Inspect page would use it for every part. Make it the "
                                   "station's model anyway?")
                                    .arg(QString::fromStdString(rec->name),
                                         QString::fromStdString(a.message)),
                                QMessageBox::NoButton, this);
                box.setObjectName(QStringLiteral("weakModelBox"));
                auto* yes = box.addButton(tr("Make active anyway"), QMessageBox::AcceptRole);
                auto* no = box.addButton(QMessageBox::Cancel);
                box.setDefaultButton(no);
                box.exec();
                if (box.clickedButton() != yes) {
                    Q_EMIT statusMessage(tr("Not made active: \"%1\" stays inactive.")
                                             .arg(QString::fromStdString(rec->name)));
                    return false;
                }
            }
        }
    }
    try {
        const auto file = kizu::learn::activateModel(*m_store, id);
        Q_EMIT statusMessage(tr("Active model: %1").arg(QString::fromStdString(file.string())));
    } catch (const kizu::Error& e) {
        error(tr("Cannot make the model active"), QString::fromStdString(e.what()));
        return false;
    }
    reload();
    Q_EMIT activeModelChanged();
    return true;
}

bool ModelList::rename(qint64 id, const QString& name)
{
    if (!m_store) return false;
    if (name.trimmed().isEmpty()) {
        error(tr("Cannot rename"), tr("A model's name cannot be empty."));
        reload();
        return false;
    }
    try {
        m_store->renameModel(id, name.trimmed().toStdString());
    } catch (const kizu::Error& e) {
        error(tr("Cannot rename the model"), QString::fromStdString(e.what()));
    }
    reload();
    return true;
}

bool ModelList::remove(qint64 id, bool confirm)
{
    if (!m_store) return false;
    const auto rec = m_store->model(id);
    if (!rec) return false;
    if (confirm) {
        const auto answer = QMessageBox::question(
            this, tr("Delete model"),
            tr("Delete the model \"%1\" and its file %2?\nThis cannot be undone; export it first "
               "to keep a copy.")
                .arg(QString::fromStdString(rec->name),
                     QString::fromStdString(m_store->modelPath(*rec).string())),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) return false;
    }
    bool clearedActive = false;
    try {
        clearedActive = kizu::learn::deleteModel(*m_store, id, true);
    } catch (const kizu::Error& e) {
        error(tr("Cannot delete the model"), QString::fromStdString(e.what()));
        return false;
    }
    reload();
    Q_EMIT statusMessage(clearedActive
                             ? tr("Deleted \"%1\"; it was the active model, so the "
                                  "station has none now.")
                                   .arg(QString::fromStdString(rec->name))
                             : tr("Deleted \"%1\".").arg(QString::fromStdString(rec->name)));
    if (clearedActive) Q_EMIT activeModelChanged();
    return true;
}

bool ModelList::exportTo(qint64 id, const QString& target)
{
    if (!m_store) return false;
    try {
        const auto out = kizu::learn::exportModel(*m_store, id, target.toStdString());
        Q_EMIT statusMessage(tr("Exported to %1").arg(QString::fromStdString(out.string())));
    } catch (const kizu::Error& e) {
        error(tr("Cannot export the model"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

bool ModelList::exportOnnxTo(qint64 id, const QString& target)
{
    if (!m_store) return false;
    try {
        const auto out = kizu::learn::exportModelOnnx(*m_store, id, target.toStdString());
        Q_EMIT statusMessage(
            tr("Exported as ONNX to %1").arg(QString::fromStdString(out.string())));
    } catch (const kizu::Error& e) {
        error(tr("Cannot export the model as ONNX"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

} // namespace kizu::ui
