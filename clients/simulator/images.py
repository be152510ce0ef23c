"""Tiny valid PNG photos made in pure Python (zlib + struct), each one different."""

from __future__ import annotations

import random
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BIT_DEPTH = 8
COLOUR_TYPE_RGB = 2
FILTER_NONE = 0
DEFAULT_WIDTH = 32
DEFAULT_HEIGHT = 24
CHANNEL_MAX = 255
CHANNELS = 3  # RGB
#: How far a pixel strays from the base colour (texture, and a unique hash per photo).
NOISE = 24


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _clamp(value: int) -> int:
    return max(0, min(CHANNEL_MAX, value))


def photo_png(rng: random.Random, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT
              ) -> bytes:
    """A small RGB PNG: a sky/ground split in random colours with noise."""
    sky = [rng.randint(0, CHANNEL_MAX) for _ in range(CHANNELS)]
    ground = [rng.randint(0, CHANNEL_MAX) for _ in range(CHANNELS)]
    horizon = rng.randint(height // 4, 3 * height // 4)
    rows = bytearray()
    for y in range(height):
        base = sky if y < horizon else ground
        rows.append(FILTER_NONE)
        for _ in range(width):
            rows.extend(_clamp(c + rng.randint(-NOISE, NOISE)) for c in base)
    header = struct.pack(">IIBBBBB", width, height, BIT_DEPTH, COLOUR_TYPE_RGB, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows))) + _chunk(b"IEND", b""))
