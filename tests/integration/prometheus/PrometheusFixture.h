#pragma once

// The peers_prometheus fixture (tests/peers/prometheus_peer.py) from a Qt test: its state file,
// its profiles, and profiles a test writes itself (loaded through ProfileStore, as the app does).
// Header-only test helper.

#include "profile/ProfileStore.h"
#include "topology/Topology.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>

namespace promfixture {

inline QString dir()
{
    return qEnvironmentVariable("HOPSCOPE_PROM_DIR");
}

inline QJsonObject state()
{
    QFile f(dir() + QStringLiteral("/prometheus.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.read(1 << 20)).object();
}

inline QString prometheusUrl()
{
    return state()[u"prometheus"][u"url"].toString();
}

// A profile loaded as the app loads it; the first problem in *why when it does not load.
inline std::optional<hopscope::ClusterProfile> load(const QString &path, QString *why)
{
    const hopscope::ProfileLoadResult r = hopscope::ProfileStore::load(path);
    if (!r.ok()) {
        *why = r.problems.isEmpty() ? QStringLiteral("?") : r.problems.first().toString();
        return std::nullopt;
    }
    return *r.profile;
}

// The profile `json`, written to `tmp` and loaded.
inline std::optional<hopscope::ClusterProfile> write(
    const QTemporaryDir &tmp, const QJsonObject &json, QString *why)
{
    const QString path = tmp.filePath(QStringLiteral("profile.hopscope.json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || f.write(QJsonDocument(json).toJson()) < 0) {
        *why = QStringLiteral("cannot write %1").arg(path);
        return std::nullopt;
    }
    f.close();
    return load(path, why);
}

inline const hopscope::SidecarNode *sidecar(const hopscope::Topology &t, const QString &id)
{
    for (const hopscope::SidecarNode &s : t.sidecars) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

// POST to an Envoy admin endpoint (the fixture's own sidecar): true on HTTP 200.
inline bool adminPost(const QString &url)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request { QUrl(url) };
    request.setTransferTimeout(5000);
    QNetworkReply *reply = nam.post(request, QByteArray());
    QSignalSpy done(reply, &QNetworkReply::finished);
    const bool finished = reply->isFinished() || done.wait(10000);
    const bool ok
        = finished && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    reply->deleteLater();
    return ok;
}

} // namespace promfixture
