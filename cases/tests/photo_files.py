"""Photos for the tests, built with Pillow: a phone's JPEG with GPS and camera in its EXIF, a
truncated one, a PNG that declares a huge image."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
CAMERA = "SanheTestPhone"


def phone_jpeg(size=(800, 600), *, orientation: int | None = None, colour=(180, 40, 40)) -> bytes:
    """A JPEG as a phone writes it: where it was taken (GPS), with what (make, model)."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[MAKE] = "SanheTestMaker"
    exif[MODEL] = CAMERA
    exif[GPS_IFD] = {1: "N", 2: (22.0, 21.0, 30.0), 3: "E", 4: (112.0, 41.0, 15.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 10, 128)).save(out, "PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares WIDTH×HEIGHT pixels (a decompression bomb's opening)."""
    data = bytearray(png((8, 8)))
    # The IHDR chunk: length (4), type (4), then width and height, then 5 bytes, then its CRC.
    start = 8 + 8
    data[start : start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : start + 13])) & 0xFFFFFFFF
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)


def upload(content: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
