"""A cache outage does not take the pages that count a rate limit down."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.wizard import account_data, post_step

pytestmark = pytest.mark.django_db


def test_it_lets_the_request_through_uncounted_and_says_so_in_the_log(client, monkeypatch, caplog):
    from django_ratelimit import core

    def cache_down(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(core, "get_usage", cache_down)
    response = post_step(client, "compte", account_data())
    assert response["Location"] == "/inscription/structure/"  # the account step, passed
    assert "Rate limit" in caplog.text and "not counted: the cache does not answer" in caplog.text
