"""The event object Python rules receive, reproducing Panther's documented behaviour.

Own implementation (Panther's ``panther_core`` is AGPL; only its observable semantics are
followed here):

* Mappings are read-only and case-insensitive: an exact key match wins, otherwise the first
  key (in insertion order) whose lower-case form matches. Nested dicts and lists are wrapped
  on access, so every level is immutable and case-insensitive.
* ``deep_get`` returns ``default`` for a missing key, a non-mapping on the way, or a final
  ``None``.
* ``deep_walk`` is ``deep_get`` that also descends into lists, collecting the distinct leaf
  values in order (lists found at the leaves are flattened one level). Like Panther's, it
  works on the raw data: exact-case keys, plain list/dict results.
* ``udm`` resolves a data-model name through the log type's data model (a JSONPath mapping,
  evaluated on the raw event like Panther does, or a Python method), then falls back to
  ``p_udm.<keys>`` and finally to the event's own keys; falsy results give ``default``.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator, Optional

__all__ = ["ImmutableCaseInsensitiveDict", "ImmutableList", "PantherEvent", "json_encoder",
           "NoDataModelError", "freeze"]


def freeze(value: Any) -> Any:
    """Wrap a plain dict/list (exact types, as JSON parsing produces) in its read-only view."""
    kind = type(value)
    if kind is dict:
        return ImmutableCaseInsensitiveDict(value)
    if kind is list:
        return ImmutableList(value)
    return value


class _Immutable:
    """Shared behaviour of the read-only containers: wrap on access, deep-copy out."""

    __slots__ = ("_container",)
    _mutable_type: type = object

    def __getitem__(self, item):
        return freeze(self._container[item])

    def __len__(self) -> int:
        return len(self._container)

    def __iter__(self) -> Iterator:
        return (freeze(element) for element in self._container)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._container!r})"

    def copy(self) -> Any:
        """A deep, mutable copy of the wrapped data (for libraries that need real dicts)."""
        return self._mutable_type(copy.deepcopy(self._container))

    # Mutation attempts get a message that says why instead of a bare AttributeError.
    def __setattr__(self, name, value):
        if name.startswith("_") or name in self._settable:
            object.__setattr__(self, name, value)
            return
        raise TypeError(f"{type(self).__name__} is immutable: cannot set attribute {name!r}")

    _settable: frozenset = frozenset()


class ImmutableCaseInsensitiveDict(_Immutable, Mapping):
    """Read-only mapping with case-insensitive string keys."""

    __slots__ = ("_lower_keys", "__weakref__")
    _mutable_type = dict

    def __init__(self, container: Mapping):
        object.__setattr__(self, "_container", container.copy() if hasattr(container, "copy") else container)
        object.__setattr__(self, "_lower_keys", None)

    def __getitem__(self, key):
        container = self._container
        if key in container:
            return freeze(container[key])
        if isinstance(key, str):
            original = self._original_key(key)
            if original is not None:
                return freeze(container[original])
        raise KeyError(key)

    def _original_key(self, key: str) -> Optional[str]:
        if self._lower_keys is None:
            lower: dict = {}
            for k in self._container:
                if isinstance(k, str):
                    lower.setdefault(k.lower(), k)  # on collisions the first key wins
            object.__setattr__(self, "_lower_keys", lower)
        return self._lower_keys.get(key.lower())

    def __iter__(self) -> Iterator:
        return iter(self._container)

    def __setitem__(self, key, value):
        raise TypeError(f"{type(self).__name__} is immutable: cannot set key {key!r}")

    def __delitem__(self, key):
        raise TypeError(f"{type(self).__name__} is immutable: cannot delete key {key!r}")

    def to_dict(self) -> dict:
        """A deep, mutable copy as a plain dict."""
        return self.copy()

    def raw_view(self) -> Mapping:
        """The wrapped dict itself, without copying; callers must not mutate it."""
        return self._container

    def deep_get(self, *keys: Any, default: Any = None) -> Any:
        """Value at the nested ``keys``; ``default`` if any step is missing, not a mapping,
        or the final value is None."""
        value: Any = self
        for key in keys:
            value = value.get(key, default) if isinstance(value, Mapping) else default
        return default if value is None else value


class ImmutableList(_Immutable, Sequence):
    """Read-only sequence; compares equal to lists and tuples with the same items."""

    __slots__ = ()
    _mutable_type = list

    def __init__(self, container: Sequence):
        object.__setattr__(self, "_container", tuple(container))

    def __getitem__(self, item):
        if isinstance(item, slice):
            return ImmutableList(self._container[item])
        return freeze(self._container[item])

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ImmutableList):
            return self._container == other._container
        if isinstance(other, (tuple, list)):
            return self._container == tuple(other)
        return False

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def __setitem__(self, key, value):
        raise TypeError("ImmutableList is immutable: cannot assign items")

    def __delitem__(self, key):
        raise TypeError("ImmutableList is immutable: cannot delete items")

    def as_list(self) -> list:
        """A deep, mutable copy as a plain list."""
        return self.copy()


def json_encoder(obj: Any) -> Any:
    """``json.dumps(..., default=json_encoder)`` support for the read-only containers."""
    if isinstance(obj, _Immutable):
        container = obj._container
        return list(container) if isinstance(container, tuple) else container
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serializable")


class NoDataModelError(Exception):
    """udm_path() on an event whose log type has no data model."""


class PantherEvent(ImmutableCaseInsensitiveDict):
    """A log event with unified-data-model access (``udm``), lookups and ``deep_walk``.

    ``data_model`` is any object with ``paths`` (name -> compiled JSONPath with ``find``),
    ``methods`` (name -> callable) and ``data_model_id`` (see ``data_models.DataModel``).
    """

    __slots__ = ("data_model", "lookup_function")
    _settable = frozenset({"data_model", "lookup_function"})
    json_encoder = staticmethod(json_encoder)

    def __init__(self, event: Mapping, data_model: Any = None):
        super().__init__(event)
        object.__setattr__(self, "data_model", data_model)
        object.__setattr__(self, "lookup_function", None)

    def _add_lookup_function(self, lookup_function: Callable[[Any, str, str], Any]) -> None:
        self.lookup_function = lookup_function

    def lookup(self, lookup_name: str, lookup_key: str) -> Any:
        """Row of a lookup table by key. Offline (tests) the data comes from the event's
        ``_mocked_lookup_data_.<table>.<key>``, as Panther documents for unit tests."""
        if self.lookup_function is not None:
            return self.lookup_function(self, lookup_name, lookup_key)
        return self.deep_get("_mocked_lookup_data_", lookup_name, lookup_key)

    def udm(self, *keys: str, default: Any = None) -> Any:
        model = self.data_model
        if len(keys) == 1 and model is not None:
            name = keys[0]
            path = model.paths.get(name)
            if path is not None:
                matches = path.find(self._container)
                if len(matches) > 1:
                    raise Exception(  # pylint: disable=broad-exception-raised
                        f"JSONPath [{path}] in DataModel [{model.data_model_id}], matched multiple fields.")
                if matches:
                    return freeze(matches[0].value)
            method = model.methods.get(name)
            if callable(method):
                # Panther hands methods the plain read-only mapping, not the PantherEvent.
                return freeze(method(ImmutableCaseInsensitiveDict(self._container)))
            if name in model.paths or name in model.methods:
                return default  # a mapped name never falls back to raw event keys
        if keys:
            result = self.deep_get("p_udm", *keys)
            if not result:
                result = self.deep_get(*keys)
            if result:
                return result
        return default

    def udm_path(self, key: str) -> Optional[str]:
        """The JSONPath text or method name a data-model name maps to (None if unmapped)."""
        model = self.data_model
        if model is None:
            raise NoDataModelError(
                f"a data model hasn't been specified for log type {self._container.get('p_log_type')}")
        path = model.paths.get(key)
        matches = path.find(self._container) if path is not None else []
        if matches:
            return _path_text(matches[0].full_path)
        method = model.methods.get(key)
        if callable(method):
            return getattr(method, "__name__", repr(method))
        return None

    def deep_walk(self, *keys: str, default: Any = None, return_val: str = "all") -> Any:
        """Like ``deep_get`` but also descends into lists, collecting the distinct leaf values
        in order (lists at the leaves are flattened one level): the value itself when there is
        one ("all"), else the list; or the first/last value.

        As in Panther, this walks the raw event: keys match exactly (case-sensitively) and
        containers come back as plain lists/dicts (copies here, so the event stays intact);
        rules rely on that (``isinstance(event.deep_walk(...), list)``).
        """
        return copy.deepcopy(_raw_deep_walk(self._container, keys, default, return_val))

    def event_time_epoch(self, force_utc: bool = True) -> int:
        """Epoch seconds of ``p_event_time`` (0 when absent or unparsable)."""
        from dateutil import parser as dateparser  # imported lazily: only this method needs it

        try:
            text = self.get("p_event_time") or ""
            if force_utc:
                text += " UTC"
            return int(dateparser.parse(text).timestamp())
        except (dateparser.ParserError, ValueError, OverflowError):
            return 0


def _path_text(node: Any) -> str:
    """A matched JSONPath as Panther reports it ("a.b", "a.[0].b"): lookup enrichments are keyed
    by this text (``p_enrichment.<table>.<path>``), so it must not change with jsonpath-ng's
    own ``str()``, which added parentheses in later versions."""
    left, right = getattr(node, "left", None), getattr(node, "right", None)
    if left is not None and right is not None:
        return f"{_path_text(left)}.{_path_text(right)}"
    if hasattr(node, "fields"):
        return ",".join(node.fields)
    if hasattr(node, "indices"):
        return "[" + ",".join(str(i) for i in node.indices) + "]"
    if hasattr(node, "index"):
        return f"[{node.index}]"
    return str(node)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _all_empty(value: Any) -> bool:
    return all(_all_empty(v) for v in value) if _is_list(value) else False


def _raw_deep_walk(obj: Any, keys: tuple, default: Any, return_val: str) -> Any:
    """Panther's ``PantherEvent.deep_walk`` algorithm, on the raw (plain dict/list) data."""
    if not keys:
        return default if obj is None or _all_empty(obj) else obj
    if isinstance(obj, Mapping):
        return _raw_deep_walk(obj.get(keys[0], default), keys[1:], default, return_val)
    found: OrderedDict = OrderedDict()
    if _is_list(obj):
        for item in obj:
            value = _raw_deep_walk(item, keys, default, return_val)
            if value is None:
                continue
            for leaf in (value if _is_list(value) else (value,)):
                found[leaf] = None  # distinct values, first-seen order (dict leaves: TypeError)
    if not found:
        return default
    values = list(found)
    # An unknown return_val gives the string "all", as Panther's implementation does.
    return {"first": values[0], "last": values[-1],
            "all": values[0] if len(values) == 1 else values}.get(return_val, "all")
