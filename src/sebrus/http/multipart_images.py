"""Read a multipart body of images while it streams, with the limits counted as bytes arrive.

Starlette's ``request.form()`` spools every file part to disk with no size limit of its own, and a
chunked body has no ``Content-Length`` to check first. Bulk uploads parse the stream here instead
(python-multipart's push parser, the one Starlette uses): the whole body is refused with 413 the
moment it passes ``max_total_bytes``, and a single file past ``max_file_bytes`` stops being kept (it
is reported as too large, the other files go on).

Each part's form-field name is the file's label (``curl -F cat=@cat1.png -F dog=@dog1.png``), and its
filename is only echoed back in the per-file report: nothing here touches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_NAME_CHARS = 255


@dataclass
class ImagePart:
    label: str
    filename: str
    data: bytearray = field(default_factory=bytearray)
    too_large: bool = False


class _Collector:
    def __init__(self, max_files: int, max_file_bytes: int) -> None:
        self.parts: list[ImagePart] = []
        self._max_files = max_files
        self._max_file_bytes = max_file_bytes
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self.error: str | None = None

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        label = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self.error = self.error or f"the part {label!r} is not a file: send images as files"
        if len(self.parts) >= self._max_files:
            files = "one file" if self._max_files == 1 else f"{self._max_files} files"
            self.error = self.error or f"at most {files} in one request"
        shown = (filename or b"").decode("utf-8", "replace")[-MAX_NAME_CHARS:]
        self.parts.append(ImagePart(label=label, filename=shown or f"file {len(self.parts) + 1}"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        if part.too_large:
            return
        if len(part.data) + (end - start) > self._max_file_bytes:
            part.too_large = True
            part.data = bytearray()  # stop keeping it; the rest of the body still parses
            return
        part.data += data[start:end]


async def read_image_parts(
    request: Request, *, max_files: int, max_file_bytes: int, max_total_bytes: int
) -> list[ImagePart]:
    """The body's image parts; 400 for a body that is not multipart images, 413 past the total limit."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(400, "Send the images as multipart/form-data, one file part per image.")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_total_bytes:
        raise HTTPException(413, f"A bulk upload may carry at most {max_total_bytes:,} bytes.")
    collector = _Collector(max_files, max_file_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
        },
    )
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_total_bytes:
            raise HTTPException(413, f"A bulk upload may carry at most {max_total_bytes:,} bytes.")
        try:
            parser.write(chunk)
        except Exception as exc:  # python-multipart raises its own errors for malformed bodies
            raise HTTPException(400, f"The multipart body is malformed: {exc}") from exc
        if collector.error is not None:
            raise HTTPException(400, f"Refused: {collector.error}.")
    try:
        parser.finalize()
    except Exception as exc:
        raise HTTPException(400, f"The multipart body is malformed: {exc}") from exc
    if collector.error is not None:
        raise HTTPException(400, f"Refused: {collector.error}.")
    return collector.parts
