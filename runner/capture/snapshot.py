"""The DOM of a live page as it is after its scripts ran, as one self-contained HTML string.

`page.content()` is not enough for fixtures: it loses open shadow roots, keeps stylesheets
as links that replay cannot load (every request but the page is aborted there), and misses
form state, which lives in properties rather than attributes. This snapshot:

- copies form state into attributes (value, checked, selected, textarea text); password
  values are never copied;
- inlines every readable stylesheet as `<style>` (rules from `document.styleSheets`,
  CSS-in-JS rules added with `insertRule`, adopted sheets) and drops `<link rel=stylesheet>`;
  sheets whose rules are cross-origin are fetched through Playwright's `page.request`;
- serialises open shadow roots as declarative shadow DOM (`<template shadowrootmode>`) with
  `getHTML({serializableShadowRoots: true, shadowRoots: [...]})`;
- keeps the doctype.

Closed shadow roots and iframe documents cannot be captured this way.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)

# Runs in the page. Mutates the live DOM (the page is not used after a capture) and returns
# the HTML plus the stylesheets it could not read, keyed by the placeholder it left.
_SNAPSHOT_JS = r"""
() => {
  const roots = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { roots.push(el.shadowRoot); walk(el.shadowRoot); }
    }
  };
  walk(document);
  const scopes = [document, ...roots];

  // Form state -> attributes.
  for (const scope of scopes) {
    for (const el of scope.querySelectorAll('input, textarea, select')) {
      if (el instanceof HTMLInputElement) {
        if (el.type === 'checkbox' || el.type === 'radio') {
          el.toggleAttribute('checked', el.checked);
        } else if (el.type === 'password') {
          el.removeAttribute('value');
        } else if (el.type !== 'file') {
          el.setAttribute('value', el.value);
        }
      } else if (el instanceof HTMLTextAreaElement) {
        el.textContent = el.value;
      } else if (el instanceof HTMLSelectElement) {
        for (const opt of el.options) opt.toggleAttribute('selected', opt.selected);
      }
    }
  }

  // Stylesheets -> <style>. url(...) is relative to its sheet: make it absolute once inlined.
  const absolutise = (css, base) => !base ? css : css.replace(
    /url\(\s*(['"]?)([^'")]+)\1\s*\)/g,
    (m, q, u) => /^(data:|#|[a-z][a-z0-9+.-]*:)/i.test(u.trim())
      ? m : `url("${new URL(u.trim(), base).href}")`);
  const rulesOf = (sheet) => {
    let rules;
    try { rules = sheet.cssRules; } catch (e) { return null; }
    if (!rules) return null;
    const out = [];
    for (const rule of rules) {
      if (rule instanceof CSSImportRule && rule.styleSheet) {
        const inner = rulesOf(rule.styleSheet);
        const media = rule.media && rule.media.mediaText;
        if (inner === null) { out.push(rule.cssText); continue; }
        out.push(media ? `@media ${media} {\n${inner}\n}` : inner);
      } else {
        out.push(rule.cssText);
      }
    }
    return absolutise(out.join('\n'), sheet.href);
  };
  const pending = {};
  let counter = 0;
  for (const scope of scopes) {
    for (const sheet of Array.from(scope.styleSheets)) {
      const node = sheet.ownerNode;
      if (!node || sheet.disabled) continue;
      const style = document.createElement('style');
      if (sheet.media && sheet.media.mediaText) style.setAttribute('media', sheet.media.mediaText);
      if (node instanceof HTMLLinkElement) {
        const text = rulesOf(sheet);
        style.setAttribute('data-inlined-from', node.href);
        if (text === null) {
          const key = `pr-sheet-${counter++}`;
          style.setAttribute('data-pr-fetch', key);
          pending[key] = node.href;
        } else {
          style.textContent = text;
        }
        node.replaceWith(style);
      } else if (node instanceof HTMLStyleElement) {
        const text = rulesOf(sheet);
        if (text === null) continue;
        const probe = new CSSStyleSheet();
        try { probe.replaceSync(node.textContent || ''); } catch (e) { continue; }
        // Rules inserted by script (CSS-in-JS) are not in the element's text: write them.
        if (probe.cssRules.length !== sheet.cssRules.length) node.textContent = text;
      }
    }
    // Links that never loaded (404, blocked) have no sheet: drop them too.
    for (const link of scope.querySelectorAll('link[rel~="stylesheet"]')) link.remove();
    const adopted = scope.adoptedStyleSheets || [];
    if (adopted.length) {
      const style = document.createElement('style');
      style.setAttribute('data-adopted', '');
      style.textContent = adopted.map((s) => rulesOf(s) || '').join('\n');
      if (scope === document) document.head.appendChild(style);
      else scope.prepend(style);
    }
  }

  const dt = document.doctype;
  let doctype = '';
  if (dt) {
    doctype = `<!DOCTYPE ${dt.name}` +
      (dt.publicId ? ` PUBLIC "${dt.publicId}"` : '') +
      (dt.systemId ? `${dt.publicId ? '' : ' SYSTEM'} "${dt.systemId}"` : '') + '>';
  }
  const shell = document.documentElement.cloneNode(false).outerHTML;
  const open = shell.slice(0, shell.lastIndexOf('</'));
  const inner = document.documentElement.getHTML(
    {serializableShadowRoots: true, shadowRoots: roots});
  return {
    html: (doctype ? doctype + '\n' : '') + open + inner + '</html>',
    pending,
    shadowRoots: roots.length,
  };
}
"""

_URL_IN_CSS = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def absolutise_css_urls(css: str, base: str) -> str:
    """url(...) in a sheet is relative to the sheet; once inlined it must not be."""

    def repl(m: re.Match[str]) -> str:
        url = m.group(2).strip()
        if url.startswith(("data:", "#", "http:", "https:")):
            return m.group(0)
        return f'url("{urljoin(base, url)}")'

    return _URL_IN_CSS.sub(repl, css)


async def _fetch_sheet(page: Page, url: str) -> str:
    try:
        response = await page.request.get(url, timeout=15_000)
    except Exception as exc:  # a sheet we cannot get is logged, not fatal
        log.warning("could not fetch stylesheet %s: %s", url, exc)
        return ""
    if not response.ok:
        log.warning("stylesheet %s answered %s", url, response.status)
        return ""
    return absolutise_css_urls(await response.text(), url)


async def snapshot_dom(page: Page) -> str:
    """The page's DOM after scripts ran: form state, inlined CSS, declarative shadow DOM."""
    result = await page.evaluate(_SNAPSHOT_JS)
    html = str(result["html"])
    pending: dict[str, str] = dict(result["pending"])
    for key, url in pending.items():
        css = (await _fetch_sheet(page, url)).replace("</style", "<\\/style")
        html = html.replace(f'data-pr-fetch="{key}"></style>',
                            f'data-pr-fetch="{key}">{css}</style>', 1)
    log.debug("snapshot of %s: %d bytes, %d shadow root(s), %d fetched sheet(s)",
              page.url, len(html), result["shadowRoots"], len(pending))
    return html
