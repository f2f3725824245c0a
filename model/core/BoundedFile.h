#pragma once

#include <QByteArray>
#include <QString>

namespace hopscope {

// What readRegularFile() gives back: the bytes, or an error in plain words that names the path
// and what it is when it is not a regular file ("is a named pipe (FIFO)", "is a character
// device", "is larger than 4194304 bytes").
struct BoundedRead
{
    QByteArray data;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

// Reads a whole regular file of at most maxBytes, and nothing else. The path is opened without
// blocking (O_NONBLOCK: opening a FIFO never waits for a writer) and checked with fstat on the
// opened descriptor (no race with a swap after the check); FIFOs, devices (/dev/zero,
// /dev/urandom), sockets and directories are refused before a byte is read. The read stops at
// maxBytes + 1, so a file that grows while it is read is refused too, and memory stays bounded.
// Safe on any thread; a local regular file of bounded size is the only thing it ever waits on.
BoundedRead readRegularFile(const QString &path, qint64 maxBytes);

#ifdef Q_OS_UNIX
// The descriptor of a regular file opened for reading without blocking (O_NONBLOCK, then fstat
// on the descriptor), and its size; -1 with *error (and *missing for ENOENT) for anything else.
// For readers that stream a file instead of loading it (the audit log's line reader).
int openRegularFile(const QString &path, qint64 *size, QString *error, bool *missing = nullptr);
#endif

// "file type" of an existing path in words ("a named pipe (FIFO)", "a directory", ...), or an
// empty string for a regular file or a path that does not exist.
QString describeNonRegularFile(const QString &path);

} // namespace hopscope
