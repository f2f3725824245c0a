#include "topology/GraphLayout.h"

#include <QTest>

using namespace hopscope;

// GraphLayout: left-to-right layers, determinism, cycles, no overlaps.
class tst_GraphLayout : public QObject
{
    Q_OBJECT

    static QList<GraphLayout::Node> nodes(int n)
    {
        QList<GraphLayout::Node> list;
        for (int i = 0; i < n; ++i) {
            list.append({QString::number(i), QSizeF(100, 50)});
        }
        return list;
    }

private Q_SLOTS:
    void chainGoesLeftToRight()
    {
        // a -> b -> c, and a -> c: c must be in layer 2 (longest path), not 1.
        const auto r = GraphLayout::layout(nodes(3), {{0, 1}, {1, 2}, {0, 2}});
        QCOMPARE(r.layers, (QList<int>{0, 1, 2}));
        QVERIFY(r.positions[0].x() < r.positions[1].x());
        QVERIFY(r.positions[1].x() < r.positions[2].x());
    }

    void cyclesTerminateAndStayLayered()
    {
        const auto r = GraphLayout::layout(nodes(3), {{0, 1}, {1, 2}, {2, 0}});
        QCOMPARE(r.positions.size(), 3);
        QCOMPARE(r.layers, (QList<int>{0, 1, 2}));
    }

    void deterministicAndNonOverlapping()
    {
        QList<GraphLayout::Edge> edges;
        for (int i = 0; i < 60; ++i) {
            edges.append({i % 20, 20 + (i * 7) % 40});
        }
        const auto a = GraphLayout::layout(nodes(60), edges);
        const auto b = GraphLayout::layout(nodes(60), edges);
        QCOMPARE(a.positions, b.positions);
        for (int i = 0; i < 60; ++i) {
            const QRectF ri(a.positions[i], QSizeF(100, 50));
            QVERIFY(a.bounds.width() >= ri.right() && a.bounds.height() >= ri.bottom());
            for (int j = i + 1; j < 60; ++j) {
                QVERIFY2(!ri.intersects(QRectF(a.positions[j], QSizeF(100, 50))),
                         qPrintable(QStringLiteral("%1 overlaps %2").arg(i).arg(j)));
            }
        }
    }

    void isolatedNodesAndBadEdgesAreHarmless()
    {
        const auto r = GraphLayout::layout(nodes(2), {{0, 7}, {-1, 0}, {1, 1}});
        QCOMPARE(r.layers, (QList<int>{0, 0}));
        QVERIFY(GraphLayout::layout({}, {}).positions.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_GraphLayout)
#include "tst_GraphLayout.moc"
