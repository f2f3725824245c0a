#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"

#include <QByteArrayView>

namespace hopscope {

// `show servers state [<backend>]`: version line, `# ` header of space-separated names, one line
// per server; numeric op/admin/check states. Pure, any thread; hostile input -> ParseError.
class HaproxyServersStateParser
{
public:
    static Parsed<HaproxyServersStateSnapshot> parse(QByteArrayView input);
};

} // namespace hopscope
