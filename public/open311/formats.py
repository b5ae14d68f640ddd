"""Open311's two formats from one payload: JSON, and XML built with xml.etree under the spec's
element names (GeoReport v2, "JSON Support": the JSON is the XML read by the Spark convention).

A view returns a Payload (a list of dicts or one dict, and the XML root and item names); `render`
writes it as JSON or XML; an Open311Error becomes the spec's error list in the same format.
"""

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.http import HttpResponse

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list inside an item: the element of each of its members (<attributes><attribute>, …).
MEMBER = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry (an old row's control character): left out of the XML.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """A refusal in the spec's shape: [{"code": STATUS, "description": DESCRIPTION}]."""

    def __init__(self, status: int, description: str):
        self.status = status
        self.description = str(description)
        super().__init__(f"{status} {self.description}")


@dataclass(frozen=True)
class Payload:
    """DATA (a list of items, or one item) under the XML root ROOT, each list item as ITEM."""

    data: list | dict
    root: str
    item: str = ""


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        for child in value:
            _fill(ET.SubElement(element, MEMBER[element.tag]), child)
    else:
        element.text = _text(value)


def to_xml(payload: Payload) -> bytes:
    root = ET.Element(payload.root)
    if isinstance(payload.data, list):
        for item in payload.data:
            _fill(ET.SubElement(root, payload.item), item)
    else:
        _fill(root, payload.data)
    # The declaration as the spec writes it (ElementTree's own uses single quotes and lower case).
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode()


def to_json(payload: Payload) -> bytes:
    return json.dumps(payload.data, ensure_ascii=False, separators=(",", ":")).encode()


def render(payload: Payload, fmt: str, status: int = 200) -> HttpResponse:
    body = to_json(payload) if fmt == "json" else to_xml(payload)
    response = HttpResponse(body, content_type=FORMATS.get(fmt, FORMATS["xml"]), status=status)
    response["Access-Control-Allow-Origin"] = "*"  # public data, no cookies read: any web client may fetch it
    return response


def error_response(error: Open311Error, fmt: str) -> HttpResponse:
    """The spec's errors: an array of one {code, description}, in FMT (XML when FMT is unknown)."""
    payload = Payload([{"code": error.status, "description": error.description}], "errors", "error")
    return render(payload, fmt if fmt in FORMATS else "xml", error.status)


def bad_request(request, reason: str) -> HttpResponse:
    """sanhe/lib/badrequest.py's refusal (a path or query no view may read) as the spec's error, in
    the format the path asks for."""
    fmt = request.path_info.rsplit(".", 1)[-1] if "." in request.path_info else "xml"
    return error_response(Open311Error(400, reason), fmt)
