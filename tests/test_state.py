"""The state contract, run against both backends: SQLite (a file) and Redis (a real server)."""

from __future__ import annotations

import time

import pytest

from pressbot.state import BadState, LockHeld, LockLost, Seen, StateUnavailable, open_state


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


def test_walks_end_in_one_go(location):
    state = open_state(location)
    sources = [f"s{n}" for n in range(1203)]  # past one round trip's worth
    state.begin_walks(sources)
    state.end_walks({s: "end of archive" for s in sources[::2]})
    assert [state.walk_complete(s) for s in sources[:4]] == [True, False, True, False]
    assert state.walk_complete(sources[1202]) and not state.walk_complete(sources[1201])
    assert state.begin_walks(sources[:3]) == {"s0": True, "s1": False, "s2": True}
    state.end_walks({})
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


def test_claims_many_redis_in_one_go_as_one_by_one(redis_url):
    state, other = open_state(redis_url), open_state(redis_url)
    assert state.claim_many([("a", "h1"), ("b", "h1")]) == {"a", "b"}
    assert other.claim_many([("a", "h1"), ("c", "h1")]) == {"c"}  # a: another worker has it
    state.record([Seen("a", "src", "h1", 1)], "out", 10)
    # a, version h1: recorded, nothing to write; a new version of it is free to write.
    assert other.claim_many([("a", "h1")]) == set() and other.claim_many([("a", "h2")]) == {"a"}
    assert state.claim_many([]) == set()
    state.close()
    other.close()


def test_claims_many_redis_past_one_trips_worth(redis_url):
    state, other = open_state(redis_url), open_state(redis_url)
    n = 2 * state.CLAIMS_A_TRIP + 7
    ids = [f"r{i}" for i in range(n)]
    assert other.claim_many([(i, "h") for i in ids[::3]]) == set(ids[::3])
    assert state.claim_many([(i, "h") for i in ids]) == set(ids) - set(ids[::3])
    state.close()
    other.close()


def test_claims_many_sqlite_takes_every_one(tmp_path):
    state = open_state(str(tmp_path / "s.sqlite3"))
    assert state.claim_many([("a", "h1"), ("b", "h2")]) == {"a", "b"}
    state.close()


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
    # In one go too.
    client.set("pressbot:claim:c", f"{socket.gethostname()}:{dead.pid}", ex=600)
    assert state.claim_many([("b", "h1"), ("c", "h1")]) == {"c"}
    state.close()


# --- the lock, proved at every write ---------------------------------------------------------
def test_a_sqlite_lock_is_the_state_file_itself(tmp_path):
    """A clean-up that deletes lock files cannot let a second run in: there is none to delete."""
    first = open_state(str(tmp_path / "state.sqlite3"))
    first.acquire_lock()
    for stale in tmp_path.glob("*.lock"):
        stale.unlink()
    second = open_state(str(tmp_path / "state.sqlite3"))
    with pytest.raises(LockHeld, match=r"another run \(pid \d+ on .+\) holds the lock"):
        second.acquire_lock()
    second.close()
    first.confirm_lock()  # still its own
    first.close()


def test_a_sqlite_state_replaced_under_its_holder_loses_the_lock(tmp_path):
    path = tmp_path / "state.sqlite3"
    state = open_state(str(path))
    state.acquire_lock()
    state.record([Seen("a", "src", "h1", 1)], "out", 10)
    path.rename(tmp_path / "moved.sqlite3")
    path.write_bytes(b"")  # someone's fresh, unlocked state at the path
    with pytest.raises(LockLost, match="deleted or replaced"):
        state.confirm_lock()
    with pytest.raises(LockLost):
        state.record([Seen("b", "src", "h2", 1)], "out", 20)
    assert state.lookup(["a", "b"]).keys() == {"a"}
    state.close()


