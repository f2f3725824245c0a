#include "core/OffThread.h"

#include <QCoreApplication>

namespace hopscope {

QThreadPool *buildThread()
{
    // Owned by the application: its destructor waits for the build that is running, if any.
    static QThreadPool *pool = [] {
        auto *p = new QThreadPool(QCoreApplication::instance());
        p->setMaxThreadCount(1);
        p->setObjectName(QStringLiteral("hopscope builds"));
        return p;
    }();
    return pool;
}

} // namespace hopscope
