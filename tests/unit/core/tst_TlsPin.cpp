#include "core/TlsCertificateText.h"

#include <QProcess>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

// spkiSha256() against openssl's own answer for the same certificate:
// openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
class tst_TlsPin : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QByteArray run(const QString &shell)
    {
        QProcess p;
        p.start(QStringLiteral("sh"), { QStringLiteral("-c"), shell });
        if (!p.waitForFinished(60'000) || p.exitCode() != 0) {
            qWarning("%s: %s", qPrintable(shell), p.readAllStandardError().constData());
            return {};
        }
        return p.readAllStandardOutput().trimmed();
    }

private Q_SLOTS:
    void pinMatchesOpenssl_data()
    {
        QTest::addColumn<QString>("keySpec");
        QTest::newRow("rsa 2048") << QStringLiteral("rsa:2048");
        QTest::newRow("ec p-256") << QStringLiteral("ec -pkeyopt ec_paramgen_curve:P-256");
        QTest::newRow("ec p-384") << QStringLiteral("ec -pkeyopt ec_paramgen_curve:P-384");
    }

    void pinMatchesOpenssl()
    {
        QFETCH(QString, keySpec);
        QVERIFY(m_dir.isValid());
        const QString cert
            = m_dir.filePath(QString::number(qHash(keySpec)) + QStringLiteral(".pem"));
        const QString key = cert + QStringLiteral(".key");
        QVERIFY(!run(QStringLiteral("openssl req -x509 -newkey %1 -nodes -keyout '%2' -out '%3' "
                                    "-days 1 -subj /CN=pin-test 2>&1 && echo made")
                         .arg(keySpec, key, cert))
                     .isEmpty());
        const QByteArray expected
            = run(QStringLiteral("openssl x509 -in '%1' -pubkey -noout | openssl pkey "
                                 "-pubin -outform der | openssl dgst -sha256 "
                                 "-binary | base64")
                      .arg(cert));
        QCOMPARE(expected.size(), 44);
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(cert);
        QCOMPARE(certs.size(), 1);
        QCOMPARE(spkiSha256(certs.first()), QString::fromLatin1(expected));
    }

    void nullCertificateHasNoPin() { QVERIFY(spkiSha256(QSslCertificate()).isEmpty()); }
};

QTEST_GUILESS_MAIN(tst_TlsPin)
#include "tst_TlsPin.moc"
