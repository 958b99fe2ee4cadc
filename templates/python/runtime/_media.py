"""Media types: how the body of an answer of each is read.

The generator (scripts/generate.py) reads this module too, to give each declared
media type the schema its body is read as, so both follow one rule.
"""

from __future__ import annotations


def media_kind(media_type: str) -> str:
    """How a body of a media type is read, parameters such as ``charset`` ignored.

    ``json``: ``application/json``, ``text/json`` and any ``+json`` type; ``text``: any
    other ``text/*``; ``any``: a wildcard (``*/*``), where the answer's Content-Type
    decides; ``bytes``: anything else (``application/octet-stream``, ``application/pdf``,
    images), and no media type at all.
    """
    essence = media_type.split(";", 1)[0].strip().lower()
    subtype = essence.partition("/")[2]
    if subtype == "json" or subtype.endswith("+json"):
        return "json"
    if essence.startswith("text/"):
        return "text"
    return "any" if "*" in essence else "bytes"
