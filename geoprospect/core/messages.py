"""Wording shared by error messages: one line per failure, the same phrase for the same problem.

The library raises :mod:`geoprospect.errors` exceptions whose text is built here, so that a
reader (or a test) meets one wording whatever module met the problem first.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_REASON = 200
"""Longest reason quoted from a third-party exception."""


def short(exc: BaseException) -> str:
    """The first line of an exception's text (at most :data:`MAX_REASON` characters).

    Parameters
    ----------
    exc : BaseException
        Usually an exception from a third-party reader (pyogrio, pyarrow, skops).

    Returns
    -------
    str
        The first line, or the exception's class name when it has no text.

    Examples
    --------
    >>> short(ValueError("bad header\\nat byte 12"))
    'bad header'
    >>> short(KeyError())
    'KeyError'
    """
    text = str(exc).strip()
    return text.splitlines()[0][:MAX_REASON] if text else type(exc).__name__


def first_and_more(errors: Sequence[object], *, noun: str = "", hint: str = "") -> str:
    """The first of several errors, with how many more there are.

    Parameters
    ----------
    errors : sequence
        At least one error (a message or an object whose ``str`` is one).
    noun : str, optional
        What the others are called (``"problems"``): ``(and 2 more problems)``.
    hint : str, optional
        Where to see them all, after a semicolon: ``(and 2 more; run ...)``.

    Returns
    -------
    str
        ``"<first>"`` alone, or ``"<first> (and N more[ noun][; hint])"``.

    Examples
    --------
    >>> first_and_more(["row 1: bad", "row 2: bad", "row 3: bad"], noun="problems")
    'row 1: bad (and 2 more problems)'
    >>> first_and_more(["row 1: bad"], hint="run validate")
    'row 1: bad'
    """
    first = f"{errors[0]}"
    if len(errors) < 2:
        return first
    noun = f" {noun}" if noun else ""
    hint = f"; {hint}" if hint else ""
    return f"{first} (and {len(errors) - 1} more{noun}{hint})"


def undecodable(name: str, encoding: str | None, *, line: int | None = None,
                byte: int | None = None) -> str:
    """The message for text that is not valid in the encoding it was read with.

    Raise it with ``option="encoding"`` so the CLI can name its flag.

    Parameters
    ----------
    name : str
        The file's name.
    encoding : str or None
        The encoding used; ``None`` means the default, UTF-8.
    line : int, optional
        The 1-based line of the first bad byte, when known.
    byte : int, optional
        The value of the first bad byte, when known.

    Returns
    -------
    str

    Examples
    --------
    >>> undecodable("a.csv", None, byte=0xE9).split(";")[0]
    'a.csv: text is not valid UTF-8 (byte 0xe9)'
    >>> undecodable("a.csv", "latin-9", line=2).split(";")[0]
    'a.csv: line 2: not valid latin-9'
    """
    where = f"line {line}: " if line is not None else "text is "
    at = f" (byte 0x{byte:02x})" if byte is not None else ""
    return (f"{name}: {where}not valid {encoding or 'UTF-8'}{at}; "
            "re-save the file as UTF-8 or give its encoding (e.g. latin-1)")
