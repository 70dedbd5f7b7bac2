"""Reference evaluator of correlation rules on Panther's correlation test format.

A correlation test gives, per step ID, the sub-rule's matches as
``{join field: {join value: [times]}}`` (``RuleOutputs``); a time is a minute offset or an
ISO-8601 timestamp. ``evaluate_correlation(normalised_detection, rule_outputs)`` says whether the
rule fires, with these semantics (the normalised form comes from frontends/correlation.py):

* One run sees the lookback window that ends at the latest match of the test:
  ``[t_max - LookbackWindowMinutes, t_max]``; matches before it are not seen.
* Group: for one join value (per MatchCriteria; any value when there are none), every
  non-Absence entry has between MinMatchCount and MaxMatchCount matches in the window (or at
  least the Group's MinMatchCount of them do), and no Absence entry has a match.
* Sequence: entries match in order (a later entry at or after the earlier one), each transition
  within its WithinTimeFrameMinutes and with equal join values; an Absence entry ``A`` in a
  transition ``X -> A`` means no ``A`` match follows ``X`` within the time frame (and ``A -> Y``:
  none precedes ``Y`` within it). MinMatchCount on an entry: its time is that of its N-th match
  (at or after the previous entry).
"""
from __future__ import annotations

import datetime
from typing import Any

from .model import _thaw

__all__ = ["evaluate_correlation", "CorrelationTestError", "matches_from_rule_outputs"]


class CorrelationTestError(ValueError):
    """A correlation test (RuleOutputs) that cannot be read."""


