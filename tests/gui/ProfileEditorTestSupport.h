#pragma once

// Shared by the profile editor's GUI tests: the profiles under tests/data, and typing into a
// field of the form the way a user does (select all, type), which is what commits it.

#include "ProfileEditor.h"
#include "ProfileForm.h"
#include "ProfileFormFields.h"

#include <QComboBox>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QTest>

namespace hopscope::editortest {

inline QString dataDir()
{
    return qEnvironmentVariable("HOPSCOPE_TEST_DATA");
}

inline QString outputDir()
{
    return qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
}

// Every *.hopscope.json under tests/data, valid or not, relative to it.
inline QStringList allProfiles()
{
    QStringList out;
    QDirIterator it(dataDir(), { QStringLiteral("*.hopscope.json") }, QDir::Files,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        out.append(it.next().mid(dataDir().size() + 1));
    }
    out.sort();
    return out;
}

inline QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline QLineEdit *lineEditOf(ProfileField *field)
{
    if (auto *combo = qobject_cast<QComboBox *>(field->editor())) {
        return combo->lineEdit();
    }
    return qobject_cast<QLineEdit *>(field->editor());
}

// Shows the field's page and types `text` over what the field holds, key by key.
inline bool typeInto(ProfileEditor &editor, const QString &path, const QString &text)
{
    ProfileField *field = editor.form()->field(path);
    if (!field || !editor.form()->reveal(path)) {
        return false;
    }
    QLineEdit *edit = lineEditOf(field);
    if (!edit) {
        return false;
    }
    edit->setFocus();
    edit->selectAll();
    if (text.isEmpty()) {
        QTest::keyClick(edit, Qt::Key_Delete);
    } else {
        QTest::keyClicks(edit, text);
    }
    return edit->text() == text;
}

// The profile with unknown keys added at several levels (top, array elements, routes, dns).
inline QJsonObject withUnknownKeys(QJsonObject root)
{
    root.insert(QStringLiteral("x-editor-test"),
        QJsonObject {
            { QStringLiteral("nested"), QJsonArray { 1, QStringLiteral("two"), QJsonValue() } } });
    for (const char *name : { "services", "loadBalancers", "proxies", "edges", "sshHosts" }) {
        const QString key = QLatin1String(name);
        if (!root.value(key).isArray()) {
            continue;
        }
        QJsonArray array = root.value(key).toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isObject()) {
                continue;
            }
            QJsonObject o = array.at(i).toObject();
            o.insert(QStringLiteral("x-note"), QStringLiteral("kept %1").arg(i));
            if (o.value(QStringLiteral("routes")).isArray()) {
                QJsonArray routes = o.value(QStringLiteral("routes")).toArray();
                for (qsizetype j = 0; j < routes.size(); ++j) {
                    QJsonObject r = routes.at(j).toObject();
                    r.insert(QStringLiteral("x-weight"), 3);
                    routes[j] = r;
                }
                o.insert(QStringLiteral("routes"), routes);
            }
            array[i] = o;
        }
        root.insert(key, array);
    }
    if (root.value(QStringLiteral("dns")).isObject()) {
        QJsonObject dns = root.value(QStringLiteral("dns")).toObject();
        dns.insert(QStringLiteral("x-dns"), true);
        root.insert(QStringLiteral("dns"), dns);
    }
    return root;
}

} // namespace hopscope::editortest
