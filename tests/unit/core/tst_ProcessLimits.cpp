// raiseOpenFileLimit (model/core/ProcessLimits): a desktop session's soft limit on open files
// (1,024 by default) is raised to the hard limit, capped, and never lowered; past the old limit
// descriptors can really be opened. tuneMalloc: after a big block was freed, a MiB-sized block
// is still mmapped (glibc's dynamic threshold would have put it in the heap).

#include "core/ProcessLimits.h"

#include <QTest>

#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>

#include <cstdlib>
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
    void bigBlocksStayMmappedAfterTuning();
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

void tst_ProcessLimits::bigBlocksStayMmappedAfterTuning()
{
#if !defined(__GLIBC__)
    QSKIP("glibc only: tuneMalloc is a no-op elsewhere");
#else
    const auto mmappedBlocks = [] { return mallinfo2().hblks; };
    const auto bigFreeThen = [&](size_t bytes) {
        // Freeing an mmapped 8 MiB block raises glibc's dynamic threshold above 8 MiB...
        void *big = std::malloc(8 << 20);
        static_cast<char *>(big)[0] = 1;
        std::free(big);
        // ... so that, untuned, this one comes from the heap (hblks unchanged).
        const size_t before = mmappedBlocks();
        void *block = std::malloc(bytes);
        static_cast<char *>(block)[0] = 1;
        const size_t after = mmappedBlocks();
        std::free(block);
        return after - before;
    };
    QCOMPARE(bigFreeThen(1 << 20), size_t(0)); // glibc's default: in the heap
    tuneMalloc();
    // Larger than the hole the first one left in the heap (a hole that fits is used either way).
    QCOMPARE(bigFreeThen(3 << 20), size_t(1)); // tuned: mmapped, and unmapped when freed
#endif
}

QTEST_GUILESS_MAIN(tst_ProcessLimits)
#include "tst_ProcessLimits.moc"
