"""The benchmark's floor view (config/bench.py) exists only under the benchmark's settings."""

import importlib

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django.urls import Resolver404, clear_url_caches, resolve

from config import bench


def test_it_is_not_mounted_by_default(client, settings):
    assert not getattr(settings, "BENCHMARK_FLOOR", False)
    with pytest.raises(Resolver404):
        resolve("/banc/plancher/")
    assert client.get("/banc/plancher/").status_code == 404


def test_it_is_mounted_when_the_setting_is_on(client, settings):
    from config import urls

    settings.BENCHMARK_FLOOR = True
    try:
        importlib.reload(urls)
        clear_url_caches()
        response = client.get("/banc/plancher/")
        assert response.status_code == 200
        assert response.content == b"<p>0</p>\n"
    finally:
        del settings.BENCHMARK_FLOOR
        importlib.reload(urls)
        clear_url_caches()
    with pytest.raises(Resolver404):
        resolve("/banc/plancher/")


@pytest.mark.django_db
def test_it_reads_the_session_in_one_query(client, django_assert_num_queries):
    request = RequestFactory().get("/banc/plancher/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.session["seen"] = 1
    request.session.save()
    request.session = request.session.__class__(request.session.session_key)  # as on the next request
    with django_assert_num_queries(1):
        response = bench.floor(request)
    assert response.content == b"<p>1</p>\n"
