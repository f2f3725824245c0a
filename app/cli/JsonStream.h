#pragma once

#include <QJsonValue>
#include <QString>
#include <QTextStream>

#include <functional>
#include <vector>

namespace hopscope::cli {

// Writes one JSON document piece by piece, byte for byte in the layout
// QJsonDocument::toJson(Indented) gives (4-space indent, `"key": value`, keys as the caller
// orders them), so a big result streams to `out` in memory bounded by its largest element
// instead of being held three times over (QJsonObject, the UTF-8 text, the QString of it).
// Objects: key() before every member, in the order QJsonObject would sort them (the caller's
// job; objectWith() helps). Arrays: values only.
class JsonStream
{
public:
    explicit JsonStream(QTextStream &out);

    void beginObject();
    void beginArray();
    void end(); // closes the innermost object or array; after the top level, a final '\n'
    void key(const QString &key);
    void value(const QJsonValue &value); // a scalar, or a whole (small) object or array

    // Writes `members` as one object with one more member, `key`, whose value `writeValue`
    // streams; `key` goes where QJsonObject's key order puts it.
    void objectWith(
        const QJsonObject &members, const QString &key, const std::function<void()> &writeValue);

    // The text Qt's JSON writer gives a scalar (a number, a string with its quotes, ...).
    static QByteArray scalar(const QJsonValue &value);

private:
    void beforeValue();
    void write(QByteArrayView bytes);

    struct Level
    {
        bool object = false;
        int members = 0;
    };
    QTextStream &m_out;
    std::vector<Level> m_stack;
    bool m_afterKey = false;
};

} // namespace hopscope::cli