def _minutes(t: Any) -> float:
    if isinstance(t, bool):
        raise CorrelationTestError(f"a match time must be minutes or a timestamp, got {t!r}")
    if isinstance(t, (int, float)):
        return float(t)
    if isinstance(t, datetime.datetime):
        dt = t
    elif isinstance(t, str):
        try:
            dt = datetime.datetime.fromisoformat(t.strip().replace("Z", "+00:00"))
        except ValueError:
            raise CorrelationTestError(f"match time {t!r} is not an ISO-8601 timestamp") from None
    else:
        raise CorrelationTestError(f"a match time must be minutes or a timestamp, got {t!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() / 60.0


def matches_from_rule_outputs(rule_outputs: Any) -> dict:
    """RuleOutputs -> {step id: [(minute, {field: value})]} sorted by time; fields of one step
    at the same time are taken to be one match."""
    if not isinstance(rule_outputs, list):
        raise CorrelationTestError("RuleOutputs must be a list of {ID, Matches}")
    out: dict = {}
    for item in rule_outputs:
        if not isinstance(item, dict) or not isinstance(item.get("ID"), str):
            raise CorrelationTestError(f"each RuleOutputs entry needs an ID, got {item!r}")
        by_time: dict = {}
        matches = item.get("Matches") or {}
        if not isinstance(matches, dict):
            raise CorrelationTestError(f"{item['ID']}: Matches must be a mapping")
        for fld, values in matches.items():
            if not isinstance(values, dict):
                raise CorrelationTestError(f"{item['ID']}: Matches.{fld} must map values to "
                                           "lists of times")
            for value, times in values.items():
                for t in times if isinstance(times, list) else [times]:
                    by_time.setdefault(_minutes(t), {})[str(fld)] = value
        out.setdefault(item["ID"], []).extend(sorted(by_time.items(), key=lambda x: x[0]))
        out[item["ID"]].sort(key=lambda x: x[0])
    return out


def _window(matches: dict, lookback: float) -> dict:
    times = [t for ms in matches.values() for t, _ in ms]
    if not times:
        return matches
    start = max(times) - lookback
    return {k: [(t, f) for t, f in ms if t >= start] for k, ms in matches.items()}


def _group(d: dict, matches: dict) -> bool:
    criteria = d["match_criteria"]
    if len(criteria) > 1:
        raise CorrelationTestError("more than one MatchCriteria: the test format cannot tell "
                                   "which values belong to the same match")
    fields = criteria[0]["fields"] if criteria else {}

    def values_of(step: dict) -> list:
        ms = matches.get(step["id"], [])
        if step["id"] not in fields:
            return [None for _ in ms]  # not joined: every match counts for every value
        return [f.get(fields[step["id"]], _NO_VALUE) for _, f in ms]

    candidates = {v for s in d["steps"] if not s["absence"] for v in values_of(s)
                  if v is not None and v is not _NO_VALUE} or {None}
    for value in candidates:
        satisfied = 0
        blocked = False
        for step in d["steps"]:
            n = sum(1 for v in values_of(step) if v is None or v == value)
            if step["absence"]:
                blocked |= n > 0
            elif n >= step["min_match_count"] and (step["max_match_count"] is None
                                                   or n <= step["max_match_count"]):
                satisfied += 1
        needed = d["min_match_count"] or sum(1 for s in d["steps"] if not s["absence"])
        if not blocked and satisfied >= needed:
            return True
    return False


class _NoValue:
    pass


_NO_VALUE: Any = _NoValue()


def _joined(transition: dict, earlier: dict, later: dict) -> bool:
    m = transition["match"]
    if m is None:
        return True
    a, b = earlier.get(m["from"], _NO_VALUE), later.get(m["to"], _NO_VALUE)
    return a is not _NO_VALUE and a == b


def _sequence(d: dict, matches: dict) -> bool:
    steps = d["steps"]
    transitions = d["transitions"]

    def fits(tr: dict, t_from: float, f_from: dict, t_to: float, f_to: dict) -> bool:
        within = tr["within_minutes"]
        return t_to >= t_from and (within is None or t_to - t_from <= within) and \
            _joined(tr, f_from, f_to)

    def absence_ok(chosen: dict) -> bool:
        for tr in transitions:
            src, dst = tr["from"], tr["to"]
            if src in chosen and _is_absent(dst):
                t0, f0 = chosen[src]
                if any(fits(tr, t0, f0, t, f) for t, f in matches.get(dst, [])):
                    return False
            if dst in chosen and _is_absent(src):
                t1, f1 = chosen[dst]
                if any(fits(tr, t, f, t1, f1) for t, f in matches.get(src, [])):
                    return False
        return True

    absent = {s["id"] for s in steps if s["absence"]}

    def _is_absent(step_id: str) -> bool:
        return step_id in absent

    def search(i: int, chosen: dict, last: float) -> bool:
        if i == len(steps):
            return absence_ok(chosen)
        step = steps[i]
        if step["absence"]:
            return search(i + 1, chosen, last)
        ms = [(t, f) for t, f in matches.get(step["id"], []) if t >= last]
        need = step["min_match_count"]
        for j in range(need - 1, len(ms)):
            t, f = ms[j]
            group = ms[j - need + 1:j + 1]
            if step["max_match_count"] is not None and \
                    sum(1 for tt, _ in ms if tt <= t) > step["max_match_count"]:
                break
            incoming = [tr for tr in transitions if tr["to"] == step["id"] and tr["from"] in chosen]
            ok = all(fits(tr, *chosen[tr["from"]], tg, fg) for tg, fg in group for tr in incoming)
            if ok and search(i + 1, {**chosen, step["id"]: (t, f)}, t):
                return True
        return False

    return search(0, {}, float("-inf"))


def evaluate_correlation(detection: Any, rule_outputs: Any) -> bool:
    """Whether the correlation rule (normalised Detection, frozen or plain) fires on a test's
    RuleOutputs."""
    d = _thaw(detection) if isinstance(detection, tuple) else detection
    matches = matches_from_rule_outputs(rule_outputs)
    unknown = set(matches) - {s["id"] for s in d["steps"]}
    if unknown:
        raise CorrelationTestError(f"RuleOutputs name unknown IDs: {', '.join(sorted(unknown))}")
    matches = _window(matches, float(d["lookback_window_minutes"]))
    return _group(d, matches) if d["kind"] == "group" else _sequence(d, matches)