def test_a_redis_lock_that_expired_is_lost_and_nothing_more_is_recorded(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    state = open_state(redis_url)
    state.acquire_lock()
    state.record([Seen("a", "src", "h1", 1)], "out", 10)
    client.set("pressbot:lock", "another-host:1:cafe")  # expired, and taken by another run
    with pytest.raises(LockLost, match="expired"):
        state.record([Seen("b", "src", "h2", 1)], "out", 20)
    with pytest.raises(LockLost):
        state.confirm_lock()
    with pytest.raises(LockLost):
        state.end_walk("src", "end of archive")
    with pytest.raises(LockLost):
        state.end_walks({"src": "end of archive", "other": "caught up"})
    assert not state.walk_complete("other")
    assert state.lookup(["a", "b"]).keys() == {"a"} and state.output_offset("out") == 10
    assert not state.walk_complete("src")
    state.close()
    assert client.get("pressbot:lock") == "another-host:1:cafe"  # not ours to release


def test_a_redis_lock_lives_its_ttl_unless_renewed(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    state = open_state(redis_url, lock_ttl=1.5)
    state.acquire_lock()
    assert 0 < client.pttl("pressbot:lock") <= 1500
    state.confirm_lock()  # renews it too
    state.close()


def test_a_redis_server_that_goes_away_is_unavailable():
    from pressbot.devserver import RedisServer

    with RedisServer() as server:
        state = open_state(server.url)
        state.acquire_lock()
        state.record([Seen("a", "src", "h1", 1)], "out", 10)
        server.stop()
        with pytest.raises(StateUnavailable, match="lost the Redis state at redis://"):
            state.lookup(["a"])
        with pytest.raises(StateUnavailable):
            state.record([Seen("b", "src", "h2", 1)], "out", 20)
        state.close()  # says so, and does not raise


# --- outputs: generations, rotation, an output cut short --------------------------------------
def test_an_output_rotated_keeps_what_it_held_and_starts_a_generation(location):
    state = open_state(location)
    state.record([Seen("a", "src", "h1", 1), Seen("b", "src", "h1", 1)], "out", 100)
    assert {s.id for s in state.in_output("out")} == {"a", "b"}
    state.start_output("out")  # moved aside: a new file
    assert state.output_offset("out") == 0 and state.in_output("out") == []
    state.record([Seen("c", "src", "h1", 1), Seen("a", "src", "h2", 2)], "out", 50)
    assert {s.id for s in state.in_output("out")} == {"c", "a"}
    assert state.lookup(["b"])["b"] == Seen("b", "src", "h1", 1)  # still known
    state.record([Seen("d", "src", "h1", 1)], "other", 10)
    assert {s.id for s in state.in_output("other")} == {"d"}
    state.close()


def test_rewind_restores_forgets_and_reopens_walks(location):
    state = open_state(location)
    state.record([Seen("a", "s1", "h1", 1), Seen("b", "s2", "h1", 1), Seen("c", "s3", "h1", 1)], "out", 90)
    state.record([Seen("a", "s1", "h2", 2)], "out", 120)
    for source in ("s1", "s2", "s3"):
        state.end_walk(source, "end of archive")
    [gen] = {s.gen for s in state.in_output("out")}
    state.rewind([Seen("a", "s1", "h1", 1, gen)], [Seen("b", "s2", "h1", 1)], "out", 60)
    assert state.lookup(["a", "b", "c"]) == {"a": Seen("a", "s1", "h1", 1), "c": Seen("c", "s3", "h1", 1)}
    assert state.output_offset("out") == 60
    assert (state.walk_complete("s1"), state.walk_complete("s2"), state.walk_complete("s3")) == (
        False,
        False,
        True,
    )
    state.close()


def test_a_corrupt_state_file_names_itself_and_says_what_to_do(tmp_path):
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not a database " * 100)
    with pytest.raises(BadState) as err:
        open_state(str(path))
    assert str(err.value) == (
        f"cannot use the state file {path} (file is not a database): restore it from a backup, "
        "or move it aside together with the output to start afresh"
    )


def test_a_redis_url_the_client_cannot_read_is_a_bad_state():
    with pytest.raises(BadState, match="not a usable Redis URL"):
        open_state("redis://127.0.0.1:notaport/0")


def test_a_state_file_that_cannot_be_opened_names_itself_and_says_what_to_do(tmp_path):
    (tmp_path / "state.sqlite3").mkdir()  # (as root, a mode of 000 would not stop it)
    with pytest.raises(BadState) as err:
        open_state(str(tmp_path / "state.sqlite3"))
    assert str(err.value) == (
        f"cannot open the state file {tmp_path / 'state.sqlite3'}: Is a directory; check that this "
        "user can read and write it and its folder"
    )
