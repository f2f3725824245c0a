#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// hopscope-cli profile check, run as a user runs it: on the running demo cluster's generated
// profile (accepted) and on broken profiles (every problem listed, exit status 1).
class tst_CliProfileCheck : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
    };

    static Run cli(const QStringList &args)
    {
        QProcess p;
        p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
        Run r;
        if (!p.waitForFinished(30000)) {
            r.err = QStringLiteral("did not finish: ") + p.errorString();
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private Q_SLOTS:
    void acceptsTheDemoProfile()
    {
        const QString profile = qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json");
        QVERIFY2(QFile::exists(profile), qPrintable(profile));
        const Run r = cli({QStringLiteral("profile"), QStringLiteral("check"), profile});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral(": ok")), qPrintable(r.out));
    }

    void listsEveryProblemOfABrokenProfile()
    {
        const QString broken = qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/profiles/invalid/several-problems.hopscope.json");
        const Run r = cli({QStringLiteral("profile"), QStringLiteral("check"), broken});
        QCOMPARE(r.exitCode, 1);
        const QStringList lines = r.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines, (QStringList{
                            QStringLiteral("services[2].dns.type: \"SRVV\" is not one of A, AAAA, SRV"),
                            QStringLiteral("edges[1].to: no service with id \"paymnts\""),
                            QStringLiteral("dnsUpdate.tsigKey.secret: looks like an inline secret; use env:, file: or keychain:"),
                        }));
        QVERIFY(r.err.contains(QStringLiteral("3 problems")));
    }

    void breakingTheDemoProfileIsCaught()
    {
        // Take the real generated profile and break it the way a hand edit might.
        QFile in(qEnvironmentVariable("HOPSCOPE_PEERS_DIR") + QStringLiteral("/demo.hopscope.json"));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray text = in.readAll();
        text.replace("\"via\": \"mesh\"", "\"via\": \"meshh\"");
        text.replace("\"type\": \"SRV\"", "\"type\": \"srv\"");
        QTemporaryDir dir;
        QFile out(dir.filePath(QStringLiteral("broken.hopscope.json")));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(text);
        out.close();
        const Run r = cli({QStringLiteral("profile"), QStringLiteral("check"), out.fileName()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(QStringLiteral("\"meshh\" is not dns, mesh or lb:")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("\"srv\" is not one of A, AAAA, SRV")), qPrintable(r.out));
    }

    void usageErrorsExitTwo()
    {
        QCOMPARE(cli({QStringLiteral("profile")}).exitCode, 2);
        QCOMPARE(cli({QStringLiteral("no-such-command")}).exitCode, 2);
        const Run v = cli({QStringLiteral("--version")});
        QCOMPARE(v.exitCode, 0);
        QVERIFY(v.out.startsWith(QStringLiteral("hopscope-cli ")));
    }
};

QTEST_GUILESS_MAIN(tst_CliProfileCheck)
#include "tst_CliProfileCheck.moc"
