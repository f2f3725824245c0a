// The profile editor (File → New Profile… / Edit Profile…): on every profile in tests/data the
// problems it shows are exactly `profile check`'s (the golden expected-problems.json), each at
// the field of its JSON path; typing a broken value shows the message profile check gives for
// the saved file; load → edit → save keeps every key, unknown ones included, and the form and
// the JSON tab follow each other; Save replaces the file atomically; Close asks about unsaved
// changes; the main window reopens a saved profile. Grabbed to PNG for a person to look at.
#include "MainWindow.h"
#include "ProfileDocument.h"
#include "ProfileEditorTestSupport.h"
#include "ProfileSecretField.h"
#include "profile/ProfileStore.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>

#include <sys/stat.h>
#include <unistd.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;
using namespace hopscope::editortest;

namespace {

const QString s_demo = QStringLiteral("/traffic/demo.hopscope.json");

} // namespace

class tst_ProfileEditor : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

    QString copyOfDemo(const QString &name)
    {
        const QString path = m_tmp.filePath(name);
        QFile::remove(path);
        return QFile::copy(dataDir() + s_demo, path) ? path : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("hopscope-tests"));
        QSettings().clear();
        QVERIFY(m_tmp.isValid());
        QVERIFY(QDir().mkpath(outputDir()));
    }

    void problemsAreProfileChecks_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("expected");
        const QJsonObject table = QJsonDocument::fromJson(
            readAll(dataDir() + QStringLiteral("/profiles/expected-problems.json")))
                                      .object();
        QVERIFY(table.size() >= 25);
        for (auto it = table.constBegin(); it != table.constEnd(); ++it) {
            QStringList expected;
            for (const QJsonValue &v : it.value().toArray()) {
                expected.append(v.toString());
            }
            QTest::newRow(qPrintable(it.key())) << it.key() << expected;
        }
    }

    // Each problem of `profile check` is in the list below the tabs and beside the field of its
    // path (or, for a path with no field of its own, in the box or page that holds it).
    void problemsAreProfileChecks()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, expected);
        ProfileEditor editor;
        editor.show();
        const QString path = dataDir() + QStringLiteral("/profiles/invalid/") + file;
        QVERIFY2(editor.openFile(path), qPrintable(editor.lastError()));
        QStringList got;
        for (const ProfileProblem &p : editor.document()->problems()) {
            got.append(p.toString());
        }
        QCOMPARE(got, expected);
        QStringList listed;
        for (int i = 0; i < editor.problemList()->count(); ++i) {
            listed.append(editor.problemList()->item(i)->text());
        }
        QCOMPARE(listed, expected);
        for (const ProfileProblem &p : editor.document()->problems()) {
            if (p.path == u"$") {
                // No JSON object: the JSON tab shows the file's text and the error.
                QCOMPARE(editor.tabs()->currentIndex(), 1);
                const auto *label = editor.findChild<QLabel *>(QStringLiteral("profileJsonError"));
                QVERIFY(label && !label->isHidden());
                QCOMPARE(label->text(), p.message);
                const QByteArray raw = readAll(path);
                if (QString::fromUtf8(raw).toUtf8() == raw && !raw.contains('\0')) {
                    QCOMPARE(editor.jsonEdit()->toPlainText(), QString::fromUtf8(raw));
                }
                continue;
            }
            const QString target = editor.form()->targetFor(p.path);
            QVERIFY2(editor.form()->shownAt(target).contains(p.message),
                qPrintable(p.toString() + QStringLiteral(" not shown at ") + target));
            QVERIFY2(editor.form()->reveal(p.path), qPrintable(p.path));
            if (editor.form()->field(p.path)) {
                QCOMPARE(target, p.path); // at its own field
            }
        }
    }

    void typingShowsTheCheckMessage_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("typed");
        QTest::newRow("dns-port-out-of-range") << "services[1].dns.port"
                                               << "70000";
        QTest::newRow("dns-type-typo") << "services[0].dns.type"
                                       << "SRVV";
        QTest::newRow("dns-server-hostname") << "dns.servers[0]"
                                             << "ns1.corp.internal:53";
        QTest::newRow("stats-url-credentials") << "loadBalancers[0].statsUrl"
                                               << "http://admin:s3cretpw@127.0.0.1:8404/stats";
        QTest::newRow("runtime-relative") << "loadBalancers[0].runtime"
                                          << "unix:admin.sock";
        QTest::newRow("route-prefix") << "loadBalancers[0].routes[1].pathPrefix"
                                      << "api/order/";
        QTest::newRow("proxy-task-no-port") << "proxies[0].task"
                                            << "127.109.191.51";
        QTest::newRow("proxy-unknown-service") << "proxies[2].service"
                                               << "paymentz";
        QTest::newRow("edge-unknown-lb") << "edges[2].via"
                                         << "lb:external";
        QTest::newRow("poll-fraction") << "poll.intervalMs"
                                       << "1500.5";
        QTest::newRow("name-empty") << "name"
                                    << "";
        QTest::newRow("tsig-algorithm") << "dnsUpdate.tsigKey.algorithm"
                                        << "hmac-md5";
    }

    // What the field shows is what `profile check` says about the file saved at that moment.
    void typingShowsTheCheckMessage()
    {
        QFETCH(QString, path);
        QFETCH(QString, typed);
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(copyOfDemo(QStringLiteral("typing.hopscope.json"))));
        QVERIFY(editor.document()->problems().isEmpty());
        const QString before = lineEditOf(editor.form()->field(path))->text();
        QVERIFY(typeInto(editor, path, typed));
        const QString saved = m_tmp.filePath(QStringLiteral("typed.hopscope.json"));
        QVERIFY(ProfileStore::saveJson(editor.document()->root(), saved));
        QStringList check;
        for (const ProfileProblem &p : ProfileStore::load(saved).problems) {
            if (p.path == path) {
                check.append(p.message);
            }
        }
        QVERIFY2(!check.isEmpty(), "the typed value should be a problem for profile check");
        ProfileField *field = editor.form()->field(path);
        QVERIFY(field->isProblemShown());
        QCOMPARE(field->problemText(), check.join(QLatin1Char('\n')));
        QVERIFY2(!field->problemText().contains(QLatin1String("s3cretpw")), "a password is shown");
        // Fixed as typed: the problem goes.
        QVERIFY(typeInto(editor, path, before));
        QVERIFY(!field->isProblemShown());
        QVERIFY(editor.document()->problems().isEmpty());
    }

    void roundTripsEveryProfile_data()
    {
        QTest::addColumn<QString>("file");
        const QStringList files = allProfiles();
        QVERIFY(files.size() >= 70);
        for (const QString &file : files) {
            QTest::newRow(qPrintable(file)) << file;
        }
    }

    // Load, add unknown keys in the JSON tab, type every field again through the form, one real
    // edit, save: the file holds exactly the JSON plus the edit; the JSON tab shows the same.
    void roundTripsEveryProfile()
    {
        QFETCH(QString, file);
        const QByteArray raw = readAll(dataDir() + u'/' + file);
        ProfileEditor editor;
        editor.setConfirmation([](const QString &) { return true; });
        editor.show();
        QVERIFY(editor.openFile(dataDir() + u'/' + file));
        QVERIFY(!editor.document()->isModified());
        const QString out = m_tmp.filePath(QStringLiteral("roundtrip.hopscope.json"));
        QFile::remove(out);
        QJsonParseError error {};
        const QJsonDocument doc = QJsonDocument::fromJson(raw, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            QVERIFY(!editor.document()->jsonError().isEmpty());
            if (QString::fromUtf8(raw).toUtf8() == raw && !raw.contains('\0')) {
                QCOMPARE(editor.jsonEdit()->toPlainText(), QString::fromUtf8(raw));
            }
            QVERIFY(!editor.saveAs(out));
            QVERIFY(!QFile::exists(out));
            QVERIFY2(editor.lastError().contains(editor.document()->jsonError()),
                qPrintable(editor.lastError()));
            return;
        }
        const QJsonObject unknown = withUnknownKeys(doc.object());
        editor.tabs()->setCurrentIndex(1);
        editor.jsonEdit()->setPlainText(QString::fromUtf8(QJsonDocument(unknown).toJson()));
        editor.tabs()->setCurrentIndex(0); // leaving the JSON tab applies it
        QCOMPARE(editor.document()->root(), unknown);
        if (editor.document()->problems().isEmpty()) {
            int typed = 0;
            for (ProfileField *field : editor.form()->fields()) {
                QLineEdit *edit = lineEditOf(field);
                if (edit && !edit->text().isEmpty()) {
                    QVERIFY2(
                        typeInto(editor, field->path(), edit->text()), qPrintable(field->path()));
                    ++typed;
                }
            }
            QVERIFY(typed >= 5);
            QCOMPARE(editor.document()->root(), unknown);
        }
        QVERIFY(typeInto(editor, QStringLiteral("name"), QStringLiteral("edited in the form")));
        QJsonObject expected = unknown;
        expected.insert(QStringLiteral("name"), QStringLiteral("edited in the form"));
        QVERIFY(editor.document()->isModified());
        QCOMPARE(QJsonDocument::fromJson(editor.jsonText().toUtf8()).object(), expected);
        // A broken secret reference may be a secret: such a profile is never saved as it is.
        QString secretProblem;
        for (const ProfileProblem &p : editor.document()->problems()) {
            if (qobject_cast<ProfileSecretField *>(editor.form()->field(p.path))) {
                secretProblem = p.path;
            }
        }
        if (!secretProblem.isEmpty()) {
            QVERIFY(!editor.saveAs(out));
            QVERIFY(!QFile::exists(out));
            QVERIFY2(editor.lastError().contains(secretProblem), qPrintable(editor.lastError()));
            editor.setUnsavedPrompt([] { return QMessageBox::Discard; });
            return;
        }
        QVERIFY2(editor.saveAs(out), qPrintable(editor.lastError()));
        QVERIFY(!editor.document()->isModified());
        QCOMPARE(QJsonDocument::fromJson(readAll(out)).object(), expected);
        QCOMPARE(QJsonDocument::fromJson(editor.jsonText().toUtf8()).object(), expected);
    }

    void eachTabShowsTheOthersEdits()
    {
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(copyOfDemo(QStringLiteral("tabs.hopscope.json"))));
        // JSON → form (after the pause in typing; no tab switch needed).
        editor.tabs()->setCurrentIndex(1);
        QString text = editor.jsonText();
        QVERIFY(text.contains(QLatin1String("\"demo (loopback)\"")));
        text.replace(QLatin1String("\"demo (loopback)\""), QLatin1String("\"renamed in json\""));
        text.replace(QLatin1String("\"order-1-envoy\""), QLatin1String("\"order-one-envoy\""));
        text.replace(QLatin1String("\"schema\": 1,"),
            QLatin1String("\"schema\": 1, \"x-added-in-json\": {\"keep\": true},"));
        editor.jsonEdit()->setPlainText(text);
        QTRY_COMPARE(lineEditOf(editor.form()->field(QStringLiteral("name")))->text(),
            QStringLiteral("renamed in json"));
        QCOMPARE(lineEditOf(editor.form()->field(QStringLiteral("proxies[0].id")))->text(),
            QStringLiteral("order-one-envoy"));
        // Form → JSON, keeping what was added in the JSON tab.
        editor.tabs()->setCurrentIndex(0);
        QVERIFY(typeInto(editor, QStringLiteral("services[1].dns.port"), QStringLiteral("8080")));
        const QJsonObject shown = QJsonDocument::fromJson(editor.jsonText().toUtf8()).object();
        QCOMPARE(shown.value(QStringLiteral("services"))
                     .toArray()
                     .at(1)
                     .toObject()
                     .value(QStringLiteral("dns"))
                     .toObject()
                     .value(QStringLiteral("port")),
            QJsonValue(8080));
        QCOMPARE(shown.value(QStringLiteral("x-added-in-json")).toObject(),
            (QJsonObject { { QStringLiteral("keep"), true } }));
        QCOMPARE(shown.value(QStringLiteral("name")).toString(), QStringLiteral("renamed in json"));
        // Broken JSON: the error, in profile check's words; the form keeps the last valid JSON
        // and nothing can be saved.
        editor.tabs()->setCurrentIndex(1);
        editor.jsonEdit()->setPlainText(editor.jsonText().replace(
            QLatin1String("\"renamed in json\","), QLatin1String("\"renamed in json\"")));
        editor.applyJsonText();
        QVERIFY(editor.document()->jsonError().startsWith(QLatin1String("not valid JSON at line")));
        QCOMPARE(lineEditOf(editor.form()->field(QStringLiteral("name")))->text(),
            QStringLiteral("renamed in json"));
        QVERIFY(!editor.save());
    }

    // Save writes a new file and renames it over the old one (QSaveFile): a hard link to the
    // old file keeps the old bytes, no temporary is left; a failed save changes nothing.
    void saveReplacesTheFileAtomically()
    {
        const QString path = copyOfDemo(QStringLiteral("atomic.hopscope.json"));
        const QString link = m_tmp.filePath(QStringLiteral("atomic-old.link"));
        QFile::remove(link);
        QCOMPARE(
            ::link(QFile::encodeName(path).constData(), QFile::encodeName(link).constData()), 0);
        const QByteArray old = readAll(path);
        ProfileEditor editor;
        QSignalSpy saved(&editor, &ProfileEditor::saved);
        editor.show();
        QVERIFY(editor.openFile(path));
        QVERIFY(typeInto(editor, QStringLiteral("name"), QStringLiteral("atomic")));
        QVERIFY(editor.isWindowModified());
        QVERIFY2(editor.save(), qPrintable(editor.lastError()));
        QCOMPARE(saved.size(), 1);
        QCOMPARE(saved.at(0).at(0).toString(), QFileInfo(path).absoluteFilePath());
        QVERIFY(!editor.isWindowModified());
        QCOMPARE(QJsonDocument::fromJson(readAll(path)).object().value(QStringLiteral("name")),
            QJsonValue(QStringLiteral("atomic")));
        QCOMPARE(readAll(link), old);
        struct stat a
        {
        };
        struct stat b
        {
        };
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &a), 0);
        QCOMPARE(::stat(QFile::encodeName(link).constData(), &b), 0);
        QVERIFY(a.st_ino != b.st_ino);
        const QStringList left
            = QDir(m_tmp.path()).entryList({ QStringLiteral("atomic*") }, QDir::Files);
        QCOMPARE(left,
            QStringList(
                { QStringLiteral("atomic-old.link"), QStringLiteral("atomic.hopscope.json") }));

        QVERIFY(typeInto(editor, QStringLiteral("name"), QStringLiteral("not saved")));
        QVERIFY(!editor.saveAs(m_tmp.filePath(QStringLiteral("no-such-dir/x.hopscope.json"))));
        QVERIFY2(editor.lastError().contains(QLatin1String("no-such-dir")),
            qPrintable(editor.lastError()));
        QCOMPARE(saved.size(), 1);
        QVERIFY(editor.document()->isModified());
        QCOMPARE(editor.document()->path(), QFileInfo(path).absoluteFilePath());
    }

    void closeAsksAboutUnsavedChanges()
    {
        const QString path = copyOfDemo(QStringLiteral("close.hopscope.json"));
        ProfileEditor editor;
        editor.show();
        QVERIFY(editor.openFile(path));
        int asked = 0;
        QMessageBox::StandardButton answer = QMessageBox::Cancel;
        editor.setUnsavedPrompt([&] {
            ++asked;
            return answer;
        });
        QVERIFY(editor.close()); // nothing changed: no question
        QCOMPARE(asked, 0);
        editor.show();
        QVERIFY(typeInto(editor, QStringLiteral("name"), QStringLiteral("closing")));
        QVERIFY(!editor.close());
        QCOMPARE(asked, 1);
        QVERIFY(editor.isVisible());
        answer = QMessageBox::Save;
        QVERIFY(editor.close());
        QCOMPARE(asked, 2);
        QCOMPARE(QJsonDocument::fromJson(readAll(path)).object().value(QStringLiteral("name")),
            QJsonValue(QStringLiteral("closing")));
        editor.show();
        QVERIFY(typeInto(editor, QStringLiteral("name"), QStringLiteral("discarded")));
        answer = QMessageBox::Discard;
        QVERIFY(editor.close());
        QCOMPARE(QJsonDocument::fromJson(readAll(path)).object().value(QStringLiteral("name")),
            QJsonValue(QStringLiteral("closing")));
    }

    // File → Edit Profile… edits the open profile and the window reopens it when saved; File →
    // New Profile… starts empty, and once filled in and saved the window opens it.
    void mainWindowReopensWhatIsSaved()
    {
        const QString path = copyOfDemo(QStringLiteral("window.hopscope.json"));
        MainWindow window;
        window.show();
        QVERIFY2(window.openProfile(path, true, MainWindow::LivePolling::Off),
            qPrintable(window.lastError()));
        auto *edit = window.findChild<QAction *>(QStringLiteral("actionEditProfile"));
        QVERIFY(edit);
        edit->trigger();
        auto *editor = window.findChild<ProfileEditor *>();
        QVERIFY(editor && editor->isVisible());
        QCOMPARE(editor->document()->path(), QFileInfo(path).absoluteFilePath());
        QVERIFY(
            typeInto(*editor, QStringLiteral("name"), QStringLiteral("edited from the window")));
        QVERIFY(editor->save());
        QTRY_COMPARE(window.profile()->name, QStringLiteral("edited from the window"));
        editor->close();

        window.findChild<QAction *>(QStringLiteral("actionNewProfile"))->trigger();
        ProfileEditor *fresh = nullptr;
        for (ProfileEditor *e : window.findChildren<ProfileEditor *>()) {
            if (e->isVisible() && e->document()->path().isEmpty()) {
                fresh = e;
            }
        }
        QVERIFY(fresh);
        QStringList problems;
        for (const ProfileProblem &p : fresh->document()->problems()) {
            problems.append(p.toString());
        }
        QCOMPARE(problems,
            QStringList({ QStringLiteral("name: is empty"),
                QStringLiteral("services: is empty; declare at least one service") }));
        QVERIFY(typeInto(*fresh, QStringLiteral("name"), QStringLiteral("fresh")));
        QVERIFY(fresh->form()->reveal(QStringLiteral("services")));
        QPushButton *add = nullptr;
        for (QPushButton *b : fresh->form()->findChildren<QPushButton *>()) {
            if (b->text() == ProfileForm::tr("Add Service") && b->isVisible()) {
                add = b;
            }
        }
        QVERIFY(add);
        QTest::mouseClick(add, Qt::LeftButton);
        QTRY_VERIFY(fresh->form()->field(QStringLiteral("services[0].id")));
        QTRY_VERIFY(fresh->document()->problems().isEmpty());
        QCOMPARE(fresh->form()->currentPage(), QStringLiteral("services[0]"));
        const QString created = m_tmp.filePath(QStringLiteral("fresh.hopscope.json"));
        fresh->setSaveAsPrompt([created] { return created; });
        QVERIFY2(fresh->save(), qPrintable(fresh->lastError()));
        QTRY_COMPARE(window.profile()->name, QStringLiteral("fresh"));
        QVERIFY(ProfileStore::load(created).ok());
        window.close();
    }

    // For a person to look at: the demo profile's load balancer page, and a broken port.
    void screenshot()
    {
        ProfileEditor editor;
        editor.resize(980, 720);
        editor.show();
        QVERIFY(editor.openFile(copyOfDemo(QStringLiteral("screenshot.hopscope.json"))));
        QVERIFY(editor.form()->reveal(QStringLiteral("loadBalancers[0]")));
        QVERIFY(QTest::qWaitForWindowExposed(&editor));
        QVERIFY(editor.grab().save(outputDir() + QStringLiteral("/profile-editor.png")));
        QVERIFY(typeInto(editor, QStringLiteral("services[1].dns.port"), QStringLiteral("70000")));
        QVERIFY(editor.grab().save(outputDir() + QStringLiteral("/profile-editor-problem.png")));
        editor.tabs()->setCurrentIndex(1);
        QVERIFY(editor.grab().save(outputDir() + QStringLiteral("/profile-editor-json.png")));
        editor.setUnsavedPrompt([] { return QMessageBox::Discard; });
    }
};

QTEST_MAIN(tst_ProfileEditor)
#include "tst_ProfileEditor.moc"
