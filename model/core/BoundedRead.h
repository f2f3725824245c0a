#pragma once

#include <QByteArray>
#include <QIODevice>

#include <algorithm>

namespace hopscope {

// What `device` has buffered, at most `limit` bytes. QIODevice::read(n) allocates n bytes up
// front and shrinks the array afterwards, so reading a small chunk with a large cap as `n` costs
// an allocation (an mmap + munmap beyond 128 KiB) of the whole cap: 500 Envoy replies read with
// their 64 MiB cap took ~14 % of the GUI thread in the fleet benchmark. Callers keep their own
// cap checks; pass cap + 1 - buffered to see a reply that exceeds the cap.
inline QByteArray readAvailable(QIODevice &device, qint64 limit)
{
    const qint64 n = std::min(limit, device.bytesAvailable());
    return n > 0 ? device.read(n) : QByteArray();
}

} // namespace hopscope
