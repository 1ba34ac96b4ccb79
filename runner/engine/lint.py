"""`publish-runner lint`: playbooks, selector files and replay scenarios checked together.

Each file's kind is read from its content (a playbook has `base_url` and `phases`, a selector
file a `selectors:` mapping, a scenarios file `scenarios:`), never guessed from its name or
folder. Errors make a file unusable (the engine or replay refuses it). Warnings point at
selectors that will break on the next redesign or in another UI language; CI treats them as
errors with `--strict`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import DefinitionError, Problem
from runner.engine.canary import lint_problems as canary_lint
from runner.engine.definitions import (
    _display,
    cross_check,
    parse_playbook,
    parse_selector_file,
    project_root,
)
from runner.engine.playbook import Playbook
from runner.engine.selectorfile import LOCALISED, TOP_FRAME, SelectorFile
from runner.engine.suggest import did_you_mean
from runner.engine.yamlsrc import Source, load_yaml

# Class names made by CSS-in-JS tools and minifiers change with every deploy.
_GENERATED_CLASS = re.compile(
    r"(?:^|[.\s\"'=~])(?:css|r|sc|jsx|emotion|x1|_a)-?[a-z0-9]{5,}\b|__[A-Za-z0-9_-]{5}\b"
)
_POSITIONAL = re.compile(r":nth-(?:child|of-type|last-child)|>>\s*nth=|:eq\(|\[\d+\]")


@dataclass
class LintReport:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class _SelectorDoc:
    src: Source
    model: SelectorFile | None
    used: set[str] = field(default_factory=set)


KIND_HINT = ("a playbook has `base_url` and `phases`, a selector file a `selectors:` mapping, "
             "a scenarios file `scenarios:`")


def kind_of(src: Source) -> str | None:
    """'playbook', 'selectors' or 'scenarios' from the file's top-level keys; None if none."""
    data = src.data if isinstance(src.data, dict) else {}
    if "scenarios" in data:
        return "scenarios"
    if "phases" in data or "base_url" in data:
        return "playbook"
    if isinstance(data.get("selectors"), dict):
        return "selectors"
    return None


def robustness(src: Source, model: SelectorFile) -> list[Problem]:
    """Warnings about candidates that a redesign or another locale will break."""
    out = []
    locales = set(model.locales)
    for name, sel in model.selectors.items():
        last = len(sel.candidates) - 1
        for i, cand in enumerate(sel.candidates):
            path = ("selectors", name, "candidates", i)
            raw = cand.css or cand.xpath
            if cand.frame == TOP_FRAME and sel.frame is None:
                out.append(src.problem((*path, "frame"), f"{name}: candidate {i + 1} says "
                                       f"`frame: {TOP_FRAME}` but the selector has no frame",
                                       severity="warning"))
            elif cand.frame and _GENERATED_CLASS.search(cand.frame):
                out.append(src.problem((*path, "frame"), f"{name}: candidate {i + 1}'s frame "
                                       f"uses a generated class name ({cand.frame!r}); it "
                                       "changes with every deploy", severity="warning"))
            if raw and _GENERATED_CLASS.search(raw):
                out.append(src.problem(path, f"{name}: candidate {i + 1} uses a generated "
                                       f"class name ({raw!r}); it changes with every deploy",
                                       severity="warning"))
            if raw and _POSITIONAL.search(raw):
                out.append(src.problem(path, f"{name}: candidate {i + 1} depends on position "
                                       f"({raw!r}); scope it to a container instead",
                                       severity="warning"))
            if cand.xpath is not None and i != last:
                out.append(src.problem(path, f"{name}: XPath candidates go last",
                                       severity="warning"))
            if cand.xpath is not None and cand.xpath.startswith("/html"):
                out.append(src.problem(path, f"{name}: absolute XPath breaks on any change",
                                       severity="warning"))
            for key in (*LOCALISED, "name", "has_text"):
                value = getattr(cand, key, None)
                if key == "role" or value is None:
                    continue
                if isinstance(value, str):
                    out.append(src.problem((*path, key), f"{name}: {key} {value!r} is not keyed "
                                           f"by locale; give it per locale "
                                           f"({', '.join(sorted(locales))})",
                                           severity="warning"))
                elif missing := locales - set(value):
                    out.append(src.problem((*path, key), f"{name}: {key} has no "
                                           f"{', '.join(sorted(missing))} text",
                                           severity="warning"))
    return out


def _playbook_refs(playbook: Playbook) -> set[str]:
    refs = {r for steps in playbook.phases.values() for s in steps for r in s.selector_refs()}
    for step in [*(playbook.recent_posts or []), *(playbook.discard or [])]:
        refs.update(step.selector_refs())
    for overlay in playbook.header.overlays:
        refs.add(overlay.selector)
        if overlay.dismiss:
            refs.add(overlay.dismiss)
    return refs


def default_paths(root: Path) -> list[Path]:
    return (sorted((root / "playbooks").glob("*.yaml"))
            + sorted((root / "selectors").glob("*.yaml"))
            + sorted((root / "fixtures").glob("*/scenarios.yaml")))


