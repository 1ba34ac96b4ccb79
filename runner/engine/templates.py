"""`{{ post.text }}`-style templates for step arguments.

Deliberately tiny: dotted lookups only, no expressions, so a playbook cannot run code. A
string that is exactly one placeholder yields the raw value (a list of media paths stays a
list); otherwise values are joined into the string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from common.errors import TemplateError

_PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][\w.]*)\s*}}")


def lookup(path: str, values: Mapping[str, Any]) -> Any:
    current: Any = values
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif hasattr(current, part) and not part.startswith("_"):
            current = getattr(current, part)
        else:
            raise TemplateError(f"'{{{{ {path} }}}}': no value named '{part}'")
    return current


def render(template: str, values: Mapping[str, Any]) -> Any:
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole:
        return lookup(whole.group(1), values)
    return _PLACEHOLDER.sub(lambda m: _text(lookup(m.group(1), values)), template)


def truthy(template: str, values: Mapping[str, Any]) -> bool:
    """`when:` conditions: `post.media` or `{{ post.media }}`, with a leading `not ` allowed."""
    expr = template.strip()
    negate = expr.startswith("not ")
    if negate:
        expr = expr[4:].strip()
    if not _PLACEHOLDER.fullmatch(expr):
        expr = "{{ " + expr + " }}"
    try:
        value = bool(render(expr, values))
    except TemplateError:
        value = False
    return not value if negate else value


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


__all__ = ["TemplateError", "lookup", "render", "truthy"]
