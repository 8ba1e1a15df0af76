// The Dataset page: import images (menu or drag and drop, off the UI thread, cancellable),
// browse them in a thumbnail grid with filters and a large preview, label at keyboard speed
// with undo, see each image's label history, and assign the train/test split by group.
#pragma once

#include "core/imaging/roi.h"
#include "core/project/project_store.h"

#include <QStringList>
#include <QWidget>
#include <memory>

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableWidget;
class QToolButton;
class QUndoStack;

namespace kizu {
class CancelToken;
}

namespace kizu::ui {

class ImagePreview;
class ThumbnailCache;
class ThumbnailGrid;
class ThumbnailModel;

class DatasetPage : public QWidget {
    Q_OBJECT
public:
    explicit DatasetPage(QWidget* parent = nullptr);
    ~DatasetPage() override;

    // The store is the main window's; nullptr when no project is open. Clears the undo stack.
    void setStore(kizu::project::ProjectStore* store);
    kizu::project::ProjectStore* store() const { return m_store; }

    ThumbnailGrid* grid() const { return m_grid; }
    ThumbnailModel* model() const { return m_model; }
    ThumbnailCache* thumbnails() const { return m_cache; }
    ImagePreview* preview() const { return m_preview; }
    QTableWidget* historyTable() const { return m_history; }
    QUndoStack* undoStack() const { return m_undo; }
    QAction* undoAction() const { return m_undoAction; }
    QAction* redoAction() const { return m_redoAction; }
    QAction* importFilesAction() const { return m_importFiles; }
    QAction* importFolderAction() const { return m_importFolder; }
    // Delete (the Delete key on the grid, its context menu): the selected images, after a
    // confirmation.
    QAction* deleteAction() const { return m_deleteAction; }
    QToolButton* drawRoiButton() const { return m_drawRoi; }
    QToolButton* clearRoiButton() const { return m_clearRoi; }
    // Project-wide counts of real and synthetic images.
    QLabel* sourceSummary() const { return m_sourceSummary; }

    // Stores the project's region of interest (none: clears it) as one undoable step.
    void setRoi(const std::optional<kizu::imaging::Roi>& roi);

    // Labels the selected images (or the current one), then moves on to the next unlabeled.
    void labelSelected(kizu::project::Label label);
    // Imports in the background with a progress dialog; false when one is already running.
    bool importPaths(const QStringList& paths);
    bool importRunning() const { return bool(m_importCancel); }
    void cancelImport();
    // Assigns train/test by group (no confirmation; the button asks first).
    void assignSplit(double testFraction, quint64 seed);
    // Asks, then deletes the selected images (or the current one); images in the locked test
    // split only after a second, explicit question.
    void deleteSelected();
    // Deletes without asking (force: also from a locked test split). Returns how many were
    // deleted; -1 when the store refused (said why). Clears the label undo history.
    int deleteImages(const std::vector<qint64>& ids, bool force = false);
    // Re-reads the images of the current filter, keeping the current image when it is shown.
    void reload();

public Q_SLOTS:
    void undo();
    void redo();

Q_SIGNALS:
    // Labels, splits or images changed (the main window refreshes its counts).
    void projectDataChanged();
    void statusMessage(const QString& text);
    void importProgress(qint64 done, qint64 total);
    void importFinished(int imported, int duplicates, int skipped, bool cancelled);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QList<int> targetRows() const; // the selected rows, or the current one
    QWidget* buildFilterBar();
    QWidget* buildSidePanel();
    QString importStartDir() const;
    void chooseFiles();
    void chooseFolder();
    kizu::project::ImageFilter currentFilter() const;
    void applyFilter();
    void refillChoices();
    void updateCounts();
    void currentChanged();
    void refreshHistory();
    void confirmAssignSplit();
    void setSplitLocked(bool locked);
    bool applyRoi(const std::optional<kizu::imaging::Roi>& roi);
    void updateSourceSummary();
    bool applyLabels(const std::vector<qint64>& ids, kizu::project::Label label);
    void selectIds(const std::vector<qint64>& ids);
    void showError(const QString& title, const QString& text);
    void saveSettings() const;
    QString resumeKey() const;

    kizu::project::ProjectStore* m_store = nullptr;
    ThumbnailCache* m_cache;
    ThumbnailModel* m_model;
    ThumbnailGrid* m_grid;
    ImagePreview* m_preview;
    QUndoStack* m_undo;
    QAction* m_undoAction;
    QAction* m_redoAction;
    QAction* m_importFiles;
    QAction* m_importFolder;
    QAction* m_deleteAction = nullptr;
    QList<QAction*> m_labelActions;
    QStackedWidget* m_stack;
    QSplitter* m_splitter;
    QSplitter* m_sideSplitter;
    QComboBox* m_labelFilter;
    QComboBox* m_splitFilter;
    QComboBox* m_sourceFilter;
    QComboBox* m_groupFilter;
    QComboBox* m_sort;
    QLabel* m_counts;
    QLineEdit* m_groupPattern;
    QLabel* m_previewTitle;
    QLabel* m_zoom;
    QLabel* m_details;
    QTableWidget* m_history;
    QDoubleSpinBox* m_testFraction;
    QSpinBox* m_seed;
    QPushButton* m_assignSplit;
    QCheckBox* m_lockTest;
    QLabel* m_splitSummary;
    QLabel* m_sourceSummary;
    QToolButton* m_drawRoi;
    QToolButton* m_clearRoi;
    std::shared_ptr<kizu::CancelToken> m_importCancel;
    qint64 m_shownId = -1;
};

} // namespace kizu::ui
