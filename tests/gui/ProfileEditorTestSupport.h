#pragma once

// Shared by the profile editor's GUI tests: the profiles under tests/data, and typing into a
// field of the form the way a user does (select all, type), which is what commits it.

#include "ProfileEditor.h"
#include "ProfileForm.h"
#include "ProfileFormFields.h"

#include <QComboBox>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
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

} // namespace hopscope::editortest
