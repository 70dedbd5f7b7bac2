"""Stand-in for ``panther_detection_helpers.caching`` (Panther's KV store): every function
raises ``KVStoreUnavailable`` unless the test mocks it."""
from typing import Any, Optional, Set


class KVStoreUnavailable(RuntimeError):
    """A caching helper was called without a mock; rulec has no Panther backend."""


def _unavailable(name: str) -> KVStoreUnavailable:
    return KVStoreUnavailable(
        f"panther_detection_helpers.caching.{name}() needs Panther's key-value store, which is "
        f"not available offline; mock {name} in the test (Mocks: objectName: {name})")


def get_counter(key: str, force_ttl_check: bool = False) -> int:
    raise _unavailable("get_counter")


def increment_counter(key: str, val: int = 1, epoch_seconds: Optional[int] = None) -> int:
    raise _unavailable("increment_counter")


def reset_counter(key: str) -> None:
    raise _unavailable("reset_counter")


def set_key_expiration(key: str, epoch_seconds: Optional[int]) -> None:
    raise _unavailable("set_key_expiration")


def put_dictionary(key: str, val: dict, epoch_seconds: Optional[int] = None) -> None:
    raise _unavailable("put_dictionary")


def get_dictionary(key: str, force_ttl_check: bool = False) -> dict:
    raise _unavailable("get_dictionary")


def get_string_set(key: str, force_ttl_check: bool = False) -> Set[str]:
    raise _unavailable("get_string_set")


def put_string_set(key: str, val: Set[str], epoch_seconds: Optional[int] = None) -> None:
    raise _unavailable("put_string_set")


def add_to_string_set(key: str, val: Any, epoch_seconds: Optional[int] = None) -> Set[str]:
    raise _unavailable("add_to_string_set")


def remove_from_string_set(key: str, val: Any, epoch_seconds: Optional[int] = None) -> Set[str]:
    raise _unavailable("remove_from_string_set")


def reset_string_set(key: str) -> None:
    raise _unavailable("reset_string_set")


def evaluate_threshold(key: str, threshold: int = 10, expiry_seconds: int = 3600) -> bool:
    raise _unavailable("evaluate_threshold")


def check_account_age(key: Any) -> bool:
    raise _unavailable("check_account_age")
