// The project's trained models as a table to compare runs (architecture, output and input size,
// init, shots, test accuracy, balanced accuracy, AUC, when made), with rename (F2), delete (Del,
// confirmed), export (Ctrl+E; also as ONNX, Ctrl+Shift+E) and "Make active" (Ctrl+Shift+A): the
// station's model for the
// Inspect page. The same actions as `kizu-cli model ...`, through the same core functions.
#pragma once

#include <QList>
#include <QWidget>

class QAction;
class QLabel;
class QPushButton;
class QTableWidget;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class ModelList : public QWidget {
    Q_OBJECT
public:
    enum Column {
        Name,
        Arch,
        Size,
        Init,
        Shots,
        TestAccuracy,
        BalancedAccuracy,
        Auc,
        Created,
        Count
    };

    explicit ModelList(QWidget* parent = nullptr);
    void setStore(kizu::project::ProjectStore* store);
    QTableWidget* table() const { return m_table; }
    // Model ids in table order, and the selected ones.
    QList<qint64> ids() const;
    QList<qint64> selectedIds() const;
    void selectModel(qint64 id);

    // The actions on the selected model; each reports failures in a message box.
    // A model whose check after training warned (near chance, worse than the baseline) is
    // only made active after the operator confirms; confirmWeak false skips the question.
    bool makeActive(qint64 id, bool confirmWeak = true);
    bool rename(qint64 id, const QString& name);
    bool remove(qint64 id, bool confirm = true);
    bool exportTo(qint64 id, const QString& target);
    // As ONNX (kizu::learn::exportModelOnnx): a native-aspect model gets the canvas of the
    // project's photos.
    bool exportOnnxTo(qint64 id, const QString& target);

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    void activeModelChanged();
    void modelsChanged(); // after every reload: a model was added, renamed, deleted, activated
    void selectionChanged(const QList<qint64>& ids);
    void statusMessage(const QString& text);

private:
    void updateButtons();
    void error(const QString& title, const QString& text);

    kizu::project::ProjectStore* m_store = nullptr;
    QTableWidget* m_table;
    QLabel* m_details;
    QPushButton* m_activate;
    QPushButton* m_rename;
    QPushButton* m_export;
    QPushButton* m_exportOnnx;
    QPushButton* m_delete;
    bool m_loading = false;
};

} // namespace kizu::ui
