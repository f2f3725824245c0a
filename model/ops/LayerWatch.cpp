#include "ops/LayerWatch.h"

#include "ops/DrainLayerFactory.h"

#include <memory>

namespace hopscope {

LayerWatch::LayerWatch(QObject *parent)
    : QObject(parent)
{
    m_deadline.setSingleShot(true);
}

LayerWatch::~LayerWatch()
{
    stop();
}

void LayerWatch::stop()
{
    for (const auto &c : std::as_const(m_waits)) {
        disconnect(c);
    }
    m_waits.clear();
    m_deadline.stop();
}

void LayerWatch::watchLayer(DrainLayer *layer, Check check, int timeoutMs, Done done)
{
    stop();
    auto last = std::make_shared<QString>();
    m_waits << connect(layer, &DrainLayer::polled, this, [this, layer, check, done, last] {
        const LayerObservation o = check();
        if (o.observed) {
            stop();
            done(true, o.text);
            return;
        }
        *last = o.text;
        QTimer::singleShot(m_repollMs, layer, &DrainLayer::pollNow);
    });
    m_waits << connect(&m_deadline, &QTimer::timeout, this, [this, done, last] {
        stop();
        done(false, last->isEmpty() ? QStringLiteral("no poll finished") : *last);
    });
    m_deadline.start(timeoutMs);
    layer->pollNow();
}

void LayerWatch::watchFresh(DrainLayerFactory *factory, int timeoutMs, Done done)
{
    stop();
    m_waits << connect(factory, &DrainLayerFactory::observedAfresh, this, [this, done] {
        stop();
        done(true, {});
    });
    m_waits << connect(&m_deadline, &QTimer::timeout, this, [this, done] {
        stop();
        done(false, {});
    });
    m_deadline.start(timeoutMs);
    factory->observeAfresh();
}

} // namespace hopscope
