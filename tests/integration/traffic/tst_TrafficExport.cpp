// `hopscope-cli export --polls 2 --emphasis traffic` against the demo cluster (its traffic
// generator sends requests through HAProxy and the sidecars): the JSON carries the snapshot
// contract's traffic keys (edges[].traffic, targets[].traffic) and every layout segment's
// traffic, and the PNG draws the edges the proxies count requests on in a traffic colour
// (ok, warning or error: never the plain line ink of health emphasis) where the layout puts
// them; the DOT gives them a pen width and the traffic label.

#include "PeersHarness.h"

#include "GraphScene.h"
#include "GraphStyle.h"

#include <QDir>
#include <QFile>
#include <QFontMetricsF>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

using namespace hopscope;

namespace {

struct Run
{
    int code = -1;
    QString err;
};

Run cli(const QStringList &args)
{
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

int colourDistance(const QColor &a, const QColor &b)
{
    return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green())
        + std::abs(a.blue() - b.blue());
}

} // namespace

class tst_TrafficExport : public QObject
{
    Q_OBJECT

    QString m_outDir;

    QString output(const QString &name) const { return m_outDir + QLatin1Char('/') + name; }

private Q_SLOTS:
    void initTestCase()
    {
        m_outDir = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/traffic");
        QVERIFY(QDir().mkpath(m_outDir));
    }

