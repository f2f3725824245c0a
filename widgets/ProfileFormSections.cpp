// ProfileForm's pages for the arrays of elements (load balancers with their routes, proxies,
// edges, SSH hosts): beside ProfileForm.cpp so that neither file grows past a screenful of
// sections.
#include "ProfileDocument.h"
#include "ProfileForm.h"
#include "ProfileFormPage.h"

#include <QJsonArray>
#include <QTreeWidget>

namespace hopscope {

void ProfileForm::buildLoadBalancers()
{
    const QString array = QStringLiteral("loadBalancers");
    ProfileFormPage *section = addPage(nullptr, tr("Load Balancers"), array);
    QTreeWidgetItem *item = m_tree->topLevelItem(m_tree->topLevelItemCount() - 1);
    const qsizetype n = m_document->value(array).toArray().size();
    section->addNote(tr("HAProxy: the runtime API (drains) and/or the stats CSV, with one route "
                        "per backend."));
    section->addButton(tr("Add Load Balancer"), [this, array, n] {
        m_document->appendElement(array,
            QJsonObject { { QStringLiteral("id"), QStringLiteral("lb-%1").arg(n + 1) },
                { QStringLiteral("kind"), QStringLiteral("haproxy") },
                { QStringLiteral("runtime"), QStringLiteral("tcp:127.0.0.1:9999") },
                { QStringLiteral("routes"), QJsonArray() } });
        reveal(at(array, n));
    });
    const QStringList services = idsOf(QStringLiteral("services"));
    const QStringList sshHosts = idsOf(QStringLiteral("sshHosts"));
    for (qsizetype i = 0; i < n; ++i) {
        ProfileFormPage *page = addElementPage(item, array, i);
        if (!page) {
            continue;
        }
        const QString p = at(array, i);
        page->addText(tr("Id"), key(p, "id"), TextKind::Required, QStringLiteral("internal-lb"));
        page->addChoice(tr("Kind"), key(p, "kind"), { QStringLiteral("haproxy") });
        page->addText(tr("Runtime API"), key(p, "runtime"), TextKind::Text,
            QStringLiteral("unix:/run/haproxy/admin.sock or tcp:HOST:PORT"));
        page->addText(tr("Stats URL"), key(p, "statsUrl"), TextKind::Text,
            QStringLiteral("http://HOST:PORT/stats;csv"));
        page->addChoice(tr("Via SSH host"), key(p, "via"), sshHosts);
        page->addChoice(tr("Source"), key(p, "source"),
            { QStringLiteral("direct"), QStringLiteral("prometheus") });
        page->addText(tr("Prometheus selector"), key(p, "prometheusSelector"), TextKind::Text,
            QStringLiteral("job=\"haproxy\""));
        const QString routes = key(p, "routes");
        const QJsonArray list = m_document->value(routes).toArray();
        for (qsizetype j = 0; j < list.size(); ++j) {
            const QString r = at(routes, j);
            page->beginBox(
                tr("Route %1").arg(j + 1), r, [this, r] { m_document->removeElement(r); });
            if (list.at(j).isObject()) {
                page->addText(tr("Path prefix"), key(r, "pathPrefix"), TextKind::Required,
                    QStringLiteral("/api/orders/"));
                page->addText(tr("Backend"), key(r, "backend"), TextKind::Required,
                    QStringLiteral("be_orders"));
                page->addChoice(tr("Service"), key(r, "service"), services);
            }
            page->endBox();
        }
        page->addButton(tr("Add Route"), [this, routes, n = list.size()] {
            m_document->appendElement(routes,
                QJsonObject { { QStringLiteral("pathPrefix"), QStringLiteral("/") },
                    { QStringLiteral("backend"), QString() },
                    { QStringLiteral("service"), QString() } });
            reveal(at(routes, n));
        });
        buildTls(page, p, tr("TLS for the stats URL"));
        page->addButton(tr("Remove Load Balancer"), [this, p] { m_document->removeElement(p); });
    }
}

void ProfileForm::buildProxies()
{
    const QString array = QStringLiteral("proxies");
    ProfileFormPage *section = addPage(nullptr, tr("Proxies"), array);
    QTreeWidgetItem *item = m_tree->topLevelItem(m_tree->topLevelItemCount() - 1);
    const qsizetype n = m_document->value(array).toArray().size();
    section->addNote(tr("Envoy sidecars: the admin API, the service and task each one fronts."));
    section->addButton(tr("Add Proxy"), [this, array, n] {
        m_document->appendElement(array,
            QJsonObject { { QStringLiteral("id"), QStringLiteral("envoy-%1").arg(n + 1) },
                { QStringLiteral("kind"), QStringLiteral("envoy") },
                { QStringLiteral("admin"), QStringLiteral("http://127.0.0.1:9901") },
                { QStringLiteral("service"), QString() }, { QStringLiteral("task"), QString() } });
        reveal(at(array, n));
    });
    const QStringList services = idsOf(QStringLiteral("services"));
    const QStringList sshHosts = idsOf(QStringLiteral("sshHosts"));
    for (qsizetype i = 0; i < n; ++i) {
        ProfileFormPage *page = addElementPage(item, array, i);
        if (!page) {
            continue;
        }
        const QString p = at(array, i);
        page->addText(tr("Id"), key(p, "id"), TextKind::Required, QStringLiteral("orders-1-envoy"));
        page->addChoice(tr("Kind"), key(p, "kind"), { QStringLiteral("envoy") });
        page->addText(
            tr("Admin URL"), key(p, "admin"), TextKind::Text, QStringLiteral("http://HOST:9901"));
        page->addChoice(tr("Service"), key(p, "service"), services);
        page->addText(tr("Task"), key(p, "task"), TextKind::Required, tr("ADDRESS:PORT"));
        page->addChoice(tr("Via SSH host"), key(p, "via"), sshHosts);
        page->addChoice(tr("Source"), key(p, "source"),
            { QStringLiteral("direct"), QStringLiteral("prometheus") });
        page->addText(tr("Prometheus selector"), key(p, "prometheusSelector"), TextKind::Text,
            QStringLiteral("instance=\"10.0.0.5:9901\""));
        buildTls(page, p, tr("TLS for the admin URL"));
        page->addButton(tr("Remove Proxy"), [this, p] { m_document->removeElement(p); });
    }
}

void ProfileForm::buildEdges()
{
    const QString array = QStringLiteral("edges");
    ProfileFormPage *page = addPage(nullptr, tr("Edges"), array);
    const QJsonArray edges = m_document->value(array).toArray();
    page->addNote(tr("Who calls whom: via dns, mesh (sidecars) or lb:<load balancer id>."));
    const QStringList services = idsOf(QStringLiteral("services"));
    QStringList vias = { QStringLiteral("dns"), QStringLiteral("mesh") };
    for (const QString &lb : idsOf(QStringLiteral("loadBalancers"))) {
        vias.append(QStringLiteral("lb:") + lb);
    }
    for (qsizetype i = 0; i < edges.size(); ++i) {
        const QString e = at(array, i);
        const QJsonObject o = edges.at(i).toObject();
        page->beginBox(tr("%1 → %2").arg(o.value(QStringLiteral("from")).toString(),
                           o.value(QStringLiteral("to")).toString()),
            e, [this, e] { m_document->removeElement(e); });
        if (edges.at(i).isObject()) {
            page->addChoice(tr("From"), key(e, "from"), services);
            page->addChoice(tr("To"), key(e, "to"), services);
            page->addChoice(tr("Via"), key(e, "via"), vias);
        }
        page->endBox();
    }
    page->addButton(tr("Add Edge"), [this, array, n = edges.size()] {
        m_document->appendElement(array,
            QJsonObject { { QStringLiteral("from"), QString() },
                { QStringLiteral("to"), QString() },
                { QStringLiteral("via"), QStringLiteral("dns") } });
        reveal(at(array, n));
    });
}

void ProfileForm::buildSshHosts()
{
    const QString array = QStringLiteral("sshHosts");
    ProfileFormPage *section = addPage(nullptr, tr("SSH Hosts"), array);
    QTreeWidgetItem *item = m_tree->topLevelItem(m_tree->topLevelItemCount() - 1);
    const qsizetype n = m_document->value(array).toArray().size();
    section->addNote(tr("Jump hosts: sources and drains with \"via\" reach their endpoints "
                        "through one SSH session to it."));
    section->addButton(tr("Add SSH Host"), [this, array, n] {
        m_document->appendElement(array,
            QJsonObject { { QStringLiteral("id"), QStringLiteral("jump-%1").arg(n + 1) },
                { QStringLiteral("host"), QString() }, { QStringLiteral("user"), QString() },
                { QStringLiteral("identity"), QStringLiteral("agent") } });
        reveal(at(array, n));
    });
    for (qsizetype i = 0; i < n; ++i) {
        ProfileFormPage *page = addElementPage(item, array, i);
        if (!page) {
            continue;
        }
        const QString p = at(array, i);
        page->addText(tr("Id"), key(p, "id"), TextKind::Required, QStringLiteral("bastion"));
        page->addText(tr("Host"), key(p, "host"), TextKind::Required,
            QStringLiteral("bastion.corp.internal"));
        page->addText(tr("Port"), key(p, "port"), TextKind::Number, QStringLiteral("22"));
        page->addText(tr("User"), key(p, "user"), TextKind::Required, QStringLiteral("ops"));
        page->addSecret(tr("Identity"), key(p, "identity"), true);
        page->addText(tr("Host key"), key(p, "hostKey"), TextKind::Text,
            tr("SHA256:… as ssh-keygen -lf prints it"));
        page->addText(tr("Known hosts"), key(p, "knownHosts"), TextKind::Text,
            tr("file:PATH of a known_hosts file"));
        page->addButton(tr("Remove SSH Host"), [this, p] { m_document->removeElement(p); });
    }
}

} // namespace hopscope
