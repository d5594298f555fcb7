#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A loopback object store for tests/deploy/test-hooks.sh: stores each accepted PUT under
STORE/<path> (query string dropped) with its headers in <path>.headers, rejects a
Content-MD5 that does not match (as S3 does), writes its port to PORT_FILE, serves until
killed or for 15 minutes at most."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploylib import PutStore  # noqa: E402


def main():
    store_dir, port_file = sys.argv[1], sys.argv[2]
    srv = PutStore()

    def save():
        saved = set()
        while True:
            with srv.lock:
                items = [(p, b, srv.headers_seen[p]) for p, b in srv.objects.items()
                         if p not in saved]
            for path, body, headers in items:
                dest = os.path.join(store_dir, path.split("?")[0].lstrip("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest + ".headers", "w") as f:
                    json.dump(headers, f)
                with open(dest + ".part", "wb") as f:
                    f.write(body)
                os.rename(dest + ".part", dest)
                saved.add(path)
            threading.Event().wait(0.05)

    threading.Thread(target=save, daemon=True).start()
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    threading.Event().wait(900)


if __name__ == "__main__":
    main()
