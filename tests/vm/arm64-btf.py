#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Carves the kernel's BTF out of an arm64 boot Image.

Usage: arm64-btf.py IMAGE OUT

An arm64 Image is the kernel's raw memory image, not an ELF file, so the .BTF section has no
name left to find it by. Its contents are still there verbatim: a struct btf_header
(magic 0xeB9F, version 1, hdr_len 24) followed by the type and string sections it
describes. Every candidate header is checked (types right after the header, strings right
after the types, the string section starting with the empty string and ending with NUL) and
the largest consistent blob is written to OUT, for `bpftool btf dump file OUT format c`.
The Image may be gzip-compressed (vmlinuz as some distributions ship it).
"""
import gzip
import struct
import sys

BTF_MAGIC = b"\x9f\xeb\x01\x00"  # 0xeB9F little-endian, version 1, flags 0
HDR = struct.Struct("<HBBIIIII")


def candidates(image):
    pos = image.find(BTF_MAGIC)
    while pos >= 0:
        if pos + HDR.size <= len(image):
            _, _, _, hdr_len, type_off, type_len, str_off, str_len = HDR.unpack_from(image, pos)
            end = pos + hdr_len + str_off + str_len
            strs = pos + hdr_len + str_off
            if (hdr_len == HDR.size and type_off == 0 and str_off == type_len and type_len > 0
                    and str_len > 0 and end <= len(image) and image[strs] == 0
                    and image[end - 1] == 0):
                yield image[pos:end]
        pos = image.find(BTF_MAGIC, pos + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: arm64-btf.py IMAGE OUT")
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    if image[:2] == b"\x1f\x8b":
        image = gzip.decompress(image)
    blobs = sorted(candidates(image), key=len)
    if not blobs:
        sys.exit(f"arm64-btf: no BTF in {sys.argv[1]} (a kernel built without CONFIG_DEBUG_INFO_BTF?)")
    with open(sys.argv[2], "wb") as f:
        f.write(blobs[-1])
    print(f"arm64-btf: {len(blobs[-1])} bytes of BTF from {sys.argv[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
