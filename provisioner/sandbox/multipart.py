"""A tolerant reader of MindConnect `/exchange` bodies: `multipart/mixed` of `multipart/related`
items, each a meta part and a payload part. mindconnect-nodejs writes LF line ends, no space after
`Content-Type:` and a CRLF before the closing inner boundary (mindconnect-template.ts), so line
ends and header spacing are not significant here."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY = re.compile(r'boundary\s*=\s*"?([^";\s]+)"?', re.IGNORECASE)


class MultipartError(ValueError):
    """The body is not a well-formed multipart message."""


@dataclass(frozen=True)
class Part:
    content_type: str
    body: str


def boundary_of(content_type: str) -> str:
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise MultipartError(f"no boundary in Content-Type '{content_type}'")
    return match.group(1)


def split_parts(text: str, boundary: str) -> list[Part]:
    """The parts between `--boundary` lines up to `--boundary--`."""
    lines = text.replace("\r\n", "\n").split("\n")
    parts: list[list[str]] = []
    current: list[str] | None = None
    closed = False
    for line in lines:
        stripped = line.rstrip("\r").strip()
        if stripped == f"--{boundary}--":
            if current is not None:
                parts.append(current)
            closed = True
            break
        if stripped == f"--{boundary}":
            if current is not None:
                parts.append(current)
            current = []
        elif current is not None:
            current.append(line)
    if not closed:
        raise MultipartError(f"the closing boundary --{boundary}-- is missing")
    return [_part(raw) for raw in parts]


def _part(lines: list[str]) -> Part:
    content_type = ""
    index = 0
    while index < len(lines) and lines[index].strip():
        name, _, value = lines[index].partition(":")
        if name.strip().lower() == "content-type":
            content_type = value.strip()
        index += 1
    if not content_type:
        raise MultipartError("a part has no Content-Type header")
    return Part(content_type, "\n".join(lines[index + 1 :]).strip())
