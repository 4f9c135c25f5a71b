"""Shards: a stable partition of a site's groups, for building slices on several machines."""

from __future__ import annotations

import hashlib

__all__ = ["in_shard", "parse_shard"]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` → (2, 8): the second of eight slices (1-based, as CI matrices count).
    Raises :class:`ValueError` with a message for people."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a shard; write i/N, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise ValueError(f"shard {text}: i must be between 1 and N")
    return index, count


def in_shard(slug: str, shard: tuple[int, int] | None) -> bool:
    """A stable partition by group: the same slug always lands in the same slice."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big") % count == index - 1
