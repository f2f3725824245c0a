#include "AboutDialog.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QIcon>
#include <QLabel>
#include <QTextDocument>
#include <QVBoxLayout>

#include <ares.h>
#include <ldns/ldns.h>
#include <libssh/libssh.h>

namespace hopscope {

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
    , m_versions(new QLabel(this))
{
    setObjectName(QStringLiteral("aboutDialog"));
    setWindowTitle(tr("About hopscope"));
    auto *layout = new QVBoxLayout(this);
    auto *head = new QHBoxLayout;
    auto *icon = new QLabel(this);
    icon->setPixmap(QApplication::windowIcon().pixmap(64, 64));
    head->addWidget(icon, 0, Qt::AlignTop);
    auto *intro
        = new QLabel(tr("<h2>hopscope %1</h2><p>See and operate the networking between your "
                        "services: DNS discovery, load balancers and the service mesh.</p>")
                         .arg(QStringLiteral(HOPSCOPE_VERSION_STRING)),
            this);
    intro->setWordWrap(true);
    head->addWidget(intro, 1);
    layout->addLayout(head);

    QString rows;
    for (const auto &[name, version] : componentVersions()) {
        rows += QStringLiteral("<tr><td>%1</td><td>&nbsp;&nbsp;%2</td></tr>")
                    .arg(name.toHtmlEscaped(), version.toHtmlEscaped());
    }
    m_versions->setText(
        tr("<p>Built with:</p>") + QStringLiteral("<table>") + rows + QStringLiteral("</table>"));
    m_versions->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_versions);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QList<std::pair<QString, QString>> AboutDialog::componentVersions()
{
    QList<std::pair<QString, QString>> list;
    list.append({ tr("hopscope"), QStringLiteral(HOPSCOPE_VERSION_STRING) });
    const QString qtRun = QString::fromLatin1(qVersion());
    list.append({ tr("Qt"),
        qtRun == QLatin1String(QT_VERSION_STR)
            ? qtRun
            : tr("%1 (built with %2)").arg(qtRun, QLatin1String(QT_VERSION_STR)) });
    list.append({ tr("c-ares"), QString::fromLatin1(ares_version(nullptr)) });
    list.append({ tr("ldns"), QString::fromLatin1(ldns_version()) });
    list.append({ tr("simdjson"), QStringLiteral(HOPSCOPE_SIMDJSON_VERSION) });
    list.append({ tr("libssh"), QString::fromLatin1(ssh_version(0)) });
#ifdef HOPSCOPE_QTKEYCHAIN_VERSION
    list.append({ tr("QtKeychain"),
        tr("%1 (in the hopscope-keychain helper)")
            .arg(QStringLiteral(HOPSCOPE_QTKEYCHAIN_VERSION)) });
#endif
    return list;
}

QString AboutDialog::text() const
{
    QTextDocument doc;
    doc.setHtml(m_versions->text());
    return doc.toPlainText();
}

} // namespace hopscope
