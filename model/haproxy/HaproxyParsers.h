#pragma once

// The pure parsers of HAProxy runtime API output (no I/O, no QObject, safe on any thread), each
// returning Parsed<T>: the snapshot, or a ParseError saying where and what. Hostile input
// (binary, huge lines, truncated dumps, overflowing counters) is refused, never a crash.

#include "haproxy/HaproxyInfoParser.h"
#include "haproxy/HaproxyServersStateParser.h"
#include "haproxy/HaproxyStatParser.h"

#include <QtGlobal>

namespace hopscope {

// Limits shared by the parsers (a real `show stat` line is a few hundred bytes).
inline constexpr qsizetype s_haproxyMaxLineBytes = 1 << 20;
inline constexpr int s_haproxyMaxColumns = 4096;
// `show info` has about 70 fields (a hundred in 3.x); far more is not show info, and each field
// costs two strings: refusing bounds the memory a hostile dump can take.
inline constexpr int s_haproxyMaxInfoFields = 65536;

} // namespace hopscope
