// The app at fleet scale (issue 15 §4), on the fixture of tests/peers/scale_peer.py: the real
// MainWindow (graph, docks, monitor) opening the fleet profiles, offscreen, software scene graph.
// Per mode, in a fresh process of its own (so launch and RSS are that mode's): launch to the first
// frame of the opened profile, to the complete graph (every source has answered once, the frame
// after it), then S seconds of polling every 5 s while 1 % of the health changes per poll
// (scale_peer.py churn; the 50k exporter churns by itself): GUI-thread busy fraction (thread CPU /
// wall), frame time (GUI-thread CPU from a topology rebuild's start to the end of the frame that
// shows it), rebuild count, Prometheus query rounds (the load balancer's poll, start to end),
// RSS. Modes: direct, prometheus (10,000 targets) and prometheus50k, side by side in one run.
//
//   bench_Fleet --dir SCALE_DIR [--seconds 30] [--modes direct,prometheus,prometheus50k]
//
// SCALE_DIR is a running `scale_peer.py up --dir SCALE_DIR [--targets 50000]`. Method and
// numbers: RESULTS.md, "Fleet".

#include "GraphPane.h"
#include "MainWindow.h"
#include "core/ProcessLimits.h"
#include "prometheus/PrometheusSource.h"
#include "topology/ClusterMonitor.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QProcess>
#include <QQuickWidget>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTimer>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <malloc.h>
#include <cstdio>
#include <ctime>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;

namespace {

double monotonicMs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double processCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double statusMb(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray prefix = QByteArray(key) + ':';
    for (const QByteArray &line : f.read(1 << 16).split('\n')) {
        if (line.startsWith(prefix)) {
            return line.mid(prefix.size()).trimmed().split(' ').first().toDouble() / 1024.0;
        }
    }
    return -1;
}

QString loadAvg()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly)
        ? QString::fromLatin1(f.read(256)).section(QLatin1Char(' '), 0, 2)
        : QString();
}

double quantile(QList<double> v, double q)
{
    if (v.isEmpty()) {
        return -1;
    }
    std::sort(v.begin(), v.end());
    return v[std::min<qsizetype>(v.size() - 1, qsizetype(double(v.size()) * q))];
}

// Waits (running the event loop) until pred() or the deadline; no fixed sleeps.
// Waits in an event loop, checking every 50 ms. (Not processEvents(WaitForMoreEvents, 50): the
// overload with a time limit drops WaitForMoreEvents and returns at once when nothing is queued,
// so the wait spun the GUI thread and rounds up to 21 counted that spin as "GUI thread busy".)
template <typename Pred> bool waitUntil(Pred pred, double timeoutMs)
{
    if (pred()) {
        return true;
    }
    const double end = monotonicMs() + timeoutMs;
    QEventLoop loop;
    QTimer check;
    check.setInterval(50);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (pred() || monotonicMs() >= end) {
            loop.quit();
        }
    });
    check.start();
    loop.exec();
    return pred();
}

