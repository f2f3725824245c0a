// parsePrometheusResponse / parsePrometheusSample on answers captured from a real Prometheus 2.42
// (tests/data/prometheus) and the composed examples of docs/examples: vector, matrix, scalar,
// string, the error envelope, NaN / ±Inf sample strings, warnings; then truncated and hostile
// JSON, each refused with the JSON path of what is wrong, never a crash or a half-read answer.

#include "prometheus/PrometheusResponse.h"

#include <QFile>
#include <QTest>

#include <cmath>

using namespace hopscope;
using namespace Qt::StringLiterals;

namespace {

QByteArray readData(const QString &relative)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u'/' + relative);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(f.fileName()));
    }
    return f.readAll(); // a test fixture in the source tree
}

QByteArray readExample(const QString &name)
{
    QFile f(QStringLiteral(HOPSCOPE_DOCS_EXAMPLES "/") + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

} // namespace

class tst_PrometheusResponse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void capturedVectorWithWarnings();
    void capturedMatrix();
    void capturedScalarAndString();
    void capturedBadData();
    void nanAndInfinities();
    void docsExamples();
    void sampleStrings_data();
    void sampleStrings();
    void everyTruncationIsRefused();
    void hostile_data();
    void hostile();
    void seriesCap();
    void errorTypesInPlainWords_data();
    void errorTypesInPlainWords();
};

