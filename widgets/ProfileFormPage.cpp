#include "ProfileFormPage.h"

#include "ProfileSecretField.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace hopscope {

ProfileFormPage::ProfileFormPage(ProfileDocument *document, const QString &title,
    const QString &anchor, KeychainIdFunction keychainId, QWidget *parent)
    : QScrollArea(parent)
    , m_document(document)
    , m_anchor(anchor)
    , m_keychainId(std::move(keychainId))
{
    setObjectName(QStringLiteral("page:") + anchor);
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    auto *inner = new QWidget(this);
    m_column = new QVBoxLayout(inner);
    auto *heading = new QLabel(title, inner);
    QFont font = heading->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.2);
    heading->setFont(font);
    m_column->addWidget(heading);
    m_column->addWidget(problemLabel(anchor));
    m_pageForm = new QFormLayout;
    m_pageForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_column->addLayout(m_pageForm);
    m_column->addStretch(1);
    m_form = m_pageForm;
    setWidget(inner);
}

QLabel *ProfileFormPage::problemLabel(const QString &anchor)
{
    auto *label = new QLabel(widget() ? widget() : this);
    label->setObjectName(QStringLiteral("problem:") + anchor);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setStyleSheet(QStringLiteral("color: #c62828;"));
    label->hide();
    m_anchors.insert(anchor, label);
    return label;
}

void ProfileFormPage::addRow(const QString &label, QWidget *field)
{
    m_form->addRow(label, field);
}

ProfileTextField *ProfileFormPage::addText(
    const QString &label, const QString &path, TextKind kind, const QString &placeholder)
{
    auto *field = new ProfileTextField(m_document, path, kind, placeholder);
    m_fields.append(field);
    addRow(label, field);
    return field;
}

ProfileBoolField *ProfileFormPage::addBool(
    const QString &label, const QString &path, const QString &text, bool defaultValue)
{
    auto *field = new ProfileBoolField(m_document, path, text, defaultValue);
    m_fields.append(field);
    addRow(label, field);
    return field;
}

ProfileChoiceField *ProfileFormPage::addChoice(
    const QString &label, const QString &path, const QStringList &choices)
{
    auto *field = new ProfileChoiceField(m_document, path, choices);
    m_fields.append(field);
    addRow(label, field);
    return field;
}

ProfileSecretField *ProfileFormPage::addSecret(
    const QString &label, const QString &path, bool allowAgent)
{
    auto *field = new ProfileSecretField(m_document, path, allowAgent,
        [this, path] { return m_keychainId ? m_keychainId(path) : path; });
    m_fields.append(field);
    addRow(label, field);
    return field;
}

void ProfileFormPage::addNote(const QString &text)
{
    auto *note = new QLabel(text);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    m_form->addRow(note);
}

QPushButton *ProfileFormPage::addButton(const QString &text, const std::function<void()> &action)
{
    auto *button = new QPushButton(text);
    button->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    // Queued: the action may rebuild the form, and with it this button.
    connect(button, &QPushButton::clicked, this,
        [this, action] { QMetaObject::invokeMethod(this, action, Qt::QueuedConnection); });
    m_form->addRow(button);
    return button;
}

QGroupBox *ProfileFormPage::beginBox(
    const QString &title, const QString &anchor, const std::function<void()> &remove)
{
    auto *box = new QGroupBox(title);
    box->setObjectName(QStringLiteral("box:") + anchor);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(problemLabel(anchor));
    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addLayout(m_form);
    if (remove) {
        auto *button = new QPushButton(tr("Remove"), box);
        button->setObjectName(QStringLiteral("remove:") + anchor);
        button->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
        connect(button, &QPushButton::clicked, this,
            [this, remove] { QMetaObject::invokeMethod(this, remove, Qt::QueuedConnection); });
        layout->addWidget(button, 0, Qt::AlignRight);
    }
    m_pageForm->addRow(box);
    return box;
}

void ProfileFormPage::endBox()
{
    m_form = m_pageForm;
}

} // namespace hopscope
