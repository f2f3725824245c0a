#include "ProfileForm.h"

#include "ProfileDocument.h"
#include "ProfileFormPage.h"
#include "ProfileSecretField.h"
#include "profile/ProfileJsonPath.h"

#include <QApplication>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QRegularExpression>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTreeWidget>

namespace hopscope {

namespace formroles {

constexpr int AnchorRole = Qt::UserRole;
constexpr int PageRole = Qt::UserRole + 1;
constexpr int ArrayRole = Qt::UserRole + 2;
constexpr int IndexRole = Qt::UserRole + 3;

} // namespace formroles

using namespace formroles;

QString ProfileForm::at(const QString &arrayPath, qsizetype i)
{
    return arrayPath + u'[' + QString::number(i) + u']';
}

QString ProfileForm::key(const QString &parent, const char *name)
{
    return parent.isEmpty() ? QString::fromLatin1(name) : parent + u'.' + QLatin1String(name);
}

ProfileForm::ProfileForm(ProfileDocument *document, QWidget *parent)
    : QWidget(parent)
    , m_document(document)
    , m_tree(new QTreeWidget(this))
    , m_stack(new QStackedWidget(this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *splitter = new QSplitter(this);
    m_tree->setObjectName(QStringLiteral("profileSections"));
    m_tree->setHeaderHidden(true);
    m_tree->setMinimumWidth(180);
    splitter->addWidget(m_tree);
    splitter->addWidget(m_stack);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 230, 620 });
    layout->addWidget(splitter);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item) {
            m_stack->setCurrentIndex(item->data(0, PageRole).toInt());
        }
    });
    connect(m_document, &ProfileDocument::structureChanged, this, &ProfileForm::rebuild);
    connect(m_document, &ProfileDocument::problemsChanged, this, &ProfileForm::refreshProblems);
    connect(m_document, &ProfileDocument::textRewritten, this, &ProfileForm::refreshTitles);
    rebuild();
}

QString ProfileForm::currentPage() const
{
    const QTreeWidgetItem *item = m_tree->currentItem();
    return item ? item->data(0, AnchorRole).toString() : QString();
}

ProfileFormPage *ProfileForm::addPage(
    QTreeWidgetItem *parent, const QString &title, const QString &anchor)
{
    auto *page = new ProfileFormPage(
        m_document, title, anchor, [this](const QString &path) { return keychainIdFor(path); });
    const int index = m_stack->addWidget(page);
    m_pages.append(page);
    auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(m_tree);
    item->setText(0, title);
    item->setData(0, AnchorRole, anchor);
    item->setData(0, PageRole, index);
    m_itemOf.insert(index, item);
    return page;
}

void ProfileForm::rebuild()
{
    const QString current = currentPage();
    // Later, not now: the rebuild may come from a button on one of these pages.
    for (ProfileFormPage *page : std::as_const(m_pages)) {
        m_stack->removeWidget(page);
        page->hide();
        page->setParent(nullptr);
        page->deleteLater();
    }
    m_pages.clear();
    m_fields.clear();
    m_anchors.clear();
    m_pageOf.clear();
    m_itemOf.clear();
    m_tree->clear();
    buildSections();
    for (int i = 0; i < m_pages.size(); ++i) {
        for (ProfileField *field : m_pages.at(i)->fields()) {
            m_fields.insert(field->path(), field);
            m_pageOf.insert(field->path(), i);
        }
        for (auto it = m_pages.at(i)->anchors().cbegin(); it != m_pages.at(i)->anchors().cend();
             ++it) {
            m_anchors.insert(it.key(), it.value());
            m_pageOf.insert(it.key(), i);
        }
    }
    m_tree->expandAll();
    refreshTitles();
    refreshProblems();
    if (!reveal(current)) {
        m_tree->setCurrentItem(m_tree->topLevelItem(0));
    }
}

QStringList ProfileForm::idsOf(const QString &arrayPath) const
{
    QStringList ids;
    for (const QJsonValue &v : m_document->value(arrayPath).toArray()) {
        const QString id = v.toObject().value(QStringLiteral("id")).toString();
        if (!id.isEmpty() && !ids.contains(id)) {
            ids.append(id);
        }
    }
    return ids;
}

