"""Definitions versions: the gate a pushed set must pass, its versions, and what devices hear.

The server never imports the runner, so it cannot lint a playbook or replay a scenario
itself. The pushing client runs both (`publish-runner definitions push`) and attaches the
results; the server then checks, on the archive it received:

- the archive is a definitions set and nothing else, unpacked under the bundle limits
  (`common.definitions_bundle`), and its hash (`common.definitions_set`) is the one the
  results name, so results for another set cannot be passed off for this one;
- every playbook, selector file and scenarios file parses as YAML of the right shape (the
  structure only: a mapping with `phases`, with `selectors`, with `platform` and
  `scenarios`; the full lint is the client's, whose error count must be 0);
- the results cover exactly the scenarios of the uploaded `fixtures/*/scenarios.yaml`
  files, and every one passed.

A refused push is answered 422 with every reason (the failing scenarios by name) and kept
in the audit log. A set whose content is the current version's is not stored again.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pydantic
import yaml

from common.definitions_bundle import BadArchive, unpack_set
from contract import models as s
from server import errors
from server.assets import CHUNK, Reader
from server.services._base import Service, offload

__all__ = ["MAX_REPORT", "MAX_YAML", "Definitions", "Inspected", "Refusal", "gate", "inspect",
           "offer", "read_bounded"]

MAX_YAML = 2_000_000  # bytes of one YAML file, as the runner's loader allows
MAX_REPORT = 4 * 1024 * 1024  # bytes of the attached results
MAX_LISTED = 50  # scenarios named in one refusal


@dataclass
class Inspected:
    """What the server read from an uploaded archive."""

    hash: str
    files: int
    scenarios: set[tuple[str, str]] = field(default_factory=set)  # (file, name)
    platforms: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


async def read_bounded(upload: Reader, limit: int, what: str) -> bytes:
    """The whole upload, or 413 past `limit` bytes (read in chunks, never all at once)."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise errors.TooLarge(f"{what} is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _load(path: Path, name: str) -> object:
    if path.stat().st_size > MAX_YAML:
        raise errors.Invalid(f"{name}: larger than {MAX_YAML} bytes", code="DEFINITIONS_INVALID")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise errors.Invalid(f"{name}: not UTF-8 text", code="DEFINITIONS_INVALID") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise errors.Invalid(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}",
                             code="DEFINITIONS_INVALID") from exc
    except RecursionError as exc:
        raise errors.Invalid(f"{name}: nested too deeply", code="DEFINITIONS_INVALID") from exc


def _mapping_with(doc: object, name: str, *keys: str) -> dict[str, object]:
    if not isinstance(doc, dict) or any(k not in doc for k in keys):
        raise errors.Invalid(f"{name}:1: expected a mapping with {', '.join(keys)}",
                             code="DEFINITIONS_INVALID")
    return doc


