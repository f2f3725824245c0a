// The service graph view at scale: 2,000 services / 10,000 targets / 5,000 edges, software scene
// graph, offscreen. Measures layout, model update, a 1 %-change poll to the frame that shows it,
// the first frame, pan/zoom frame times and RSS, for our view (everything painted by GraphLayer
// with the painting core's GraphPainter from cached tiles, invisible QML hit areas near the
// viewport, level of detail when zoomed out) and, in the same run, a baseline (BaselineGraph.qml
// beside this file: a QML box per visible node and one QML Shape per edge). Method and numbers:
// RESULTS.md.

#include "GraphPainter.h"
#include "GraphScene.h"
#include "GraphStyle.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickView>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <numeric>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;

namespace {

constexpr int Services = 2000;
constexpr int TargetsPerService = 5; // 10,000 targets
constexpr int Edges = 5000;
constexpr int Layers = 10;

ClusterProfile generatedProfile()
{
    ClusterProfile p;
    p.name = QStringLiteral("generated 2000/10000/5000");
    for (int i = 0; i < Services; ++i) {
        ServiceSpec service;
        service.id = QStringLiteral("s%1").arg(i);
        service.name = QStringLiteral("service-%1").arg(i);
        p.services.append(service);
    }
    for (int l = 0; l < 4; ++l) {
        LoadBalancerSpec lb;
        lb.id = QStringLiteral("lb%1").arg(l);
        lb.kind = QStringLiteral("haproxy");
        p.loadBalancers.append(lb);
    }
    QRandomGenerator rng(42);
    const int perLayer = Services / Layers;
    QSet<QPair<int, int>> seen;
    while (p.edges.size() < Edges) {
        const int layer = int(rng.bounded(Layers - 1));
        const int from = layer * perLayer + int(rng.bounded(perLayer));
        const int toLayer = std::min(Layers - 1, layer + 1 + int(rng.bounded(2)));
        const int to = toLayer * perLayer + int(rng.bounded(perLayer));
        if (seen.contains({from, to})) {
            continue;
        }
        seen.insert({from, to});
        EdgeSpec e;
        e.from = p.services[from].id;
        e.to = p.services[to].id;
        const int kind = int(rng.bounded(10));
        e.via = kind < 6 ? EdgeSpec::Via::Dns : kind < 9 ? EdgeSpec::Via::Mesh : EdgeSpec::Via::LoadBalancer;
        if (e.via == EdgeSpec::Via::LoadBalancer) {
            e.loadBalancer = QStringLiteral("lb%1").arg(rng.bounded(4));
        }
        p.edges.append(e);
    }
    return p;
}

Topology generatedTopology(const ClusterProfile &p, const QSet<int> &downTargets)
{
    Topology t;
    t.profileName = p.name;
    t.services.reserve(p.services.size());
    for (int i = 0; i < p.services.size(); ++i) {
        ServiceNode s;
        s.id = p.services[i].id;
        s.name = p.services[i].name;
        for (int k = 0; k < TargetsPerService; ++k) {
            const int index = i * TargetsPerService + k;
            TargetNode n;
            n.key = QStringLiteral("10.%1.%2.%3:8080").arg(i / 256).arg(i % 256).arg(k + 1);
            n.health = downTargets.contains(index) ? Health::Down : Health::Healthy;
            n.reason = downTargets.contains(index) ? QStringLiteral("LB marks it DOWN") : QStringLiteral("all sources agree");
            s.targets.append(n);
            s.healthyCount += n.health == Health::Healthy;
        }
        s.health = s.healthyCount == TargetsPerService ? Health::Healthy : Health::Degraded;
        s.summary = QStringLiteral("%1 of %2 healthy").arg(s.healthyCount).arg(TargetsPerService);
        t.services.append(s);
    }
    for (const LoadBalancerSpec &lb : p.loadBalancers) {
        t.loadBalancers.append({lb.id, Health::Healthy, QStringLiteral("answering"), QStringLiteral("2.6"), {}});
    }
    return t;
}

double rssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
        }
    }
    return -1;
}

// CPU time of the calling (GUI) thread: the software scene graph renders on it, so this is the
// GUI-thread cost of a frame without the wait for the platform's update timer.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v[v.size() / 2];
}
double p95(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v[std::min<qsizetype>(v.size() - 1, qsizetype(v.size() * 0.95))];
}

