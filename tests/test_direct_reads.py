"""db.DirectReads: each thread keeps its own connection, a failure makes every thread connect anew,
and nothing is left open once the reader is disposed (on SQLite and PostgreSQL alike)."""
import threading

import pytest

from registry import history
from registry.db import DirectReads, direct_reads, dispose_engines

from .helpers import factories
from .helpers.api import publish


@pytest.fixture
def reads(app, client, authority):
    publish(client, authority("FR"), "FR", "requirements", factories.requirements())
    return direct_reads(app)


def in_thread(work):
    """What `work` returned in a thread of its own, which has ended by the time it is returned."""
    found = []
    thread = threading.Thread(target=lambda: found.append(work()))
    thread.start()
    thread.join()
    return found[0]


def connection_of(reads):
    reads.first(history.STATE)
    return reads._mine.held[1]


def test_a_thread_keeps_its_connection_and_another_thread_has_its_own(reads):
    mine = connection_of(reads)
    assert connection_of(reads) is mine
    assert in_thread(lambda: connection_of(reads)) is not mine
    assert reads.first(history.STATE)[0] == 1


def test_the_connection_of_a_thread_that_ended_is_closed_when_another_connects(reads):
    reads.dispose()  # publishing read through it already
    in_thread(lambda: connection_of(reads))
    assert len(reads._held) == 1
    ended = reads._held[0][1]
    connection_of(reads)  # this thread connects: the ended thread's connection is closed
    assert [held[0] for held in reads._held] == [threading.current_thread()]
    assert ended.dbapi_connection is None  # closed, not merely forgotten


def test_a_failed_statement_makes_every_thread_connect_anew(reads, monkeypatch):
    before = connection_of(reads)
    other = threading.Event(), threading.Event()
    seen = []

    def second_thread():
        seen.append(connection_of(reads))
        other[0].set()
        other[1].wait(10)
        seen.append(connection_of(reads))

    thread = threading.Thread(target=second_thread)
    thread.start()
    other[0].wait(10)
    broken = reads._mine.held
    reads._mine.held = (broken[0], _Broken(), broken[2])
    with pytest.raises(DirectReads.Failed):
        reads.first(history.STATE)
    other[1].set()
    thread.join()
    assert connection_of(reads) is not before
    assert seen[1] is not seen[0]  # the other thread, whose connection did not fail, connected anew too
    assert reads.first(history.STATE)[0] == 1


def test_dispose_closes_every_threads_connection(app, reads):
    reads.dispose()
    connected, done = threading.Event(), threading.Event()

    def other_thread():
        connection_of(reads)
        connected.set()
        done.wait(10)

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        connected.wait(10)
        connection_of(reads)
        held = [connection for _, connection in reads._held]
        assert len(held) == 2
        dispose_engines(app)
        assert all(connection.dbapi_connection is None for connection in held)
    finally:
        done.set()
        thread.join()
    assert reads.first(history.STATE)[0] == 1  # and a read after it connects again


class _Broken:
    def cursor(self):
        raise RuntimeError("the server closed the connection")