def inspect(data: bytes) -> Inspected:
    """Unpack in a temporary folder, hash, and read the structure (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="definitions-") as tmp:
        root = Path(tmp) / "set"
        try:
            digest = unpack_set(data, root)
        except BadArchive as exc:
            raise errors.Invalid(f"bundle: {exc}", code="DEFINITIONS_INVALID") from exc
        found = Inspected(hash=digest, files=sum(1 for p in root.rglob("*") if p.is_file()))
        for folder, key in (("playbooks", "phases"), ("selectors", "selectors")):
            for path in sorted((root / folder).glob("*.y*ml")):
                name = path.relative_to(root).as_posix()
                doc = _mapping_with(_load(path, name), name, key)
                if not isinstance(doc[key], dict):
                    raise errors.Invalid(f"{name}:1: `{key}` must be a mapping",
                                         code="DEFINITIONS_INVALID")
        for path in sorted((root / "fixtures").glob("*/scenarios.yaml")):
            name = path.relative_to(root).as_posix()
            doc = _mapping_with(_load(path, name), name, "platform", "scenarios")
            scenarios = doc["scenarios"]
            if not isinstance(scenarios, dict):
                raise errors.Invalid(f"{name}:1: `scenarios` must be a mapping",
                                     code="DEFINITIONS_INVALID")
            for scenario in scenarios:
                found.scenarios.add((name, str(scenario)))
                found.platforms[(name, str(scenario))] = str(doc["platform"])
        return found


def _listed(items: list[str]) -> str:
    shown = items[:MAX_LISTED]
    more = f"; and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
    return "; ".join(shown) + more


def gate(found: Inspected, report: s.DefinitionsReport) -> list[Refusal]:
    """Every reason to refuse this set with these results (empty: accept it)."""
    refusals: list[Refusal] = []
    if report.hash != found.hash:
        refusals.append(Refusal("REPORT_MISMATCH", f"the results are for {report.hash}, the "
                                f"uploaded set is {found.hash}: lint and replay this set"))
    if report.lint.errors:
        refusals.append(Refusal("LINT_FAILED", f"lint found {report.lint.errors} error(s): "
                                + _listed(list(report.lint.problems))))
    reported = [(r.file, r.name) for r in report.scenarios]
    if not found.scenarios:
        refusals.append(Refusal("REPORT_INCOMPLETE", "the set has no replay scenarios "
                                "(fixtures/<platform>/scenarios.yaml): nothing shows it works"))
    missing = sorted(found.scenarios - set(reported))
    if missing:
        refusals.append(Refusal("REPORT_INCOMPLETE", "no replay result for "
                                + _listed([f"{found.platforms[k]}/{k[1]} ({k[0]})"
                                           for k in missing])))
    extra = sorted(set(reported) - found.scenarios)
    twice = sorted({k for k in reported if reported.count(k) > 1})
    if extra or twice:
        refusals.append(Refusal("REPORT_MISMATCH", "results for scenarios the set does not "
                                "have, or given twice: "
                                + _listed([f"{n} ({f})" for f, n in [*extra, *twice]])))
    failing = [r for r in report.scenarios if not r.passed]
    if failing:
        refusals.append(Refusal("REPLAY_FAILED", f"{len(failing)} of {len(report.scenarios)} "
                                "scenario(s) did not replay as expected: " + _listed([
                                    f"{r.platform or '?'}/{r.name} ({r.outcome or 'failed'}"
                                    + (f": {r.message}" if r.message else "") + ")"
                                    for r in failing])))
    # The failing scenarios are the news; say them first.
    return sorted(refusals, key=lambda r: r.code != "REPLAY_FAILED")


def offer(current: s.DefinitionsVersion | None) -> s.DefinitionsOffer | None:
    """What a heartbeat reply says of the current version."""
    if current is None:
        return None
    return s.DefinitionsOffer(version=current.version, hash=current.hash,
                              url=f"/api/definitions/{current.version}/bundle")


def _author(name: str) -> str:
    cleaned = " ".join(name.split())[: s.MAX_AUTHOR]
    return cleaned or "operator"


class Definitions(Service):
    async def push(self, bundle: Reader, report_file: Reader,
                   author: str) -> tuple[s.DefinitionsVersion, bool]:
        """Check and store a pushed set (see the module docstring); True: a new version."""
        who = _author(author)
        data = await read_bounded(bundle, s.MAX_DEFINITIONS_ARCHIVE, "bundle")
        raw = await read_bounded(report_file, MAX_REPORT, "report")
        try:
            report = s.DefinitionsReport.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                               for e in exc.errors()[:10])
            raise errors.Invalid(f"report: {detail}") from exc
        try:
            found = await offload(inspect, data)
        except errors.ApiError as exc:
            await self.call(self.store.refuse_definitions, hash=None, author=who,
                            code=exc.code, reason=exc.message)
            raise
        refusals = gate(found, report)
        if refusals:
            message = "refused: " + " | ".join(f"{r.code}: {r.message}" for r in refusals)
            await self.call(self.store.refuse_definitions, hash=found.hash, author=who,
                            code=refusals[0].code, reason=message)
            raise errors.Invalid(message, code=refusals[0].code)
        summary = json.dumps(report.model_dump(mode="json", by_alias=True))
        return await self.call(self.store.add_definitions, hash=found.hash, author=who,
                               archive=data, files=found.files,
                               scenarios=len(found.scenarios), report=summary)

    async def versions(self, limit: int = 100) -> list[s.DefinitionsVersion]:
        return await self.call(self.store.list_definitions, limit)

    async def current(self) -> s.DefinitionsVersion:
        found = await self.call(self.store.current_definitions)
        if found is None:
            raise errors.NotFound("no definitions version has been pushed")
        return found

    async def archive(self, version: int) -> tuple[s.DefinitionsVersion, bytes]:
        return await self.call(self.store.definitions_archive, version)

    async def rollback(self, version: int, author: str) -> s.DefinitionsVersion:
        """Make `version` current again; devices switch at their next job."""
        return await self.call(self.store.set_current_definitions, version, _author(author))
