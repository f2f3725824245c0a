#pragma once

// What the AWS drain tests share: the emulator's info (fixture peers_aws), the read-back through
// the official AWS SDK (tests/peers/aws-oracle/readback.mjs: what AWS's own clients see, never
// hopscope's report), the emulator's fault and stats control endpoints, and the audit log's
// records. Header-only; Qt Test macros are not used here so every helper can run anywhere.

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QTimer>

#include <algorithm>

namespace hopscope::awsdrain {

inline QJsonObject peerInfo()
{
    QFile f(qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR") + QStringLiteral("/aws.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s (is the peers_aws fixture up?)", qPrintable(f.fileName()));
    }
    return QJsonDocument::fromJson(f.read(1 << 20)).object();
}

// Runs `program args` with a hard deadline and an output cap; false and `why` on any failure.
inline bool runTool(const QString &program, const QStringList &args, QByteArray *out, QString *why,
    int deadlineMs = 60'000)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(10'000)) {
        *why = QStringLiteral("%1 did not start: %2").arg(program, p.errorString());
        return false;
    }
    QByteArray err;
    QDeadlineTimer deadline(deadlineMs);
    constexpr qsizetype cap = 8 << 20;
    while (p.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        p.waitForReadyRead(int(std::clamp<qint64>(deadline.remainingTime(), 1, 500)));
        *out += p.readAllStandardOutput().left(cap - out->size());
        err += p.readAllStandardError().left(65536 - err.size());
    }
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        *why = QStringLiteral("%1 did not finish within %2 ms").arg(program).arg(deadlineMs);
        return false;
    }
    *out += p.readAllStandardOutput().left(cap - out->size());
    err += p.readAllStandardError().left(65536 - err.size());
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *why = QStringLiteral("%1 failed (exit %2): %3")
                   .arg(program)
                   .arg(p.exitCode())
                   .arg(QString::fromUtf8(err));
        return false;
    }
    return true;
}

// The emulator's state as the AWS SDK reads it: {"elbv2": {arn: [...]}, "cloudMap": {...}}, each
// list sorted by id so two reads compare equal whatever order the emulator keeps.
inline QJsonObject sdkReadBack(QString *why)
{
    QByteArray out;
    if (!runTool(qEnvironmentVariable("HOPSCOPE_NODE"),
            { QStringLiteral("--no-warnings"), qEnvironmentVariable("HOPSCOPE_AWS_READBACK_SCRIPT"),
                qEnvironmentVariable("HOPSCOPE_AWS_PEER_DIR") + QStringLiteral("/aws.json") },
            &out, why)) {
        return {};
    }
    QJsonParseError pe;
    const QJsonObject o = QJsonDocument::fromJson(out, &pe).object();
    if (pe.error != QJsonParseError::NoError) {
        *why = QStringLiteral("readback.mjs printed no JSON: %1").arg(pe.errorString());
        return {};
    }
    QJsonObject sorted;
    for (const QString &part : { QStringLiteral("elbv2"), QStringLiteral("cloudMap") }) {
        QJsonObject groups;
        const QJsonObject in = o.value(part).toObject();
        for (auto it = in.constBegin(); it != in.constEnd(); ++it) {
            QList<QJsonObject> items;
            for (const QJsonValue &v : it.value().toArray()) {
                items << v.toObject();
            }
            std::sort(items.begin(), items.end(), [](const QJsonObject &a, const QJsonObject &b) {
                return a.value(u"id").toString() + QString::number(a.value(u"port").toInt())
                    < b.value(u"id").toString() + QString::number(b.value(u"port").toInt());
            });
            QJsonArray arr;
            for (const QJsonObject &i : items) {
                arr.append(i);
            }
            groups.insert(it.key(), arr);
        }
        sorted.insert(part, groups);
    }
    return sorted;
}

// One ELBv2 target or Cloud Map instance in a read-back; an empty object when it is not listed.
inline QJsonObject elbv2Target(
    const QJsonObject &readBack, const QString &groupArn, const QString &id, int port)
{
    for (const QJsonValue &v : readBack[u"elbv2"][groupArn].toArray()) {
        if (v[u"id"].toString() == id && v[u"port"].toInt() == port) {
            return v.toObject();
        }
    }
    return {};
}

inline QJsonObject cloudMapInstance(
    const QJsonObject &readBack, const QString &service, const QString &id)
{
    for (const QJsonValue &v : readBack[u"cloudMap"][service].toArray()) {
        if (v[u"id"].toString() == id) {
            return v.toObject();
        }
    }
    return {};
}

// A control call of the emulator (unsigned, loopback only): GET without a body, else POST.
inline QJsonObject emulatorControl(const QString &path, const QJsonObject &body = {})
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest req(QUrl(peerInfo()[u"url"].toString() + QStringLiteral("/_emulator/") + path));
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = body.isEmpty()
        ? nam.get(req)
        : nam.post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10'000, &loop, &QEventLoop::quit);
    loop.exec();
    const QJsonObject o = reply->isFinished()
        ? QJsonDocument::fromJson(reply->read(1 << 20)).object()
        : QJsonObject();
    reply->abort();
    reply->deleteLater();
    return o;
}

// Every record of an audit log, in order.
inline QList<QJsonObject> auditRecords(const QString &path)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return out;
    }
    while (!f.atEnd()) {
        const QByteArray line = f.readLine(1 << 20).trimmed();
        if (!line.isEmpty()) {
            out << QJsonDocument::fromJson(line).object();
        }
    }
    return out;
}

} // namespace hopscope::awsdrain
