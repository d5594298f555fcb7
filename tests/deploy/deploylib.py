# SPDX-License-Identifier: GPL-2.0-only
"""Loopback HTTP servers that stand in for an object store, for the upload tests."""
import base64
import hashlib
import http.server
import threading


class PutStore(http.server.ThreadingHTTPServer):
    """Stores PUT bodies by path. fail_first: answer that many PUTs with fail_status first;
    fail_status=None with always_fail: never accept."""

    def __init__(self, fail_first=0, fail_status=503, always_fail=False):
        self.objects = {}
        self.headers_seen = {}
        self.attempts = 0
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.always_fail = always_fail
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), PutHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()


class PutHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        srv = self.server
        with srv.lock:
            srv.attempts += 1
            fail = srv.always_fail or srv.attempts <= srv.fail_first
            status = srv.fail_status if fail else 200
            md5 = self.headers.get("Content-MD5")
            if not fail and md5 is not None:
                # What S3 does: a Content-MD5 that does not match the body is BadDigest.
                if base64.b64decode(md5) != hashlib.md5(body).digest():
                    status = 400
            if status == 200:
                srv.objects[self.path] = body
                srv.headers_seen[self.path] = dict(self.headers)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
