"""Image files a group ships with its pages (the logo, images in markdown pages).

They are published on the booking site's own origin, where anyone can open them
directly: an SVG opened that way runs its scripts with the site's cookies and
storage. So an image is accepted only when its bytes are what its name says, and an
SVG only when it is drawing and nothing else (an allowlist of elements, no event
handlers, no links or references outside the file, no DOCTYPE).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

__all__ = ["IMAGE_SUFFIXES", "image_problem"]

_SVG_NS = "{http://www.w3.org/2000/svg}"

# Raster formats by their first bytes (offset, signature).
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    ".png": ((0, b"\x89PNG\r\n\x1a\n"),),
    ".jpg": ((0, b"\xff\xd8\xff"),),
    ".jpeg": ((0, b"\xff\xd8\xff"),),
    ".gif": ((0, b"GIF87a"), (0, b"GIF89a")),
    ".webp": ((8, b"WEBP"),),
    ".avif": ((4, b"ftypavif"), (4, b"ftypavis")),
}
IMAGE_SUFFIXES = frozenset({*_SIGNATURES, ".svg"})

# Drawing, text, paint servers, structure: what design tools export. Not script,
# foreignObject (HTML inside), a (links), image/feImage (loads), animation of hrefs.
_SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "pattern",
    "clipPath", "mask", "marker", "filter", "feGaussianBlur", "feOffset", "feBlend",
    "feColorMatrix", "feComposite", "feFlood", "feMerge", "feMergeNode", "feMorphology",
})  # fmt: skip
# A reference to something outside the file: url() other than url(#id), @import, or
# anything that could be read as a script URL.
_OUTSIDE = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import|javascript:|expression\(", re.I)


def image_problem(name: str, raw: bytes) -> str | None:
    """Why ``raw`` cannot be published as the image file ``name``; ``None`` when it can."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in IMAGE_SUFFIXES:
        return f"{name!r} is not an image file name ({', '.join(sorted(IMAGE_SUFFIXES))})"
    if suffix == ".svg":
        return _svg_problem(raw)
    kind = suffix[1:].upper().replace("JPG", "JPEG")
    if not any(raw[offset : offset + len(magic)] == magic for offset, magic in _SIGNATURES[suffix]):
        return f"{name!r} is not a {kind} image (its first bytes say otherwise)"
    return None


def _svg_problem(raw: bytes) -> str | None:
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower() or b"<?xml-stylesheet" in head:
        return "SVG with a DOCTYPE, entities or a stylesheet link is not accepted"
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        return f"not a well-formed SVG file ({error})"
    if root.tag != f"{_SVG_NS}svg":
        return "not an SVG file (its root element is not <svg> in the SVG namespace)"
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag[len(_SVG_NS) :] if tag.startswith(_SVG_NS) else None
        if local not in _SVG_ELEMENTS:
            return (
                f"SVG element <{tag.rsplit('}', 1)[-1]}> is not accepted (only drawing, no script or links)"
            )
        for attribute, value in element.attrib.items():
            bare = attribute.rsplit("}", 1)[-1].lower()
            if bare.startswith("on"):
                return f"SVG event handler {bare!r} on <{local}> is not accepted"
            if bare == "href" and not value.strip().startswith("#"):
                return f"SVG link {value[:60]!r} on <{local}> is not accepted (only #references)"
            if _OUTSIDE.search(value):
                return f"SVG attribute {bare!r} on <{local}> refers outside the file"
        if local == "style" and _OUTSIDE.search("".join(element.itertext())):
            return "SVG <style> refers outside the file"
    return None
