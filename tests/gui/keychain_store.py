#!/usr/bin/env python3
"""A stand-in for hopscope-keychain in the GUI tests (CI has no secret service): the same
command line and answers ("ok\\n" + bytes / "error\\n" + message), backed by one file per entry
in $HOPSCOPE_TEST_KEYCHAIN_DIR, so a test can check what was stored and read it back through
SecretResolver.

usage: keychain_store.py read|write KEY DEADLINE_MS   (write: the secret on stdin)
"""
import os
import sys


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("read", "write"):
        sys.stderr.write("usage: keychain_store.py read|write KEY DEADLINE_MS\n")
        return 2
    store = os.environ.get("HOPSCOPE_TEST_KEYCHAIN_DIR", "")
    if not store or not os.path.isdir(store):
        sys.stdout.write("error\nHOPSCOPE_TEST_KEYCHAIN_DIR is not a directory")
        return 0
    entry = os.path.join(store, sys.argv[2].encode().hex())
    if sys.argv[1] == "write":
        secret = sys.stdin.buffer.read(64 * 1024 + 1)
        if not secret or len(secret) > 64 * 1024:
            sys.stdout.write("error\nno secret, or larger than 64 KiB")
            return 0
        with open(entry, "wb") as f:
            f.write(secret)
        sys.stdout.write("ok\n")
        return 0
    try:
        with open(entry, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        sys.stdout.write("error\nThe specified item could not be found in the keychain")
        return 0
    sys.stdout.buffer.write(b"ok\n" + data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
