// kizu: the inspection station's GUI. Thin: application object, main window, nothing else.
#include "ui/inspect_page.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Kizu"));
    QApplication::setApplicationName(QStringLiteral("Kizu"));
    QApplication::setApplicationVersion(QStringLiteral(KIZU_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Kizu surface inspection station"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("project"), QStringLiteral("Project folder to open"));
    QCommandLineOption page(QStringLiteral("page"),
                            QStringLiteral("Page to show: dataset, cg, train, compare, inspect"),
                            QStringLiteral("name"));
    QCommandLineOption inspect(QStringLiteral("inspect"),
                               QStringLiteral("Start live inspection from this source at once "
                                              "(station mode), e.g. aravis:192.168.1.20"),
                               QStringLiteral("source"));
    QCommandLineOption heatmap(QStringLiteral("heatmap"),
                               QStringLiteral("Inspect page: overlay where the method sees NG"));
    QCommandLineOption both(QStringLiteral("with-baseline"),
                            QStringLiteral("Inspect page: show the baseline's verdict too"));
    QCommandLineOption station(QStringLiteral("station"),
                               QStringLiteral("Operator mode: full screen on the Inspect page; "
                                              "leaving it needs the engineer PIN "
                                              "(docs/station.md)"));
    parser.addOption(station);
    parser.addOption(heatmap);
    parser.addOption(both);
    parser.addOption(page);
    parser.addOption(inspect);
    parser.process(app);

    kizu::ui::MainWindow window;
    QString project = parser.positionalArguments().value(0);
    if (project.isEmpty()) project = QSettings().value(QStringLiteral("project/last")).toString();
    bool opened = !project.isEmpty() && window.openProject(project);
    // No project: offer a demo project and the tour (once the window is on screen).
    if (!opened && !parser.isSet(inspect))
        QMetaObject::invokeMethod(&window, &kizu::ui::MainWindow::offerFirstRun,
                                  Qt::QueuedConnection);
    if (parser.isSet(page) && !window.showPage(parser.value(page)))
        qWarning("kizu: unknown page '%s'", qPrintable(parser.value(page)));
    window.show();
    if (parser.isSet(station)) {
        if (!opened)
            qWarning("kizu: --station needs a project (kizu --station DIR); none is open");
        else if (!window.enterStationMode())
            qWarning("kizu: station mode was not entered (no engineer PIN was set)");
    }
    if (parser.isSet(inspect)) {
        window.showPage(QStringLiteral("inspect"));
        window.inspectPage()->setSourceUri(parser.value(inspect));
        window.inspectPage()->setHeatmapShown(parser.isSet(heatmap));
        window.inspectPage()->setSecondEnabled(parser.isSet(both));
        QMetaObject::invokeMethod(window.inspectPage(), &kizu::ui::InspectPage::startInspection,
                                  Qt::QueuedConnection);
    }
    return app.exec();
}