QString ProfileForm::elementTitle(const QString &arrayPath, qsizetype index) const
{
    const QJsonObject o = m_document->value(at(arrayPath, index)).toObject();
    const QString id = o.value(QStringLiteral("id")).toString();
    const QString name = o.value(QStringLiteral("name")).toString();
    if (!name.isEmpty() && name != id) {
        return id.isEmpty() ? name : tr("%1 (%2)").arg(name, id);
    }
    return id.isEmpty() ? tr("(no id) #%1").arg(index + 1) : id;
}

QString ProfileForm::keychainIdFor(const QString &path) const
{
    QString name = m_document->value(QStringLiteral("name")).toString();
    if (name.trimmed().isEmpty()) {
        name = QFileInfo(m_document->path()).completeBaseName();
    }
    static const QRegularExpression unsafe(QStringLiteral("[^a-z0-9._-]+"));
    name = name.toLower().replace(unsafe, QStringLiteral("-"));
    name.remove(QRegularExpression(QStringLiteral("^[-.]+|[-.]+$")));
    if (name.isEmpty()) {
        name = QStringLiteral("profile");
    }
    return QStringLiteral("hopscope/%1/%2").arg(name, path);
}

void ProfileForm::buildSections()
{
    ProfileFormPage *general = addPage(nullptr, tr("Profile"), QString());
    general->addText(tr("Name"), QStringLiteral("name"), TextKind::Required, tr("production-eu"));
    general->addBool(
        QString(), QStringLiteral("observeOnly"), tr("Observe only (no drains)"), false);
    general->addBool(QString(), QStringLiteral("production"), tr("Production cluster"), false);
    general->addText(tr("Poll interval (ms)"), QStringLiteral("poll.intervalMs"), TextKind::Number,
        QStringLiteral("2000"));
    general->addText(tr("Poll timeout (ms)"), QStringLiteral("poll.timeoutMs"), TextKind::Number,
        QStringLiteral("1500"));
    static const QStringList known = { QStringLiteral("schema"), QStringLiteral("name"),
        QStringLiteral("observeOnly"), QStringLiteral("production"), QStringLiteral("poll"),
        QStringLiteral("dns"), QStringLiteral("services"), QStringLiteral("loadBalancers"),
        QStringLiteral("proxies"), QStringLiteral("edges"), QStringLiteral("sshHosts"),
        QStringLiteral("dnsUpdate"), QStringLiteral("prometheus"), QStringLiteral("tls") };
    QStringList others;
    for (const QString &k : m_document->root().keys()) {
        if (!known.contains(k)) {
            others.append(k);
        }
    }
    if (!others.isEmpty()) {
        general->addNote(
            tr("Also in this profile, kept as they are (edit them in the JSON tab): %1")
                .arg(others.join(QStringLiteral(", "))));
    }

    ProfileFormPage *dns = addPage(nullptr, tr("DNS"), QStringLiteral("dns"));
    const QJsonArray servers = m_document->value(QStringLiteral("dns.servers")).toArray();
    for (qsizetype i = 0; i < qMax<qsizetype>(servers.size(), 1); ++i) {
        dns->addText(tr("Server %1").arg(i + 1), at(QStringLiteral("dns.servers"), i),
            TextKind::Required, QStringLiteral("127.0.0.1:53"));
    }
    dns->addButton(tr("Add Server"), [this, n = servers.size()] {
        m_document->appendElement(QStringLiteral("dns.servers"), QString());
        reveal(at(QStringLiteral("dns.servers"), qMax<qsizetype>(n, 1)));
    });
    if (servers.size() > 1) {
        dns->addButton(tr("Remove Last Server"), [this, n = servers.size()] {
            m_document->removeElement(at(QStringLiteral("dns.servers"), n - 1));
        });
    }
    dns->addText(tr("Min. re-query (ms)"), QStringLiteral("dns.minIntervalMs"), TextKind::Number);
    dns->addText(tr("Max. re-query (ms)"), QStringLiteral("dns.maxIntervalMs"), TextKind::Number);
    dns->addChoice(
        tr("Via SSH host"), QStringLiteral("dns.via"), idsOf(QStringLiteral("sshHosts")));

    buildServices();
    buildLoadBalancers();
    buildProxies();
    buildEdges();
    buildSshHosts();

    ProfileFormPage *update = addPage(nullptr, tr("DNS Update"), QStringLiteral("dnsUpdate"));
    update->addNote(tr("RFC 2136 updates with TSIG, used to drain DNS-discovered tasks."));
    update->addText(tr("Server"), QStringLiteral("dnsUpdate.server"), TextKind::Text,
        QStringLiteral("127.0.0.1:53"));
    update->addText(tr("Zone"), QStringLiteral("dnsUpdate.zone"), TextKind::Text,
        QStringLiteral("corp.internal"));
    update->addChoice(
        tr("Via SSH host"), QStringLiteral("dnsUpdate.via"), idsOf(QStringLiteral("sshHosts")));
    update->beginBox(tr("TSIG key"), QStringLiteral("dnsUpdate.tsigKey"));
    update->addText(tr("Key name"), QStringLiteral("dnsUpdate.tsigKey.name"), TextKind::Text);
    update->addChoice(tr("Algorithm"), QStringLiteral("dnsUpdate.tsigKey.algorithm"),
        { QStringLiteral("hmac-sha256"), QStringLiteral("hmac-sha512") });
    update->addSecret(tr("Secret"), QStringLiteral("dnsUpdate.tsigKey.secret"), false);
    update->endBox();

    ProfileFormPage *prometheus = addPage(nullptr, tr("Prometheus"), QStringLiteral("prometheus"));
    prometheus->addText(tr("URL"), QStringLiteral("prometheus.url"), TextKind::Text,
        QStringLiteral("http://prometheus:9090"));
    prometheus->addSecret(tr("Bearer token"), QStringLiteral("prometheus.bearerToken"), false);

    ProfileFormPage *tls = addPage(nullptr, tr("TLS"), QStringLiteral("tls"));
    tls->addNote(tr("The default for every https:// URL that has no \"tls\" of its own."));
    buildTls(tls, QString(), tr("Default TLS"));
}

