// kizu: the inspection station's GUI. Thin: application object, main window, nothing else.
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
    parser.process(app);

    kizu::ui::MainWindow window;
    QString project = parser.positionalArguments().value(0);
    if (project.isEmpty()) project = QSettings().value(QStringLiteral("project/last")).toString();
    if (!project.isEmpty()) window.openProject(project);
    window.show();
    return app.exec();
}
