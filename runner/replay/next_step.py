"""What to do after `capture` or `fixture import`: the scenario entry that replays the new
fixture, printed or appended to the folder's scenarios.yaml (`--write-scenario NAME`).

A fixture nobody replays guards nothing; the entry is the step people forget.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from common.errors import ConfigError, DefinitionError

__all__ = ["append_scenario", "fixture_source", "next_step", "scenario_entry"]

_SOURCE = re.compile(r"<!-- publish-runner fixture: [^>]*?\bsource=(\S+)")


def fixture_source(path: Path) -> str | None:
    """The page URL a fixture's header records (None when it has none)."""
    head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    m = _SOURCE.search(head)
    url = m.group(1).replace("-%2D", "--").replace("%3E", ">") if m else None
    return url if url and url != "-" else None


def _glob(url: str | None) -> str:
    """The page glob for the fixture: its site, any path (`https://x.com/**`)."""
    if not url:
        return "https://PLATFORM.example/**"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/**"


def scenario_entry(name: str, fixture: Path, *, text: str, expect: str) -> str:
    """The YAML of one scenario (indented under `scenarios:`) replaying `fixture`."""
    glob = _glob(fixture_source(fixture))
    return (f"  {name}:\n"
            f"    post: {{text: {json.dumps(text, ensure_ascii=False)}, media: []}}\n"
            f"    pages:\n"
            f"      {json.dumps(glob)}: {fixture.name}\n"
            f"    expect:\n"
            f"      status: {expect}\n")


def next_step(platform: str, name: str, fixture: Path, *, text: str, expect: str) -> str:
    """What to print: where the entry goes, the entry, and the replay command."""
    scenarios = fixture.parent / "scenarios.yaml"
    return (f"next: replay it — add this scenario to {scenarios} (or rerun with "
            f"--write-scenario {name}); set `expect` to what the playbook must do on this page, "
            "and for a whole publish add `after: {publish: posted.html}`:\n\n"
            + scenario_entry(name, fixture, text=text, expect=expect)
            + f"\nthen: publish-runner replay {platform} --fixtures {fixture.parent} -k {name}")


def append_scenario(platform: str, name: str, fixture: Path, *, text: str,
                    expect: str) -> Path:
    """Add the entry to the fixture folder's scenarios.yaml (created if absent), keeping the
    file's comments; refuses a name already there and any result that does not load."""
    from runner.replay.scenarios import load_scenarios

    path = fixture.parent / "scenarios.yaml"
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    if before is not None and name in {sc.name for sc in load_scenarios(path)}:
        raise ConfigError(f"{path} already has a scenario {name!r}; choose another name")
    entry = scenario_entry(name, fixture, text=text, expect=expect)
    if before is None:
        text_out = f"platform: {platform}\nscenarios:\n{entry}"
    else:
        text_out = before + ("" if before.endswith("\n") else "\n") + entry
    path.write_text(text_out, encoding="utf-8")
    try:
        load_scenarios(path)
    except DefinitionError as exc:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise ConfigError(f"could not add the scenario to {path} (its last top-level key "
                          f"must be `scenarios:`): {exc}") from exc
    return path
