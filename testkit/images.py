"""A real, tiny PNG built from the format itself (signature, IHDR, IDAT, IEND), so tests need no image library and
every byte sent can be compared with every byte received."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def tiny_png(width: int = 3, height: int = 2, rgb: tuple[int, int, int] = (46, 128, 237)) -> bytes:
    """A width x height PNG of one colour (8-bit RGB, no interlace), each row with filter byte 0."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) read back from the IHDR chunk: a check that the bytes really are a PNG."""
    if not png.startswith(SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height
