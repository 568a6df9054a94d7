"""How a message names something from outside: a name someone else chose is shown, never obeyed."""

from __future__ import annotations

from typing import Final

SHOWN_CHARACTERS: Final = 80
"""How much of a name a message shows: enough to find it, never a page of it."""


def shown_name(name: str) -> str:
    """A name as a message may show it: every control or non-ASCII character escaped, a long one cut.

    A file name may hold a newline (forging a second log line) or an ESC sequence (rewriting the
    terminal); escaped, it is only text.
    """
    escaped = name.encode("unicode_escape").decode("ascii")
    if len(escaped) <= SHOWN_CHARACTERS:
        return escaped
    return f"{escaped[:SHOWN_CHARACTERS]}... ({len(name)} characters)"
