#pragma once

#include <QtGlobal>

namespace hopscope {

// Raises the process's soft limit on open files to its hard limit (at most `cap`). A fleet keeps
// one kept-alive connection per Envoy admin endpoint, and a desktop session's default soft limit
// is 1,024 (systemd's DefaultLimitNOFILE=1024:524288): 500 sidecars plus the load balancers', DNS
// and SSH sockets, fonts and files come close, and past it every new connection fails with "Too
// many open files". Safe here because nothing in hopscope waits with select() (FD_SETSIZE):
// QtNetwork, c-ares (through QSocketNotifier), libssh and D-Bus poll. Never lowers a limit.
// Returns the soft limit in force afterwards, -1 when it cannot be read (not POSIX).
qint64 raiseOpenFileLimit(qint64 cap = 65'536);

// glibc malloc: big blocks (from 128 KiB) always mmapped, and the heap's top given back from
// 128 KiB. glibc's default threshold is dynamic: once a big block has been freed it climbs (up
// to 32 MiB), and from then on a fleet's big short-lived buffers (HTTP bodies, 10,000-target
// lists, built every few seconds on the pool) come from the heaps, where the holes they leave
// stay resident. bench_Fleet direct mode, same fixture: RSS 312-330 MB untuned (4 runs), 291-310
// MB tuned (4 runs), GUI busy unchanged. Call first thing in main(); a no-op without glibc.
void tuneMalloc();

} // namespace hopscope
