#include "DetailsDock.h"

#include "DetailsDockTraffic.h"
#include "topology/OpenDrains.h"
#include "traffic/TrafficTracker.h"

#include <QHBoxLayout>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace hopscope {

namespace {
QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : QStringLiteral("—");
}
} // namespace

DetailsDock::DetailsDock(QWidget *parent)
    : QDockWidget(tr("Details"), parent)
    , m_view(new QTextBrowser(this))
    , m_traffic(new DetailsDockTraffic(this))
    , m_trafficScroll(new QScrollArea(this))
    , m_drain(new QPushButton(tr("&Drain…"), this))
    , m_undrain(new QPushButton(tr("U&ndrain…"), this))
    , m_dismiss(new QPushButton(tr("Dis&miss…"), this))
{
    setObjectName(QStringLiteral("detailsDock"));
    m_view->setOpenLinks(false);
    auto *body = new QWidget(this);
    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *split = new QSplitter(Qt::Vertical, body);
    split->addWidget(m_view);
    m_trafficScroll->setWidget(m_traffic);
    m_trafficScroll->setWidgetResizable(true);
    m_trafficScroll->setFrameShape(QFrame::NoFrame);
    m_trafficScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    split->addWidget(m_trafficScroll);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_drain);
    buttons->addWidget(m_undrain);
    buttons->addWidget(m_dismiss);
    layout->addLayout(buttons);
    setWidget(body);
    m_drain->setToolTip(tr("Take the selected task out of rotation on every layer, safely (Ctrl+D)"));
    m_undrain->setToolTip(tr("Put the selected task back on every layer a drain took it out of"));
    connect(m_drain, &QPushButton::clicked, this, [this] { Q_EMIT drainRequested(m_target); });
    connect(m_undrain, &QPushButton::clicked, this, [this] { Q_EMIT undrainRequested(m_target); });
    m_dismiss->setObjectName(QStringLiteral("dismissButton"));
    m_dismiss->setToolTip(tr("Forget the open drain of a task that is gone for good (recorded in "
                             "the audit log; nothing is sent to the cluster)"));
    connect(m_dismiss, &QPushButton::clicked, this, [this] { Q_EMIT dismissRequested(m_target); });
    render();
}

void DetailsDock::setDrainEnabled(bool enabled)
{
    m_drainEnabled = enabled;
    render();
}

void DetailsDock::setTrafficTracker(TrafficTracker *tracker)
{
    m_traffic->setTracker(tracker);
    updateTrafficEntries();
}

void DetailsDock::updateTrafficEntries()
{
    QList<DetailsDockTraffic::Entry> entries;
    if (!m_target.isEmpty() && !m_service.isEmpty()) {
        entries.append({ TrafficTracker::targetKey(m_service, m_target),
            tr("task %1 of %2").arg(m_target, m_service) });
    } else if (!m_service.isEmpty() || !m_loadBalancer.isEmpty()) {
        // The edges in and out of the service (or through the load balancer); DNS edges have
        // nothing on the way that counts requests.
        const QString via = QStringLiteral("lb:") + m_loadBalancer;
        for (const EdgeNode &e : m_topology.edges) {
            const bool mine = m_loadBalancer.isEmpty() ? (e.from == m_service || e.to == m_service)
                                                       : e.via == via;
            if (mine && e.via != u"dns") {
                entries.append(
                    { TrafficTracker::edgeKey(e), tr("%1 → %2 (%3)").arg(e.from, e.to, e.via) });
            }
        }
    }
    m_traffic->setEntries(entries);
    m_trafficScroll->setVisible(!entries.isEmpty());
}

void DetailsDock::setTopology(const Topology &topology)
{
    m_topology = topology;
    render();
}

void DetailsDock::selectService(const QString &serviceId)
{
    m_loadBalancer.clear();
    if (serviceId.startsWith(u"lb:")) {
        m_loadBalancer = serviceId.mid(3);
        m_service.clear();
    } else {
        m_service = serviceId;
    }
    m_target.clear();
    render();
}

void DetailsDock::selectTarget(const QString &serviceId, const QString &key)
{
    m_loadBalancer.clear();
    m_service = serviceId;
    m_target = key;
    render();
}

void DetailsDock::clearSelection()
{
    m_service.clear();
    m_target.clear();
    m_loadBalancer.clear();
    render();
}

QString DetailsDock::text() const
{
    const QString traffic = m_trafficScroll->isVisibleTo(this) ? m_traffic->text() : QString();
    return traffic.isEmpty() ? m_view->toPlainText()
                             : m_view->toPlainText() + QLatin1Char('\n') + traffic;
}

