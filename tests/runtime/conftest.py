"""The runtime tests read the same small working warehouse as the serving tests."""

from tests.serving.conftest import working_warehouse

__all__ = ["working_warehouse"]
