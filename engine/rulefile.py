"""Changing rule files the way an analyst would: one line edited, everything else untouched.

``set_enabled`` rewrites (or inserts) only the rule's ``enabled`` clause, so comments, blank
lines and formatting survive; every change is appended to an audit log with who and when.
``lint`` finds rules that are legal but probably wrong.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from ..dsl import nodes as n
from ..dsl.parser import parse_rulefile
from ..dsl.sourcetext import read_source
from ..errors import NotFound, SourceError, SourceSpan
from ..model import DEFAULT_TZ
from .ruleset import RuleSet, rule_files

AUDIT_LOG = ".audit.log"


@dataclass
class Change:
    file: Path
    rule: str
    before: str
    after: str


def parse_time(text: str, tz: tzinfo) -> datetime:
    """``2024-11-12``, ``2024-11-12 00:00`` or ISO with offset; shop time when no offset."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (write e.g. 2024-11-12 00:00)") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _format_time(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M" + (":%S" if local.second else ""))


def find_rule(path: str | Path, rule_id: str) -> tuple[Path, n.RuleNode, str]:
    f, rule, text, _ = _find_rule(path, rule_id)
    return f, rule, text


def _find_rule(path: str | Path, rule_id: str) -> tuple[Path, n.RuleNode, str, str]:
    """The rule's file, node, text and the file's encoding (UTF-8 or GBK)."""
    for f in rule_files(path):
        text, encoding = read_source(f)
        rf, _ = parse_rulefile(text, str(f))
        for rule in rf.rules:
            if rule.id == rule_id:
                return f, rule, text, encoding
    raise NotFound(f"no rule {rule_id!r} in {path}")


_HEADER = r"rule\s+{id}(\s+(\"(\\.|[^\"\\])*\"|'(\\.|[^'\\])*'))?"


def set_enabled(path: str | Path, rule_id: str, enabled: bool, *, until: datetime | None = None,
                who: str | None = None, now: datetime | None = None,
                timezone: str = DEFAULT_TZ) -> Change:
    """Switch a rule on or off in its file; ``until``: only until then (then the opposite)."""
    tz = ZoneInfo(timezone)
    file, rule, text, encoding = _find_rule(path, rule_id)
    clause = "enabled " + ("yes" if enabled else "no")
    if until is not None:
        clause += f" until {_format_time(until, tz)}"
    if rule.enabled_pos is not None:
        p = rule.enabled_pos
        before = text[p.start:p.end]
        new = text[:p.start] + clause + text[p.end:]
    else:
        before = ""
        header = re.compile(_HEADER.format(id=re.escape(rule_id))).match(text, rule.pos.start)
        assert header is not None
        at = header.end()
        rest_of_line = text[at:].split("\n", 1)[0]
        if rest_of_line.strip() and not rest_of_line.strip().startswith("#"):
            insert = " " + clause  # a one-line rule: keep it on one line
        else:
            at += len(rest_of_line)
            following = text[at + 1:].split("\n", 1)[0]
            indent = following[: len(following) - len(following.lstrip())] or "  "
            insert = "\n" + indent + clause
        new = text[:at] + insert + text[at:]
    _check_edit(new, str(file), rule_id, enabled)
    tmp = file.with_suffix(file.suffix + ".tmp")
    tmp.write_text(new, encoding=encoding)
    os.replace(tmp, file)
    change = Change(file, rule_id, before, clause)
    audit(file.parent if Path(path).is_dir() is False else Path(path), change, who=who, now=now)
    return change


def _check_edit(text: str, filename: str, rule_id: str, enabled: bool) -> None:
    rf, errors = parse_rulefile(text, filename)
    if errors or not any(r.id == rule_id and r.enabled == enabled for r in rf.rules):
        raise SourceError(f"could not edit rule {rule_id!r} safely; the file is unchanged",
                          SourceSpan(filename))


def audit(folder: Path, change: Change, *, who: str | None = None,
          now: datetime | None = None) -> None:
    """Append one JSON line to ``<rules folder>/.audit.log``: who changed what, when."""
    entry = {
        "at": (now or datetime.now().astimezone()).isoformat(),
        "who": who or os.environ.get("USER") or _user(),
        "rule": change.rule,
        "file": str(change.file),
        "before": change.before,
        "after": change.after,
    }
    with (folder / AUDIT_LOG).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def lint(ruleset: RuleSet, now: datetime) -> list[SourceError]:
    """Warnings for rules that are valid but probably not what the analyst meant."""
    out: list[SourceError] = []

    def warn(rule: object, message: str, hint: str | None = None) -> None:
        out.append(SourceError(message, rule.span, source=rule.source, hint=hint))  # type: ignore[attr-defined]

    seen: dict[str, object] = {}
    for rule in ruleset.rules:
        if rule.active_from and rule.active_until and rule.active_from >= rule.active_until:
            warn(rule, f"rule '{rule.id}': its window never opens (from is not before until)")
        elif rule.enabled and rule.active_until is not None and rule.active_until <= now:
            warn(rule, f"rule '{rule.id}' is enabled but its window ended "
                 f"{rule.active_until:%Y-%m-%d %H:%M}", f"orderhub rules disable {rule.id}")
        if rule.enabled_until is not None and rule.enabled_until <= now:
            warn(rule, f"rule '{rule.id}': its 'enabled ... until' time has passed",
                 "the flag has flipped; write the current state plainly")
        key = n.canonical(rule.condition)
        if key in seen:
            other = seen[key]
            warn(rule, f"rule '{rule.id}' has the same condition as '{other.id}'",  # type: ignore[attr-defined]
                 f"see {other.span}")  # type: ignore[attr-defined]
        else:
            seen[key] = rule
        if not rule.actions:
            warn(rule, f"rule '{rule.id}' has no actions", "add a 'then' block, or mode shadow")
    return out