    void exportShowsTheDemosTraffic()
    {
        const PeersHarness peers;
        QVERIFY2(peers.isUp(), "no state.json in HOPSCOPE_PEERS_DIR: the demo cluster is not up");
        const QString profile = peers.profilePath();

        // JSON: the snapshot contract's traffic keys, and each layout segment's traffic.
        const QString json = output(QStringLiteral("export-traffic.json"));
        Run r = cli({ QStringLiteral("export"), profile, QStringLiteral("--polls"),
            QStringLiteral("2"), QStringLiteral("--emphasis"), QStringLiteral("traffic"),
            QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-o"), json });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        int edgesWithRate = 0;
        for (const QJsonValue &e : doc[QStringLiteral("edges")].toArray()) {
            QVERIFY2(e.toObject().contains(QStringLiteral("traffic")), "edges[].traffic missing");
            const QJsonValue t = e[QStringLiteral("traffic")];
            if (e[QStringLiteral("via")].toString() == u"dns") {
                QVERIFY2(t.isNull(), "a dns edge is measured by nobody: traffic null");
            } else if (t.isObject() && t[QStringLiteral("rps")].isDouble()) {
                ++edgesWithRate;
                QVERIFY(t.toObject().contains(QStringLiteral("latencyMs")));
                QVERIFY(t[QStringLiteral("windowS")].toDouble() > 0);
            }
        }
        QVERIFY2(edgesWithRate > 0,
            "the demo's generator sends traffic: some edge has a rate after 2 polls");
        int targetsWithTraffic = 0;
        for (const QJsonValue &s : doc[QStringLiteral("services")].toArray()) {
            for (const QJsonValue &t : s[QStringLiteral("targets")].toArray()) {
                QVERIFY2(
                    t.toObject().contains(QStringLiteral("traffic")), "targets[].traffic missing");
                targetsWithTraffic += t[QStringLiteral("traffic")].isObject();
            }
        }
        QVERIFY(targetsWithTraffic > 0);
        const QJsonObject layout = doc[QStringLiteral("layout")].toObject();
        QVERIFY(layout[QStringLiteral("trafficEmphasis")].toBool());
        QHash<QString, QRectF> rects;
        for (const QJsonValue &n : layout[QStringLiteral("nodes")].toArray()) {
            rects.insert(n[QStringLiteral("id")].toString(),
                QRectF(n[QStringLiteral("x")].toDouble(), n[QStringLiteral("y")].toDouble(),
                    n[QStringLiteral("width")].toDouble(), n[QStringLiteral("height")].toDouble()));
        }
        // Where a segment's curve shows beside its traffic label (the label's room is centred
        // on the curve's middle, GraphScene::TrafficBadgeWidth wide, three lines of the badge
        // font high).
        const qreal roomHeight
            = GraphScene::TrafficBadgeLines * QFontMetricsF(GraphFonts::instance().badge).height()
            + 6;
        const auto visiblePoints = [&](const QJsonObject &segment) {
            QList<QPoint> points;
            QPointF p1, p2;
            GraphScene::endpoints(rects.value(segment[QStringLiteral("from")].toString()),
                rects.value(segment[QStringLiteral("to")].toString()), &p1, &p2);
            const GraphScene::Edge curve = GraphScene::curve(p1, p2);
            const QPointF middle = (p1 + p2) / 2;
            const QRectF room(middle.x() - GraphScene::TrafficBadgeWidth / 2 - 4,
                middle.y() - roomHeight / 2 - 4, GraphScene::TrafficBadgeWidth + 8, roomHeight + 8);
            for (int i = 3; i < 98; ++i) {
                const QPointF at = curve.at(i / 100.0);
                if (!room.contains(at)) {
                    points.append(at.toPoint());
                }
            }
            return points;
        };
        // Of the drawn segments with at least 0.5 requests/s (the generator's rate split over
        // the edges, so the PNG's own two polls surely see requests on it too), the one whose
        // curve shows most beside its label.
        QJsonObject busiest;
        QList<QPoint> points;
        for (const QJsonValue &s : layout[QStringLiteral("segments")].toArray()) {
            QVERIFY2(s.toObject().contains(QStringLiteral("traffic")),
                "layout.segments[].traffic missing");
            const double rps = s[QStringLiteral("traffic")][QStringLiteral("rps")].toDouble(-1);
            const QList<QPoint> shown = rps >= 0.5 ? visiblePoints(s.toObject()) : QList<QPoint>();
            if (shown.size() > points.size()) {
                points = shown;
                busiest = s.toObject();
            }
        }
        QVERIFY2(points.size() >= 10,
            "no drawn segment with at least 0.5 requests/s shows beside its label");

        // PNG at scale 1: along the busiest segment's curve, the stroke is in a traffic colour.
        const QString png = output(QStringLiteral("export-traffic.png"));
        r = cli({ QStringLiteral("export"), profile, QStringLiteral("--polls"), QStringLiteral("2"),
            QStringLiteral("--emphasis"), QStringLiteral("traffic"), QStringLiteral("--format"),
            QStringLiteral("png"), QStringLiteral("-o"), png });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QImage image = QImage(png).convertToFormat(QImage::Format_RGB32);
        QVERIFY(!image.isNull());
        const GraphStyle style = GraphStyle::light();
        const QList<QColor> trafficInks { style.trafficLook(GraphStyle::TrafficLevel::Ok).colour,
            style.trafficLook(GraphStyle::TrafficLevel::Warning).colour,
            style.trafficLook(GraphStyle::TrafficLevel::Error).colour };
        int onCurve = 0, inTrafficInk = 0, inLineInk = 0;
        for (const QPoint &at : std::as_const(points)) {
            bool traffic = false, line = false;
            for (int dy = -2; dy <= 2; ++dy) {
                for (int dx = -2; dx <= 2; ++dx) {
                    const QPoint q = at + QPoint(dx, dy);
                    if (!image.rect().contains(q)) {
                        continue;
                    }
                    const QColor c = image.pixelColor(q);
                    traffic = traffic
                        || std::any_of(trafficInks.cbegin(), trafficInks.cend(),
                            [&](const QColor &ink) { return colourDistance(c, ink) <= 30; });
                    line = line || colourDistance(c, style.line) <= 30;
                }
            }
            ++onCurve;
            inTrafficInk += traffic;
            inLineInk += line;
        }
        qInfo("segment %s -> %s: %d of %d points along its curve in a traffic colour, %d "
              "in the line ink",
            qPrintable(busiest[QStringLiteral("from")].toString()),
            qPrintable(busiest[QStringLiteral("to")].toString()), inTrafficInk, onCurve, inLineInk);
        QVERIFY2(inTrafficInk >= onCurve / 2, "the edge is not drawn in a traffic colour");
        QVERIFY2(
            inTrafficInk > inLineInk, "the busiest edge is drawn in the health emphasis' line ink");

        // DOT: the same edge with a pen width and the traffic label.
        const QString dot = output(QStringLiteral("export-traffic.dot"));
        r = cli({ QStringLiteral("export"), profile, QStringLiteral("--polls"), QStringLiteral("2"),
            QStringLiteral("--emphasis"), QStringLiteral("traffic"), QStringLiteral("--format"),
            QStringLiteral("dot"), QStringLiteral("-o"), dot });
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile d(dot);
        QVERIFY(d.open(QIODevice::ReadOnly));
        const QByteArray text = d.readAll();
        QVERIFY2(text.contains("penwidth="), "no edge of the DOT export has a traffic pen width");
        QVERIFY2(text.contains(" rps"), "no edge of the DOT export has a traffic label");
    }
};

QTEST_MAIN(tst_TrafficExport)
#include "tst_TrafficExport.moc"
