#pragma once

#include "profile/ProfileStore.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

namespace hopscope {

// The profile being edited: its JSON as the single truth of both editor tabs (the form edits
// values at JSON paths, the JSON tab replaces the text), its file, whether it has unsaved
// changes, and its problems — ProfileStore::parse's, i.e. exactly what `hopscope-cli profile
// check` prints, at the same JSON paths. Keys the form does not know are never touched, so they
// survive every edit and save. GUI thread; validation is synchronous (profiles are small, and
// the JSON tab debounces its text).
class ProfileDocument : public QObject
{
    Q_OBJECT
public:
    explicit ProfileDocument(QObject *parent = nullptr);

    // A new profile: schema 1, no name, no services (the problems say what to fill in).
    void newProfile();
    // Reads a file (regular files only, at most ProfileStore::MaxFileBytes). Text that is no
    // JSON object is kept as text (the JSON tab shows it with the error); false with *error only
    // when the file cannot be read at all.
    bool load(const QString &path, QString *error);
    // Writes the JSON atomically (ProfileStore::saveJson); refused while the text is no JSON
    // object. On success the file becomes path() and the document is unmodified.
    bool save(const QString &path, QString *error);

    QString path() const { return m_path; }
    bool isModified() const { return m_modified; }

    // The JSON text as the JSON tab shows it; a form edit rewrites it (indented).
    QString text() const { return m_text; }
    // Replaces the text (the JSON tab). When it parses to an object, that becomes the profile
    // and structureChanged() follows; otherwise jsonError() says where (the profile keeps its
    // last valid JSON, which the form goes on showing).
    void setText(const QString &text);
    // The "$" problem of the text ("not valid JSON at line 3, column 5: ..."), or empty.
    QString jsonError() const { return m_jsonError; }

    const QJsonObject &root() const { return m_root; }
    QJsonValue value(const QString &path) const;
    // Form edits: a value at a JSON path (missing objects on the way are created), or its
    // removal (objects left empty are removed too). Then the text is rewritten and the
    // problems are re-read.
    void setValue(const QString &path, const QJsonValue &value);
    void removeValue(const QString &path);
    // Structure edits from the form: an element appended to the array at arrayPath (created
    // when missing), or an element removed; structureChanged() follows.
    void appendElement(const QString &arrayPath, const QJsonValue &element);
    void removeElement(const QString &elementPath);

    const QList<ProfileProblem> &problems() const { return m_problems; }
    // The messages of the problems reported at exactly this path.
    QStringList problemsAt(const QString &path) const;

Q_SIGNALS:
    // The form changed a value: the JSON tab shows text() again.
    void textRewritten();
    // The whole JSON was replaced (JSON tab, New, load, an element added or removed): the form
    // rebuilds.
    void structureChanged();
    void problemsChanged();
    void modifiedChanged(bool modified);
    void pathChanged(const QString &path);

private:
    void applyText(const QString &text, const QByteArray &bytes);
    void setRoot(const QJsonObject &root, bool rewriteText);
    void revalidate();
    void setModified(bool modified);
    void afterValueEdit();

    QString m_path;
    QString m_text;
    QString m_jsonError;
    QJsonObject m_root;
    QList<ProfileProblem> m_problems;
    bool m_modified = false;
};

} // namespace hopscope
