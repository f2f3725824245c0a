#pragma once

#include <QDialog>
#include <QList>
#include <QString>

#include <utility>

class QLabel;

namespace hopscope {

// Help → About: what hopscope is, and the versions of hopscope and of the libraries it runs with
// (Qt, c-ares, ldns, simdjson, libssh, QtKeychain), read at run time where the library can tell.
// GUI thread.
class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // (component, version) in the order shown.
    static QList<std::pair<QString, QString>> componentVersions();
    QString text() const; // plain text of what is shown (tests)

private:
    QLabel *m_versions;
};

} // namespace hopscope
