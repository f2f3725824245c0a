#include "cli/CliSupport.h"
#include "cli/TerminalSafeDevice.h"

#include <QTest>

#include <cstdio>

using namespace hopscope::cli;

// terminalSafe(): what a terminal would act on becomes a visible escape; nothing else changes.
class tst_TerminalSafe : public QObject
{
    Q_OBJECT

    static QString hostile()
    {
        return QStringLiteral("a") + QChar(0x1b) + QStringLiteral("[31m") + QChar(0) + QChar(0x7f)
            + QChar(0x9b) + QChar(0x202e) + QStringLiteral("é→") + QChar(0x2066) + QChar(0x200f)
            + QChar(0x061c) + QChar(0x2028) + QStringLiteral("\r\n\tz ✓");
    }

private Q_SLOTS:
    void escapes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("escaped");
        QTest::newRow("plain") << QStringLiteral("serviceB → 10.0.0.1:80 ✓ é")
                               << QStringLiteral("serviceB → 10.0.0.1:80 ✓ é");
        QTest::newRow("esc") << QString(QChar(0x1b) + QStringLiteral("[2J"))
                             << QStringLiteral("\\u001b[2J");
        QTest::newRow("nul") << QString(QChar(0)) << QStringLiteral("\\u0000");
        QTest::newRow("bel") << QString(QChar(7)) << QStringLiteral("\\u0007");
        QTest::newRow("del") << QString(QChar(0x7f)) << QStringLiteral("\\u007f");
        QTest::newRow("c1-csi") << QString(QChar(0x9b)) << QStringLiteral("\\u009b");
        QTest::newRow("c1-first") << QString(QChar(0x80)) << QStringLiteral("\\u0080");
        QTest::newRow("nbsp-stays") << QString(QChar(0xa0)) << QString(QChar(0xa0));
        QTest::newRow("rlo") << QString(QChar(0x202e)) << QStringLiteral("\\u202e");
        QTest::newRow("lre") << QString(QChar(0x202a)) << QStringLiteral("\\u202a");
        QTest::newRow("lri") << QString(QChar(0x2066)) << QStringLiteral("\\u2066");
        QTest::newRow("pdi") << QString(QChar(0x2069)) << QStringLiteral("\\u2069");
        QTest::newRow("lrm") << QString(QChar(0x200e)) << QStringLiteral("\\u200e");
        QTest::newRow("rlm") << QString(QChar(0x200f)) << QStringLiteral("\\u200f");
        QTest::newRow("alm") << QString(QChar(0x061c)) << QStringLiteral("\\u061c");
        QTest::newRow("line-separator") << QString(QChar(0x2028)) << QStringLiteral("\\u2028");
        QTest::newRow("line-breaks")
            << QStringLiteral("a\r\nb\tc") << QStringLiteral("a\\r\\nb\\tc");
    }
    void escapes()
    {
        QFETCH(QString, text);
        QFETCH(QString, escaped);
        QCOMPARE(terminalSafe(text), escaped);
    }

    void keepsLineBreaksWhenAsked()
    {
        QCOMPARE(terminalSafe(u"a\r\nb\tc", LineBreaks::Keep), QStringLiteral("a\\r\nb\tc"));
    }

    // The device gives the same bytes however the text is cut into writes, even inside a UTF-8
    // sequence (QTextStream may flush anywhere).
    void deviceIsIndependentOfWriteBoundaries()
    {
        const QByteArray input = hostile().toUtf8();
        const QByteArray expected = terminalSafe(hostile(), LineBreaks::Keep).toUtf8();
        for (qsizetype cut = 0; cut <= input.size(); ++cut) {
            FILE *f = std::tmpfile();
            QVERIFY(f);
            {
                TerminalSafeDevice device(f);
                QCOMPARE(device.write(input.left(cut)), cut);
                QCOMPARE(device.write(input.mid(cut)), input.size() - cut);
            }
            std::fflush(f);
            std::rewind(f);
            QByteArray got(expected.size() + 64, '\0');
            got.truncate(qsizetype(std::fread(got.data(), 1, size_t(got.size()), f)));
            std::fclose(f);
            QVERIFY2(got == expected,
                qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(QString::fromUtf8(got))));
        }
    }
};

QTEST_GUILESS_MAIN(tst_TerminalSafe)
#include "tst_TerminalSafe.moc"
