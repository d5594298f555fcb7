# SPDX-License-Identifier: GPL-2.0-only
"""
struct iovec, msghdr and mmsghdr for workloads that call sendmsg/sendmmsg/recvmmsg through
ctypes (Python's socket module has no sendmmsg or recvmmsg). Workloads import it the way
they import tracelib: sys.path holds tests/e2e.
"""

import ctypes


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]


def iovec_of(data):
    """An iovec over bytes that the caller keeps alive while the iovec is used."""
    return iovec(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value, len(data))
