#include "ProfileFormFields.h"

#include "ProfileDocument.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace hopscope {

namespace {

// A JSON value as written in a file ("3", "true", "[1,2]", "\"text\"").
QString jsonText(const QJsonValue &value)
{
    const QByteArray array = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(array.mid(1, array.size() - 2));
}

} // namespace

ProfileField::ProfileField(ProfileDocument *document, const QString &path, QWidget *parent)
    : QWidget(parent)
    , m_document(document)
    , m_path(path)
    , m_layout(new QVBoxLayout(this))
    , m_problem(new QLabel(this))
{
    setObjectName(QStringLiteral("field:") + path);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(2);
    m_problem->setObjectName(QStringLiteral("problem:") + path);
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_problem->hide();
}

void ProfileField::setProblems(const QStringList &messages)
{
    const QString text = messages.join(QLatin1Char('\n'));
    // Called for every field on every keystroke: restyle only what changed.
    if (text == m_problem->text() && m_problem->isHidden() == messages.isEmpty()) {
        return;
    }
    m_problem->setText(text);
    m_problem->setVisible(!messages.isEmpty());
    editor()->setProperty("hasProblem", !messages.isEmpty());
    editor()->setStyleSheet(messages.isEmpty()
            ? QString()
            : QStringLiteral("%1 { border: 1px solid #c62828; }")
                  .arg(QString::fromLatin1(editor()->metaObject()->className())));
    editor()->setToolTip(messages.join(QLatin1Char('\n')));
}

QString ProfileField::problemText() const
{
    return m_problem->text();
}

bool ProfileField::isProblemShown() const
{
    return !m_problem->isHidden() && !m_problem->text().isEmpty();
}

ProfileTextField::ProfileTextField(ProfileDocument *document, const QString &path, TextKind kind,
    const QString &placeholder, QWidget *parent)
    : ProfileField(document, path, parent)
    , m_edit(new QLineEdit(this))
    , m_kind(kind)
{
    m_edit->setObjectName(path);
    m_edit->setPlaceholderText(placeholder);
    m_edit->setClearButtonEnabled(kind != TextKind::Required);
    m_layout->addWidget(m_edit);
    m_layout->addWidget(m_problem);
    connect(m_edit, &QLineEdit::textEdited, this, [this](const QString &text) {
        if (!m_loading) {
            commit(text);
        }
    });
    load();
}

QWidget *ProfileTextField::editor() const
{
    return m_edit;
}

QString ProfileTextField::display(const QJsonValue &value, TextKind kind)
{
    if (value.isUndefined()) {
        return {};
    }
    if (value.isString() && kind != TextKind::Number) {
        return value.toString();
    }
    if (value.isDouble() && kind == TextKind::Number) {
        const double d = value.toDouble();
        return d == double(qint64(d)) ? QString::number(qint64(d)) : QString::number(d, 'g', 17);
    }
    return jsonText(value);
}

void ProfileTextField::load()
{
    m_loading = true;
    const QString text = display(m_document->value(m_path), m_kind);
    if (m_edit->text() != text) {
        m_edit->setText(text);
    }
    m_loading = false;
}

void ProfileTextField::commit(const QString &text)
{
    writeText(text);
}

void ProfileTextField::writeText(const QString &text)
{
    if (m_kind == TextKind::Number) {
        const QString t = text.trimmed();
        bool ok = false;
        if (t.isEmpty()) {
            m_document->removeValue(m_path);
        } else if (const qint64 n = t.toLongLong(&ok); ok) {
            m_document->setValue(m_path, QJsonValue(n));
        } else if (const double d = t.toDouble(&ok); ok) {
            m_document->setValue(m_path, QJsonValue(d));
        } else if (t.size() >= 2 && t.startsWith(u'"') && t.endsWith(u'"')) {
            m_document->setValue(m_path, QJsonValue(t.mid(1, t.size() - 2)));
        } else {
            m_document->setValue(m_path, QJsonValue(text));
        }
        return;
    }
    if (text.isEmpty() && m_kind == TextKind::Text) {
        m_document->removeValue(m_path);
    } else {
        m_document->setValue(m_path, QJsonValue(text));
    }
}

ProfileBoolField::ProfileBoolField(ProfileDocument *document, const QString &path,
    const QString &text, bool defaultValue, QWidget *parent)
    : ProfileField(document, path, parent)
    , m_box(new QCheckBox(text, this))
    , m_default(defaultValue)
{
    m_box->setObjectName(path);
    m_layout->addWidget(m_box);
    m_layout->addWidget(m_problem);
    connect(m_box, &QCheckBox::clicked, this, [this](bool checked) {
        if (!m_loading) {
            m_box->setTristate(false);
            m_document->setValue(m_path, QJsonValue(checked));
        }
    });
    load();
}

QWidget *ProfileBoolField::editor() const
{
    return m_box;
}

void ProfileBoolField::load()
{
    m_loading = true;
    const QJsonValue v = m_document->value(m_path);
    if (v.isBool() || v.isUndefined()) {
        m_box->setTristate(false);
        m_box->setChecked(v.isBool() ? v.toBool() : m_default);
    } else {
        // Not true or false in the file: neither state (the problem says what it is).
        m_box->setTristate(true);
        m_box->setCheckState(Qt::PartiallyChecked);
    }
    m_loading = false;
}

ProfileChoiceField::ProfileChoiceField(
    ProfileDocument *document, const QString &path, const QStringList &choices, QWidget *parent)
    : ProfileField(document, path, parent)
    , m_combo(new QComboBox(this))
{
    m_combo->setObjectName(path);
    m_combo->setEditable(true);
    m_combo->setInsertPolicy(QComboBox::NoInsert);
    // No inline completion: what is written is what was typed (the list is one click away).
    m_combo->setCompleter(nullptr);
    m_combo->addItem(QString());
    m_combo->addItems(choices);
    m_layout->addWidget(m_combo);
    m_layout->addWidget(m_problem);
    connect(m_combo->lineEdit(), &QLineEdit::textEdited, this, [this](const QString &text) {
        if (!m_loading) {
            commit(text);
        }
    });
    connect(m_combo, &QComboBox::activated, this, [this](int index) {
        if (!m_loading) {
            commit(m_combo->itemText(index));
        }
    });
    load();
}

QWidget *ProfileChoiceField::editor() const
{
    return m_combo;
}

void ProfileChoiceField::load()
{
    m_loading = true;
    const QString text = ProfileTextField::display(m_document->value(m_path), TextKind::Text);
    if (m_combo->currentText() != text) {
        m_combo->setCurrentText(text);
    }
    m_loading = false;
}

void ProfileChoiceField::commit(const QString &text)
{
    if (text.isEmpty()) {
        m_document->removeValue(m_path);
    } else {
        m_document->setValue(m_path, QJsonValue(text));
    }
}

} // namespace hopscope
