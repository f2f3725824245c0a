#include "core/ProcessLimits.h"

#if defined(Q_OS_UNIX)
#include <sys/resource.h>
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>

namespace hopscope {

qint64 raiseOpenFileLimit(qint64 cap)
{
#if defined(Q_OS_UNIX)
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return -1;
    }
    const rlim_t hard = limit.rlim_max;
    const rlim_t wanted = hard == RLIM_INFINITY ? rlim_t(cap) : std::min(hard, rlim_t(cap));
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        rlimit raised = limit;
        raised.rlim_cur = wanted;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limit = raised;
        }
    }
    return limit.rlim_cur == RLIM_INFINITY ? cap : qint64(limit.rlim_cur);
#else
    Q_UNUSED(cap);
    return -1; // Windows: no per-process descriptor limit of this kind (sockets are handles)
#endif
}

void tuneMalloc()
{
#if defined(__GLIBC__)
    constexpr int threshold = 128 * 1024;
    mallopt(M_MMAP_THRESHOLD, threshold); // setting it turns the dynamic threshold off
    mallopt(M_TRIM_THRESHOLD, threshold);
#endif
}

} // namespace hopscope
