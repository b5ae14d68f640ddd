import pytest
from django.core.cache import cache

from public import services


@pytest.fixture(autouse=True)
def empty_cache():
    """The board's page caches (shared and this process's) and the /track/ throttle: every test starts empty."""
    cache.clear()
    services.pages.clear()
    services.last_good.clear()
    yield
    cache.clear()
    services.pages.clear()
    services.last_good.clear()
