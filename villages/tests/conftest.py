import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """The board's page cache and the /track/ throttle live in the cache: every test starts empty."""
    cache.clear()
    yield
    cache.clear()
