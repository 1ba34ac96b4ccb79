"""Near matches for a selector that no longer resolves: "did the page move it here?".

When no candidate of a selector finds its element, the developer fixing it wants the
element's new address. The *reference* is the element as it was when the selector last
passed: it is found with the selector itself on a reference page (a scenario fixture the
selector resolves on), and described by what selectors are written against: role,
accessible name, test id, placeholder, tag, classes and position in the tree. Every visible
element of the live page (inside the selector's scope when the scope still resolves) is
described the same way, scored against the reference, and the best are offered, each with a
ready YAML candidate that was checked to resolve to exactly the elements the selector
expects on the live page. A suggestion is only printed: nothing uses one automatically.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from runner.engine.locate import SelectorResolver, build, in_frame, normalise
from runner.engine.selectorfile import Candidate
from runner.engine.translate import BrowserFailure

if TYPE_CHECKING:
    from playwright.async_api import FrameLocator, Locator, Page

    from runner.engine.definitions import Platform

__all__ = ["Element", "Suggestion", "describe_reference", "root_cause", "suggest"]

# How an element looks to a selector writer. `role` and `name` approximate the
# accessibility tree (explicit attributes first, then the implicit role of the tag).
DESCRIBE_JS = """
(el, testIdAttr) => {
  const implicit = (e) => {
    const t = e.tagName.toLowerCase();
    if (t === 'button') return 'button';
    if (t === 'a' && e.hasAttribute('href')) return 'link';
    if (t === 'textarea') return 'textbox';
    if (t === 'input') {
      const ty = (e.getAttribute('type') || 'text').toLowerCase();
      if (['text', 'search', 'email', 'url', 'tel'].includes(ty)) return 'textbox';
      if (ty === 'checkbox') return 'checkbox';
      if (ty === 'radio') return 'radio';
      if (['submit', 'button', 'reset'].includes(ty)) return 'button';
      return '';
    }
    if (/^h[1-6]$/.test(t)) return 'heading';
    if (t === 'section' && (e.hasAttribute('aria-label') || e.hasAttribute('aria-labelledby')))
      return 'region';
    if (t === 'form' && (e.hasAttribute('aria-label') || e.hasAttribute('aria-labelledby')))
      return 'form';
    if (t === 'dialog') return 'dialog';
    if (t === 'nav') return 'navigation';
    if (t === 'main') return 'main';
    if (t === 'img' && e.getAttribute('alt')) return 'img';
    if (t === 'select') return 'combobox';
    return '';
  };
  const text = (e) => (e.innerText || e.textContent || '').replace(/\\s+/g, ' ').trim();
  const name = (e) => {
    const label = e.getAttribute('aria-label');
    if (label) return label.trim();
    const by = e.getAttribute('aria-labelledby');
    if (by) {
      const home = e.getRootNode();
      const find = (id) => (home.getElementById ? home.getElementById(id) : null)
                           || document.getElementById(id);
      const parts = by.split(/\\s+/).map(find).filter(Boolean);
      if (parts.length) return parts.map(text).join(' ');
    }
    if (e.id) {
      const l = document.querySelector(`label[for="${CSS.escape(e.id)}"]`);
      if (l) return text(l);
    }
    const wrap = e.closest('label');
    if (wrap && wrap !== e) return text(wrap);
    if (e.getAttribute('alt')) return e.getAttribute('alt');
    const t = e.tagName.toLowerCase();
    if (['button', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'summary', 'option'].includes(t)
        || ['button', 'link', 'tab', 'menuitem', 'heading'].includes(e.getAttribute('role')))
      return text(e).slice(0, 120);
    if (e.getAttribute('title')) return e.getAttribute('title');
    if (e.getAttribute('placeholder')) return e.getAttribute('placeholder');
    return '';
  };
  const path = [];
  for (let p = el; p && p.tagName && path.length < 6; p = p.parentElement) {
    if (p.tagName === 'BODY' || p.tagName === 'HTML') break;
    path.unshift(p.tagName.toLowerCase());
  }
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    role: el.getAttribute('role') || implicit(el),
    name: name(el),
    testid: el.getAttribute(testIdAttr) || '',
    placeholder: el.getAttribute('placeholder') || el.getAttribute('data-placeholder') || '',
    classes: Array.from(el.classList),
    type: el.getAttribute('type') || '',
    path: path.join('>'),
    text: text(el).slice(0, 120),
    visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden'
             && style.display !== 'none',
  };
}
"""

COLLECT_JS = """
(root, args) => {
  const [testIdAttr, limit, visibleOnly] = args;
  const describe = DESCRIBE;
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'META', 'LINK',
                        'SVG', 'PATH', 'svg', 'path', 'BR']);
  const base = root.nodeType === 9 ? root.body : root;
  const out = [];
  // Every element under base, open shadow roots included (Playwright's selectors pierce
  // them, so a suggestion may point inside one).
  const all = [];
  const walk = (node) => {
    for (const el of node.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  if (base.shadowRoot) walk(base.shadowRoot);
  walk(base);
  for (const el of all) {
    if (skip.has(el.tagName) || el.closest('svg')) continue;
    const d = describe(el, testIdAttr);
    if (visibleOnly && !d.visible) continue;
    out.push(d);
    if (out.length >= limit) break;
  }
  return out;
}
"""

COLLECT_JS = COLLECT_JS.replace("DESCRIBE", DESCRIBE_JS.strip())  # no eval: pages have CSPs
MAX_ELEMENTS = 3000


@dataclass(frozen=True)
class Element:
    """What a selector writer sees of one element."""

    tag: str
    role: str = ""
    name: str = ""
    testid: str = ""
    placeholder: str = ""
    classes: tuple[str, ...] = ()
    type: str = ""
    path: str = ""
    text: str = ""
    visible: bool = True

    @classmethod
    def of(cls, data: dict[str, Any]) -> Element:
        return cls(tag=str(data.get("tag", "")), role=str(data.get("role", "")),
                   name=normalise(str(data.get("name", ""))),
                   testid=str(data.get("testid", "")),
                   placeholder=normalise(str(data.get("placeholder", ""))),
                   classes=tuple(str(c) for c in data.get("classes", [])),
                   type=str(data.get("type", "")), path=str(data.get("path", "")),
                   text=normalise(str(data.get("text", ""))),
                   visible=bool(data.get("visible", True)))

    def label(self) -> str:
        """A short description for people: `textarea 'Write something' (textbox)`."""
        out = self.tag
        if self.name:
            out += f" {self.name[:40]!r}"
        if self.role:
            out += f" ({self.role})"
        return out


@dataclass(frozen=True)
class Suggestion:
    rank: int
    score: float
    element: Element
    candidate: dict[str, Any]  # a selector-file candidate, as YAML would give it
    reasons: list[str] = field(default_factory=list)

    @property
    def yaml(self) -> str:
        """The candidate as a list item to paste under the selector's `candidates:`."""
        body = yaml.safe_dump(self.candidate, allow_unicode=True, sort_keys=False,
                              default_flow_style=True, width=200).strip()
        return f"- {body}"

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "score": round(self.score, 2), "element": self.element.label(),
                "candidate": self.candidate, "yaml": self.yaml, "reasons": self.reasons}


