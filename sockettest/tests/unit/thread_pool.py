"""A scenario for :func:`sockettest.simulate`: a thread pool maps a function, then one thread
more starts. It lives apart from the tests so that a child process can import it with the kit
alone: the determinism test across processes pays no pytest or Hypothesis import per process.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor


def square(number: int) -> int:
    time.sleep(0.5)  # sleep-ok: virtual time, inside simulate
    return number * number


def pooled() -> list[int]:
    """A thread pool maps a function, and is shut down (its workers joined)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(square, range(6)))
    threading.Thread(target=square, args=(7,)).start()  # named from threading's counter
    return results