// One mode, in this process: prints one line "RESULT {json}".
int runOne(const QString &profile, const QString &label, int seconds, const QStringList &churn)
{
    const double t0 = qEnvironmentVariableIsSet("HOPSCOPE_BENCH_T0_MS")
        ? qEnvironmentVariable("HOPSCOPE_BENCH_T0_MS").toDouble()
        : monotonicMs();
    QStandardPaths::setTestModeEnabled(true); // no recent-files or window state of a person's
    MainWindow w;
    w.resize(1600, 1000);
    w.show();
    const double openStart = monotonicMs() - t0;
    const double openCpu0 = threadCpuMs();
    if (!w.openProfile(profile, true)) {
        std::fprintf(
            stderr, "cannot open %s: %s\n", qPrintable(profile), qPrintable(w.lastError()));
        return 1;
    }
    const double openEnd = monotonicMs() - t0;
    const double openCpu = threadCpuMs() - openCpu0;
    // The graph exists once the profile's tab does; its first frame renders after openProfile
    // returned (the event loop runs below), so nothing is missed by connecting here.
    QQuickWindow *quick = w.graphPane()->quickWidget()->quickWindow();
    int frames = 0;
    double lastFrameMs = 0;
    QObject::connect(
        quick, &QQuickWindow::afterRendering, quick,
        [&] {
            ++frames;
            lastFrameMs = monotonicMs();
        },
        Qt::DirectConnection);
    ClusterMonitor *monitor = w.monitor();
    // The load balancer's first read (launch: a full read, Prometheus and the app both busy).
    double firstQueryMs = -1;
    if (PollingSource *lb = monitor->loadBalancerSource(QStringLiteral("fleet-lb"));
        qobject_cast<PrometheusSource *>(lb)) {
        auto started = std::make_shared<double>(-1);
        QObject::connect(lb, &PollingSource::pollStarted, lb, [started] {
            if (*started < 0) {
                *started = monotonicMs();
            }
        });
        QObject::connect(lb, &PollingSource::pollFinished, lb, [started, &firstQueryMs] {
            if (firstQueryMs < 0 && *started >= 0) {
                firstQueryMs = monotonicMs() - *started;
            }
        });
    }
    // HOPSCOPE_BENCH_TRACE=1: a timeline of rebuilds, frames and rounds on stderr (diagnostics).
    if (qEnvironmentVariableIsSet("HOPSCOPE_BENCH_TRACE")) {
        auto trace = [t0](const char *what) {
            std::fprintf(stderr, "trace %8.0f ms  %8.1f cpu  %s\n", monotonicMs() - t0,
                threadCpuMs(), what);
        };
        FrameCoalescer *c = monitor->rebuilds();
        QObject::connect(c, &FrameCoalescer::aboutToRun, c, [trace] { trace("rebuild start"); });
        QObject::connect(c, &FrameCoalescer::resumed, c, [trace] { trace("rebuild apply"); });
        QObject::connect(c, &FrameCoalescer::ran, c, [trace] { trace("rebuild done"); });
        auto firsts = std::make_shared<QMap<double, QString>>();
        for (PollingSource *s : monitor->sources()) {
            if (!s->name().startsWith(QLatin1String("mesh:"))) {
                QObject::connect(s, &PollingSource::pollStarted, s, [s, trace] {
                    trace(qPrintable(s->name() + QLatin1String(" poll started")));
                });
                QObject::connect(s, &PollingSource::pollFinished, s, [s, trace] {
                    trace(qPrintable(s->name() + QLatin1String(" poll finished")));
                });
            }
            QObject::connect(s, &PollingSource::pollFinished, s, [s, firsts, t0] {
                if (!firsts->values().contains(s->name())) {
                    firsts->insert(monotonicMs() - t0, s->name());
                }
            });
        }
        QObject::connect(monitor, &ClusterMonitor::roundCompleted, monitor, [trace, firsts](int) {
            trace("round completed");
            QMap<int, int> buckets;
            for (auto it = firsts->cbegin(); it != firsts->cend(); ++it) {
                ++buckets[int(it.key() / 500) * 500];
            }
            for (auto it = buckets.cbegin(); it != buckets.cend(); ++it) {
                std::fprintf(stderr, "first answers from %d ms: %d\n", it.key(), it.value());
            }
            auto it = firsts->cend();
            for (int i = 0; i < 5 && it != firsts->cbegin(); ++i) {
                --it;
                std::fprintf(stderr, "  late: %s at %.0f\n", qPrintable(it.value()), it.key());
            }
        });
        QObject::connect(
            quick, &QQuickWindow::afterRendering, quick, [trace] { trace("frame"); },
            Qt::DirectConnection);
    }
    const int framesAtOpen = frames;
    waitUntil([&] { return frames > framesAtOpen; }, 60'000);
    const double firstFrame = lastFrameMs - t0;
    const double firstFrameCpu = threadCpuMs() - openCpu0;
    std::fprintf(stderr, "%s: opened at %.0f ms, first frame at %.0f ms\n", qPrintable(label),
        openEnd, firstFrame);

    int rounds = 0;
    double roundAt = 0;
    // The complete graph is the first frame after the first complete round, counted from the
    // round's signal (the 50 ms check below could see a later frame when the GUI thread was
    // busy past the first one: 7.3 s reported for a graph drawn at 1.9 s).
    int framesAtRound = -1;
    double completeFrameMs = -1;
    QObject::connect(monitor, &ClusterMonitor::roundCompleted, monitor, [&](int r) {
        if (rounds == 0) {
            roundAt = monotonicMs();
            framesAtRound = frames;
        }
        rounds = r;
    });
    QObject::connect(
        quick, &QQuickWindow::afterRendering, quick,
        [&] {
            if (framesAtRound >= 0 && completeFrameMs < 0 && frames > framesAtRound) {
                completeFrameMs = monotonicMs();
            }
        },
        Qt::DirectConnection);
    if (!waitUntil([&] { return rounds >= 1; }, 120'000)) {
        std::fprintf(stderr, "%s: no complete round within 120 s\n", qPrintable(label));
    }
    waitUntil([&] { return completeFrameMs >= 0; }, 10'000);
    const double complete = (completeFrameMs >= 0 ? completeFrameMs : lastFrameMs) - t0;
    std::fprintf(stderr, "%s: complete graph at %.0f ms; polling %d s\n", qPrintable(label),
        complete, seconds);
    int targets = 0;
    int unknown = 0;
    for (const ServiceNode &s : monitor->topology().services) {
        targets += int(s.targets.size());
        for (const TargetNode &t : s.targets) {
            unknown += t.health == Health::Unknown || t.health == Health::Stale;
        }
    }
    const double rssComplete = statusMb("VmRSS");
    // Sources failing at the complete graph, and one reason per kind (say why targets are unknown).
    int failing = 0;
    QJsonObject reasons;
    for (const PollingSource *s : monitor->sources()) {
        if (s->status() == PollingSource::Status::Failing) {
            ++failing;
            const QString kind = s->name().section(QLatin1Char(':'), 0, 0);
            if (!reasons.contains(kind)) {
                reasons.insert(kind, s->lastError().message);
            }
        }
    }

    // Polling with churn.
    QProcess churner;
    if (!churn.isEmpty()) {
        churner.start(churn.first(), churn.mid(1));
        churner.waitForStarted(10'000);
    }
    QList<double> frameCpu, frameWall, rebuildCpu, queryMs, fullQueryMs;
    // A rebuild is asynchronous: its GUI-thread part is the start (reading the sources' states,
    // handing the build to the pool) plus the apply (the views taking the new topology); the
    // frame adds the rendering after the apply. The GUI thread's other work while the build is
    // on the pool (answers arriving) is not the frame's, so it is not counted here.
    double startCpu0 = -1, startCpu = 0, applyCpu0 = -1, runWall0 = 0;
    int rebuilds = 0;
    FrameCoalescer *coalescer = monitor->rebuilds();
    QObject::connect(coalescer, &FrameCoalescer::aboutToRun, coalescer, [&] {
        startCpu0 = threadCpuMs();
        if (applyCpu0 < 0) {
            runWall0 = monotonicMs();
        }
    });
    QObject::connect(coalescer, &FrameCoalescer::started, coalescer, [&] {
        startCpu = threadCpuMs() - startCpu0;
    });
    QObject::connect(coalescer, &FrameCoalescer::resumed, coalescer, [&] {
        applyCpu0 = threadCpuMs() - startCpu; // the frame counts the start too
    });
    QObject::connect(coalescer, &FrameCoalescer::ran, coalescer, [&] {
        ++rebuilds;
        rebuildCpu.append(threadCpuMs() - applyCpu0);
    });
    QObject::connect(
        quick, &QQuickWindow::afterRendering, quick,
        [&] {
            if (applyCpu0 >= 0) {
                frameCpu.append(threadCpuMs() - applyCpu0);
                frameWall.append(monotonicMs() - runWall0);
                applyCpu0 = -1;
            }
        },
        Qt::DirectConnection);
    double queryStart = 0;
    int reusedAtStart = 0;
    // A round answered from the last read (no scrape since: PrometheusSource::reusedPolls) costs
    // one small query; the full reads are counted apart too.
    if (auto *lb = qobject_cast<PrometheusSource *>(
            monitor->loadBalancerSource(QStringLiteral("fleet-lb")))) {
        QObject::connect(lb, &PollingSource::pollStarted, lb, [&, lb] {
            queryStart = monotonicMs();
            reusedAtStart = lb->reusedPolls();
        });
        QObject::connect(lb, &PollingSource::pollFinished, lb, [&, lb] {
            if (queryStart > 0) {
                queryMs.append(monotonicMs() - queryStart);
                if (lb->reusedPolls() == reusedAtStart) {
                    fullQueryMs.append(queryMs.last());
                }
            }
        });
    }
    // HOPSCOPE_BENCH_STALLS=1: event-loop stalls, the longest the GUI thread went without running
    // a 5 ms timer (a frame or a rebuild's apply shows here as ~its CPU time; a lock wait or a
    // blocking call longer). Off by default: its 200 wake-ups a second count as GUI busy.
    double lastTick = monotonicMs();
    double maxStall = 0;
    int stalls50 = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, &probe, [&] {
        const double now = monotonicMs();
        const double stall = now - lastTick - 5;
        maxStall = std::max(maxStall, stall);
        stalls50 += stall > 50;
        lastTick = now;
    });
    if (qEnvironmentVariableIntValue("HOPSCOPE_BENCH_STALLS") == 1) {
        probe.start(5);
    }
    const double cpu0 = threadCpuMs();
    const double pcpu0 = processCpuMs();
    const double wall0 = monotonicMs();
    const int rounds0 = rounds;
    const QString loadBefore = loadAvg();
    waitUntil([&] { return monotonicMs() - wall0 >= seconds * 1000.0; }, seconds * 1000.0 + 1000);
    const double wall = monotonicMs() - wall0;
    const double busy = (threadCpuMs() - cpu0) / wall;
    const double processBusy = (processCpuMs() - pcpu0) / wall;
    const QString loadAfter = loadAvg();
    const struct mallinfo2 heap = mallinfo2();
    if (churner.state() != QProcess::NotRunning) {
        churner.terminate();
        churner.waitForFinished(10'000);
    }
    const QJsonObject r {
        { QStringLiteral("label"), label },
        { QStringLiteral("sources"), int(monitor->sources().size()) },
        { QStringLiteral("services"), int(monitor->topology().services.size()) },
        { QStringLiteral("targets"), targets },
        { QStringLiteral("unknownAtComplete"), unknown },
        { QStringLiteral("failingAtComplete"), failing },
        { QStringLiteral("failingReasons"), reasons },
        { QStringLiteral("openStartMs"), openStart },
        { QStringLiteral("openEndMs"), openEnd },
        { QStringLiteral("firstFrameMs"), firstFrame },
        { QStringLiteral("openCpuMs"), openCpu },
        { QStringLiteral("firstFrameCpuMs"), firstFrameCpu },
        { QStringLiteral("completeMs"), complete },
        { QStringLiteral("roundAtMs"), roundAt - t0 },
        { QStringLiteral("rssCompleteMb"), rssComplete },
        { QStringLiteral("rssMb"), statusMb("VmRSS") },
        { QStringLiteral("rssPeakMb"), statusMb("VmHWM") },
        { QStringLiteral("rssAnonMb"), statusMb("RssAnon") }, // heap, stacks, images
        { QStringLiteral("rssFileMb"), statusMb("RssFile") }, // mapped libraries and fonts
        // Where the RSS is (glibc): the heap the process uses, what malloc keeps free, mmapped.
        { QStringLiteral("heapInUseMb"), heap.uordblks / 1048576.0 },
        { QStringLiteral("heapFreeMb"), heap.fordblks / 1048576.0 },
        { QStringLiteral("heapMmapMb"), heap.hblkhd / 1048576.0 },
        { QStringLiteral("seconds"), wall / 1000.0 },
        { QStringLiteral("pollRounds"), rounds - rounds0 },
        { QStringLiteral("guiBusy"), busy },
        { QStringLiteral("processBusy"), processBusy },
        { QStringLiteral("rebuilds"), rebuilds },
        { QStringLiteral("frames"), int(frameCpu.size()) },
        { QStringLiteral("frameCpuMedianMs"), quantile(frameCpu, 0.5) },
        { QStringLiteral("frameCpuP95Ms"), quantile(frameCpu, 0.95) },
        { QStringLiteral("frameCpuMaxMs"), quantile(frameCpu, 1.0) },
        { QStringLiteral("stallMaxMs"), probe.isActive() ? maxStall : -1 },
        { QStringLiteral("stallsOver50Ms"), probe.isActive() ? stalls50 : -1 },
        { QStringLiteral("frameWallMedianMs"), quantile(frameWall, 0.5) },
        { QStringLiteral("rebuildCpuMedianMs"), quantile(rebuildCpu, 0.5) },
        { QStringLiteral("queryRounds"), int(queryMs.size()) },
        { QStringLiteral("queryMedianMs"), quantile(queryMs, 0.5) },
        { QStringLiteral("queryMaxMs"), quantile(queryMs, 1.0) },
        { QStringLiteral("fullQueryRounds"), int(fullQueryMs.size()) },
        { QStringLiteral("fullQueryMedianMs"), quantile(fullQueryMs, 0.5) },
        { QStringLiteral("fullQueryMaxMs"), quantile(fullQueryMs, 1.0) },
        { QStringLiteral("firstQueryMs"), firstQueryMs },
        { QStringLiteral("maxInFlight"), monitor->scheduler()->peakInFlight() },
        { QStringLiteral("loadBefore"), loadBefore },
        { QStringLiteral("loadAfter"), loadAfter },
    };
    std::printf("RESULT %s\n", QJsonDocument(r).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
    return 0;
}

QString verdict(double value, double limit)
{
    if (value < 0) {
        return QStringLiteral("n/a");
    }
    return value <= limit ? QStringLiteral("met") : QStringLiteral("MISSED");
}

// `limitFor`: the mode the limit is a target for (the issue sets RSS for direct mode only);
// null: every mode.
void printRow(const char *what, const QList<QJsonObject> &rs, const char *key, double scale,
    const char *unit, double limit, const char *limitFor = nullptr)
{
    std::printf("%-34s", what);
    for (const QJsonObject &r : rs) {
        const double v = r.value(QLatin1String(key)).toDouble(-1);
        const bool targeted
            = limit > 0 && (!limitFor || r.value(QLatin1String("label")).toString() == QLatin1String(limitFor));
        const QString cell = v < 0
            ? QStringLiteral("-")
            : QStringLiteral("%1 %2 %3")
                  .arg(v * scale, 0, 'f', 1)
                  .arg(QLatin1String(unit))
                  .arg(targeted ? QStringLiteral("(%1)").arg(verdict(v * scale, limit))
                                : limit > 0 ? QStringLiteral("(no target)") : QString());
        std::printf(" | %-26s", qPrintable(cell));
    }
    std::printf("\n");
}

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_QUICK_BACKEND", "software");
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    hopscope::raiseOpenFileLimit(); // as the app does
    hopscope::tuneMalloc();
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    const auto value = [&](const QString &name, const QString &fallback = {}) {
        const qsizetype i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args[i + 1] : fallback;
    };
    const int seconds = value(QStringLiteral("--seconds"), QStringLiteral("30")).toInt();
    if (args.contains(QStringLiteral("--one"))) {
        const QString churn = value(QStringLiteral("--churn"));
        return runOne(value(QStringLiteral("--one")), value(QStringLiteral("--label")), seconds,
            churn.isEmpty() ? QStringList() : churn.split(QLatin1Char(' ')));
    }

    const QString dir = value(QStringLiteral("--dir"), qEnvironmentVariable("HOPSCOPE_SCALE_DIR"));
    QFile stateFile(dir + QStringLiteral("/scale.json"));
    if (dir.isEmpty() || !stateFile.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr,
            "bench_Fleet: --dir SCALE_DIR (a running scale_peer.py up) is required; cannot read "
            "%s\n",
            qPrintable(stateFile.fileName()));
        return 2;
    }
    const QJsonObject state = QJsonDocument::fromJson(stateFile.read(16 << 20)).object();
    const QJsonObject profiles = state.value(QStringLiteral("profiles")).toObject();
    const QString script
        = value(QStringLiteral("--scale-script"), QStringLiteral(HOPSCOPE_SCALE_SCRIPT));
    QStringList modes
        = value(QStringLiteral("--modes"), QStringLiteral("direct,prometheus,prometheus50k"))
              .split(QLatin1Char(','), Qt::SkipEmptyParts);
    QList<QJsonObject> results;
    for (const QString &mode : std::as_const(modes)) {
        const QString profile = profiles.value(mode).toString();
        if (profile.isEmpty()) {
            std::printf(
                "%s: no profile in %s (scale_peer.py up --targets 50000 for prometheus50k)\n",
                qPrintable(mode), qPrintable(stateFile.fileName()));
            continue;
        }
        QStringList childArgs { QStringLiteral("--one"), profile, QStringLiteral("--label"), mode,
            QStringLiteral("--seconds"), QString::number(seconds) };
        if (mode != QLatin1String("prometheus50k")) { // the 50k exporter changes 1 % by itself
            childArgs << QStringLiteral("--churn")
                      << QStringLiteral("python3 %1 churn --dir %2").arg(script, dir);
        }
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOPSCOPE_BENCH_T0_MS"), QString::number(monotonicMs(), 'f', 3));
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), childArgs);
        child.waitForFinished((seconds + 300) * 1000);
        const QList<QByteArray> lines = child.readAllStandardOutput().split('\n');
        bool found = false;
        for (const QByteArray &line : lines) {
            if (line.startsWith("RESULT ")) {
                results.append(QJsonDocument::fromJson(line.mid(7)).object());
                std::printf("%s\n", line.constData());
                found = true;
            }
        }
        if (!found) {
            std::printf(
                "%s: the child gave no result (exit %d)\n", qPrintable(mode), child.exitCode());
        }
    }
    std::printf("\n%-34s", "fleet");
    for (const QJsonObject &r : results) {
        std::printf(" | %-26s",
            qPrintable(QStringLiteral("%1 (%2 targets)")
                           .arg(r.value(QStringLiteral("label")).toString())
                           .arg(r.value(QStringLiteral("targets")).toInt())));
    }
    std::printf("\n");
    printRow("sources", results, "sources", 1, "", 0);
    printRow("launch -> first frame (< 1 s)", results, "firstFrameMs", 1, "ms", 1000);
    printRow("launch -> complete graph (< 5 s)", results, "completeMs", 1, "ms", 5000);
    printRow("GUI thread busy, polling (< 10 %)", results, "guiBusy", 100, "%", 10);
    printRow("process CPU (all threads)", results, "processBusy", 100, "%", 0);
    printRow("RSS after polling (< 250 MB)", results, "rssMb", 1, "MB", 250, "direct");
    printRow("RSS, peak while polling", results, "rssPeakMb", 1, "MB", 0);
    printRow("1 %-change frame, median (<= 16)", results, "frameCpuMedianMs", 1, "ms", 16);
    printRow("1 %-change frame, p95", results, "frameCpuP95Ms", 1, "ms", 16);
    printRow("rebuilds during polling", results, "rebuilds", 1, "", 0);
    printRow("Prometheus query round (< 1 s)", results, "queryMedianMs", 1, "ms", 1000);
    printRow("Prometheus query round, max", results, "queryMaxMs", 1, "ms", 1000);
    printRow("Prometheus full reads (count)", results, "fullQueryRounds", 1, "", 0);
    printRow("Prometheus full read, median", results, "fullQueryMedianMs", 1, "ms", 1000);
    printRow("Prometheus full read, max", results, "fullQueryMaxMs", 1, "ms", 1000);
    printRow("Prometheus first read (launch)", results, "firstQueryMs", 1, "ms", 1000);
    return 0;
}
