"""Questions wait for the model in a bounded queue of their own.

Each question runs in a worker thread taken from a limiter of its own, never from the thread pool that the
other routes share (a question waiting for the model there would stall search, documents and status), and
at most `size` questions are taken at once (answered, or waiting their turn); one more is refused with 503
and `Retry-After`. A question's events are taken from its generator one at a time, and the generator is
closed as soon as nobody reads them (the client went away): the model stops between two tokens."""

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, TypeVar

import anyio

from citewise.api.errors import ApiError

RETRY_AFTER_S = 10  # the `Retry-After` of a question refused because the queue is full
T = TypeVar("T")
_END = object()


class Slot:
    """One question's place in the queue; given back once, however often `release` is called."""

    def __init__(self, queue: "QuestionQueue") -> None:
        self._queue: QuestionQueue | None = queue

    def release(self) -> None:
        if self._queue is not None:
            self._queue.taken -= 1
            self._queue = None


class QuestionQueue:
    """At most `size` questions at once, each run in the queue's own threads. Used from the event loop only."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0
        self._limiter = anyio.CapacityLimiter(size)

    def take(self) -> Slot:
        """A place for one more question; a 503 with `Retry-After` when all are taken."""
        if self.taken >= self.size:
            raise ApiError(
                503,
                f"citewise is already answering or holding {self.size} questions (CITEWISE_API_QUEUE); "
                f"ask again in {RETRY_AFTER_S} seconds.",
                "server_error",
                "queue_full",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        self.taken += 1
        return Slot(self)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in one of the queue's threads."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)

    async def events(
        self,
        events: Generator[T, None, None],
        gone: Callable[[], Awaitable[bool]] | None = None,
        slot: Slot | None = None,
    ) -> AsyncIterator[T]:
        """`events`' items, each taken in one of the queue's threads, without the empty ones (ticks that
        give a chance to stop); stops when `gone()` says the client went away. The generator is closed at
        the end, and when the caller stops reading (a cancelled stream): its model call ends there; then
        `slot` is given back."""
        try:
            while (item := await self.run(next, events, _END)) is not _END:
                if gone is not None and await gone():
                    return
                if item:
                    yield item
        finally:
            with anyio.CancelScope(shield=True):
                await self.run(events.close)
            if slot is not None:
                slot.release()
