#include "ProfileDocument.h"

#include "core/BoundedFile.h"
#include "profile/ProfileJsonPath.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace hopscope {

namespace {

QString indented(const QJsonObject &root)
{
    return QString::fromUtf8(QJsonDocument(root).toJson(QJsonDocument::Indented));
}

} // namespace

ProfileDocument::ProfileDocument(QObject *parent)
    : QObject(parent)
{
    newProfile();
}

void ProfileDocument::newProfile()
{
    m_path.clear();
    Q_EMIT pathChanged(m_path);
    QJsonObject root;
    root.insert(QStringLiteral("schema"), ClusterProfile::SchemaVersion);
    root.insert(QStringLiteral("name"), QString());
    root.insert(QStringLiteral("services"), QJsonArray());
    setRoot(root, true);
    setModified(false);
}

bool ProfileDocument::load(const QString &path, QString *error)
{
    const BoundedRead read = readRegularFile(path, ProfileStore::MaxFileBytes);
    if (!read.ok()) {
        if (error) {
            *error = read.error;
        }
        return false;
    }
    m_path = QFileInfo(path).absoluteFilePath();
    Q_EMIT pathChanged(m_path);
    // Kept as it is in the file (formatting and all) until the form rewrites it; checked as the
    // file's bytes (a UTF-16 file is named as such, not as the text it decodes to).
    m_text.clear();
    applyText(QString::fromUtf8(read.data), read.data);
    if (!m_jsonError.isEmpty()) {
        // The form shows nothing of a file that is no JSON object.
        m_root = QJsonObject();
        Q_EMIT structureChanged();
    }
    setModified(false);
    return true;
}

bool ProfileDocument::save(const QString &path, QString *error)
{
    if (!m_jsonError.isEmpty()) {
        if (error) {
            *error = tr("the JSON text has an error (%1); nothing was written").arg(m_jsonError);
        }
        return false;
    }
    if (!ProfileStore::saveJson(m_root, path, error)) {
        return false;
    }
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (absolute != m_path) {
        m_path = absolute;
        Q_EMIT pathChanged(m_path);
    }
    setModified(false);
    return true;
}

void ProfileDocument::setText(const QString &text)
{
    if (text != m_text) {
        applyText(text, text.toUtf8());
    }
}

void ProfileDocument::applyText(const QString &text, const QByteArray &bytes)
{
    m_text = text;
    // ProfileStore::parse says what is wrong with text that is no JSON object, in the words of
    // `profile check` (its "$" problems); anything else is a profile problem of the object.
    const ProfileLoadResult result = ProfileStore::parse(bytes);
    QString jsonError;
    for (const ProfileProblem &p : result.problems) {
        if (p.path == u"$") {
            jsonError = p.message;
        }
    }
    m_jsonError = jsonError;
    setModified(true);
    if (jsonError.isEmpty()) {
        setRoot(QJsonDocument::fromJson(bytes).object(), false);
    } else {
        m_problems = result.problems;
        Q_EMIT problemsChanged();
    }
}

void ProfileDocument::setRoot(const QJsonObject &root, bool rewriteText)
{
    m_root = root;
    if (rewriteText) {
        m_text = indented(m_root);
        m_jsonError.clear();
        Q_EMIT textRewritten();
    }
    Q_EMIT structureChanged();
    revalidate();
}

QJsonValue ProfileDocument::value(const QString &path) const
{
    return jsonpath::value(m_root, path);
}

void ProfileDocument::afterValueEdit()
{
    m_text = indented(m_root);
    m_jsonError.clear();
    Q_EMIT textRewritten();
    setModified(true);
    revalidate();
}

void ProfileDocument::setValue(const QString &path, const QJsonValue &value)
{
    if (jsonpath::value(m_root, path) == value && !value.isUndefined()) {
        return;
    }
    if (jsonpath::setValue(m_root, path, value)) {
        afterValueEdit();
    }
}

void ProfileDocument::removeValue(const QString &path)
{
    if (jsonpath::remove(m_root, path)) {
        afterValueEdit();
    }
}

void ProfileDocument::appendElement(const QString &arrayPath, const QJsonValue &element)
{
    QJsonValue array = jsonpath::value(m_root, arrayPath);
    if (!array.isArray() && !array.isUndefined()) {
        return;
    }
    QJsonArray elements = array.toArray();
    elements.append(element);
    if (jsonpath::setValue(m_root, arrayPath, elements)) {
        setRoot(m_root, true);
        setModified(true);
    }
}

void ProfileDocument::removeElement(const QString &elementPath)
{
    QJsonObject root = m_root;
    // Only the element: an array left empty stays (an empty "services" is a problem to show).
    const QString parentPath = jsonpath::parent(elementPath);
    QJsonArray elements = jsonpath::value(root, parentPath).toArray();
    const auto segments = jsonpath::parse(elementPath);
    if (!segments || !segments->last().isIndex() || segments->last().index >= elements.size()) {
        return;
    }
    elements.removeAt(segments->last().index);
    if (jsonpath::setValue(root, parentPath, elements)) {
        setRoot(root, true);
        setModified(true);
    }
}

QStringList ProfileDocument::problemsAt(const QString &path) const
{
    QStringList out;
    for (const ProfileProblem &p : m_problems) {
        if (p.path == path) {
            out.append(p.message);
        }
    }
    return out;
}

void ProfileDocument::revalidate()
{
    m_problems = ProfileStore::parse(QJsonDocument(m_root).toJson(QJsonDocument::Compact)).problems;
    Q_EMIT problemsChanged();
}

void ProfileDocument::setModified(bool modified)
{
    if (m_modified != modified) {
        m_modified = modified;
        Q_EMIT modifiedChanged(modified);
    }
}

} // namespace hopscope