void tst_PrometheusResponse::capturedVectorWithWarnings()
{
    const auto r = parsePrometheusResponse(
        readData(QStringLiteral("prometheus/haproxy_promex_vector.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    QVERIFY(r->success);
    QCOMPARE(r->resultType, PrometheusResponse::ResultType::Vector);
    QCOMPARE(r->series.size(), 45);
    // The fixture's Prometheus has a failing remote_read: a partial answer with its warning.
    QCOMPARE(r->warnings.size(), 1);
    QVERIFY2(r->warnings.first().startsWith(u"remote_read: "), qPrintable(r->warnings.first()));
    const PrometheusSeries *drain = nullptr;
    for (const PrometheusSeries &s : r->series) {
        if (s.name == u"haproxy_server_status" && s.label(u"server") == u"app2") {
            drain = &s;
        }
    }
    QVERIFY(drain);
    QCOMPARE(drain->label(u"state"), QStringLiteral("DRAIN"));
    QCOMPARE(drain->label(u"proxy"), QStringLiteral("be_app"));
    QCOMPARE(drain->label(u"__name__"), QString()); // the name is kept apart from the labels
    QCOMPARE(drain->points.size(), 1);
    QCOMPARE(drain->points.first().text, QStringLiteral("1"));
    QCOMPARE(drain->points.first().value, 1.0);
    QVERIFY(drain->points.first().time > 1.7e9);
}

void tst_PrometheusResponse::capturedMatrix()
{
    const auto r = parsePrometheusResponse(readData(QStringLiteral("prometheus/matrix.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    QCOMPARE(r->resultType, PrometheusResponse::ResultType::Matrix);
    QCOMPARE(r->series.size(), 1);
    QVERIFY(r->series.first().points.size() >= 2);
    for (const auto &p : r->series.first().points) {
        QCOMPARE(p.value, 1.0);
    }
    QVERIFY(r->series.first().points.first().time < r->series.first().points.last().time);
}

void tst_PrometheusResponse::capturedScalarAndString()
{
    const auto s = parsePrometheusResponse(readData(QStringLiteral("prometheus/scalar.json")));
    QVERIFY2(s, qPrintable(s.errorText()));
    QCOMPARE(s->resultType, PrometheusResponse::ResultType::Scalar);
    QVERIFY(s->scalar);
    QCOMPARE(s->scalar->value, 2.0);
    QVERIFY(s->series.isEmpty());
    const auto t = parsePrometheusResponse(readData(QStringLiteral("prometheus/string.json")));
    QVERIFY2(t, qPrintable(t.errorText()));
    QCOMPARE(t->resultType, PrometheusResponse::ResultType::String);
    QCOMPARE(t->scalar->text, QStringLiteral("hello"));
    QVERIFY(std::isnan(t->scalar->value));
}

void tst_PrometheusResponse::capturedBadData()
{
    const auto r = parsePrometheusResponse(readData(QStringLiteral("prometheus/bad_data.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    QVERIFY(!r->success);
    QCOMPARE(r->errorType, QStringLiteral("bad_data"));
    QVERIFY(r->error.contains(u"parse error"));
    QVERIFY2(r->errorInWords().startsWith(
                 u"Prometheus rejected the query as malformed (bad_data): invalid parameter"),
        qPrintable(r->errorInWords()));
}

void tst_PrometheusResponse::nanAndInfinities()
{
    const auto r = parsePrometheusResponse(readData(QStringLiteral("prometheus/nan_inf.json")));
    QVERIFY2(r, qPrintable(r.errorText()));
    QCOMPARE(r->series.size(), 3);
    QHash<QString, PrometheusSeries::Point> byLabel;
    for (const auto &s : r->series) {
        byLabel.insert(s.label(u"v"), s.points.first());
    }
    QVERIFY(std::isnan(byLabel.value(QStringLiteral("nan")).value));
    QCOMPARE(byLabel.value(QStringLiteral("nan")).text, QStringLiteral("NaN"));
    QVERIFY(std::isinf(byLabel.value(QStringLiteral("pinf")).value));
    QVERIFY(byLabel.value(QStringLiteral("pinf")).value > 0);
    QCOMPARE(byLabel.value(QStringLiteral("pinf")).text, QStringLiteral("+Inf"));
    QVERIFY(std::isinf(byLabel.value(QStringLiteral("ninf")).value));
    QVERIFY(byLabel.value(QStringLiteral("ninf")).value < 0);
}

void tst_PrometheusResponse::docsExamples()
{
    const auto v
        = parsePrometheusResponse(readExample(QStringLiteral("prometheus_instant_vector.json")));
    QVERIFY2(v, qPrintable(v.errorText()));
    QCOMPARE(v->series.size(), 2);
    QCOMPARE(v->series.at(1).points.first().value, 2.0);
    QVERIFY(v->series.at(0).name.isEmpty()); // an aggregation's answer: no __name__
    const auto m
        = parsePrometheusResponse(readExample(QStringLiteral("prometheus_range_matrix.json")));
    QVERIFY2(m, qPrintable(m.errorText()));
    QCOMPARE(m->series.size(), 2);
    QCOMPARE(m->series.first().points.size(), 4);
    QCOMPARE(m->series.first().points.at(2).value, 1.0); // pay2 DOWN from the third point on
    const auto e = parsePrometheusResponse(readExample(QStringLiteral("prometheus_error.json")));
    QVERIFY2(e, qPrintable(e.errorText()));
    QVERIFY(!e->success);
    QCOMPARE(e->errorType, QStringLiteral("bad_data"));
}

void tst_PrometheusResponse::sampleStrings_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<double>("value");
    QTest::newRow("int") << u"1"_s << true << 1.0;
    QTest::newRow("neg") << u"-0.5"_s << true << -0.5;
    QTest::newRow("exp") << u"1e+06"_s << true << 1e6;
    QTest::newRow("big") << u"1.796024471693e+09"_s << true << 1.796024471693e9;
    QTest::newRow("empty") << u""_s << false << 0.0;
    QTest::newRow("word") << u"up"_s << false << 0.0;
    QTest::newRow("hex") << u"0x10"_s << false << 0.0;
    QTest::newRow("comma") << u"1,5"_s << false << 0.0;
    QTest::newRow("lower nan") << u"nan"_s << false << 0.0; // Go prints NaN only
    QTest::newRow("lower inf") << u"inf"_s << false << 0.0;
    QTest::newRow("overflow") << u"1e999"_s << false << 0.0;
    QTest::newRow("spaces") << u" 1"_s << false << 0.0;
}

void tst_PrometheusResponse::sampleStrings()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(double, value);
    const auto v = parsePrometheusSample(text);
    QCOMPARE(v.has_value(), ok);
    if (ok) {
        QCOMPARE(*v, value);
    }
}

void tst_PrometheusResponse::everyTruncationIsRefused()
{
    const QByteArray full
        = readData(QStringLiteral("prometheus/haproxy_promex_vector.json")).trimmed();
    QVERIFY(parsePrometheusResponse(full));
    for (qsizetype n = 0; n < full.size(); ++n) {
        const auto r = parsePrometheusResponse(full.left(n));
        QVERIFY2(!r, qPrintable(QStringLiteral("a prefix of %1 bytes was accepted").arg(n)));
        QVERIFY(!r.errorText().isEmpty());
    }
}

void tst_PrometheusResponse::hostile_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("not json") << QByteArray("<html>502 Bad Gateway</html>") << u"invalid JSON"_s;
    QTest::newRow("array") << QByteArray("[1,2]") << u"expected a JSON object, got an array"_s;
    QTest::newRow("no status") << QByteArray("{\"data\":{}}")
                               << u"status: missing or not a string"_s;
    QTest::newRow("odd status") << QByteArray("{\"status\":\"ok\"}")
                                << u"status: \"ok\" is neither success nor error"_s;
    QTest::newRow("no data") << QByteArray("{\"status\":\"success\"}")
                             << u"data: missing or not an object"_s;
    QTest::newRow("bad type")
        << QByteArray(
               "{\"status\":\"success\",\"data\":{\"resultType\":\"histogram\",\"result\":[]}}")
        << u"data.resultType: \"histogram\" is not vector, matrix, scalar or string"_s;
    QTest::newRow("number sample")
        << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                      "[{\"metric\":{},\"value\":[1,2]}]}}")
        << u"data.result[0].value[1]: expected the sample as a string, got a number"_s;
    QTest::newRow("word sample")
        << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                      "[{\"metric\":{},\"value\":[1,\"lots\"]}]}}")
        << u"data.result[0].value[1]: \"lots\" is not a number, NaN or ±Inf"_s;
    QTest::newRow("label not string")
        << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                      "[{\"metric\":{\"job\":7},\"value\":[1,\"1\"]}]}}")
        << u"data.result[0].metric.job: expected a string, got a number"_s;
    QTest::newRow("three-element point")
        << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                      "[{\"metric\":{},\"values\":[[1,\"1\",3]]}]}}")
        << u"data.result[0].values[0]: expected [time, \"value\"], got 3 elements"_s;
    QTest::newRow("no value") << QByteArray("{\"status\":\"success\",\"data\":{\"resultType\":"
                                            "\"vector\",\"result\":[{\"metric\":{}}]}}")
                              << u"data.result[0]: has neither \"value\" nor \"histogram\""_s;
    QTest::newRow("warnings not strings") << QByteArray(
        "{\"status\":\"success\",\"warnings\":[1],\"data\":{\"resultType\":\"vector\",\"result\":[]"
        "}}") << u"warnings[0]: expected a string, got a number"_s;
    QTest::newRow("deep nesting") << QByteArray(QByteArray(100000, '[') + QByteArray(100000, ']'))
                                  << u"invalid JSON"_s;
}

void tst_PrometheusResponse::hostile()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const auto r = parsePrometheusResponse(body);
    QVERIFY(!r);
    QVERIFY2(r.errorText().startsWith(error), qPrintable(r.errorText()));
}

void tst_PrometheusResponse::seriesCap()
{
    const QByteArray body = readData(QStringLiteral("prometheus/haproxy_promex_vector.json"));
    const auto r = parsePrometheusResponse(body, 10);
    QVERIFY(!r);
    QCOMPARE(r.errorText(), QStringLiteral("data.result: 45 series, more than the 10 accepted"));
}

void tst_PrometheusResponse::errorTypesInPlainWords_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("words");
    QTest::newRow("bad_data") << u"bad_data"_s
                              << u"Prometheus rejected the query as malformed (bad_data): m"_s;
    QTest::newRow("execution") << u"execution"_s
                               << u"Prometheus could not evaluate the query (execution): m"_s;
    QTest::newRow("timeout")
        << u"timeout"_s << u"the query ran out of time on the Prometheus server (timeout): m"_s;
    QTest::newRow("unavailable") << u"unavailable"_s
                                 << u"Prometheus is unavailable (unavailable): m"_s;
    QTest::newRow("unknown") << u"weird"_s << u"Prometheus answered with an error (weird): m"_s;
}

void tst_PrometheusResponse::errorTypesInPlainWords()
{
    QFETCH(QString, type);
    QFETCH(QString, words);
    const QByteArray body
        = QStringLiteral("{\"status\":\"error\",\"errorType\":\"%1\",\"error\":\"m\"}")
              .arg(type)
              .toUtf8();
    const auto r = parsePrometheusResponse(body);
    QVERIFY2(r, qPrintable(r.errorText()));
    QCOMPARE(r->errorInWords(), words);
}

QTEST_GUILESS_MAIN(tst_PrometheusResponse)
#include "tst_PrometheusResponse.moc"
