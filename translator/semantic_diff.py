"""What changed between two versions of a rule, said in the model's terms (for `rulec diff`).

DeepDiff compares the canonical models (``Rule.to_dict()``); its paths are then read back into
sentences such as ``predicate eventName in [...] gained 'DeleteSecurityGroup'``.
"""
from __future__ import annotations

import re
from typing import Any

from deepdiff import DeepDiff

_IGNORED = ("source_file", "python_file", "source_hash")


def _at(d: Any, path: list) -> Any:
    for step in path:
        d = d[step]
    return d


def _steps(path: str) -> list:
    return [int(m.group(1)) if m.group(1) else m.group(2)
            for m in re.finditer(r"\[(?:(\d+)|'([^']*)')\]", path)]


def _describe_node(root: dict, steps: list) -> str:
    """Name the innermost predicate/field around ``steps`` in the seed's notation."""
    for cut in range(len(steps), 0, -1):
        node = _at(root, steps[:cut])
        if isinstance(node, dict) and "pred" in node:
            p = node["pred"]
            field = ".".join(str(s) for s in p["field"].get("path", []))
            return f"predicate {field} {p['op']}"
        if isinstance(node, dict) and "quant" in node:
            q = node["quant"]
            return f"{q['kind']}-element of {'.'.join(map(str, q['field'].get('path', [])))}"
    return steps[0] if steps else "rule"


def describe(old: dict, new: dict) -> list[str]:
    """Sentences describing how rule dict ``old`` became ``new`` (empty when equivalent)."""
    diff = DeepDiff(old, new, ignore_order=False, exclude_paths=[f"root['{k}']" for k in _IGNORED],
                    verbose_level=2)
    out: list[str] = []
    for kind, items in diff.items():
        for path, change in (items.items() if isinstance(items, dict) else ((p, None) for p in items)):
            steps = _steps(path)
            top = steps[0] if steps else "rule"
            where_old = where_new = None
            try:
                where_new = _describe_node(new, steps)
            except (KeyError, IndexError, TypeError):
                pass
            try:
                where_old = _describe_node(old, steps)
            except (KeyError, IndexError, TypeError):
                pass
            where = where_new or where_old or top
            if kind == "values_changed":
                out.append(f"{where}: {change['old_value']!r} -> {change['new_value']!r}"
                           if top in ("detection", "inline_filters") else
                           f"{top} changed: {change['old_value']!r} -> {change['new_value']!r}")
            elif kind == "type_changes":
                out.append(f"{where}: {change.get('old_value')!r} -> {change.get('new_value')!r}")
            elif kind == "iterable_item_added":
                out.append(f"{_describe_parent(new, steps)} gained {change!r}")
            elif kind == "iterable_item_removed":
                out.append(f"{_describe_parent(old, steps)} lost {change!r}")
            elif kind == "dictionary_item_added":
                out.append(f"{where}: added {steps[-1]!r}")
            elif kind == "dictionary_item_removed":
                out.append(f"{where}: removed {steps[-1]!r}")
            else:
                out.append(f"{where}: {kind.replace('_', ' ')}")
    return sorted(set(out))


def _describe_parent(root: dict, steps: list) -> str:
    try:
        inner = _describe_node(root, steps[:-1])
    except (KeyError, IndexError, TypeError):
        inner = ""
    top = steps[0] if steps else "rule"
    if top in ("detection", "inline_filters") and inner:
        if inner.startswith("predicate"):
            return inner + " [...]"
        return f"{top} ({inner})"
    return str(top)
