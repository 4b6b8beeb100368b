"""Where an image's own bytes end, read from its container structure.

Pillow decodes pixels and stops; whatever follows the image's end marker is never looked at. That
is how polyglots pass: a PNG with a ZIP appended, a JPEG followed by HTML. The platform stores bytes
verbatim, anchors their hash and serves them back, so bytes past the image would travel with the
dataset as an unreviewed payload. Each format marks its own end, so the check is exact:

- PNG: the IEND chunk (length, type, CRC) closes the file;
- JPEG: segments are walked from SOI, entropy-coded scans skipped, up to EOI (0xFFD9);
- GIF: blocks are walked from the header to the trailer byte 0x3B;
- WebP: the RIFF header states the file's size.

A structure that runs past the end of the data is a truncated image.
"""

from __future__ import annotations

import struct


class Truncated(ValueError):
    """The image's structure runs past the end of the data."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_end(data: bytes, fmt: str) -> int:
    """The offset just past the image of format ``fmt`` (Pillow's name) at the start of ``data``."""
    ends = {"PNG": _png_end, "JPEG": _jpeg_end, "GIF": _gif_end, "WEBP": _webp_end}
    try:
        return ends[fmt](data)
    except (IndexError, struct.error):
        raise Truncated(f"the {fmt} structure ends before its end marker") from None


def _png_end(data: bytes) -> int:
    if not data.startswith(PNG_SIGNATURE):
        raise Truncated("the PNG signature is missing")
    offset = len(PNG_SIGNATURE)
    while True:
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length  # length, type, data, CRC
        if end > len(data):
            raise Truncated(f"the PNG chunk {kind!r} at byte {offset} is cut off")
        if kind == b"IEND":
            return end
        offset = end


_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0-7 carry no length
_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA


def _jpeg_end(data: bytes) -> int:
    if data[:2] != b"\xff\xd8":
        raise Truncated("the JPEG start-of-image marker is missing")
    offset = 2
    while True:
        if data[offset] != 0xFF:
            raise Truncated(f"expected a JPEG marker at byte {offset}")
        while data[offset] == 0xFF:  # fill bytes may pad any marker
            offset += 1
        marker = data[offset]
        offset += 1
        if marker == _EOI:
            return offset
        if marker in _STANDALONE or marker == _SOI:
            continue
        (length,) = struct.unpack_from(">H", data, offset)
        offset += length
        if offset > len(data):
            raise Truncated("a JPEG segment is cut off")
        if marker == _SOS:
            offset = _skip_entropy_coded(data, offset)


def _skip_entropy_coded(data: bytes, offset: int) -> int:
    """The offset of the first marker after a scan's entropy-coded data (0xFF00 and RSTn are data)."""
    while True:
        offset = data.find(b"\xff", offset)
        if offset < 0:
            raise Truncated("a JPEG scan runs to the end of the file without an end-of-image marker")
        following = data[offset + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            offset += 1 if following == 0xFF else 2
            continue
        return offset


def _gif_end(data: bytes) -> int:
    if data[:3] != b"GIF":
        raise Truncated("the GIF header is missing")
    flags = data[10]
    offset = 13 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
    while True:
        block = data[offset]
        if block == 0x3B:
            return offset + 1
        if block == 0x21:  # extension: label, then sub-blocks
            offset = _skip_sub_blocks(data, offset + 2)
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW code size, sub-blocks
            local = data[offset + 9]
            offset += 10 + (3 * 2 ** ((local & 0x07) + 1) if local & 0x80 else 0)
            offset = _skip_sub_blocks(data, offset + 1)
        else:
            raise Truncated(f"unexpected GIF block 0x{block:02x} at byte {offset}")


def _skip_sub_blocks(data: bytes, offset: int) -> int:
    while (size := data[offset]) != 0:
        offset += 1 + size
    return offset + 1


def _webp_end(data: bytes) -> int:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise Truncated("the WebP RIFF header is missing")
    (size,) = struct.unpack_from("<I", data, 4)
    end = 8 + size + (size & 1)  # RIFF pads an odd-sized payload with one byte
    if end > len(data):
        raise Truncated(f"the RIFF header declares {end} bytes but the file has {len(data)}")
    return end
