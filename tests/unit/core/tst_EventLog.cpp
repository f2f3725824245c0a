#include "core/EventLog.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace hopscope;

// EventLog: a bounded ring whose repeats are counted, behaving as a proper item model.
class tst_EventLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void repeatsAreCountedNotAppended()
    {
        EventLog log(10);
        QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 5; ++i) {
            log.append(EventLog::Severity::Error, QStringLiteral("dns 127.0.0.1:53"), QStringLiteral("timeout"));
        }
        QCOMPARE(log.rowCount(), 1);
        QCOMPARE(log.data(log.index(0), EventLog::CountRole).toInt(), 5);
        QVERIFY(log.data(log.index(0), Qt::DisplayRole).toString().contains(QStringLiteral("×5")));
        log.append(EventLog::Severity::Info, QStringLiteral("dns 127.0.0.1:53"), QStringLiteral("recovered"));
        QCOMPARE(log.rowCount(), 2);
    }

    void isBoundedRing()
    {
        EventLog log(3);
        QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 10; ++i) {
            log.append(EventLog::Severity::Warning, QStringLiteral("s"), QString::number(i));
        }
        QCOMPARE(log.rowCount(), 3);
        QCOMPARE(log.data(log.index(0), EventLog::MessageRole).toString(), QStringLiteral("7"));
        QCOMPARE(log.data(log.index(2), EventLog::MessageRole).toString(), QStringLiteral("9"));
    }

    void sourceErrorsKeepTheirDetail()
    {
        EventLog log;
        SourceError e;
        e.kind = SourceError::Kind::Malformed;
        e.source = QStringLiteral("haproxy internal-lb");
        e.message = QStringLiteral("show stat: no header line");
        e.detail = QStringLiteral("first bytes: 'Unknown command'");
        log.appendError(e);
        QCOMPARE(log.data(log.index(0), EventLog::SourceRole).toString(), e.source);
        QVERIFY(log.data(log.index(0), EventLog::MessageRole).toString().contains(e.detail));
        QCOMPARE(e.toString(), QStringLiteral("haproxy internal-lb: show stat: no header line (first bytes: 'Unknown command')"));
    }
};

QTEST_GUILESS_MAIN(tst_EventLog)
#include "tst_EventLog.moc"
