#pragma once

#include "ProfileFormFields.h"

#include <functional>

class QPushButton;

namespace hopscope {

class KeychainWriter;

// A secret reference ("env:NAME", "file:PATH", "keychain:ID"; "agent" where allowed) with, under
// it, a masked input for a new secret and "Store in Keychain": the secret goes to the keychain
// (KeychainWriter, through the hopscope-keychain helper) and only "keychain:ID" into the profile.
// Text that looks like the secret itself typed or pasted into the reference is never written to
// the profile: it moves into the masked input and the reference goes back to what it was.
class ProfileSecretField : public ProfileTextField
{
    Q_OBJECT
public:
    // keychainId: the entry id a new secret is stored under when the reference is no
    // "keychain:ID" yet (the form derives it from the profile's name and this path).
    ProfileSecretField(ProfileDocument *document, const QString &path, bool allowAgent,
        std::function<QString()> keychainId, QWidget *parent = nullptr);
    ~ProfileSecretField() override;

    QLineEdit *secretEdit() const { return m_secret; }
    QPushButton *storeButton() const { return m_store; }
    QString statusText() const;
    void setKeychainTimeoutMs(int ms);
    // Stores what the masked input holds (the button's action).
    void storeSecret();

Q_SIGNALS:
    void secretStored(const QString &reference);
    void secretFailed(const QString &reason);

protected:
    void commit(const QString &text) override;

private:
    void setStatus(const QString &text, bool error);

    QLineEdit *m_secret;
    QPushButton *m_store;
    QLabel *m_status;
    KeychainWriter *m_writer;
    std::function<QString()> m_keychainId;
    bool m_allowAgent;
    QJsonValue m_beforeTyping; // the reference when this field was loaded
};

// True for text that is a secret itself rather than a reference to one: key-like text without
// env:/file:/keychain:, or key material after one of them (SecretRef::parse's two refusals).
bool looksLikeInlineSecret(const QString &text);

} // namespace hopscope
