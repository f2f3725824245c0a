// hopscope-cli (and hopscope's own command line) against what a newcomer or a hostile file does:
// a source that never finishes its polls, invalid profiles, options shared between commands,
// profiles whose strings would drive the operator's terminal (ESC, NUL, DEL, C1, bidi overrides).
// No peers needed: a mute TCP server in this process stands in for a wedged admin API.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

class tst_CliRobustness : public QObject
{
    Q_OBJECT

    struct Run
    {
        bool finished = false;
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        QString all() const { return QString::fromUtf8(out + err); }
    };

    // Runs the CLI while this event loop turns (the mute server keeps accepting meanwhile).
    static Run run(const QString &program, const QStringList &args,
        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        QSignalSpy done(&p, &QProcess::finished);
        p.start(program, args);
        Run r;
        r.finished = done.wait(30000);
        if (!r.finished) {
            p.kill();
            p.waitForFinished(2000);
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    static Run cli(const QStringList &args)
    {
        return run(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    }

    // A TCP server that accepts and never answers: an Envoy admin API that hangs.
    QTcpServer m_mute;
    QList<QTcpSocket *> m_held;
    QTemporaryDir m_tmp;

    QString writeProfile(const QString &name, const QByteArray &json)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size()) {
            return {};
        }
        return path;
    }

    // One service behind a sidecar whose admin API is the mute server; each poll may take 120 s.
    QString muteProfile()
    {
        QJsonObject proxy { { QStringLiteral("id"), QStringLiteral("a-sidecar") },
            { QStringLiteral("kind"), QStringLiteral("envoy") },
            { QStringLiteral("admin"),
                QStringLiteral("http://127.0.0.1:%1").arg(m_mute.serverPort()) },
            { QStringLiteral("service"), QStringLiteral("a") },
            { QStringLiteral("task"), QStringLiteral("127.0.0.1:8000") } };
        const QJsonObject profile { { QStringLiteral("schema"), 1 },
            { QStringLiteral("name"), QStringLiteral("mute") },
            { QStringLiteral("poll"),
                QJsonObject { { QStringLiteral("intervalMs"), 1000 },
                    { QStringLiteral("timeoutMs"), 120000 } } },
            { QStringLiteral("services"),
                QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("a") },
                    { QStringLiteral("name"), QStringLiteral("A") } } } },
            { QStringLiteral("proxies"), QJsonArray { proxy } } };
        const QByteArray json = QJsonDocument(profile).toJson();
        return writeProfile(QStringLiteral("mute.hopscope.json"), json);
    }

    // The name of the hostile profile: every kind of character a terminal would act on.
    static QString hostileName()
    {
        return QStringLiteral("evil") + QChar(0x1b) + QStringLiteral("]0;pwned") + QChar(0x07)
            + QChar(0x202e) + QStringLiteral("gnp.exe") + QChar(0) + QChar(0x9b)
            + QStringLiteral("31m") + QChar(0x7f) + QChar(u'\r') + QChar(0x2066)
            + QStringLiteral("x") + QChar(0x2069) + QChar(0x061c) + QChar(0x200e);
    }

    // No character a terminal acts on (line breaks and tabs of the output's own layout aside).
    static QString firstUnsafe(const QByteArray &bytes)
    {
        const QString text = QString::fromUtf8(bytes);
        for (QChar ch : text) {
            const char16_t c = ch.unicode();
            const bool unsafe = (c < 0x20 && c != u'\n' && c != u'\t') || (c >= 0x7f && c <= 0x9f)
                || c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069);
            if (unsafe) {
                return QStringLiteral("U+%1 in: ").arg(uint(c), 4, 16, QLatin1Char('0')) + text;
            }
        }
        return {};
    }

    QString hostileProfile()
    {
        QFile in(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
        if (!in.open(QIODevice::ReadOnly)) {
            return {};
        }
        QJsonObject root = QJsonDocument::fromJson(in.readAll()).object();
        root[QStringLiteral("name")] = hostileName();
        QJsonArray services = root[QStringLiteral("services")].toArray();
        QJsonObject first = services[0].toObject();
        first[QStringLiteral("name")]
            = QString(QStringLiteral("svc") + QChar(0x1b) + QStringLiteral("[2J") + QChar(0x200f));
        services[0] = first;
        root[QStringLiteral("services")] = services;
        return writeProfile(QStringLiteral("hostile.hopscope.json"), QJsonDocument(root).toJson());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY(QFile::exists(qEnvironmentVariable("HOPSCOPE_CLI")));
        QVERIFY(m_mute.listen(QHostAddress::LocalHost));
        connect(&m_mute, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_mute.nextPendingConnection()) {
                m_held << s; // never answer
            }
        });
    }

    // A source that does not finish its polls by the hard stop is an error: named in errors[]
    // and on stderr, exit status 1 (it used to be exit 0 with errors[] empty).
    void snapshotReportsSourcesThatDidNotFinish()
    {
        const QString profile = muteProfile();
        QVERIFY(!profile.isEmpty());
        const Run r = cli(
            { QStringLiteral("snapshot"), profile, QStringLiteral("--polls"), QStringLiteral("2"),
                QStringLiteral("--timeout"), QStringLiteral("2"), QStringLiteral("--json") });
        QVERIFY2(r.finished, qPrintable(r.all()));
        QVERIFY2(!m_held.isEmpty(), "the CLI never asked the admin API");
        QCOMPARE(r.exitCode, 1);
        const QJsonArray errors
            = QJsonDocument::fromJson(r.out).object().value(QStringLiteral("errors")).toArray();
        QCOMPARE(errors.size(), 1);
        const QJsonObject e = errors.first().toObject();
        QCOMPARE(e.value(QStringLiteral("source")).toString(), QStringLiteral("mesh:a-sidecar"));
        QCOMPARE(e.value(QStringLiteral("kind")).toString(), QStringLiteral("timeout"));
        QVERIFY2(e.value(QStringLiteral("message"))
                     .toString()
                     .contains(QStringLiteral("finished 0 of 2 polls")),
            qPrintable(r.all()));
        QVERIFY2(QString::fromUtf8(r.err).contains(
                     QStringLiteral("mesh:a-sidecar: finished 0 of 2 polls")),
            qPrintable(r.all()));
    }

    void exportReportsSourcesThatDidNotFinish()
    {
        const QString profile = muteProfile();
        const QString out = m_tmp.filePath(QStringLiteral("graph.json"));
        const Run r = cli({ QStringLiteral("export"), profile, QStringLiteral("--polls"),
            QStringLiteral("1"), QStringLiteral("--timeout"), QStringLiteral("2"),
            QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-o"), out });
        QVERIFY2(r.finished, qPrintable(r.all()));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(QString::fromUtf8(r.err).contains(
                     QStringLiteral("mesh:a-sidecar: finished 0 of 1 polls")),
            qPrintable(r.all()));
    }

    // An invalid profile is a problem (1), not a usage error (2), for every command that reads one.
    void invalidProfileExitsOne_data()
    {
        QTest::addColumn<QStringList>("args");
        const QString broken = qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/invalid/several-problems.hopscope.json");
        QTest::newRow("snapshot") << QStringList { QStringLiteral("snapshot"), broken };
        QTest::newRow("snapshot-json")
            << QStringList { QStringLiteral("snapshot"), broken, QStringLiteral("--json") };
        QTest::newRow("export") << QStringList { QStringLiteral("export"), broken,
            QStringLiteral("--format"), QStringLiteral("dot"), QStringLiteral("-o"),
            QStringLiteral("/dev/null") };
        QTest::newRow("dns") << QStringList { QStringLiteral("dns"), broken };
        QTest::newRow("profile-check")
            << QStringList { QStringLiteral("profile"), QStringLiteral("check"), broken };
        QTest::newRow("audit-show")
            << QStringList { QStringLiteral("audit"), QStringLiteral("show"), broken };
        QTest::newRow("audit-path")
            << QStringList { QStringLiteral("audit"), QStringLiteral("path"), broken };
        QTest::newRow("audit-dismiss")
            << QStringList { QStringLiteral("audit"), QStringLiteral("dismiss"), broken,
                   QStringLiteral("127.0.0.1:80"), QStringLiteral("--yes") };
    }
    void invalidProfileExitsOne()
    {
        QFETCH(QStringList, args);
        const Run r = cli(args);
        QVERIFY2(r.finished, qPrintable(r.all()));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.all().contains(QStringLiteral("no service with id \"paymnts\"")),
            qPrintable(r.all()));
    }

    // Text output escapes what a terminal would act on, for every command that prints profile
    // strings; the escapes are visible (\u001b, \u202e).
    void hostileStringsAreEscapedOnTheTerminal_data()
    {
        QTest::addColumn<QStringList>("args"); // %P: the hostile profile
        QTest::addColumn<int>("exitCode");
        QTest::newRow("profile-check") << QStringList { QStringLiteral("profile"),
            QStringLiteral("check"), QStringLiteral("%P") }
                                       << 0;
        QTest::newRow("snapshot-text") << QStringList { QStringLiteral("snapshot"),
            QStringLiteral("%P"), QStringLiteral("--polls"), QStringLiteral("0") }
                                       << 0;
    }
    void hostileStringsAreEscapedOnTheTerminal()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        const QString profile = hostileProfile();
        QVERIFY(!profile.isEmpty());
        args.replaceInStrings(QStringLiteral("%P"), profile);
        const Run r = cli(args);
        QVERIFY2(r.finished, qPrintable(r.all()));
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(firstUnsafe(r.out).isEmpty(), qPrintable(firstUnsafe(r.out)));
        QVERIFY2(firstUnsafe(r.err).isEmpty(), qPrintable(firstUnsafe(r.err)));
        const QString out = QString::fromUtf8(r.out);
        QVERIFY2(out.contains(QStringLiteral(
                     "evil\\u001b]0;pwned\\u0007\\u202egnp.exe\\u0000\\u009b31m\\u007f")),
            qPrintable(out));
    }

    // JSON output stays valid JSON and carries the strings unchanged; bidi characters are
    // \u-escaped there too, so even `cat` of the JSON cannot reorder the terminal.
    void hostileStringsStayExactInJson()
    {
        const QString profile = hostileProfile();
        const Run r = cli({ QStringLiteral("snapshot"), profile, QStringLiteral("--polls"),
            QStringLiteral("0"), QStringLiteral("--json") });
        QVERIFY2(r.finished, qPrintable(r.all()));
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(firstUnsafe(r.out).isEmpty(), qPrintable(firstUnsafe(r.out)));
        QJsonParseError error {};
        const QJsonObject o = QJsonDocument::fromJson(r.out, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QCOMPARE(o.value(QStringLiteral("profile")).toString(), hostileName());
    }

    // Problems quote what the file says; a path on the command line is echoed on stderr: both
    // escaped.
    void hostileProblemsAndPathsAreEscaped()
    {
        const QString profile = writeProfile(QStringLiteral("bad.hopscope.json"),
            QByteArrayLiteral("{\"schema\": 1, \"name\": \"x\", \"services\": "
                              "[{\"id\": \"a\\u001b[31m\\u202e\", \"name\": \"A\"}]}"));
        Run r = cli({ QStringLiteral("profile"), QStringLiteral("check"), profile });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(firstUnsafe(r.out).isEmpty(), qPrintable(firstUnsafe(r.out)));
        QVERIFY2(QString::fromUtf8(r.out).contains(
                     QStringLiteral("\"a\\u001b[31m\\u202e\" is not a valid id")),
            qPrintable(r.all()));

        const QString path = m_tmp.filePath(QStringLiteral("no\x1b[31mfile\u202e.json"));
        r = cli({ QStringLiteral("snapshot"), path });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(firstUnsafe(r.err).isEmpty(), qPrintable(firstUnsafe(r.err)));
        QVERIFY2(QString::fromUtf8(r.err).contains(
                     QStringLiteral("no\\u001b[31mfile\\u202e.json: cannot open")),
            qPrintable(r.all()));
    }

    // A file that cannot be opened is named, with no JSON path ("$:") in between.
    void missingProfileNamesTheFile_data()
    {
        QTest::addColumn<QStringList>("args");
        const QString missing = QStringLiteral("/nonexistent.json");
        QTest::newRow("snapshot") << QStringList { QStringLiteral("snapshot"), missing };
        QTest::newRow("export") << QStringList { QStringLiteral("export"), missing,
            QStringLiteral("--format"), QStringLiteral("dot"), QStringLiteral("-o"),
            QStringLiteral("/dev/null") };
        QTest::newRow("dns") << QStringList { QStringLiteral("dns"), missing };
        QTest::newRow("profile-check")
            << QStringList { QStringLiteral("profile"), QStringLiteral("check"), missing };
    }
    void missingProfileNamesTheFile()
    {
        QFETCH(QStringList, args);
        const Run r = cli(args);
        QCOMPARE(r.exitCode, 1);
        const QStringList lines = r.all().split(u'\n', Qt::SkipEmptyParts);
        QVERIFY2(!lines.isEmpty()
                && lines.first()
                    == QStringLiteral("/nonexistent.json: cannot open: No such file or directory"),
            qPrintable(r.all()));
        QVERIFY2(!r.all().contains(QStringLiteral("$:")), qPrintable(r.all()));
    }

    // The poll options mean the same in every command: one range, one message.
    void sharedOptionsAgree_data()
    {
        QTest::addColumn<QStringList>("args"); // %P: a valid profile, %O: an output file
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QStringList snapshot { QStringLiteral("snapshot"), QStringLiteral("%P") };
        const QStringList exportDot { QStringLiteral("export"), QStringLiteral("%P"),
            QStringLiteral("--format"), QStringLiteral("dot"), QStringLiteral("-o"),
            QStringLiteral("%O") };
        const QStringList dns { QStringLiteral("dns"), QStringLiteral("%P") };
        const QString pollsRange = QStringLiteral("--polls takes a number from 0 to 1000");
        const QString timeoutRange = QStringLiteral("--timeout takes seconds from 1 to 3600");
        for (const auto &[name, command] :
            { std::pair { "snapshot", snapshot }, std::pair { "export", exportDot } }) {
            QTest::addRow("%s-polls-0", name)
                << (command + QStringList { QStringLiteral("--polls"), QStringLiteral("0") }) << 0
                << QString();
            QTest::addRow("%s-polls-1001", name)
                << (command + QStringList { QStringLiteral("--polls"), QStringLiteral("1001") })
                << 2 << pollsRange;
            QTest::addRow("%s-polls-negative", name)
                << (command + QStringList { QStringLiteral("--polls"), QStringLiteral("-1") }) << 2
                << pollsRange;
            QTest::addRow("%s-polls-missing", name)
                << (command + QStringList { QStringLiteral("--polls") }) << 2 << pollsRange;
        }
        for (const auto &[name, command] : { std::pair { "snapshot", snapshot },
                 std::pair { "export", exportDot }, std::pair { "dns", dns } }) {
            QTest::addRow("%s-timeout-0", name)
                << (command + QStringList { QStringLiteral("--timeout"), QStringLiteral("0") }) << 2
                << timeoutRange;
            QTest::addRow("%s-timeout-word", name)
                << (command + QStringList { QStringLiteral("--timeout"), QStringLiteral("soon") })
                << 2 << timeoutRange;
        }
        QTest::newRow("dns-has-no-polls")
            << (dns + QStringList { QStringLiteral("--polls"), QStringLiteral("1") }) << 2
            << QStringLiteral("unexpected argument '--polls'");
    }
    void sharedOptionsAgree()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        args.replaceInStrings(QStringLiteral("%P"),
            qEnvironmentVariable("HOPSCOPE_TEST_DATA")
                + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
        args.replaceInStrings(QStringLiteral("%O"), m_tmp.filePath(QStringLiteral("out.dot")));
        const Run r = cli(args);
        QVERIFY2(r.finished, qPrintable(r.all()));
        QVERIFY2(r.exitCode == exitCode,
            qPrintable(QString::number(r.exitCode) + QStringLiteral(": ") + r.all()));
        QVERIFY2(QString::fromUtf8(r.err).contains(message), qPrintable(r.all()));
    }

#ifdef HOPSCOPE_GUI_BINARY
    // hopscope --help and --version answer without a display (no QT_QPA_PLATFORM, no DISPLAY,
    // no WAYLAND_DISPLAY): they used to abort creating the QApplication.
    void guiHelpAndVersionNeedNoDisplay_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("expected");
        QTest::newRow("help") << QStringLiteral("--help") << QStringLiteral("[PROFILE...]");
        QTest::newRow("h") << QStringLiteral("-h") << QStringLiteral("Cluster profiles to open");
        QTest::newRow("version") << QStringLiteral("--version") << QStringLiteral("hopscope ");
    }
    void guiHelpAndVersionNeedNoDisplay()
    {
        QFETCH(QString, option);
        QFETCH(QString, expected);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : { "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY" }) {
            env.remove(QLatin1String(name));
        }
        const Run r = run(QStringLiteral(HOPSCOPE_GUI_BINARY), { option }, env);
        QVERIFY2(r.finished, qPrintable(r.all()));
        QVERIFY2(r.exitCode == 0,
            qPrintable(QString::number(r.exitCode) + QStringLiteral(": ") + r.all()));
        QVERIFY2(QString::fromUtf8(r.out).contains(expected), qPrintable(r.all()));
    }
#endif
};

QTEST_GUILESS_MAIN(tst_CliRobustness)
#include "tst_CliRobustness.moc"
