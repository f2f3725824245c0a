#pragma once

#include "core/Parsed.h"
#include "haproxy/HaproxySnapshot.h"

#include <QByteArrayView>

namespace hopscope {

// `show info`: `Name: value` lines. Pure, any thread; hostile input -> ParseError.
class HaproxyInfoParser
{
public:
    static Parsed<HaproxyInfo> parse(QByteArrayView input);
};

} // namespace hopscope
