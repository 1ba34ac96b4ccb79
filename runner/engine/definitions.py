"""Loading and checking a platform's playbook and selector file together.

Everything that can be known without a browser is checked here, so a bad file is refused
before anything is typed: syntax, types, unknown steps, selectors used but not defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from common.errors import DefinitionError, Problem
from runner.engine.playbook import IRREVERSIBLE_PHASE, PHASES, Playbook, PlaybookHeader
from runner.engine.selectorfile import SelectorFile
from runner.engine.steps import STEP_TYPES, Step
from runner.engine.suggest import did_you_mean, fields_at
from runner.engine.yamlsrc import PathKey, Source, load_yaml


def project_root() -> Path:
    """The folder holding playbooks/ and selectors/: the definitions root in use (flag, env,
    config, current folder or the packaged copy; see runner.definitions_root)."""
    from runner.definitions_root import current

    return current().path


@dataclass(frozen=True)
class Platform:
    """A platform's checked playbook and selector file, ready for the engine."""

    name: str
    playbook: Playbook
    selectors: SelectorFile
    selector_file: str
    selector_lines: dict[str, int]  # selector name → line of its definition

    def selector_line(self, name: str) -> int:
        return self.selector_lines.get(name, 1)


def _validation_problems(src: Source, base: PathKey, exc: ValidationError,
                         model: type[BaseModel] | None = None) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        path = (*base, *loc)
        msg = err["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}'"
            if model is not None:
                msg += did_you_mean(str(loc[-1]), fields_at(model, loc[:-1]))
        elif err["type"] == "missing":
            msg = f"missing field '{loc[-1]}'"
        elif (err["type"] == "literal_error" and field) or (field and not msg.startswith(field)):
            msg = f"{field}: {msg}"
        problems.append(src.problem(path, msg, key=err["type"] == "extra_forbidden"))
    return problems


def _validate(model: type[BaseModel], src: Source, base: PathKey, data: Any,
              problems: list[Problem]) -> Any:
    try:
        # Strict: YAML already gives real types, so `optional: "yes"` is a mistake to show,
        # and the shipped JSON Schemas (docs/schema/) agree with what is accepted.
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        problems.extend(_validation_problems(src, base, exc, model))
        return None


def parse_step(src: Source, path: PathKey, raw: Any, problems: list[Problem]) -> Step | None:
    if isinstance(raw, str) and raw in STEP_TYPES:
        raw = {raw: {}}
    if not isinstance(raw, dict) or len(raw) != 1:
        problems.append(src.problem(
            path, "a step is a mapping with one key, the step name (e.g. `- click: postButton`)"
        ))
        return None
    (kind, args), = raw.items()
    cls = STEP_TYPES.get(kind)
    if cls is None:
        known = ", ".join(sorted(STEP_TYPES))
        problems.append(src.problem((*path, kind), f"unknown step '{kind}'"
                                    f"{did_you_mean(str(kind), STEP_TYPES)} (known: {known})",
                                    key=True))
        return None
    if args is None:
        args = {}
    if not isinstance(args, dict):
        if cls.shorthand is None:
            problems.append(src.problem((*path, kind),
                                        f"step '{kind}' takes a mapping of arguments"))
            return None
        args = {cls.shorthand: args}
    step: Step | None = _validate(cls, src, (*path, kind), args, problems)
    return step


def parse_playbook(src: Source) -> tuple[Playbook | None, list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(src.data, dict):
        return None, [src.problem((), "a playbook is a mapping (platform, base_url, phases)")]
    header = _validate(PlaybookHeader, src, (), src.data, problems)
    if header is None:
        return None, problems
    phases: dict[str, list[Step]] = {}
    lines: dict[tuple[str, int], int] = {}

    def steps_of(section: PathKey, raw_steps: list[Any], key: str) -> list[Step]:
        out: list[Step] = []
        for i, raw in enumerate(raw_steps):
            step = parse_step(src, (*section, i), raw, problems)
            lines[(key, len(out) if step else -1)] = src.where((*section, i))[0]
            if step is not None:
                out.append(step)
        return out

    for phase in PHASES:
        phases[phase] = steps_of(("phases", phase), header.phases.get(phase, []), phase)
        if phase == IRREVERSIBLE_PHASE:
            for i, step in enumerate(phases[phase]):
                if step.retries:
                    problems.append(src.problem(
                        ("phases", phase, i),
                        "steps in `publish` are irreversible and are never retried: "
                        "remove `retries`",
                    ))
    recent = None
    if header.recent_posts is not None:
        recent = steps_of(("recent_posts",), header.recent_posts, "recent_posts")
    discard = None
    if header.discard is not None:
        discard = steps_of(("discard",), header.discard, "discard")
    if problems:
        return None, problems
    return Playbook(header=header, file=src.file, phases=phases, recent_posts=recent,
                    discard=discard, lines=lines), problems


def parse_selector_file(src: Source) -> tuple[SelectorFile | None, dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(src.data, dict):
        return None, {}, [src.problem((), "a selector file is a mapping (platform, selectors)")]
    model = _validate(SelectorFile, src, (), src.data, problems)
    lines = {}
    if isinstance(src.data.get("selectors"), dict):
        lines = {
            name: src.where(("selectors", name), key=True)[0] for name in src.data["selectors"]
        }
    if model is not None:
        for name, sel in model.selectors.items():
            if sel.scope is not None and sel.scope not in model.selectors:
                problems.append(src.problem(("selectors", name, "scope"),
                                            f"scope '{sel.scope}' is not a selector in this file"
                                            + did_you_mean(sel.scope, model.selectors)))
            if sel.scope == name:
                problems.append(src.problem(("selectors", name, "scope"),
                                            "a selector cannot be its own scope"))
    return (model if not problems else None), lines, problems


def cross_check(playbook: Playbook, selectors: SelectorFile, sel_file: str,
                src: Source) -> list[Problem]:
    """Problems between the two files: selectors used but not defined."""
    problems = []
    defined = set(selectors.selectors)
    sections: list[tuple[PathKey, list[Step]]] = [
        (("phases", phase), steps) for phase, steps in playbook.phases.items()
    ]
    if playbook.recent_posts:
        sections.append((("recent_posts",), playbook.recent_posts))
    if playbook.discard:
        sections.append((("discard",), playbook.discard))
    for section, steps in sections:
        for index, step in enumerate(steps):
            for ref in step.selector_refs():
                if ref not in defined:
                    problems.append(src.problem(
                        (*section, index), f"selector '{ref}' is not defined in {sel_file}"
                        + did_you_mean(ref, defined)))
    for i, overlay in enumerate(playbook.header.overlays):
        for used in (overlay.selector, overlay.dismiss):
            if used and used not in defined:
                problems.append(src.problem(("overlays", i),
                                            f"selector '{used}' is not defined in {sel_file}"
                                            + did_you_mean(used, defined)))
    return problems


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def load_files(playbook_path: Path, selector_path: Path | None = None,
               root: Path | None = None) -> Platform:
    """Load a playbook and its selector file; raise DefinitionError with every problem."""
    root = root or project_root()
    pb_src = load_yaml(playbook_path, _display(playbook_path, root))
    playbook, problems = parse_playbook(pb_src)
    if playbook is None:
        raise DefinitionError(problems)
    if selector_path is None:
        name = playbook.header.selectors or playbook.platform
        selector_path = playbook_path.parent.parent / "selectors" / f"{name}.yaml"
    sel_display = _display(selector_path, root)
    sel_src = load_yaml(selector_path, sel_display)
    selectors, sel_lines, sel_problems = parse_selector_file(sel_src)
    if selectors is None:
        raise DefinitionError(sel_problems)
    problems = cross_check(playbook, selectors, sel_display, pb_src)
    if problems:
        raise DefinitionError(problems)
    return Platform(name=playbook.platform, playbook=playbook, selectors=selectors,
                    selector_file=sel_display, selector_lines=sel_lines)


def load_platform(platform: str, root: Path | None = None) -> Platform:
    root = root or project_root()
    return load_files(root / "playbooks" / f"{platform}.yaml", root=root)
