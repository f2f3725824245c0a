// hopscope: the GUI. Composition root: parses the command line, builds the main window and
// opens the profile given on the command line.

#include "MainWindow.h"
#include "Version.h"
#include "core/ProcessLimits.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QtQml/qqmlextensionplugin.h>

#include <string_view>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

namespace {

void describeCommandLine(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QStringLiteral("See and operate the networking between your services."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("PROFILE"),
        QStringLiteral("Cluster profiles to open, each in its own tab (*.hopscope.json)."),
        QStringLiteral("[PROFILE...]"));
}

void nameApplication()
{
    QCoreApplication::setApplicationName(QStringLiteral("hopscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("hopscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HOPSCOPE_VERSION));
}

// --help and --version need no window: they are answered before QApplication exists, which
// aborts when there is no display (a server, an SSH session, a CI job).
bool asksForHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--") {
            return false;
        }
        if (a == "--help" || a == "-h" || a == "-?" || a == "--help-all" || a == "--version"
            || a == "-v") {
            return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    if (asksForHelpOrVersion(argc, argv)) {
        QCoreApplication app(argc, argv);
        nameApplication();
        QCommandLineParser parser;
        describeCommandLine(parser);
        parser.process(app); // prints the help or the version and exits
        return 0;
    }

    hopscope::raiseOpenFileLimit(); // a fleet's kept-alive admin connections (ProcessLimits.h)
    hopscope::tuneMalloc();
    QApplication app(argc, argv);
    nameApplication();
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/Hopscope/Views/icons/hopscope.svg")));

    QCommandLineParser parser;
    describeCommandLine(parser);
    parser.process(app);

    hopscope::MainWindow window;
    window.show();
    const QStringList positional = parser.positionalArguments();
    for (const QString &profile : positional) {
        window.openProfile(profile);
    }
    return app.exec();
}
