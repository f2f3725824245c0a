// raiseOpenFileLimit (model/core/ProcessLimits): a desktop session's soft limit on open files
// (1,024 by default) is raised to the hard limit, capped, and never lowered; past the old limit
// descriptors can really be opened.

#include "core/ProcessLimits.h"

#include <QTest>

#include <sys/resource.h>
#include <unistd.h>

#include <vector>

using namespace hopscope;

namespace {

rlimit current()
{
    rlimit l {};
    getrlimit(RLIMIT_NOFILE, &l);
    return l;
}

bool setSoft(rlim_t soft)
{
    rlimit l = current();
    l.rlim_cur = soft;
    return setrlimit(RLIMIT_NOFILE, &l) == 0;
}

} // namespace

class tst_ProcessLimits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void raisesALowSoftLimitToTheCap();
    void neverLowersALimit();
};

void tst_ProcessLimits::raisesALowSoftLimitToTheCap()
{
    const rlim_t hard = current().rlim_max;
    if (hard != RLIM_INFINITY && hard < 2048) {
        QFAIL(qPrintable(QStringLiteral("hard limit %1 < 2048 on this machine").arg(hard)));
    }
    QVERIFY(setSoft(256)); // lowering the soft limit is always allowed
    // Below the old limit nothing more than 256 descriptors could be opened: show it.
    std::vector<int> fds;
    int fd = -1;
    while ((fd = dup(0)) >= 0) {
        fds.push_back(fd);
    }
    QVERIFY2(fds.size() < 256, qPrintable(QString::number(fds.size())));
    for (int f : fds) {
        close(f);
    }
    fds.clear();

    QCOMPARE(raiseOpenFileLimit(2048), qint64(2048));
    QCOMPARE(current().rlim_cur, rlim_t(2048));
    for (int i = 0; i < 1500; ++i) { // a fleet's 500 sidecars three times over
        fd = dup(0);
        QVERIFY2(fd >= 0, qPrintable(QStringLiteral("dup %1 failed").arg(i)));
        fds.push_back(fd);
    }
    for (int f : fds) {
        close(f);
    }
}

void tst_ProcessLimits::neverLowersALimit()
{
    const rlim_t hard = current().rlim_max;
    const rlim_t high = hard == RLIM_INFINITY ? 8192 : std::min<rlim_t>(hard, 8192);
    QVERIFY(setSoft(high));
    QCOMPARE(raiseOpenFileLimit(1024), qint64(high));
    QCOMPARE(current().rlim_cur, high);
}

QTEST_GUILESS_MAIN(tst_ProcessLimits)
#include "tst_ProcessLimits.moc"
