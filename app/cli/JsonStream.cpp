#include "cli/JsonStream.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QVariant>

namespace hopscope::cli {

namespace {

QByteArray indent(size_t depth)
{
    return QByteArray(qsizetype(4 * depth), ' ');
}

// A string Qt's writer would leave as it is: printable ASCII without '"' or '\'.
bool isPlain(const QString &s)
{
    for (const QChar c : s) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u >= 0x7f || u == u'"' || u == u'\\') {
            return false;
        }
    }
    return true;
}

} // namespace

JsonStream::JsonStream(QTextStream &out)
    : m_out(out)
{ }

void JsonStream::write(QByteArrayView bytes)
{
    m_out << QString::fromUtf8(bytes);
}

void JsonStream::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_stack.empty()) {
        return;
    }
    Level &level = m_stack.back();
    write(level.members > 0 ? ",\n" : "");
    write(indent(m_stack.size()));
    ++level.members;
}

void JsonStream::beginObject()
{
    beforeValue();
    write("{\n");
    m_stack.push_back({ true, 0 });
}

void JsonStream::beginArray()
{
    beforeValue();
    write("[\n");
    m_stack.push_back({ false, 0 });
}

void JsonStream::end()
{
    Q_ASSERT(!m_stack.empty() && !m_afterKey);
    const Level level = m_stack.back();
    m_stack.pop_back();
    if (level.members > 0) {
        write("\n");
    }
    write(indent(m_stack.size()));
    write(level.object ? "}" : "]");
    if (m_stack.empty()) {
        write("\n");
        m_out.flush();
    }
}

void JsonStream::key(const QString &key)
{
    Q_ASSERT(!m_stack.empty() && m_stack.back().object && !m_afterKey);
    Level &level = m_stack.back();
    QByteArray text = level.members > 0 ? QByteArray(",\n") : QByteArray();
    text += indent(m_stack.size());
    text += isPlain(key) ? '"' + key.toLatin1() + '"' : scalar(key);
    text += ": ";
    write(text);
    ++level.members;
    m_afterKey = true;
}

QByteArray JsonStream::scalar(const QJsonValue &value)
{
    if (value.isString() && isPlain(value.toString())) {
        return '"' + value.toString().toLatin1() + '"';
    }
    if (value.isDouble()) {
        const QVariant v = value.toVariant(); // LongLong when it holds an integer
        if (v.typeId() == QMetaType::LongLong) {
            return QByteArray::number(v.toLongLong()); // what Qt's writer prints for one
        }
    }
    QByteArray text = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    return text.sliced(1, text.size() - 2); // "[<value>]"
}

void JsonStream::value(const QJsonValue &value)
{
    beforeValue();
    if (!value.isObject() && !value.isArray()) {
        write(scalar(value));
    } else {
        QByteArray text = value.isObject()
            ? QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)
            : QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented);
        text.chop(1); // the document's final '\n'
        // Strings are escaped, so every '\n' starts a line of the layout: indent it one level
        // per enclosing container.
        text.replace(QByteArrayView("\n"), QByteArray(QByteArray("\n") + indent(m_stack.size())));
        write(text);
    }
    if (m_stack.empty()) {
        write("\n");
        m_out.flush();
    }
}

void JsonStream::objectWith(
    const QJsonObject &members, const QString &extraKey, const std::function<void()> &writeValue)
{
    beginObject();
    bool written = false;
    for (auto it = members.begin(); it != members.end(); ++it) {
        if (!written && extraKey < it.key()) {
            key(extraKey);
            writeValue();
            written = true;
        }
        key(it.key());
        value(it.value());
    }
    if (!written) {
        key(extraKey);
        writeValue();
    }
    end();
}

} // namespace hopscope::cli