def lint_paths(paths: list[Path] | None = None, root: Path | None = None) -> LintReport:
    root = root or project_root()
    paths = paths or default_paths(root)
    report = LintReport(files=len(paths))
    loaded: dict[Path, Source | None] = {}

    def source(path: Path) -> Source | None:
        """Each file is read and its syntax problems reported once, however often used."""
        key = path.resolve()
        if key not in loaded:
            try:
                loaded[key] = load_yaml(path, _display(path, root))
            except DefinitionError as exc:
                report.problems.extend(exc.problems)
                loaded[key] = None
        return loaded[key]

    selector_docs: dict[Path, _SelectorDoc] = {}

    def selector_doc(path: Path) -> _SelectorDoc | None:
        key = path.resolve()
        if key not in selector_docs:
            src = source(path)
            if src is None:
                return None
            model, _, problems = parse_selector_file(src)
            report.problems.extend(problems)
            if model is not None:
                report.problems.extend(robustness(src, model))
            selector_docs[key] = _SelectorDoc(src, model)
        return selector_docs[key]

    def selectors_for(playbook_path: Path) -> Path | None:
        """The selector file a playbook names (default: its platform's), None if unreadable."""
        src = source(playbook_path) if playbook_path.is_file() else None
        data = src.data if src is not None and isinstance(src.data, dict) else None
        if data is None:
            return None
        name = data.get("selectors") or data.get("platform")
        return playbook_path.parent.parent / "selectors" / f"{name}.yaml"

    for path in paths:
        src = source(path)
        if src is None:
            continue
        kind = kind_of(src)
        if kind is None:
            report.problems.append(src.problem((), f"cannot tell what this file is: {KIND_HINT}"))
            continue
        if kind == "selectors":
            selector_doc(path)
            continue
        if kind == "scenarios":
            report.problems.extend(_lint_scenarios(src, path, root, selectors_for, selector_doc))
            continue
        playbook, problems = parse_playbook(src)
        report.problems.extend(problems)
        if playbook is None:
            continue
        sel_path = selectors_for(path)
        if sel_path is None or not sel_path.exists():
            shown = _display(sel_path, root) if sel_path else "its selector file"
            report.problems.append(src.problem((), f"its selector file {shown} does not exist"))
            continue
        doc = selector_doc(sel_path)
        if doc is None or doc.model is None:
            continue
        report.problems.extend(cross_check(playbook, doc.model, doc.src.file, src))
        report.problems.extend(canary_lint(playbook, src))
        doc.used |= _playbook_refs(playbook)

    for doc in selector_docs.values():
        if doc.model is None or not doc.used:
            continue  # no playbook of it was linted: nothing to say about usage
        scopes = {doc.model.selectors[n].scope for n in doc.used if n in doc.model.selectors}
        for name in doc.model.selectors:
            if name not in doc.used and name not in scopes:
                report.problems.append(doc.src.problem(
                    ("selectors", name), f"selector '{name}' is defined but never used",
                    severity="warning", key=True))
    report.problems.sort(key=lambda p: (p.file, p.line, p.column))
    return report


def _lint_scenarios(src: Source, path: Path, root: Path,
                    selectors_for: Callable[[Path], Path | None],
                    selector_doc: Callable[[Path], _SelectorDoc | None]) -> list[Problem]:
    """A scenarios file: its format, the fixture files it names, its platform's playbook,
    and the selectors its `expect.fallbacks` name."""
    from runner.replay.scenarios import missing_files, scenarios_from

    try:
        scenarios = scenarios_from(src, path.parent)
    except DefinitionError as exc:
        return list(exc.problems)
    problems = []
    for sc in scenarios:
        for where, name in missing_files(sc):
            problems.append(src.problem(where, f"{sc.name}: file {name} not found in "
                                        f"{_display(path.parent, root)}"))
    platform = scenarios[0].platform if scenarios else (src.data or {}).get("platform")
    playbooks = root / "playbooks"
    playbook_path = playbooks / f"{platform}.yaml"
    if not playbook_path.is_file():
        known = [p.stem for p in playbooks.glob("*.yaml")]
        return [*problems, src.problem(("platform",), f"no playbook for platform '{platform}' "
                                       f"in {_display(playbooks, root)}"
                                       + did_you_mean(str(platform), known))]
    sel_path = selectors_for(playbook_path)
    doc = selector_doc(sel_path) if sel_path is not None and sel_path.is_file() else None
    if doc is None or doc.model is None:
        return problems
    for sc in scenarios:
        for i, name in enumerate(sc.spec.expect.fallbacks or []):
            if name not in doc.model.selectors:
                problems.append(src.problem(
                    ("scenarios", sc.name, "expect", "fallbacks", i),
                    f"{sc.name}: selector '{name}' is not defined in {doc.src.file}"
                    + did_you_mean(name, doc.model.selectors)))
    return problems
