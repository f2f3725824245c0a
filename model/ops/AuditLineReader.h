#pragma once

#include <QByteArray>
#include <QString>

namespace hopscope {

// Streams the lines of an audit log without trusting the file: only a regular file is read
// (opened O_NONBLOCK and checked with fstat on the descriptor, so a FIFO, /dev/zero or a
// directory is refused before a byte is read), at most the size it had when opened (a file that
// keeps growing cannot keep the reader busy), in fixed chunks, and no line is kept longer than
// maxLineBytes (the rest of an overlong line is skipped, the line is flagged). Memory stays
// bounded by chunk + maxLineBytes whatever the file holds. Plain class, one thread.
class AuditLineReader
{
public:
    struct Line
    {
        QByteArray bytes; // without the newline; cut at maxLineBytes when overlong
        int number = 0; // 1-based
        bool terminated = true; // false: the file ends inside this line (torn / cut off)
        bool overlong = false; // longer than maxLineBytes: bytes holds only the start
    };

    explicit AuditLineReader(QString path, qint64 maxLineBytes = 1024 * 1024);
    ~AuditLineReader();
    AuditLineReader(const AuditLineReader &) = delete;
    AuditLineReader &operator=(const AuditLineReader &) = delete;

    // Opens the file; false and error() when it is missing, unreadable or not a regular file.
    bool open();
    // The next line; false at the end of the file or on a read error (see error()).
    bool next(Line *line);
    QString error() const { return m_error; }
    bool missing() const { return m_missing; } // open() failed because the file does not exist
    qint64 size() const { return m_size; }

private:
    bool fill();

    QString m_path;
    qint64 m_maxLine;
    int m_fd = -1;
    qint64 m_size = 0;
    qint64 m_consumed = 0; // bytes read from the file so far
    QByteArray m_buf;
    qsizetype m_pos = 0;
    int m_number = 0;
    bool m_eof = false;
    bool m_missing = false;
    QString m_error;
};

} // namespace hopscope
