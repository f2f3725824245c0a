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
    : AwsPollingSource(QStringLiteral("ecs %1/%2").arg(cluster, service), session, parent)
{
    qRegisterMetaType<EcsSnapshot>();
    m_snapshot.cluster = m_building.cluster = std::move(cluster);
    m_snapshot.service = m_building.service = std::move(service);
}

void EcsSource::makeCalls()
{
    m_arns.clear();
    m_building.tasks.clear();
    list(0);
}

void EcsSource::publish(const QDateTime &fetchedAt)
{
    m_building.fetchedAt = fetchedAt;
    m_snapshot = m_building;
    Q_EMIT snapshotReady(m_snapshot);
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
        completePoll();
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
