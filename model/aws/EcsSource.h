#pragma once

#include "aws/AwsPollingSource.h"
#include "aws/AwsReplies.h"

#include <QDateTime>
#include <QMetaType>
#include <QPointer>

namespace hopscope {

class AwsSession;
struct AwsCall;
struct AwsResult;

struct EcsSnapshot
{
    QString cluster;
    QString service;
    // The service's tasks that are running or on their way (desired RUNNING), and those told to
    // stop (desired STOPPED: stopping, or stopped within the hour ECS keeps them), each with its
    // last status, health status, ENI address and stop reason.
    QList<EcsTask> tasks;
    QDateTime fetchedAt;
};

// One ECS service of the profile (services[].ecs): every poll, ListTasks for the service with
// desired status RUNNING and then STOPPED (pages followed), then DescribeTasks on those ARNs in
// batches of 100 (the API's limit). A poll whose calls do not all succeed fails as a whole with
// the first failure's words, so a half-read service never shows its other tasks as gone.
class EcsSource : public AwsPollingSource
{
    Q_OBJECT
public:
    EcsSource(AwsSession *session, QString cluster, QString service, QObject *parent = nullptr);

    const EcsSnapshot &snapshot() const { return m_snapshot; }

    static constexpr int DescribeBatch = 100;

Q_SIGNALS:
    void snapshotReady(const hopscope::EcsSnapshot &snapshot);

protected:
    void makeCalls() override;
    void publish(const QDateTime &fetchedAt) override;

private:
    void list(int statusIndex);
    void describe(qsizetype from);

    EcsSnapshot m_snapshot; // the last complete one
    EcsSnapshot m_building;
    QStringList m_arns;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::EcsSnapshot)
