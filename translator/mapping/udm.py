"""The UDM event schema (``translator/data/udm_fields.yaml``): which dotted UDM paths exist, their
value type, and whether a step along the way is repeated (a list the YARA-L rule must address
with ``any``/``all``). Used by the YARA-L backend (repeated fields) and its verification (an
unknown field is an error)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from ..resources import PACKAGE_DIR

UDM_FILE = PACKAGE_DIR / "data" / "udm_fields.yaml"
SCALARS = ("string", "int", "float", "bool", "timestamp", "enum")
_KEYED = re.compile(r'^(?P<path>[A-Za-z0-9_.]+)(?:\["(?P<key>(?:[^"\\]|\\.)*)"\])?$')


@dataclass(frozen=True)
class UdmField:
    path: str  # dotted, without a map key
    type: str  # scalar type, "map", or a message name
    repeated: bool  # some step of the path is a repeated field
    key: str | None = None  # the map key of field["key"]

    @property
    def scalar(self) -> bool:
        return self.type in SCALARS or (self.type == "map" and self.key is not None)


@lru_cache(maxsize=1)
def schema() -> dict:
    return yaml.safe_load(UDM_FILE.read_text(encoding="utf-8"))


def lookup(name: str) -> UdmField | None:
    """``principal.ip`` / ``additional.fields["k"]`` -> its UdmField; None when not a UDM path
    (an unknown step, a key on a non-map, a step below a scalar)."""
    m = _KEYED.match(name)
    if not m:
        return None
    data = schema()
    messages = data["messages"]
    current = data["root"]
    repeated = False
    steps = m.group("path").split(".")
    typ = current
    for i, step in enumerate(steps):
        fields = messages.get(current)
        if fields is None or step not in fields:
            return None
        typ = str(fields[step])
        if typ.endswith("[]"):
            repeated = True
            typ = typ[:-2]
        if i < len(steps) - 1:
            if typ == "timestamp" and i == len(steps) - 2 and steps[-1] in ("seconds", "nanos"):
                # a Timestamp is a google.protobuf.Timestamp: rules compare its seconds
                # ($e.metadata.event_timestamp.seconds in Google's multi-event examples)
                return None if m.group("key") else UdmField(m.group("path"), "int", repeated, None)
            if typ not in messages:
                return None
            current = typ
    key = m.group("key")
    if key is not None and typ != "map":
        return None
    return UdmField(m.group("path"), typ, repeated, key)