void ProfileForm::buildServices()
{
    const QString array = QStringLiteral("services");
    ProfileFormPage *section = addPage(nullptr, tr("Services"), array);
    QTreeWidgetItem *item = m_itemOf.value(int(m_pages.size() - 1));
    Q_UNUSED(section)
    const QJsonArray services = m_document->value(array).toArray();
    section->addNote(tr("Each service's tasks come from DNS, its load balancers or its sidecars."));
    section->addButton(tr("Add Service"), [this, array, n = services.size()] {
        const QString id = QStringLiteral("service-%1").arg(n + 1);
        m_document->appendElement(
            array, QJsonObject { { QStringLiteral("id"), id }, { QStringLiteral("name"), id } });
        reveal(at(array, n));
    });
    for (qsizetype i = 0; i < services.size(); ++i) {
        const QString p = at(array, i);
        ProfileFormPage *page = addElementPage(item, array, i);
        if (!page) {
            continue;
        }
        page->addText(tr("Id"), key(p, "id"), TextKind::Required, QStringLiteral("orders"));
        page->addText(tr("Name"), key(p, "name"), TextKind::Required, QStringLiteral("Orders"));
        page->beginBox(tr("DNS discovery"), key(p, "dns"));
        page->addText(tr("DNS name"), key(p, "dns.name"), TextKind::Text,
            QStringLiteral("orders.corp.internal"));
        page->addChoice(tr("Record type"), key(p, "dns.type"),
            { QStringLiteral("A"), QStringLiteral("AAAA"), QStringLiteral("SRV") });
        page->addText(tr("Port"), key(p, "dns.port"), TextKind::Number, tr("A and AAAA only"));
        page->endBox();
        page->addButton(tr("Remove Service"), [this, p] { m_document->removeElement(p); });
    }
}

ProfileFormPage *ProfileForm::addElementPage(
    QTreeWidgetItem *section, const QString &array, qsizetype index)
{
    ProfileFormPage *page = addPage(section, elementTitle(array, index), at(array, index));
    QTreeWidgetItem *item = m_itemOf.value(int(m_pages.size() - 1));
    item->setData(0, ArrayRole, array);
    item->setData(0, IndexRole, int(index));
    if (!m_document->value(at(array, index)).isObject()) {
        page->addNote(tr("This element is not a JSON object; fix it in the JSON tab."));
        return nullptr;
    }
    return page;
}

