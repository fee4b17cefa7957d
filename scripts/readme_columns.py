"""Write the README's column table from the column dictionary (geoprospect/io/dictionary.py).

Run: ``.venv/bin/python scripts/readme_columns.py``; ``tests/test_xlsx.py`` fails while the
README's table and the dictionary disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from geoprospect.io.dictionary import readme_table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- columns:start -->", "<!-- columns:end -->"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{README}: no {START} ... {END} markers", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{readme_table()}\n{END}{tail}", encoding="utf-8")
    print(f"wrote the column table of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