struct Result
{
    double firstFrameMs = 0; // wall clock, setSource to the first frameSwapped
    double firstFrameCpuMs = 0;
    double pollToFrameDetailMs = 0, pollToFrameOverviewMs = 0;
    // Traffic emphasis on, every edge's traffic new each poll (plus the 1 % health change):
    // to the first frame, and to the frame where the picture is exact again (frames, CPU).
    double trafficPollToFrameDetailMs = 0, trafficPollToCompleteDetailMs = 0;
    double trafficPollToFrameOverviewMs = 0;
    double trafficCompleteFrames = 0;
    double setTrafficMs = 0; // the model alone
    // One 256 px tile of the detail view rendered alone (GraphPainter::render), over the tiles
    // of the detail viewport: health emphasis, and traffic emphasis right after new traffic
    // (what a stale tile costs). Median and max.
    double tileHealthMedian = 0, tileHealthMax = 0, tileTrafficMedian = 0, tileTrafficMax = 0;
    QList<double> panDetail, panOverview, zoom;
    QList<double> zoomSweep;  // zooming in from fit, every frame at a zoom never seen before
    int settleFrames = 0;     // frames after the sweep until every tile is exact
    double rss = 0;
    int delegates = 0;
};

// Waits for the next frame; returns false when none came (nothing needed repainting).
bool waitFrame(QQuickWindow *w, int timeoutMs = 5000)
{
    QSignalSpy spy(w, &QQuickWindow::frameSwapped);
    w->update();
    return spy.wait(timeoutMs);
}

class Run
{
public:
    // baseline: a QML box per visible node and one Shape per edge (docs/PERF.md's design).
    Run(const ClusterProfile &profile, bool baseline)
        : m_baseline(baseline)
    {
        m_model.setProfile(profile);
        m_model.setTopology(generatedTopology(profile, {}));
        m_profile = profile;
    }

