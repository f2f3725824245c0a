#include "aws/EcsSource.h"

#include "aws/AwsRequest.h"
#include "aws/AwsSession.h"

#include <QJsonArray>
#include <QJsonObject>

namespace hopscope {

namespace {
const char *const s_desired[] = { "RUNNING", "STOPPED" };
} // namespace

EcsSource::EcsSource(AwsSession *session, QString cluster, QString service, QObject *parent)
    : PollingSource(QStringLiteral("ecs %1/%2").arg(cluster, service), parent)
    , m_session(session)
{
    qRegisterMetaType<EcsSnapshot>();
    m_snapshot.cluster = m_building.cluster = std::move(cluster);
    m_snapshot.service = m_building.service = std::move(service);
}

EcsSource::~EcsSource()
{
    cancelPoll();
}

void EcsSource::cancelPoll()
{
    delete m_pollScope; // the request in flight and its callback go with it
    m_pollScope = nullptr;
}

void EcsSource::startPoll()
{
    if (!m_session) {
        failPoll(makeError(SourceError::Kind::Internal, QStringLiteral("no AWS session")));
        return;
    }
    if (m_pollScope) {
        m_pollScope->deleteLater(); // what a failed poll left
    }
    m_pollScope = new QObject(this);
    m_arns.clear();
    m_building.tasks.clear();
    list(0);
}

void EcsSource::step(const AwsCall &c, std::function<void(const AwsResult &)> next)
{
    // The source's own timeout ends the poll; each call's deadline is just inside it.
    const int deadline = std::max(500, timeoutMs() - 100);
    m_session->call(m_pollScope, c, deadline, [this, next](const AwsResult &result) {
        if (!result.ok()) {
            failWith(result.error.sourceKind(), result.errorText());
            return;
        }
        next(result);
    });
}

void EcsSource::failWith(SourceError::Kind kind, const QString &words)
{
    if (m_pollScope) {
        m_pollScope->deleteLater();
        m_pollScope = nullptr;
    }
    failPoll(makeError(kind, words));
}

void EcsSource::list(int statusIndex)
{
    if (statusIndex >= int(std::size(s_desired))) {
        describe(0);
        return;
    }
    AwsCall c = AwsCall::ecs("ListTasks",
        QJsonObject { { QStringLiteral("cluster"), m_building.cluster },
            { QStringLiteral("serviceName"), m_building.service },
            { QStringLiteral("desiredStatus"), QLatin1String(s_desired[statusIndex]) },
            { QStringLiteral("maxResults"), 100 } });
    c.pageToken = QStringLiteral("nextToken");
    step(c, [this, statusIndex](const AwsResult &r) {
        for (const QByteArray &page : r.pages) {
            const auto arns = AwsReplies::listTasks(page);
            if (!arns) {
                failWith(SourceError::Kind::Malformed,
                    QStringLiteral("ecs ListTasks: %1").arg(arns.errorText()));
                return;
            }
            for (const QString &arn : *arns) {
                if (!m_arns.contains(arn)) {
                    m_arns.append(arn);
                }
            }
        }
        list(statusIndex + 1);
    });
}

void EcsSource::describe(qsizetype from)
{
    if (from >= m_arns.size()) {
        if (m_pollScope) {
            m_pollScope->deleteLater();
            m_pollScope = nullptr;
        }
        m_building.fetchedAt = m_session->clock().now();
        m_snapshot = m_building;
        Q_EMIT snapshotReady(m_snapshot);
        finishPoll();
        return;
    }
    QJsonArray batch;
    for (qsizetype i = from; i < std::min<qsizetype>(m_arns.size(), from + DescribeBatch); ++i) {
        batch.append(m_arns.at(i));
    }
    step(AwsCall::ecs("DescribeTasks",
             QJsonObject { { QStringLiteral("cluster"), m_building.cluster },
                 { QStringLiteral("tasks"), batch } }),
        [this, from](const AwsResult &r) {
            const auto tasks = AwsReplies::describeTasks(r.pages.value(0));
            if (!tasks) {
                failWith(SourceError::Kind::Malformed,
                    QStringLiteral("ecs DescribeTasks: %1").arg(tasks.errorText()));
                return;
            }
            // A task listed a moment ago may be gone ("MISSING" failures): not an error.
            m_building.tasks += *tasks;
            describe(from + DescribeBatch);
        });
}

} // namespace hopscope