void ProfileForm::buildTls(ProfileFormPage *page, const QString &path, const QString &title)
{
    const QString tls = key(path, "tls");
    page->beginBox(title, tls);
    page->addText(
        tr("CA"), key(tls, "ca"), TextKind::Text, tr("file:PATH (PEM); empty: system CAs"));
    page->addText(
        tr("Client certificate"), key(tls, "cert"), TextKind::Text, tr("file:PATH (PEM)"));
    page->addSecret(tr("Client key"), key(tls, "key"), false);
    const QJsonValue pins = m_document->value(key(tls, "pinSha256"));
    if (pins.isArray()) {
        for (qsizetype i = 0; i < pins.toArray().size(); ++i) {
            page->addText(tr("Pin %1 (SHA-256)").arg(i + 1), at(key(tls, "pinSha256"), i),
                TextKind::Required);
        }
    } else {
        page->addText(tr("Pin (SHA-256)"), key(tls, "pinSha256"), TextKind::Text,
            tr("base64 SHA-256 of the server's public key"));
    }
    page->addBool(QString(), key(tls, "verify"), tr("Verify the server's certificate"), true);
    page->endBox();
}

void ProfileForm::refreshTitles()
{
    for (auto it = m_itemOf.cbegin(); it != m_itemOf.cend(); ++it) {
        const QString array = it.value()->data(0, ArrayRole).toString();
        if (!array.isEmpty()) {
            it.value()->setText(0, elementTitle(array, it.value()->data(0, IndexRole).toInt()));
        }
    }
}

QString ProfileForm::targetFor(const QString &path) const
{
    QString p = path == u"$" ? QString() : path;
    while (true) {
        if (m_fields.contains(p) || m_anchors.contains(p) || p.isEmpty()) {
            return p;
        }
        const QString up = jsonpath::parent(p);
        p = up == p ? QString() : up;
    }
}

QString ProfileForm::shownAt(const QString &target) const
{
    if (const ProfileField *f = m_fields.value(target)) {
        return f->isProblemShown() ? f->problemText() : QString();
    }
    const QLabel *label = m_anchors.value(target);
    return label && !label->isHidden() ? label->text() : QString();
}

bool ProfileForm::reveal(const QString &path)
{
    const QString target = targetFor(path);
    if (!m_pageOf.contains(target)) {
        return false;
    }
    const int page = m_pageOf.value(target);
    m_tree->setCurrentItem(m_itemOf.value(page));
    m_stack->setCurrentIndex(page);
    if (ProfileField *f = m_fields.value(target)) {
        m_pages.at(page)->ensureWidgetVisible(f);
        f->editor()->setFocus();
    } else if (QLabel *label = m_anchors.value(target)) {
        m_pages.at(page)->ensureWidgetVisible(label);
    }
    return true;
}

void ProfileForm::refreshProblems()
{
    QHash<QString, QStringList> byTarget;
    for (const ProfileProblem &p : m_document->problems()) {
        // The same words as `profile check`; a problem shown away from its own path says it.
        const QString target = targetFor(p.path);
        byTarget[target].append(target == p.path || p.path == u"$"
                ? p.message
                : p.path + QStringLiteral(": ") + p.message);
    }
    for (auto it = m_fields.cbegin(); it != m_fields.cend(); ++it) {
        it.value()->setProblems(byTarget.value(it.key()));
    }
    for (auto it = m_anchors.cbegin(); it != m_anchors.cend(); ++it) {
        const QStringList messages = byTarget.value(it.key());
        it.value()->setText(messages.join(QLatin1Char('\n')));
        it.value()->setVisible(!messages.isEmpty());
    }
    QHash<int, int> countOf;
    for (auto it = byTarget.cbegin(); it != byTarget.cend(); ++it) {
        countOf[m_pageOf.value(it.key(), 0)] += int(it.value().size());
    }
    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (auto it = m_itemOf.cbegin(); it != m_itemOf.cend(); ++it) {
        const int n = countOf.value(it.key());
        it.value()->setIcon(0, n > 0 ? warning : QIcon());
        it.value()->setForeground(0, n > 0 ? QBrush(QColor(0xc6, 0x28, 0x28)) : QBrush());
        it.value()->setToolTip(0, n > 0 ? tr("%n problem(s)", nullptr, n) : QString());
    }
}

} // namespace hopscope
