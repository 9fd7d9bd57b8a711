"""Where another thread is waiting, read from its stack: how a test knows that a thread has
reached a blocking wait (the moment a signal or a second call must come) without sleeping."""

import sys

__all__ = ["waiting_in"]


def waiting_in(ident: int, caller: str) -> bool:
    """The thread ``ident`` is asleep in a ``wait`` that the function named ``caller`` called,
    directly or through ``Event.wait``."""
    frame = sys._current_frames().get(ident)
    names: list[str] = []
    while frame is not None and len(names) < 3:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names[:1] == ["wait"] and caller in names[1:]