void DetailsDock::render()
{
    QString html;
    if (!m_loadBalancer.isEmpty()) {
        for (const LoadBalancerNode &lb : m_topology.loadBalancers) {
            if (lb.id == m_loadBalancer) {
                html += QStringLiteral("<h3>%1 %2</h3><p><b>%3</b> — %4</p>")
                            .arg(healthIcon(lb.health), esc(lb.id), healthName(lb.health), esc(lb.reason));
                html += QStringLiteral("<p>Routes:</p><ul>");
                for (const QString &r : lb.routes) {
                    html += QStringLiteral("<li>%1</li>").arg(esc(r));
                }
                html += QStringLiteral("</ul>");
            }
        }
    } else if (const ServiceNode *s = m_topology.service(m_service)) {
        const TargetNode *t = m_target.isEmpty() ? nullptr : m_topology.target(m_service, m_target);
        if (t) {
            html += QStringLiteral("<h3>%1 %2</h3><p>task of <b>%3</b>%4</p>")
                        .arg(healthIcon(t->health), esc(t->key), esc(s->name),
                             t->fqdn.isEmpty() ? QString() : QStringLiteral(" · ") + esc(t->fqdn));
            html += QStringLiteral("<p><b>%1</b> — %2</p>").arg(healthName(t->health), esc(t->reason));
            if (t->openDrain) {
                html
                    += tr("<p><b>Open drain</b> (audit log): %1. It may still be running; "
                          "<b>Undrain…</b> puts it back on every layer; <b>Dismiss…</b> forgets it "
                          "when the task is gone for good.</p>")
                           .arg(esc(OpenDrains::byWhom(t->drainedBy, t->drainedSince)));
            }
            html += QStringLiteral("<table cellpadding=3><tr><th align=left>source</th><th align=left>says</th><th align=left>health</th><th align=left>when</th></tr>");
            for (const Observation &o : t->observations) {
                html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3 %4</td><td>%5%6</td></tr>")
                            .arg(esc(o.source), esc(o.text), healthIcon(o.health), healthName(o.health),
                                 timeText(o.when), o.stale ? QStringLiteral(" (stale)") : QString());
            }
            html += QStringLiteral("</table><ul>");
            if (t->dnsTtl) {
                html += QStringLiteral("<li>DNS TTL %1 s, first seen %2</li>").arg(*t->dnsTtl).arg(timeText(t->dnsFirstSeen));
            }
            if (t->dnsRemovedAt.isValid()) {
                html += QStringLiteral("<li>removed from DNS at %1; clients may hold it until <b>%2</b></li>")
                            .arg(timeText(t->dnsRemovedAt), timeText(t->dnsHoldUntil));
            }
            if (t->lbSessions) {
                html += QStringLiteral("<li>load balancer sessions: %1 (%2)</li>").arg(*t->lbSessions).arg(esc(t->lbServer));
            }
            if (t->meshActiveConnections) {
                html += QStringLiteral("<li>sidecar downstream connections: %1</li>").arg(*t->meshActiveConnections);
            }
            if (!t->sidecar.isEmpty()) {
                html += QStringLiteral("<li>sidecar: %1</li>").arg(esc(t->sidecar));
            }
            html += QStringLiteral("</ul>");
        } else {
            html += QStringLiteral("<h3>%1 %2</h3><p><b>%3</b> — %4</p>")
                        .arg(healthIcon(s->health), esc(s->name), healthName(s->health), esc(s->summary));
            if (!s->dnsName.isEmpty()) {
                html += QStringLiteral("<p>DNS: %1 %2</p>").arg(esc(s->dnsType), esc(s->dnsName));
            }
            if (!s->dnsError.isEmpty()) {
                html += QStringLiteral("<p>DNS error: %1</p>").arg(esc(s->dnsError));
            }
            html += QStringLiteral("<ul>");
            for (const TargetNode &n : s->targets) {
                html += QStringLiteral("<li>%1 <b>%2</b> %3 — %4</li>")
                            .arg(healthIcon(n.health), esc(n.key), healthName(n.health), esc(n.reason));
            }
            html += QStringLiteral("</ul>");
        }
    } else {
        html = tr("<p>Select a service, a task or a load balancer in the graph to see what each "
                  "source says about it.</p>");
        if (!m_topology.errors.isEmpty()) {
            html += QStringLiteral("<p><b>Failing sources</b></p><ul>");
            for (const SourceError &e : m_topology.errors) {
                html += QStringLiteral("<li>%1</li>").arg(esc(e.toString()));
            }
            html += QStringLiteral("</ul>");
        }
    }
    m_view->setHtml(html);
    updateTrafficEntries();
    const bool haveTarget = !m_target.isEmpty() && m_topology.target(m_service, m_target);
    const TargetNode *selected = haveTarget ? m_topology.target(m_service, m_target) : nullptr;
    m_drain->setEnabled(haveTarget && m_drainEnabled && !(selected && selected->openDrain));
    m_undrain->setEnabled(haveTarget && m_drainEnabled);
    m_dismiss->setVisible(selected && selected->openDrain);
    m_dismiss->setEnabled(selected && selected->openDrain && m_drainEnabled);
}

} // namespace hopscope
