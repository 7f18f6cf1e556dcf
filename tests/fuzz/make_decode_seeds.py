#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus of fuzz_decode (corpus/decode/): the golden vectors plus small
# hand-made edge cases (limits, non-canonical CBOR, wrong types) and deterministic mutations.
# Seeds only guide the fuzzer; rerun after adding golden vectors:  tests/fuzz/make_decode_seeds.py
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "protocol")
OUT = os.path.join(HERE, "corpus", "decode")


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def enc(v):
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, (bytes, bytearray)):
        return head(2, len(v)) + bytes(v)
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in sorted(v.items()))
    if isinstance(v, Raw):
        return v.b
    raise TypeError(v)


class Raw:
    def __init__(self, b):
        self.b = b


def change(seq, op=1, col="c", v=1):
    return {"tb": "t", "r": "r", "c": col, "o": op, "v": v, "h": 1 << 16, "b": 0, "d": 9, "s": seq}


SIG = bytes(range(64))
seeds = {
    "push_small": {"t": 7, "b": 1, "cs": [change(1)], "sig": SIG},
    "push_types": {"t": 7, "b": 1, "sig": SIG, "cs": [
        change(1, v=None), change(2, v=-5), change(3, v=Raw(b"\xf9\x3e\x00")),
        change(4, v=Raw(b"\xfa\x80\x00\x00\x00")), change(5, v=Raw(b"\xf9\x7e\x00")),
        change(6, v=b"\x07"), change(7, v="7"), change(8, op=4, v=3), change(9, op=2, col="", v=None),
        change(10, op=5, v="{}")]},
    "push_unsorted": {"t": 7, "b": 1, "cs": [change(2), change(1)], "sig": SIG},
    "push_bigint": {"t": 7, "b": 1, "cs": [change(1, v=Raw(b"\x1b\x80" + b"\0" * 7))], "sig": SIG},
    "push_negwrap": {"t": 7, "b": 1, "cs": [change(1, v=Raw(b"\x3b\x80" + b"\0" * 7))], "sig": SIG},
    "changes_empty": {"t": 10, "cs": [], "cur": 0, "more": False, "done": 0, "total": 0},
    "changes_five": {"t": 10, "cs": [change(i) for i in range(1, 6)], "cur": 5, "more": True,
                     "done": 5, "total": 9},
    "auth_token": {"t": 5, "d": 1, "sig": b"", "tok": "x"},
    "auth_both": {"t": 5, "d": 1, "sig": SIG, "tok": "x"},
    "hello_v0": {"t": 1, "min": 0, "max": 1, "cl": "", "d": 0},
    "hello_extra": {"t": 1, "min": 1, "max": 2, "cl": "c", "d": 0, "zz": [[[1]]]},
    "unknown_type": {"t": 99},
    "missing_type": {"x": 1},
    "wrong_type": {"t": "1"},
    "error_ok": {"t": 12, "c": 0, "m": ""},
    "goodbye_big_code": {"t": 13, "c": 70000, "m": ""},
    "pull_zero": {"t": 9, "cur": 0, "lim": 0},
    "notify_indef": Raw(b"\xbf\x61t\x0b\x63cur\x01\xff"),
    "wipe_chunked": Raw(b"\xa2\x61m\x7f\x62ab\x61c\xff\x61t\x0e"),
    "dup_key": Raw(b"\xa2\x61t\x0b\x61t\x0b"),
    "trailing": Raw(enc({"t": 11, "cur": 1}) + b"\x00"),
    "deep": Raw(b"\xa2\x61t\x0b\x61x" + b"\x81" * 8 + b"\x00"),
    "huge_array": Raw(b"\xa2\x61t\x0b\x61x\x9b\x00\x00\x00\x01\x00\x00\x00\x00"),
    "tagged": Raw(b"\xa2\x61t\x0b\x63cur\xc2\x41\x01"),
    "bad_utf8": {"t": 14, "m": Raw(b"\x62\xc3\x28")},
    "scalar": 7,
}

os.makedirs(OUT, exist_ok=True)
for f in sorted(os.listdir(DATA)):
    if f.endswith(".cbor"):
        with open(os.path.join(DATA, f), "rb") as src, open(os.path.join(OUT, "golden_" + f[:-5]), "wb") as dst:
            dst.write(src.read())
for name, v in seeds.items():
    with open(os.path.join(OUT, name), "wb") as dst:
        dst.write(enc(v))
rng = random.Random(20241124)
for f in ("push", "auth_ok", "changes", "hello"):
    with open(os.path.join(DATA, f + ".cbor"), "rb") as src:
        b = bytearray(src.read())
    cut = rng.randrange(1, len(b))
    with open(os.path.join(OUT, "trunc_" + f), "wb") as dst:
        dst.write(b[:cut])
    for i in range(2):
        m = bytearray(b)
        for _ in range(3):
            m[rng.randrange(len(m))] = rng.randrange(256)
        with open(os.path.join(OUT, "flip%d_%s" % (i, f)), "wb") as dst:
            dst.write(m)
