"""rulec's stand-in for ``panther_detection_helpers``: the same names, no backend.

The real package keeps state in Panther's DynamoDB key-value store. Offline there is none, so
every call raises ``KVStoreUnavailable``; a test that needs one of these functions must mock
it (``Mocks: [{objectName: get_string_set, returnValue: ...}]``), as Panther's own tests do.
"""