    Result measure()
    {
        Result r;
        QQuickView view;
        view.engine()->addImportPath(QStringLiteral("qrc:/"));
        view.setResizeMode(QQuickView::SizeRootObjectToView);
        view.resize(1600, 1000);
        QElapsedTimer timer;
        timer.start();
        const double cpu0 = threadCpuMs();
        view.setSource(m_baseline ? QUrl::fromLocalFile(QStringLiteral(HOPSCOPE_BENCH_DIR "/BaselineGraph.qml"))
                                  : QUrl(QStringLiteral("qrc:/Hopscope/Views/ServiceGraph.qml")));
        QQuickItem *root = view.rootObject();
        if (!root) {
            qFatal("the graph's QML did not load");
        }
        if (m_baseline) {
            root->setProperty("edges", baselineEdges());
        }
        root->setProperty("graphModel", QVariant::fromValue<QObject *>(&m_model));
        QMetaObject::invokeMethod(root, "fitToView");
        view.show();
        if (!waitFrame(&view, 60000)) {
            qFatal("no first frame");
        }
        r.firstFrameMs = double(timer.nsecsElapsed()) / 1e6;
        r.firstFrameCpuMs = threadCpuMs() - cpu0;

        // Zoom in and out around fit-to-view (the whole graph: level of detail in our view).
        r.zoom = frames(&view, root, 30, [&](int i) {
            QMetaObject::invokeMethod(root, "zoomAt", Q_ARG(QVariant, i % 2 ? 1 / 1.1 : 1.1), Q_ARG(QVariant, 800),
                                      Q_ARG(QVariant, 500));
        });
        // Zoom in from fit 24 times by 1.1 (to ~0.4, still the overview): each frame a new zoom,
        // so our view shows earlier tiles scaled while it renders new ones within its budget.
        QMetaObject::invokeMethod(root, "fitToView");
        waitFrame(&view);
        settle(&view, root);
        r.zoomSweep = frames(&view, root, 24, [&](int) {
            QMetaObject::invokeMethod(root, "zoomAt", Q_ARG(QVariant, 1.1), Q_ARG(QVariant, 800), Q_ARG(QVariant, 500));
        });
        r.settleFrames = settle(&view, root);
        if (qEnvironmentVariableIsSet("HOPSCOPE_BENCH_VERBOSE")) {
            for (double ms : std::as_const(r.zoomSweep)) {
                std::printf("  sweep frame %.1f ms\n", ms);
            }
        }
        QMetaObject::invokeMethod(root, "fitToView");
        waitFrame(&view);
        settle(&view, root);
        r.pollToFrameOverviewMs = polls(&view, root, 1);
        settle(&view, root);
        grab(&view, "fit");
        // Pan zoomed out (0.2: still level of detail in our view, the graph larger than the view).
        root->setProperty("zoom", 0.2);
        waitFrame(&view);
        r.panOverview = frames(&view, root, 30, [&](int i) {
            QMetaObject::invokeMethod(root, "panBy", Q_ARG(QVariant, (i % 2 ? -1 : 1) * 40), Q_ARG(QVariant, 30));
        });
        settle(&view, root);
        grab(&view, "overview");

        // Zoom 1 around the middle of the graph: full detail.
        root->setProperty("zoom", 1.0);
        QMetaObject::invokeMethod(root, "reveal", Q_ARG(QVariant, 1000));
        QMetaObject::invokeMethod(root, "panBy", Q_ARG(QVariant, 400), Q_ARG(QVariant, 300));
        waitFrame(&view);
        r.panDetail = frames(&view, root, 30, [&](int i) {
            QMetaObject::invokeMethod(root, "panBy", Q_ARG(QVariant, (i % 2 ? -1 : 1) * 40), Q_ARG(QVariant, 25));
        });
        // From the settled picture (not with the last pan's tiles still rendering), like the
        // overview's polls.
        settle(&view, root);
        r.pollToFrameDetailMs = polls(&view, root, 2);
        r.delegates = root->property("delegateCount").toInt();
        settle(&view, root);
        grab(&view, "detail");
        if (!m_baseline) {
            // Traffic emphasis: every edge's rate and error ratio change each poll.
            tileCosts(root, &r.tileHealthMedian, &r.tileHealthMax, -1);
            m_model.setTrafficEmphasis(true);
            m_model.setTraffic(trafficReport(0));
            waitFrame(&view);
            settle(&view, root);
            tileCosts(root, &r.tileTrafficMedian, &r.tileTrafficMax, 7);
            trafficPolls(&view, root, 3, &r.trafficPollToFrameDetailMs, &r.trafficPollToCompleteDetailMs,
                         &r.trafficCompleteFrames);
            settle(&view, root);
            grab(&view, "detail-traffic");
            QMetaObject::invokeMethod(root, "fitToView");
            waitFrame(&view);
            settle(&view, root);
            double unused = 0, unusedFrames = 0;
            trafficPolls(&view, root, 4, &r.trafficPollToFrameOverviewMs, &unused, &unusedFrames);
            settle(&view, root);
            grab(&view, "fit-traffic");
            QList<double> model;
            for (int i = 0; i < 5; ++i) {
                const TrafficReport report = trafficReport(50 + i);
                const double cpu = threadCpuMs();
                m_model.setTraffic(report);
                model.append(threadCpuMs() - cpu);
            }
            r.setTrafficMs = median(model);
            m_model.setTrafficEmphasis(false);
            // Back where the rest of the run expects the view: zoom 1 in the middle.
            root->setProperty("zoom", 1.0);
            QMetaObject::invokeMethod(root, "reveal", Q_ARG(QVariant, 1000));
            QMetaObject::invokeMethod(root, "panBy", Q_ARG(QVariant, 400), Q_ARG(QVariant, 300));
            waitFrame(&view);
            settle(&view, root);
        }
        r.rss = rssMb();
        if (!qEnvironmentVariableIsEmpty("HOPSCOPE_BENCH_GRAB_DIR")) {
            // The dark palette, for a person to look at: detail, zoomed out (0.2) and fit.
            root->setProperty("dark", true);
            waitFrame(&view);
            settle(&view, root);
            grab(&view, "detail-dark");
            root->setProperty("zoom", 0.2);
            waitFrame(&view);
            settle(&view, root);
            grab(&view, "overview-dark");
            QMetaObject::invokeMethod(root, "fitToView");
            waitFrame(&view);
            settle(&view, root);
            grab(&view, "fit-dark");
        }
        return r;
    }

private:
    // The baseline's edges: end points by the one edge rule (GraphScene::endpoints).
    QVariantList baselineEdges() const
    {
        QVariantList list;
        const auto &nodes = m_model.nodes();
        for (const ServiceGraphModel::EdgeSegment &s : m_model.segments()) {
            QPointF p1, p2;
            GraphScene::endpoints(nodes[s.from].rect, nodes[s.to].rect, &p1, &p2);
            list.append(QVariantMap{{QStringLiteral("x1"), p1.x()}, {QStringLiteral("y1"), p1.y()},
                                    {QStringLiteral("x2"), p2.x()}, {QStringLiteral("y2"), p2.y()},
                                    {QStringLiteral("pattern"), s.pattern}});
        }
        return list;
    }

