"""Knowing when a scripted fixture page has settled: nothing pending could change it.

A saved page's scripts only answer what the run does (a click, a key); once they have, the
page stays as it is until the next action. Replay installs `SETTLE_JS` in every frame of a
scripted fixture before its own scripts run. It counts what could still run without the
run doing anything: timers, animation frames, idle callbacks, requests, elements loading,
running animations, a navigation under way; and it gives up (never settled) on what it
cannot follow (intervals, workers, sockets, message channels, resize or intersection
observers). `page_settled` asks every frame; the engine's waits then stop after one more
look instead of waiting out their timeout (`runner.engine.locate.Patience`), so a wait ends
as it would have, only sooner. Pages with scripts off need none of this: they never change
once loaded (replay gives their waits one look).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.translate import BrowserFailure

if TYPE_CHECKING:
    from playwright.async_api import Page

SETTLED_FN = "__publishRunnerSettled"

SETTLE_JS = """(() => {
  const W = window;
  if (W.__publishRunnerSettled) return;
  const timers = new Set(), frames = new Set(), idles = new Set();
  let pending = 0, untracked = false, leaving = false;
  const wrap = (set, store, clearer) => {
    const original = W[set];
    W[set] = function (fn, ...rest) {
      const id = original.call(W, function (...args) {
        store.delete(id);
        return typeof fn === 'function' ? fn.apply(this, args) : (0, eval)(String(fn));
      }, ...rest);
      store.add(id);
      return id;
    };
    const clear = W[clearer];
    W[clearer] = function (id) { store.delete(id); return clear.call(W, id); };
  };
  wrap('setTimeout', timers, 'clearTimeout');
  wrap('requestAnimationFrame', frames, 'cancelAnimationFrame');
  if (W.requestIdleCallback) wrap('requestIdleCallback', idles, 'cancelIdleCallback');
  const interval = W.setInterval;
  W.setInterval = function (...args) { untracked = true; return interval.apply(W, args); };
  const fetch = W.fetch;
  if (fetch) {
    W.fetch = function (...args) {
      pending++;
      return fetch.apply(W, args).finally(() => { pending--; });
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending++;
    this.addEventListener('loadend', () => { pending--; }, {once: true});
    return send.apply(this, args);
  };
  for (const name of ['Worker', 'SharedWorker', 'WebSocket', 'EventSource', 'MessageChannel',
                      'BroadcastChannel', 'ResizeObserver', 'IntersectionObserver']) {
    const Original = W[name];
    if (typeof Original !== 'function') continue;
    W[name] = new Proxy(Original, {construct(target, args, newTarget) {
      untracked = true;
      return Reflect.construct(target, args, newTarget);
    }});
  }
  const post = W.postMessage;
  W.postMessage = function (...args) { untracked = true; return post.apply(W, args); };
  W.addEventListener('beforeunload', () => { leaving = true; }, true);
  // Elements that load something fire load or error later: count them until they do.
  const LOADS = new Set(['IMG', 'IFRAME', 'SCRIPT', 'LINK', 'VIDEO', 'AUDIO', 'OBJECT',
                         'EMBED']);
  const loading = new WeakSet();
  const watch = el => {
    if (!LOADS.has(el.tagName) || loading.has(el)) return;
    if (el.tagName === 'SCRIPT' && !el.src) return;
    if (el.tagName === 'LINK' && !/stylesheet|preload|modulepreload/i.test(el.rel)) return;
    if (el.tagName === 'IMG' && el.complete) return;
    loading.add(el);
    pending++;
    let done = false;
    const end = () => { if (!done) { done = true; pending--; } };
    el.addEventListener('load', end, {once: true});
    el.addEventListener('error', end, {once: true});
  };
  new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      watch(n);
      for (const el of n.querySelectorAll('img,iframe,script,link,video,audio,object,embed'))
        watch(el);
    }
  }).observe(document, {childList: true, subtree: true});
  const media = () => [...document.querySelectorAll('video,audio')].some(
    m => !m.paused || m.networkState === 2);
  W.__publishRunnerSettled = () => {
    if (untracked || leaving || pending > 0 || timers.size || frames.size || idles.size)
      return false;
    if (document.readyState !== 'complete') return false;
    if (document.querySelector('meta[http-equiv="refresh" i]')) return false;
    if (document.getAnimations().some(a => a.playState === 'running' || a.pending))
      return false;
    if (media()) return false;
    for (let i = 0; i < W.frames.length; i++) {
      try {
        const child = W.frames[i].__publishRunnerSettled;
        if (typeof child !== 'function' || !child()) return false;
      } catch (e) {
        return false;  // a frame of another origin: it cannot be asked
      }
    }
    return true;
  };
})();"""

PROBE_JS = f"() => typeof window.{SETTLED_FN} === 'function' && window.{SETTLED_FN}()"


async def page_settled(page: Page) -> bool:
    """True when nothing pending in any frame could change the page (see SETTLE_JS); False
    while it is navigating or when it cannot be asked."""
    try:
        return bool(await page.evaluate(PROBE_JS))
    except BrowserFailure:
        return False


__all__ = ["PROBE_JS", "SETTLED_FN", "SETTLE_JS", "page_settled"]
