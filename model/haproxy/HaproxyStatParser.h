#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"

#include <QByteArrayView>

namespace hopscope {

// `show stat` CSV (also the HTTP stats page's `;csv`), HAProxy 1.5 to 3.x: columns are mapped by
// header name, so build-dependent module columns after `-` and new columns are harmless.
// Pure (no I/O, no QObject, any thread); hostile input is refused with a ParseError, never a crash.
class HaproxyStatParser
{
public:
    static Parsed<HaproxyStatSnapshot> parse(QByteArrayView input);
};

} // namespace hopscope
