#pragma once

#include "haproxy/HaproxySnapshot.h"

#include <QByteArrayView>
#include <QString>

#include <optional>

namespace hopscope {

// Pure parsers of HAProxy runtime API output (no I/O, no QObject, safe on any thread).
// Each returns the snapshot, or nullopt with a one-line reason in *error. Hostile input (binary,
// huge lines, truncated dumps, overflowing counters) is refused with a reason, never a crash.

// `show stat` CSV (also the HTTP stats page's `;csv`), HAProxy 1.5 to 3.x: columns are mapped by
// header name, so build-dependent module columns after `-` and new columns are harmless.
class HaproxyStatParser
{
public:
    static std::optional<HaproxyStatSnapshot> parse(QByteArrayView input, QString *error);
};

// `show servers state [<backend>]`: version line, `# ` header of space-separated names, one line
// per server; numeric op/admin/check states.
class HaproxyServersStateParser
{
public:
    static std::optional<HaproxyServersStateSnapshot> parse(QByteArrayView input, QString *error);
};

// `show info`: `Name: value` lines.
class HaproxyInfoParser
{
public:
    static std::optional<HaproxyInfo> parse(QByteArrayView input, QString *error);
};

// Limits shared by the parsers (a real `show stat` line is a few hundred bytes).
inline constexpr qsizetype s_haproxyMaxLineBytes = 1 << 20;
inline constexpr int s_haproxyMaxColumns = 4096;
// `show info` has about 70 fields (a hundred in 3.x); far more is not show info, and each field
// costs two strings: refusing bounds the memory a hostile dump can take.
inline constexpr int s_haproxyMaxInfoFields = 65536;

} // namespace hopscope
