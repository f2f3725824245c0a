#include "ProfileJsonPath.h"

#include <QJsonArray>

namespace hopscope::jsonpath {

std::optional<QList<Segment>> parse(const QString &path)
{
    QList<Segment> out;
    qsizetype i = 0;
    const qsizetype n = path.size();
    if (n == 0) {
        return std::nullopt;
    }
    while (i < n) {
        if (path.at(i) == u'[') {
            const qsizetype close = path.indexOf(u']', i);
            bool ok = false;
            const qsizetype index = close < 0 ? -1 : path.mid(i + 1, close - i - 1).toLongLong(&ok);
            if (!ok || index < 0) {
                return std::nullopt;
            }
            out.append({ QString(), index });
            i = close + 1;
            if (i < n && path.at(i) == u'.') {
                ++i;
                if (i == n) {
                    return std::nullopt;
                }
            }
            continue;
        }
        qsizetype end = i;
        while (end < n && path.at(end) != u'.' && path.at(end) != u'[') {
            ++end;
        }
        if (end == i) {
            return std::nullopt;
        }
        out.append({ path.mid(i, end - i), -1 });
        i = end;
        if (i < n && path.at(i) == u'.') {
            ++i;
            if (i == n) {
                return std::nullopt;
            }
        }
    }
    return out;
}

QString join(const QList<Segment> &segments)
{
    QString out;
    for (const Segment &s : segments) {
        if (s.isIndex()) {
            out += u'[' + QString::number(s.index) + u']';
        } else {
            out += (out.isEmpty() ? QString() : QStringLiteral(".")) + s.key;
        }
    }
    return out;
}

QString parent(const QString &path)
{
    auto segments = parse(path);
    if (!segments || segments->isEmpty()) {
        return {};
    }
    segments->removeLast();
    return join(*segments);
}

namespace {

QJsonValue child(const QJsonValue &v, const Segment &s)
{
    if (s.isIndex()) {
        return v.isArray() && s.index < v.toArray().size() ? v.toArray().at(s.index)
                                                           : QJsonValue(QJsonValue::Undefined);
    }
    return v.isObject() ? v.toObject().value(s.key) : QJsonValue(QJsonValue::Undefined);
}

// Sets segments[at...] below `container` to `value`; false when a step has another type.
bool setIn(
    QJsonValue &container, const QList<Segment> &segments, qsizetype at, const QJsonValue &value)
{
    const Segment &s = segments.at(at);
    const bool last = at == segments.size() - 1;
    if (s.isIndex()) {
        if (!container.isArray()) {
            return false;
        }
        QJsonArray array = container.toArray();
        if (s.index > array.size()) {
            return false;
        }
        QJsonValue element = s.index < array.size() ? array.at(s.index) : QJsonValue(QJsonObject());
        if (last) {
            element = value;
        } else if (!setIn(element, segments, at + 1, value)) {
            return false;
        }
        if (s.index == array.size()) {
            array.append(element);
        } else {
            array[s.index] = element;
        }
        container = array;
        return true;
    }
    if (!container.isObject()) {
        return false;
    }
    QJsonObject object = container.toObject();
    QJsonValue member = object.value(s.key);
    if (last) {
        member = value;
    } else {
        if (member.isUndefined()) {
            member = segments.at(at + 1).isIndex() ? QJsonValue(QJsonArray())
                                                   : QJsonValue(QJsonObject());
        }
        if (!setIn(member, segments, at + 1, value)) {
            return false;
        }
    }
    object.insert(s.key, member);
    container = object;
    return true;
}

// Removes segments.last() below `container`; prunes objects left empty that are object members.
bool removeIn(QJsonValue &container, const QList<Segment> &segments, qsizetype at)
{
    const Segment &s = segments.at(at);
    const bool last = at == segments.size() - 1;
    if (s.isIndex()) {
        if (!container.isArray() || s.index >= container.toArray().size()) {
            return false;
        }
        QJsonArray array = container.toArray();
        if (last) {
            array.removeAt(s.index);
        } else {
            QJsonValue element = array.at(s.index);
            if (!removeIn(element, segments, at + 1)) {
                return false;
            }
            array[s.index] = element;
        }
        container = array;
        return true;
    }
    if (!container.isObject() || !container.toObject().contains(s.key)) {
        return false;
    }
    QJsonObject object = container.toObject();
    if (last) {
        object.remove(s.key);
    } else {
        QJsonValue member = object.value(s.key);
        if (!removeIn(member, segments, at + 1)) {
            return false;
        }
        if (member.isObject() && member.toObject().isEmpty()) {
            object.remove(s.key);
        } else {
            object.insert(s.key, member);
        }
    }
    container = object;
    return true;
}

} // namespace

QJsonValue value(const QJsonObject &root, const QString &path)
{
    const auto segments = parse(path);
    if (!segments) {
        return QJsonValue(QJsonValue::Undefined);
    }
    QJsonValue v(root);
    for (const Segment &s : *segments) {
        v = child(v, s);
        if (v.isUndefined()) {
            break;
        }
    }
    return v;
}

bool setValue(QJsonObject &root, const QString &path, const QJsonValue &value)
{
    const auto segments = parse(path);
    if (!segments || segments->first().isIndex()) {
        return false;
    }
    QJsonValue container(root);
    if (!setIn(container, *segments, 0, value)) {
        return false;
    }
    root = container.toObject();
    return true;
}

bool remove(QJsonObject &root, const QString &path)
{
    const auto segments = parse(path);
    if (!segments || segments->first().isIndex()) {
        return false;
    }
    QJsonValue container(root);
    if (!removeIn(container, *segments, 0)) {
        return false;
    }
    root = container.toObject();
    return true;
}

} // namespace hopscope::jsonpath