# Inputs whose element nothing else can stand in for (Playwright sets files on an input).
_TYPED_INPUTS = frozenset({"file", "checkbox", "radio"})


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def score(ref: Element, el: Element) -> tuple[float, list[str]]:
    """How much `el` resembles `ref`, and why (the reasons people read)."""
    total, why = 0.0, []
    if ref.tag == "input" and ref.type in _TYPED_INPUTS and (el.tag, el.type) != ("input",
                                                                                 ref.type):
        return 0.0, []  # a file input is only ever replaced by a file input

    def add(points: float, reason: str) -> None:
        nonlocal total
        if points > 0.05:
            total += points
            why.append(reason)

    if ref.role and el.role == ref.role:
        add(3.0, f"same role {el.role}")
    if ref.testid and el.testid:
        r = _ratio(ref.testid, el.testid)
        add(4.0 * r, "same test id" if r == 1 else f"similar test id {el.testid!r}")
    if ref.name and el.name:
        r = _ratio(ref.name, el.name)
        add(3.0 * r, "same name" if r == 1 else f"similar name {el.name!r}")
    if ref.placeholder and el.placeholder:
        add(1.5 * _ratio(ref.placeholder, el.placeholder), "similar placeholder")
    if el.tag == ref.tag:
        add(1.0, f"same tag {el.tag}")
    if ref.classes and el.classes:
        a, b = set(ref.classes), set(el.classes)
        add(3.0 * len(a & b) / len(a | b), f"classes {' '.join(sorted(a & b))}")
    if ref.path and el.path:
        add(1.5 * _ratio(ref.path, el.path), "similar place in the tree")
    if ref.type and el.type == ref.type:
        add(0.5, f"same type {el.type}")
    if ref.text and el.text and ref.role not in ("region", "main", "dialog", "form"):
        add(1.0 * _ratio(ref.text[:60], el.text[:60]), "similar text")
    return total, why


def _css_ident(value: str) -> str:
    """`value` as a CSS identifier (class names here are plain; escape the rest)."""
    out = []
    for i, ch in enumerate(value):
        if (ch.isalnum() and not (i == 0 and ch.isdigit())) or ch in "-_":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return "".join(out)


