// A short guided tour of the station's five pages: a dimmed overlay over the main window with
// the current page's tab left clear and a card that says what the page is for. Next / Back /
// Skip, or Right, Left and Esc. Started on the first run (after the demo project is made) and
// from Help > Guided Tour. The card keeps clear of native child windows (the CG Studio's 3D
// view): those are drawn above every sibling widget and would hide it.
#pragma once

#include <QPointer>
#include <QString>
#include <QVector>
#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;

namespace kizu::ui {

class GuidedTour : public QWidget {
    Q_OBJECT
public:
    struct Step {
        int page = 0; // tab index
        QString title;
        QString text; // rich text
    };
    // Covers `window`; pages is its tab widget. The tour owns no data; it only switches tabs.
    GuidedTour(QWidget* window, QTabWidget* pages, QVector<Step> steps);

    int step() const { return m_step; }
    int stepCount() const { return int(m_steps.size()); }
    QString currentTitle() const;
    // A widget the card never covers while it is visible, e.g. a 3D view drawn above it.
    void addKeepClear(QWidget* widget) { m_keepClear.push_back(widget); }
    QWidget* card() const { return m_card; }
    QPushButton* nextButton() const { return m_next; }

public Q_SLOTS:
    void start();
    void next();
    void back();
    void finish();

Q_SIGNALS:
    void finished(bool completed); // completed: the last step was reached with Next

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    void showStep();
    void placeCard();
    QRect highlightRect() const;
    QVector<QRect> keepClearRects() const;

    QPointer<QTabWidget> m_pages;
    QVector<QPointer<QWidget>> m_keepClear;
    QVector<Step> m_steps;
    int m_step = 0;
    QWidget* m_card = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_text = nullptr;
    QLabel* m_counter = nullptr;
    QPushButton* m_back = nullptr;
    QPushButton* m_next = nullptr;
};

} // namespace kizu::ui
