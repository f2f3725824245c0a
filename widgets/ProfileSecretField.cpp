#include "ProfileSecretField.h"

#include "ProfileDocument.h"
#include "ops/KeychainWriter.h"
#include "profile/Endpoint.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

namespace hopscope {

bool looksLikeInlineSecret(const QString &text)
{
    static const QRegularExpression keyLike(QStringLiteral("^[A-Za-z0-9+/=_-]{12,}$"));
    for (const QLatin1String scheme :
        { QLatin1String("env:"), QLatin1String("file:"), QLatin1String("keychain:") }) {
        if (text.startsWith(scheme)) {
            return looksLikeKeyMaterial(QStringView(text).mid(scheme.size()));
        }
    }
    return keyLike.match(text).hasMatch() || looksLikeKeyMaterial(text);
}

ProfileSecretField::ProfileSecretField(ProfileDocument *document, const QString &path,
    bool allowAgent, std::function<QString()> keychainId, QWidget *parent)
    : ProfileTextField(document, path, TextKind::Text,
        allowAgent ? tr("agent, file:PATH or keychain:ID")
                   : tr("env:NAME, file:PATH or keychain:ID"),
        parent)
    , m_secret(new QLineEdit(this))
    , m_store(new QPushButton(tr("Store in Keychain"), this))
    , m_status(new QLabel(this))
    , m_writer(new KeychainWriter(this))
    , m_keychainId(std::move(keychainId))
    , m_allowAgent(allowAgent)
{
    m_secret->setObjectName(QStringLiteral("secret:") + path);
    m_secret->setEchoMode(QLineEdit::Password);
    m_secret->setPlaceholderText(tr("new secret (goes to the keychain, never into the file)"));
    m_store->setObjectName(QStringLiteral("store:") + path);
    m_store->setEnabled(false);
    m_status->setObjectName(QStringLiteral("status:") + path);
    m_status->setWordWrap(true);
    m_status->hide();
    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_secret, 1);
    row->addWidget(m_store);
    m_layout->addLayout(row);
    m_layout->addWidget(m_status);
    m_beforeTyping = document->value(path);
    connect(m_secret, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_store->setEnabled(!text.isEmpty() && !m_writer->isPending());
    });
    connect(m_secret, &QLineEdit::returnPressed, this, &ProfileSecretField::storeSecret);
    connect(m_store, &QPushButton::clicked, this, &ProfileSecretField::storeSecret);
    connect(m_writer, &KeychainWriter::stored, this, [this](const QString &id) {
        m_secret->clear();
        m_secret->setEnabled(true);
        const QString reference = QStringLiteral("keychain:") + id;
        m_document->setValue(m_path, QJsonValue(reference));
        m_beforeTyping = QJsonValue(reference);
        load();
        setStatus(tr("Stored in the keychain; the profile holds only %1.").arg(reference), false);
        Q_EMIT secretStored(reference);
    });
    connect(m_writer, &KeychainWriter::failed, this, [this](const QString &reason) {
        m_secret->setEnabled(true);
        m_store->setEnabled(!m_secret->text().isEmpty());
        setStatus(tr("Not stored: %1").arg(reason), true);
        Q_EMIT secretFailed(reason);
    });
}

ProfileSecretField::~ProfileSecretField() = default;

QString ProfileSecretField::statusText() const
{
    return m_status->text();
}

void ProfileSecretField::setKeychainTimeoutMs(int ms)
{
    m_writer->setTimeoutMs(ms);
}

void ProfileSecretField::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_status->setVisible(!text.isEmpty());
}

void ProfileSecretField::storeSecret()
{
    if (m_secret->text().isEmpty() || m_writer->isPending()) {
        return;
    }
    const QString current = m_edit->text();
    QString id = m_keychainId ? m_keychainId() : QString();
    if (current.startsWith(u"keychain:") && current.size() > 9 && !looksLikeInlineSecret(current)) {
        id = current.mid(9); // replaces the entry the profile already names
    }
    m_secret->setEnabled(false);
    m_store->setEnabled(false);
    setStatus(tr("Storing in the keychain as %1…").arg(id), false);
    QByteArray secret = m_secret->text().toUtf8();
    m_writer->store(id, secret);
    secret.fill('\0');
}

void ProfileSecretField::commit(const QString &text)
{
    if (!(m_allowAgent && text == u"agent") && looksLikeInlineSecret(text)) {
        // Never into the profile: the secret moves to the masked input, the reference goes back
        // to what it was before this field was edited.
        QString secret = text;
        for (const char *scheme : { "env:", "file:", "keychain:" }) {
            if (text.startsWith(QLatin1String(scheme))) {
                secret = text.mid(qsizetype(qstrlen(scheme)));
            }
        }
        m_secret->setText(secret);
        m_loading = true;
        if (m_beforeTyping.isUndefined()) {
            m_document->removeValue(m_path);
        } else {
            m_document->setValue(m_path, m_beforeTyping);
        }
        m_loading = false;
        load();
        setStatus(tr("That looks like the secret itself: it was moved to the masked field and is "
                     "not written to the profile. Press Store in Keychain to keep it there."),
            true);
        m_secret->setFocus();
        return;
    }
    setStatus(QString(), false);
    writeText(text);
}

} // namespace hopscope
