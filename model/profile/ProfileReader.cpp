#include "ProfileReader.h"

namespace hopscope::profileread {

QString describe(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double:
        return QStringLiteral("the number ") + QString::number(v.toDouble());
    case QJsonValue::String: {
        QString s = v.toString();
        if (s.size() > 40) {
            s = s.left(37) + QStringLiteral("...");
        }
        return QStringLiteral("the string \"%1\"").arg(s);
    }
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

} // namespace hopscope::profileread
