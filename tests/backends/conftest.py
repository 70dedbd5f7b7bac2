import os

import pytest


@pytest.fixture(scope="session")
def kusto():
    """A Kusto.Language session (node). Skipped only when node or the npm package is absent on
    a developer machine; in CI (CI=true) their absence is a failure."""
    from translator.verify.kql import KustoSession, kusto_ready

    why = kusto_ready()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"KQL analysis must run in CI: {why}")
        pytest.skip(f"Kusto.Language analysis unavailable: {why}")
    session = KustoSession()
    yield session
    session.close()
