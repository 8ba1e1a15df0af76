// The station's main window: one page per job (Dataset, CG Studio, Train, Compare, Inspect),
// the open project's counts in the status bar, File menu with recent projects.
#pragma once

#include "ui/guided_tour.h"

#include <QHash>
#include <QMainWindow>
#include <memory>

class QLabel;
class QTabWidget;

namespace kizu::project {
class ProjectStore;
}

namespace kizu::ui {

class DatasetPage;
class GuidedTour;
class InspectPage;
class TrainPage;
class BaselinePanel;
class CgStudioPage;
class ComparePage;

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
    InspectPage* inspectPage() const { return m_inspect; }
    TrainPage* trainPage() const { return m_train; }
    BaselinePanel* baselinePanel() const { return m_baseline; }
    CgStudioPage* cgStudioPage() const { return m_cgStudio; }
    ComparePage* comparePage() const { return m_compare; }
    // Shows a page by name: dataset, cg, train, compare, inspect. False for an unknown name.
    bool showPage(const QString& name);

    // First run (ui/first_run.cpp): with no project open, offers a demo project and the tour.
    void offerFirstRun();
    // Makes a demo project in dir (in the background, with progress and cancel) and opens it;
    // an existing project there is just opened. False when cancelled or it failed (said why).
    bool createDemoProject(const QString& dir);
    // Documents/Kizu Demo (numbered when that name is taken by something else).
    static QString defaultDemoDir();
    // The guided tour of the five pages (Help > Guided Tour).
    void startTour();
    GuidedTour* tour() const { return m_tour; }

    // Station mode (docs/station.md): full screen on the Inspect page for an operator, the
    // other pages and every menu that changes the project hidden. Entering needs an open
    // project; a project without an engineer PIN asks for a new one first (false when that is
    // cancelled). fullScreen false keeps the window's size (tests, screenshots).
    bool enterStationMode(bool fullScreen = true);
    // Asks the engineer PIN; leaves station mode when it is right. True when left.
    bool leaveStationMode();
    bool isStationMode() const { return m_station; }
    // Whether an action that changes the model, threshold, labels, split or images may run:
    // always outside station mode; in station mode after the engineer PIN, which then holds
    // for kEngineerUnlockMinutes (asked here when needed).
    bool requireEngineer(const QString& why);
    bool engineerUnlocked() const;
    static constexpr int kEngineerUnlockMinutes = 5;
    class QAction* stationAction() const { return m_enterStation; }
    class QAction* leaveStationAction() const { return m_leaveStation; }
    class QAction* engineerUnlockAction() const { return m_engineerUnlock; }

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
    // Opening a folder that is not a project: offers to create one (non-modal box).
    void offerNewProject(const QString& dir);
    bool createProjectIn(const QString& dir);
    QString projectDialogStart() const;
    void openProjectDialog();
    void rememberRecent(const QString& dir);
    void rebuildRecentMenu();
    void updateProjectActions();
    void updateInspectMethods();
    void updateBaselineImages();
    void updateBaselineRoi();
    void showAbout();
    void showPageHelp();
    QVector<GuidedTour::Step> tourSteps() const;
public:
    // The F1 help of a page (rich text): what it is for and its shortcuts.
    QString pageHelp(int index) const;
private:

    std::unique_ptr<kizu::project::ProjectStore> m_store;
    QTabWidget* m_pages = nullptr;
    DatasetPage* m_dataset = nullptr;
    InspectPage* m_inspect = nullptr;
    TrainPage* m_train = nullptr;
    BaselinePanel* m_baseline = nullptr;
    CgStudioPage* m_cgStudio = nullptr;
    ComparePage* m_compare = nullptr;
    QLabel* m_counts = nullptr;
    GuidedTour* m_tour = nullptr;
    class QMenu* m_recentMenu = nullptr;
    // Station mode.
    void setStationLocked(bool locked);
    bool m_station = false;
    bool m_wasMaximized = false;
    qint64 m_engineerUntil = 0; // ms since epoch: engineer unlock in station mode
    class QTimer* m_relock = nullptr;
    QList<class QMenu*> m_engineerMenus; // hidden in station mode
    QHash<class QAction*, bool> m_menuStates; // their actions' states before station mode
    class QAction* m_enterStation = nullptr;
    class QAction* m_leaveStation = nullptr;
    class QAction* m_engineerUnlock = nullptr;
};

} // namespace kizu::ui
