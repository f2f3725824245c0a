#pragma once

#include "topology/Health.h"

#include <QMetaType>
#include <QRectF>
#include <QString>

namespace hopscope {

// One task (target) as its service box shows it: typed, so painters and QML read the health as
// the enum and the chip's rectangle as the model placed it (relative to its box), never a
// string map unpacked per frame.
struct TaskChip
{
    Q_GADGET
    Q_PROPERTY(QString key MEMBER key CONSTANT)
    Q_PROPERTY(QString label MEMBER label CONSTANT)
    Q_PROPERTY(hopscope::Health health MEMBER health CONSTANT)
    Q_PROPERTY(QString healthText READ healthText CONSTANT)
    Q_PROPERTY(QString icon READ icon CONSTANT)
    Q_PROPERTY(QString reason MEMBER reason CONSTANT)
    Q_PROPERTY(bool sidecar MEMBER sidecar CONSTANT)
    Q_PROPERTY(bool openDrain MEMBER openDrain CONSTANT)
    Q_PROPERTY(QRectF rect MEMBER rect CONSTANT)

public:
    QString key;
    QString label;
    Health health = Health::Unknown;
    QString reason;
    bool sidecar = false;
    bool openDrain = false;
    QRectF rect; // in its box's coordinates (ServiceGraphModel::taskRect)

    QString healthText() const { return healthName(health); }
    QString icon() const { return healthIcon(health); }
    bool operator==(const TaskChip &o) const
    {
        return key == o.key && label == o.label && health == o.health && reason == o.reason
            && sidecar == o.sidecar && openDrain == o.openDrain && rect == o.rect;
    }
    bool operator!=(const TaskChip &o) const { return !(*this == o); }
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::TaskChip)
