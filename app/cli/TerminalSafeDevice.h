#pragma once

#include <QByteArray>
#include <QIODevice>

#include <cstdio>

namespace hopscope::cli {

// The device behind hopscope-cli's stdout and stderr: everything written passes through
// terminalSafe() (cli/CliSupport.h) with line breaks kept, so no string from a profile, a server
// or a log can reach the terminal as a control sequence (ESC, C1 controls, NUL, DEL, CR) or a
// bidi override — whichever command printed it and however. JSON output stays valid: its control
// characters are escaped already, and the \uXXXX escapes added for DEL, C1 and bidi characters
// inside strings decode to the same text. Clean UTF-8 (the usual case) is written as it is,
// without a copy; a UTF-8 sequence split between two writes is completed first.
class TerminalSafeDevice : public QIODevice
{
    Q_OBJECT
public:
    explicit TerminalSafeDevice(FILE *target, QObject *parent = nullptr);
    ~TerminalSafeDevice() override;

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *data, qint64 size) override;

private:
    bool put(QByteArrayView bytes);

    FILE *m_target;
    QByteArray m_pending; // the start of a UTF-8 sequence the last write ended in
};

} // namespace hopscope::cli