    // Screenshots for a person to look at, when HOPSCOPE_BENCH_GRAB_DIR is set.
    void grab(QQuickView *view, const char *what)
    {
        const QString dir = qEnvironmentVariable("HOPSCOPE_BENCH_GRAB_DIR");
        if (!dir.isEmpty()) {
            view->grabWindow().save(dir + QStringLiteral("/bench-") + QLatin1String(m_baseline ? "baseline" : "ours") + QLatin1Char('-') + QLatin1String(what) + QStringLiteral(".png"));
        }
    }

    template<typename Step>
    QList<double> frames(QQuickView *view, QQuickItem *, int count, Step step)
    {
        QList<double> times;
        for (int i = 0; i < count; ++i) {
            const double cpu = threadCpuMs();
            step(i);
            if (waitFrame(view)) {
                times.append(threadCpuMs() - cpu);
            }
        }
        return times;
    }

    // The median of 5 polls (each a different 1 % from all healthy, from the settled picture):
    // one poll alone is one sample of a frame on a shared machine.
    double polls(QQuickView *view, QQuickItem *root, int seed)
    {
        QList<double> times;
        for (int i = 0; i < 5; ++i) {
            settle(view, root);
            times.append(pollToFrame(view, root, seed * 100 + i));
            // Back to all healthy (not measured), so each measured poll changes 1 % again.
            m_model.setTopology(generatedTopology(m_profile, {}));
            waitFrame(view);
        }
        settle(view, root);
        return median(times);
    }

    // 1 % of the targets (100) change health, at least one of them on screen; the time from
    // handing the model the new topology to the frame that shows it, on the GUI thread.
    double pollToFrame(QQuickView *view, QQuickItem *root, int seed)
    {
        QSet<int> down;
        QRandomGenerator rng{quint32(seed)};
        const QRectF vp = root->property("viewport").toRectF();
        for (int row = 0; row < m_model.rowCount(); ++row) {
            if (m_model.nodes()[row].kind == u"service" && m_model.nodes()[row].rect.intersects(vp)) {
                down.insert(row * TargetsPerService);
                break;
            }
        }
        while (down.size() < Services * TargetsPerService / 100) {
            down.insert(int(rng.bounded(Services * TargetsPerService)));
        }
        const Topology t = generatedTopology(m_profile, down);
        QSignalSpy frame(view, &QQuickWindow::frameSwapped);
        const double cpu = threadCpuMs();
        m_model.setTopology(t);
        if (!frame.wait(5000)) {
            return -1;
        }
        return threadCpuMs() - cpu;
    }

    // Renders every tile of the current viewport at zoom 1 once (after new traffic when
    // trafficSeed >= 0, as a stale tile is) and gives the median and max GUI-thread CPU per tile.
    void tileCosts(QQuickItem *root, double *med, double *max, int trafficSeed)
    {
        GraphScene scene;
        scene.rebuild(m_model);
        const QRectF vp = root->property("viewport").toRectF();
        const GraphStyle style = GraphStyle::light();
        const GraphPainter::Options options;
        constexpr int T = GraphPainter::TileSize;
        const auto renderAll = [&](QList<double> *times) {
            for (int ty = int(vp.top()) / T; ty <= int(vp.bottom()) / T; ++ty) {
                for (int tx = int(vp.left()) / T; tx <= int(vp.right()) / T; ++tx) {
                    const double cpu = threadCpuMs();
                    const QImage tile = GraphPainter::render(scene, QRect(tx * T, ty * T, T, T), 1.0, style, options);
                    if (times) {
                        times->append(threadCpuMs() - cpu);
                    }
                    Q_UNUSED(tile)
                }
            }
        };
        renderAll(nullptr); // what the layer's tiles have seen once already
        if (trafficSeed >= 0) {
            m_model.setTraffic(trafficReport(trafficSeed));
        }
        QList<double> times;
        renderAll(&times);
        *med = median(times);
        *max = times.isEmpty() ? 0 : *std::max_element(times.cbegin(), times.cend());
    }

