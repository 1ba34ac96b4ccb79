"""URL globs as playbooks write them (`**/compose*`), the same syntax Playwright uses."""

from __future__ import annotations

import re


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """`**` is any text, `*` any text but `/`; everything else is literal."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


__all__ = ["glob_to_regex"]
