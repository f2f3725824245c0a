#pragma once

// Shared by the Envoy unit tests: reads a file of tests/data/envoy/ with simdjson's padding.

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QtTest>

inline QByteArray envoyTestData(const QString &name)
{
    const QString path = qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/envoy/" + name;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning("cannot open %s: %s", qPrintable(path), qPrintable(file.errorString()));
        return {};
    }
    QByteArray data;
    data.reserve(file.size() + 64);
    data.append(file.readAll());
    return data;
}