    // Traffic for every edge of the profile, different for every seed: 0.1 to 5,000 rps (log
    // uniform), error ratios 0 to 10 % (some over each threshold), p99 5 to 500 ms.
    TrafficReport trafficReport(int seed) const
    {
        TrafficReport r;
        QRandomGenerator rng{quint32(1000 + seed)};
        for (const EdgeSpec &spec : m_profile.edges) {
            EdgeNode e;
            e.from = spec.from;
            e.to = spec.to;
            e.via = spec.viaText();
            TrafficAggregate a;
            a.measured = true;
            a.point.status = TrafficStatus::Ok;
            const double rps = std::pow(10.0, rng.generateDouble() * 4.7 - 1);
            const double ratio = rng.generateDouble() * 0.1;
            a.point.rps = rps;
            a.point.errorsPerS = rps * ratio;
            a.point.errorRatio = ratio;
            a.point.p99Ms = 5 + rng.generateDouble() * 495;
            r.edges.insert(TrafficTracker::edgeKey(e), a);
        }
        return r;
    }

    // The median of 5 polls with traffic emphasis on: the 1 % health change and new traffic on
    // every edge handed to the model (as MainWindow's coalesced feed does once per round), to
    // the first frame (GUI-thread CPU), and to the frame where every tile is exact again (CPU
    // summed over those frames, and their count).
    void trafficPolls(QQuickView *view, QQuickItem *root, int seed, double *toFrame, double *toComplete, double *frames)
    {
        QList<double> first, complete, counts;
        QObject *layer = root->property("graphLayerItem").value<QObject *>();
        for (int i = 0; i < 5; ++i) {
            settle(view, root);
            QSet<int> down;
            QRandomGenerator rng{quint32(seed * 100 + i)};
            while (down.size() < Services * TargetsPerService / 100) {
                down.insert(int(rng.bounded(Services * TargetsPerService)));
            }
            const Topology t = generatedTopology(m_profile, down);
            const TrafficReport traffic = trafficReport(seed * 100 + i);
            QSignalSpy frame(view, &QQuickWindow::frameSwapped);
            const double cpu = threadCpuMs();
            m_model.setTopology(t);
            m_model.setTraffic(traffic);
            if (!frame.wait(5000)) {
                first.append(-1);
                continue;
            }
            first.append(threadCpuMs() - cpu);
            int n = 1;
            for (; n < 200 && layer && !layer->property("complete").toBool(); ++n) {
                waitFrame(view, 1000);
            }
            complete.append(threadCpuMs() - cpu);
            counts.append(n);
            m_model.setTopology(generatedTopology(m_profile, {}));
            waitFrame(view);
        }
        settle(view, root);
        *toFrame = median(first);
        *toComplete = median(complete);
        *frames = median(counts);
    }

    // Waits until the painted layer shows every tile at the current zoom (it renders missing
    // tiles within a per-frame budget), so screenshots are the settled picture.
    int settle(QQuickView *view, QQuickItem *root)
    {
        QObject *layer = root->property("graphLayerItem").value<QObject *>();
        int i = 0;
        for (; i < 200 && layer && !layer->property("complete").toBool(); ++i) {
            waitFrame(view, 1000);
        }
        return i;
    }

    bool m_baseline;
    ClusterProfile m_profile;
    ServiceGraphModel m_model;
};

