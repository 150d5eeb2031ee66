"""The state contract, run against both backends: SQLite (a file) and Redis (a real server)."""

from __future__ import annotations

import time

import pytest

from pressbot.state import LockHeld, Seen, open_state


@pytest.fixture(params=["sqlite", "redis"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite3")
    return request.getfixturevalue("redis_url")


def test_record_lookup_and_offsets(location):
    state = open_state(location)
    assert state.lookup(["a", "b"]) == {}
    assert state.output_offset("out.jsonl") == 0
    state.record([Seen("a", "src", "h1", 1), Seen("b", "src", "h2", 1)], "out.jsonl", 120)
    assert state.lookup(["a", "b", "c"]) == {"a": Seen("a", "src", "h1", 1), "b": Seen("b", "src", "h2", 1)}
    assert state.output_offset("out.jsonl") == 120
    assert state.output_offset("other.jsonl") == 0
    state.close()
    again = open_state(location)  # persistent
    assert again.lookup(["b"]) == {"b": Seen("b", "src", "h2", 1)}
    again.close()


def test_revisions_only_move_forward(location):
    state = open_state(location)
    state.record([Seen("a", "src", "h2", 2)], "out", 10)
    state.record([Seen("a", "src", "h1", 1)], "out", 20)
    assert state.lookup(["a"])["a"] == Seen("a", "src", "h2", 2)
    state.record([Seen("a", "src", "h3", 3)], "out", 30)
    assert state.lookup(["a"])["a"].revision == 3
    state.close()


def test_lock_is_exclusive_and_released(location):
    first = open_state(location)
    first.acquire_lock()
    second = open_state(location)
    with pytest.raises(LockHeld, match="holds the lock"):
        second.acquire_lock()
    first.close()
    second.acquire_lock()
    second.close()


def test_walks(location):
    state = open_state(location)
    assert state.begin_walk("s") is False  # never walked
    state.end_walk("s", "end of archive")
    assert state.walk_complete("s")
    assert state.begin_walk("s") is True
    assert not state.walk_complete("s")  # begun again, not yet ended
    assert state.begin_walk("s") is False
    state.close()


def test_claims_sqlite(tmp_path):
    state = open_state(str(tmp_path / "s.sqlite3"))
    assert state.claim("a", "h1") and state.claim("a", "h1")  # one writer: the lock's job
    state.close()


def test_claims_redis(redis_url):
    state, other = open_state(redis_url), open_state(redis_url)
    assert state.claim("a", "h1")
    assert not other.claim("a", "h1")  # another worker is writing it
    state.record([Seen("a", "src", "h1", 1)], "out", 10)
    assert not other.claim("a", "h1")  # recorded: nothing to write
    assert other.claim("a", "h2")  # a new version of it is free to write
    state.close()
    other.close()


def test_redis_walk_decided_once_per_run(redis_url):
    first, second = open_state(redis_url), open_state(redis_url)
    first.begin_walk("s")
    first.end_walk("s", "caught up")
    assert first.begin_walk("s", run="r1") is True
    # A second worker of the same run gets the same answer, though the walk is now "begun".
    assert second.begin_walk("s", run="r1") is True
    assert second.begin_walk("s", run="r2") is False
    first.close()
    second.close()


def test_redis_lock_of_a_dead_holder_expires(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set("pressbot:lock", "dead-host:1:abc", px=200)  # a holder that stopped renewing
    state = open_state(redis_url)
    with pytest.raises(LockHeld):
        state.acquire_lock()
    while client.exists("pressbot:lock"):  # Redis expires it; nobody renews it
        time.sleep(0.02)
    state.acquire_lock()
    state.close()
    assert client.get("pressbot:lock") is None


def test_redis_lock_of_a_dead_process_on_this_host_is_taken_over(redis_url):
    import socket
    import subprocess

    import redis

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.set("pressbot:lock", f"{socket.gethostname()}:{dead.pid}:abc", px=60_000)
    state = open_state(redis_url)
    state.acquire_lock()
    assert client.get("pressbot:lock").startswith(f"{socket.gethostname()}:")
    assert not client.get("pressbot:lock").endswith(":abc")
    state.close()


def test_redis_claim_of_a_dead_worker_on_this_host_is_taken_over(redis_url):
    import socket
    import subprocess

    import redis

    dead = subprocess.Popen(["true"])
    dead.wait()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.set("pressbot:claim:a", f"{socket.gethostname()}:{dead.pid}", ex=600)
    state = open_state(redis_url)
    assert state.claim("a", "h1")
    client.set("pressbot:claim:b", "another-host:1", ex=600)
    assert not state.claim("b", "h1")  # a live claim elsewhere stands until its time-out
    state.close()
