// hopscope: the GUI. Composition root: parses the command line, builds the main window and
// opens the profile given on the command line.

#include "MainWindow.h"
#include "Version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("hopscope"));
    QApplication::setOrganizationName(QStringLiteral("hopscope"));
    QApplication::setApplicationVersion(QStringLiteral(HOPSCOPE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/Hopscope/Views/icons/hopscope.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("See and operate the networking between your services."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("PROFILE"),
                                 QStringLiteral("Cluster profile to open (*.hopscope.json)."),
                                 QStringLiteral("[PROFILE]"));
    parser.process(app);

    hopscope::MainWindow window;
    window.show();
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        window.openProfile(positional.first());
    }
    return app.exec();
}