void print(const char *name, const Result &r)
{
    std::printf("%-9s first frame %8.1f ms wall, %8.1f ms GUI CPU | 1%% poll->frame: detail %7.1f ms, overview %7.1f ms | pan detail "
                "median %6.1f p95 %6.1f ms | pan overview median %6.1f p95 %6.1f ms | zoom median %6.1f p95 %6.1f ms "
                "| zoom sweep median %6.1f p95 %6.1f ms, settled after %d frames | delegates %d | RSS %6.0f MB\n",
                name, r.firstFrameMs, r.firstFrameCpuMs, r.pollToFrameDetailMs, r.pollToFrameOverviewMs, median(r.panDetail), p95(r.panDetail),
                median(r.panOverview), p95(r.panOverview), median(r.zoom), p95(r.zoom), median(r.zoomSweep), p95(r.zoomSweep),
                r.settleFrames, r.delegates, r.rss);
    if (r.setTrafficMs > 0) {
        std::printf("%-9s traffic emphasis, every edge new + 1%% health per poll: setTraffic (model) %.1f ms | poll->frame detail "
                    "%.1f ms, to complete %.1f ms over %.0f frames | poll->frame overview %.1f ms\n",
                    name, r.setTrafficMs, r.trafficPollToFrameDetailMs, r.trafficPollToCompleteDetailMs, r.trafficCompleteFrames,
                    r.trafficPollToFrameOverviewMs);
        std::printf("%-9s one detail tile (256 px, zoom 1) rendered alone: health median %.2f ms max %.2f ms | traffic, "
                    "after new traffic, median %.2f ms max %.2f ms\n",
                    name, r.tileHealthMedian, r.tileHealthMax, r.tileTrafficMedian, r.tileTrafficMax);
    }
}

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_QUICK_BACKEND", "software");
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QGuiApplication app(argc, argv);
    const bool skipBaseline = app.arguments().contains(QStringLiteral("--no-baseline"));
    std::printf("graph: %d services, %d targets, %d edges; software scene graph, offscreen, 1600x1000\n", Services,
                Services * TargetsPerService, Edges);
    const ClusterProfile profile = generatedProfile();

    // Layout and model update, no GUI.
    {
        ServiceGraphModel model;
        QElapsedTimer t;
        t.start();
        model.setProfile(profile);
        const double open = double(t.nsecsElapsed()) / 1e6;
        std::printf("content %.0f x %.0f px at zoom 1\n", model.contentSize().width(), model.contentSize().height());
        QList<double> relayouts;
        for (int i = 0; i < 10; ++i) {
            t.restart();
            model.relayout();
            relayouts.append(double(t.nsecsElapsed()) / 1e6);
        }
        const Topology healthy = generatedTopology(profile, {});
        t.restart();
        model.setTopology(healthy);
        const double firstTopology = double(t.nsecsElapsed()) / 1e6;
        QList<double> updates;
        QList<int> signalCounts;
        for (int i = 0; i < 10; ++i) {
            QSet<int> down;
            QRandomGenerator rng{quint32(100 + i)};
            while (down.size() < Services * TargetsPerService / 100) {
                down.insert(int(rng.bounded(Services * TargetsPerService)));
            }
            const Topology changed = generatedTopology(profile, down);
            QSignalSpy spy(&model, &QAbstractItemModel::dataChanged);
            t.restart();
            model.setTopology(changed);
            updates.append(double(t.nsecsElapsed()) / 1e6);
            signalCounts.append(int(spy.size()));
        }
        std::printf("model     setProfile %.1f ms | full re-layout median %.1f ms (max %.1f) | first topology %.1f ms | "
                    "1%%-change setTopology median %.1f ms (max %.1f), %d dataChanged signals\n",
                    open, median(relayouts), *std::max_element(relayouts.cbegin(), relayouts.cend()), firstTopology,
                    median(updates), *std::max_element(updates.cbegin(), updates.cend()), signalCounts.first());
    }

    const Result ours = Run(profile, false).measure();
    print("ours", ours);
    if (!skipBaseline) {
        const Result base = Run(profile, true).measure();
        print("baseline", base);
        std::printf("ratio baseline/ours: first frame %.1fx | pan overview %.1fx | zoom %.1fx | pan detail %.1fx\n",
                    base.firstFrameMs / ours.firstFrameMs, median(base.panOverview) / median(ours.panOverview),
                    median(base.zoom) / median(ours.zoom), median(base.panDetail) / median(ours.panDetail));
    }
    return 0;
}
