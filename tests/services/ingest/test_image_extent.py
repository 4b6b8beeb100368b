"""Bytes past an image's end, and images cut short, are refused for every allowed format."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from sebrus.services.ingest.image_extent import Truncated, image_end
from sebrus.services.ingest.images import ImageRefused, inspect_image


def encoded(fmt: str, **options: object) -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 90))
    image.putpixel((3, 4), (1, 2, 3))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


FORMATS = {
    "PNG": encoded("PNG"),
    "JPEG": encoded("JPEG", quality=80),
    "JPEG-progressive": encoded("JPEG", quality=80, progressive=True),
    "GIF": encoded("GIF"),
    "WEBP": encoded("WEBP", quality=80),
}


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "not an image")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_clean_image_ends_exactly_at_the_end_of_its_bytes(name: str) -> None:
    data = FORMATS[name]
    assert image_end(data, name.split("-")[0]) == len(data)
    assert inspect_image(data).width == 32


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_appended_bytes_are_refused_naming_how_many(name: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        inspect_image(FORMATS[name] + b"<html><script>alert(1)</script></html>")
    assert refused.value.reason == "trailing_data"
    assert "38 bytes after the end" in refused.value.message


def test_a_png_zip_polyglot_is_refused() -> None:
    with pytest.raises(ImageRefused) as refused:
        inspect_image(FORMATS["PNG"] + zip_archive())
    assert refused.value.reason == "trailing_data"
    assert "IEND" in refused.value.message


def test_a_jpeg_html_polyglot_is_refused_and_a_thumbnail_inside_exif_is_not_its_end() -> None:
    thumbnail = encoded("JPEG")
    exif = Image.Exif()
    exif[0x010E] = "a description"
    with_exif = encoded("JPEG", exif=exif.tobytes() + thumbnail)  # a second EOI inside APP1
    assert image_end(with_exif, "JPEG") == len(with_exif)
    with pytest.raises(ImageRefused) as refused:
        inspect_image(with_exif + b"<!doctype html><p>hi</p>")
    assert refused.value.reason == "trailing_data"


@pytest.mark.parametrize("cut", [1, 5, 11])
def test_a_png_cut_inside_iend_is_refused_as_truncated(cut: int) -> None:
    data = FORMATS["PNG"][:-cut]
    with pytest.raises(Truncated):
        image_end(data, "PNG")
    with pytest.raises(ImageRefused) as refused:
        inspect_image(data)
    assert refused.value.reason in {"truncated", "corrupt"}
    assert "truncated" in refused.value.message


@pytest.mark.parametrize("name", ["JPEG", "GIF", "WEBP"])
def test_other_formats_cut_short_are_refused(name: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        inspect_image(FORMATS[name][:-2])
    assert refused.value.reason in {"truncated", "corrupt"}


def test_a_webp_whose_riff_size_is_larger_than_the_file_is_truncated() -> None:
    data = bytearray(FORMATS["WEBP"])
    data[4:8] = (len(data) + 10).to_bytes(4, "little")
    with pytest.raises(Truncated, match="RIFF header declares"):
        image_end(bytes(data), "WEBP")
