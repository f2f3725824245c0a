#pragma once

// The harness BIND of the demo cluster as seen by the DNS tests: its address (from
// HOPSCOPE_PEERS_DIR/state.json), RFC 2136 updates through the real nsupdate with the run's key,
// and a per-test-run label so that parallel tests never touch each other's names.

#include "profile/Endpoint.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QString>

struct DnsTestBed
{
    hopscope::HostPort server;
    QString zone;
    QString keyFile;
    QString label; // unique per run: "t1a2b3c"
    QString error;

    static DnsTestBed fromEnvironment()
    {
        DnsTestBed bed;
        const QString dir = qEnvironmentVariable("HOPSCOPE_PEERS_DIR");
        QFile f(dir + QStringLiteral("/state.json"));
        if (dir.isEmpty() || !f.open(QIODevice::ReadOnly)) {
            bed.error = QStringLiteral("no state.json in HOPSCOPE_PEERS_DIR '%1'").arg(dir);
            return bed;
        }
        const QJsonObject st = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject dns = st.value(QStringLiteral("dns")).toObject();
        bed.server.host = dns.value(QStringLiteral("addr")).toString();
        bed.server.port = quint16(dns.value(QStringLiteral("port")).toInt());
        bed.zone = st.value(QStringLiteral("zone")).toString();
        bed.keyFile = dns.value(QStringLiteral("ddns_key_file")).toString();
        bed.label = QStringLiteral("t%1").arg(QRandomGenerator::global()->generate(), 8, 16,
                                              QLatin1Char('0'));
        if (!bed.server.isValid() || bed.zone.isEmpty() || bed.keyFile.isEmpty()) {
            bed.error = QStringLiteral("state.json lacks dns.addr/port/ddns_key_file or zone");
        }
        return bed;
    }

    QString fqdn(const QString &relative) const { return relative + QLatin1Char('.') + zone; }

    // Runs nsupdate with `lines` ("update add NAME TTL IN TYPE RDATA"; @ZONE@ is replaced).
    // Blocking is fine here: this is test code, not the GUI thread of the product.
    bool nsupdate(const QStringList &lines, QString *why = nullptr) const
    {
        QString script = QStringLiteral("server %1 %2\nzone %3\n")
                             .arg(server.host)
                             .arg(server.port)
                             .arg(zone);
        for (QString l : lines) {
            script += l.replace(QStringLiteral("@ZONE@"), zone) + QLatin1Char('\n');
        }
        script += QStringLiteral("send\n");
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("nsupdate"), {QStringLiteral("-t"), QStringLiteral("5"),
                                             QStringLiteral("-k"), keyFile});
        p.write(script.toUtf8());
        p.closeWriteChannel();
        if (!p.waitForFinished(15000) || p.exitCode() != 0) {
            if (why) {
                *why = QStringLiteral("nsupdate failed (%1): %2\n%3")
                           .arg(p.exitCode())
                           .arg(QString::fromUtf8(p.readAll()), script);
            }
            return false;
        }
        return true;
    }
};
