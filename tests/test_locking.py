import fcntl
import threading

import pytest

from pyg_prosampler._locking import file_lock


def test_second_holder_waits_for_the_first(tmp_path):
    path = str(tmp_path / "sub" / "x.lock")  # folder created on demand
    order = []
    entered = threading.Event()

    def second():
        with file_lock(path):
            order.append("second")
        entered.set()

    with file_lock(path):
        t = threading.Thread(target=second)
        t.start()
        # Blocked for as long as the first holder keeps the lock.
        assert not entered.wait(0.5)
        order.append("first")
    t.join(10)
    assert entered.is_set() and order == ["first", "second"]


def test_lock_is_released_on_error(tmp_path):
    path = str(tmp_path / "x.lock")
    with pytest.raises(RuntimeError):
        with file_lock(path):
            raise RuntimeError("boom")
    with open(path) as f:  # would raise BlockingIOError if still held
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