def _options(el: Element, lang: str) -> list[dict[str, Any]]:
    """Candidates for `el`, most stable first (the order selector files prefer)."""
    out: list[dict[str, Any]] = []
    if el.testid:
        out.append({"testid": el.testid})
    if el.role and el.name:
        out.append({"role": el.role, "name": {lang: el.name}})
    if el.placeholder:
        out.append({"placeholder": {lang: el.placeholder}})
    if el.classes:
        out.append({"css": el.tag + "".join("." + _css_ident(c) for c in el.classes)})
    if el.type:
        out.append({"css": f'{el.tag}[type="{el.type}"]'})
    if el.role:
        out.append({"role": el.role})
    return out


async def describe_reference(platform: Platform, page: Page, name: str,
                             locale: str = "auto") -> Element | None:
    """The element `name` resolves to on `page` (a reference page), described; None when
    the selector does not resolve there."""
    resolver = SelectorResolver(platform, page, locale)
    found = await resolver.try_once(name)
    if found is None:
        return None
    data = await found.locator.first.evaluate(
        DESCRIBE_JS, platform.selectors.test_id_attribute)
    return Element.of(data)


async def root_cause(resolver: SelectorResolver, name: str) -> str:
    """The outermost selector of `name`'s scope chain that does not resolve: the one to fix
    first (a scoped selector cannot resolve while its scope does not)."""
    broken = name
    scope = resolver.definition(name).scope
    while scope is not None:
        if await resolver.try_once(scope) is not None:
            break
        broken = scope
        scope = resolver.definition(scope).scope
    return broken


async def _page_lang(page: Page, locale: str) -> str:
    if locale != "auto":
        return locale
    lang = await page.evaluate("() => document.documentElement.lang || ''")
    return (str(lang).split("-")[0] or "en").lower()


async def suggest(platform: Platform, page: Page, name: str, reference: Element,
                  *, locale: str = "auto", limit: int = 5) -> list[Suggestion]:
    """Ranked near matches for selector `name` on the live `page`, each with a candidate
    that resolves there to what the selector expects."""
    sel = platform.selectors.selectors[name]
    attr = platform.selectors.test_id_attribute
    resolver = SelectorResolver(platform, page, locale)
    root: Page | Locator = page
    if sel.scope is not None:
        scope = await resolver.try_once(sel.scope)
        if scope is not None:
            root = scope.locator
    args = [attr, MAX_ELEMENTS, sel.visible]
    # Where to look: the page (or scope) itself, and each iframe the selector's candidates
    # name (a redesign may move the element in or out of one).
    frames = list(dict.fromkeys(f for c in sel.candidates if (f := sel.frame_of(c))))
    roots: list[tuple[Page | Locator | FrameLocator, str | None]] = [(root, None)]
    roots += [(in_frame(root, f), f) for f in frames]
    lang = await _page_lang(page, locale)
    scored = []
    for where, frame in roots:
        try:
            if where is page:
                raw = await page.evaluate(f"(args) => ({COLLECT_JS})(document, args)", args)
            elif frame is not None:
                raw = await where.locator(":root").first.evaluate(COLLECT_JS, args)
            else:
                raw = await where.first.evaluate(COLLECT_JS, args)  # type: ignore[union-attr]
        except BrowserFailure:
            continue  # no such iframe on this page
        for data in raw:
            el = Element.of(data)
            points, why = score(reference, el)
            if points > 0:
                scored.append((points, el, why, where, frame))
    scored.sort(key=lambda t: -t[0])
    out: list[Suggestion] = []
    seen: set[str] = set()
    for points, el, why, where, frame in scored:
        if len(out) >= limit:
            break
        candidate = await _working_candidate(where, el, lang, sel.count, sel.many,
                                             sel.visible, attr)
        if candidate is None:
            continue
        if frame is not None:
            candidate["frame"] = frame
        elif frames and sel.frame is not None:
            candidate["frame"] = "top"  # not in the selector's default iframe
        key = repr(candidate)
        if key in seen:
            continue
        seen.add(key)
        out.append(Suggestion(len(out) + 1, points, el, candidate, why))
    return out


async def _working_candidate(root: Page | Locator | FrameLocator, el: Element, lang: str,
                             count: int, many: bool, visible: bool, attr: str
                             ) -> dict[str, Any] | None:
    """The first of `el`'s candidates that resolves on the live page as the selector needs."""
    for option in _options(el, lang):
        cand = Candidate.model_validate(option)
        loc = build(root, cand, locale=lang, test_id_attr=attr)
        if visible:
            loc = loc.filter(visible=True)
        try:
            n = await loc.count()
        except BrowserFailure:
            continue  # a text Playwright cannot put in a selector: try the next option
        if not ((n >= 1) if many else (n == count)):
            continue
        # It must find this element, not another one that happens to be alone.
        if Element.of(await loc.first.evaluate(DESCRIBE_JS, attr)) == el:
            return option
    return None
