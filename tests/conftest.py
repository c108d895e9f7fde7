import pytest


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test writes supplier files into its own folder."""
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": root, "base_url": None}},
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": root, "base_url": None}},
    }
    return root


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://fournisseurs.grenoble.test"
    return settings.SITE_URL


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits count in the cache: each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
