// Secrets in the profile editor: a secret typed into the masked input goes to the keychain
// through the helper (here tests/gui/keychain_store.py behind HOPSCOPE_KEYCHAIN_HELPER, a
// stand-in with hopscope-keychain's command line: CI has no secret service) and only
// "keychain:ID" into the file; it reads back through SecretResolver. A secret typed or pasted
// where its reference belongs never reaches the document, the JSON tab or the file; a short
// password there blocks Save; a keychain that fails says so and writes nothing.
#include "ProfileDocument.h"
#include "ProfileEditorTestSupport.h"
#include "ProfileSecretField.h"
#include "ops/SecretResolver.h"

#include <QApplication>
#include <QClipboard>
#include <QFileInfo>
#include <QGuiApplication>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace hopscope;
using namespace hopscope::editortest;

namespace {
const QString s_path = QStringLiteral("dnsUpdate.tsigKey.secret");
const QString s_secret = QStringLiteral("c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=");
} // namespace

class tst_ProfileEditorSecrets : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_store;
    QString m_realHelper; // hopscope-keychain as built (ctest's HOPSCOPE_KEYCHAIN_HELPER)

    QString copyOfDemo(const QString &name)
    {
        const QString path = m_tmp.filePath(name);
        QFile::remove(path);
        return QFile::copy(dataDir() + QStringLiteral("/traffic/demo.hopscope.json"), path)
            ? path
            : QString();
    }

    ProfileSecretField *secretField(ProfileEditor &editor)
    {
        editor.form()->reveal(s_path);
        return qobject_cast<ProfileSecretField *>(editor.form()->field(s_path));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QVERIFY(m_tmp.isValid());
        m_store = m_tmp.filePath(QStringLiteral("keychain"));
        QVERIFY(QDir().mkpath(m_store));
        m_realHelper = qEnvironmentVariable("HOPSCOPE_KEYCHAIN_HELPER");
        qputenv("HOPSCOPE_KEYCHAIN_HELPER", HOPSCOPE_TEST_KEYCHAIN_STORE);
        qputenv("HOPSCOPE_TEST_KEYCHAIN_DIR", m_store.toUtf8());
    }

    void typedSecretGoesToTheKeychainOnly()
    {
        const QString path = copyOfDemo(QStringLiteral("secret.hopscope.json"));
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(path));
        ProfileSecretField *field = secretField(editor);
        QVERIFY(field);
        QSignalSpy stored(field, &ProfileSecretField::secretStored);
        QVERIFY(!field->storeButton()->isEnabled());
        QTest::keyClicks(field->secretEdit(), s_secret);
        QCOMPARE(field->secretEdit()->echoMode(), QLineEdit::Password);
        QVERIFY(!editor.document()->text().contains(s_secret));
        QTest::mouseClick(field->storeButton(), Qt::LeftButton);
        QVERIFY(stored.wait(10000));
        const QString reference = QStringLiteral("keychain:hopscope/demo-loopback/") + s_path;
        QCOMPARE(stored.at(0).at(0).toString(), reference);
        QCOMPARE(editor.document()->value(s_path).toString(), reference);
        QCOMPARE(field->lineEdit()->text(), reference);
        QVERIFY(field->secretEdit()->text().isEmpty());
        QVERIFY(editor.document()->problems().isEmpty());
        QVERIFY2(editor.save(), qPrintable(editor.lastError()));
        const QByteArray file = readAll(path);
        QVERIFY(file.contains(reference.toUtf8()));
        QVERIFY(!file.contains(s_secret.toUtf8()));
        QCOMPARE(readAll(m_store + u'/' + QString::fromLatin1(reference.mid(9).toUtf8().toHex())),
            s_secret.toUtf8());
        // And the reference resolves to it, the way a drain reads it.
        SecretResolver resolver;
        QSignalSpy resolved(&resolver, &SecretResolver::resolved);
        resolver.resolve(*SecretRef::parse(reference));
        QVERIFY(resolved.wait(10000));
        QCOMPARE(resolved.at(0).at(0).toByteArray(), s_secret.toUtf8());
    }

    void secretInTheReferenceNeverReachesTheFile_data()
    {
        QTest::addColumn<bool>("paste");
        QTest::newRow("typed") << false;
        QTest::newRow("pasted") << true;
    }

    void secretInTheReferenceNeverReachesTheFile()
    {
        QFETCH(bool, paste);
        const QString path = copyOfDemo(QStringLiteral("pasted.hopscope.json"));
        const QByteArray before = readAll(path);
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(path));
        const QJsonValue reference = editor.document()->value(s_path);
        ProfileSecretField *field = secretField(editor);
        QVERIFY(field);
        QStringList seen; // every JSON text the editor showed while the secret was typed
        connect(editor.document(), &ProfileDocument::textRewritten, this,
            [&] { seen.append(editor.document()->text()); });
        editor.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&editor));
        field->lineEdit()->setFocus();
        field->lineEdit()->selectAll();
        if (paste) {
            QGuiApplication::clipboard()->setText(s_secret);
            field->lineEdit()->paste();
        } else {
            // Key by key to whichever widget has the focus, as a keyboard does: once the text
            // looks like a secret, the rest goes to the masked input.
            for (const QChar c : s_secret) {
                QVERIFY(QApplication::focusWidget());
                QTest::keyClicks(QApplication::focusWidget(), QString(c));
            }
        }
        QCOMPARE(editor.document()->value(s_path), reference);
        QCOMPARE(field->lineEdit()->text(), reference.toString());
        QCOMPARE(field->secretEdit()->text(), s_secret);
        QVERIFY(field->statusText().contains(QLatin1String("looks like the secret itself")));
        QVERIFY(!field->statusText().contains(s_secret));
        for (const QString &text : seen) {
            QVERIFY(!text.contains(s_secret.left(12)));
        }
        QVERIFY(!editor.jsonText().contains(s_secret.left(12)));
        editor.setUnsavedPrompt([] { return QMessageBox::Discard; });
        QCOMPARE(readAll(path), before);
    }

    void shortPasswordInTheReferenceBlocksSave()
    {
        const QString path = copyOfDemo(QStringLiteral("short.hopscope.json"));
        ProfileEditor editor;
        editor.setConfirmation([](const QString &) { return true; });
        editor.show();
        QVERIFY(editor.openFile(path));
        QVERIFY(typeInto(editor, s_path, QStringLiteral("hunter2")));
        QCOMPARE(editor.form()->field(s_path)->problemText(),
            QStringLiteral("is not a secret reference; use env:NAME, file:PATH or keychain:ID"));
        const QString out = m_tmp.filePath(QStringLiteral("short-out.hopscope.json"));
        QVERIFY(!editor.saveAs(out));
        QVERIFY(!QFile::exists(out));
        QVERIFY(editor.lastError().contains(s_path));
        QVERIFY(!editor.lastError().contains(QLatin1String("hunter2")));
        editor.setUnsavedPrompt([] { return QMessageBox::Discard; });
    }

    // The keychain answers with an error: said beside the field, without the secret; nothing
    // changes in the profile and the secret stays in the masked input for another try.
    void keychainFailureIsSaidAndChangesNothing()
    {
        const QString path = copyOfDemo(QStringLiteral("fails.hopscope.json"));
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(path));
        const QJsonValue reference = editor.document()->value(s_path);
        ProfileSecretField *field = secretField(editor);
        QSignalSpy failed(field, &ProfileSecretField::secretFailed);
        qputenv("HOPSCOPE_TEST_KEYCHAIN_DIR", m_tmp.filePath(QStringLiteral("missing")).toUtf8());
        QTest::keyClicks(field->secretEdit(), s_secret);
        QTest::mouseClick(field->storeButton(), Qt::LeftButton);
        const bool answered = failed.wait(10000);
        qputenv("HOPSCOPE_TEST_KEYCHAIN_DIR", m_store.toUtf8());
        QVERIFY(answered);
        QVERIFY(field->statusText().startsWith(QLatin1String("Not stored: keychain entry")));
        QVERIFY(field->statusText().contains(QLatin1String("HOPSCOPE_TEST_KEYCHAIN_DIR")));
        QVERIFY(!field->statusText().contains(s_secret));
        QCOMPARE(editor.document()->value(s_path), reference);
        QCOMPARE(field->secretEdit()->text(), s_secret);
        QVERIFY(!editor.document()->isModified());
    }

    // The real helper's `write` with no secret service (no session bus): QtKeychain's error,
    // said beside the field within the deadline; the profile keeps its reference.
    void realHelperWithoutSecretServiceSaysSo()
    {
        QVERIFY2(QFileInfo(m_realHelper).isExecutable(), "ctest sets HOPSCOPE_KEYCHAIN_HELPER");
        const QString path = copyOfDemo(QStringLiteral("real.hopscope.json"));
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(path));
        const QJsonValue reference = editor.document()->value(s_path);
        ProfileSecretField *field = secretField(editor);
        field->setKeychainTimeoutMs(8000);
        QSignalSpy failed(field, &ProfileSecretField::secretFailed);
        const QByteArray bus = qgetenv("DBUS_SESSION_BUS_ADDRESS");
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
        qputenv("HOPSCOPE_KEYCHAIN_HELPER", m_realHelper.toUtf8());
        QTest::keyClicks(field->secretEdit(), s_secret);
        QTest::mouseClick(field->storeButton(), Qt::LeftButton);
        const bool answered = failed.wait(15000);
        qputenv("HOPSCOPE_KEYCHAIN_HELPER", HOPSCOPE_TEST_KEYCHAIN_STORE);
        if (!bus.isEmpty()) {
            qputenv("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        QVERIFY(answered);
        QVERIFY2(field->statusText().startsWith(QLatin1String("Not stored: ")),
            qPrintable(field->statusText()));
        QVERIFY(!field->statusText().contains(s_secret));
        QCOMPARE(editor.document()->value(s_path), reference);
        QVERIFY(!editor.document()->isModified());
    }
};

QTEST_MAIN(tst_ProfileEditorSecrets)
#include "tst_ProfileEditorSecrets.moc"
