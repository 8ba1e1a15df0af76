// The station's main window: one page per job (Dataset, CG Studio, Train, Compare, Inspect),
// the open project's counts in the status bar, File menu with recent projects.
#pragma once

#include <QMainWindow>
#include <memory>

class QLabel;
class QTabWidget;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class DatasetPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens the project in dir; shows a clear message and returns false when it cannot.
    bool openProject(const QString& dir);
    kizu::project::ProjectStore* store() const { return m_store.get(); }
    QTabWidget* pages() const { return m_pages; }
    DatasetPage* datasetPage() const { return m_dataset; }

Q_SIGNALS:
    // A project was opened (or closed: nullptr). Pages keep the pointer until the next signal.
    void projectChanged(kizu::project::ProjectStore* store);

public Q_SLOTS:
    void refreshCounts();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void newProject();
    void openProjectDialog();
    void rememberRecent(const QString& dir);
    void rebuildRecentMenu();
    void updateProjectActions();

    std::unique_ptr<kizu::project::ProjectStore> m_store;
    QTabWidget* m_pages = nullptr;
    DatasetPage* m_dataset = nullptr;
    QLabel* m_counts = nullptr;
    class QMenu* m_recentMenu = nullptr;
};

} // namespace kizu::ui
