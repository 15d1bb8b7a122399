"""``notifier send``: read a notice's recipients, queue them in the ledger, deliver them in batches.

Resumable: everything is recorded in the ledger as it happens, so after a crash, a kill or
Ctrl-C, running the same command again finishes the job (see :mod:`notifier.ledger.queue` for
what happens to a batch that was on its way when the process died). Requests run on a few
threads; one thread records their answers and claims batches, and the recipients are queued,
chunk by chunk, while the first batches are sent (see :class:`_SendLoop`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from notifier.channels.base import BatchOutcome, Channel, StopSendingError
from notifier.channels.render import EmailContent
from notifier.ledger.loading import LoadReport, RecipientIntake
from notifier.ledger.queue import Batch, DeliveryQueue, Recovery
from notifier.ledger.store import DEFAULT_BATCH, NoticeLedger
from notifier.notices import EMAIL, Notice
from notifier.recipients import Recipient

# With nothing on its way, how long the loop waits for the queueing thread to cut batches.
_IDLE_WAIT = 0.05

Progress = Callable[[str, int, int | None], None]  # (phase, done, total)


@dataclass(frozen=True)
class SendOptions:
    """How to send."""

    batch_size: int = DEFAULT_BATCH  # fixed when the recipients are queued
    threads: int = 4
    lease: dt.timedelta = dt.timedelta(minutes=10)
    unknown: str = "resend"  # or "hold": see notifier.ledger.queue
    heartbeat_every: float = 15.0
    stream: str = EMAIL  # or REMINDER: a separate queue, and proof, per notice


@dataclass
class SendReport:
    """What one ``notifier send`` run did (the ledger holds the whole story)."""

    notice: str
    channel: str
    loaded: LoadReport = field(default_factory=LoadReport)
    recovery: Recovery = field(default_factory=Recovery)
    submitted: int = 0
    refused: int = 0
    batches: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None  # why the run stopped early

    @property
    def ok(self) -> bool:
        """No failure in the ledger for this notice, and the run finished."""
        return (
            self.stopped is None
            and not self.states.get("failed")
            and not self.states.get("unknown")
        )


def stage_recipients(
    intake: RecipientIntake, people: Iterable[Recipient], progress: Progress | None = None
) -> None:
    """Read every recipient into ``intake`` (nothing is queued if reading fails)."""
    for read in intake.stage(people):
        if progress:
            progress("queue", read, None)


def queue_recipients(
    ledger: NoticeLedger,
    notice_id: int,
    people: Iterable[Recipient],
    progress: Progress | None = None,
    stream: str = EMAIL,
    batch_size: int = DEFAULT_BATCH,
) -> LoadReport:
    """Add recipients to the e-mail queue (``stream``) of a notice, in batches of
    ``batch_size`` (the recipients of one request), all before returning. (``notifier send``
    queues while it sends: see :func:`deliver`.)"""
    total = LoadReport()
    with ledger.intake(notice_id, stream, batch_size) as intake:
        stage_recipients(intake, people, progress)
        while not intake.done:
            total = total + intake.queue_next()
    return total


def deliver(
    ledger: NoticeLedger,
    notice: Notice,
    content: EmailContent,
    channel: Channel,
    options: SendOptions,
    report: SendReport,
    progress: Progress | None = None,
    intake: RecipientIntake | None = None,
) -> None:
    """Deliver every pending e-mail of ``notice`` through ``channel``, recording each answer.

    With ``intake`` (recipients staged, not yet queued), its chunks are queued while the first
    batches are on their way: the database queues while the threads build and send requests.
    """
    queue = DeliveryQueue(ledger, ledger.notice_id(notice.key), options.stream)
    start = time.perf_counter()
    try:
        report.recovery = queue.recover(lease=options.lease, unknown=options.unknown)
        pending = queue.counts().get("pending", 0)
        loop = _SendLoop(queue, notice, content, channel, options, report, progress, intake)
        loop.run(pending)
    except KeyboardInterrupt:
        report.stopped = "interrupted"
        raise
    finally:
        queue.stop()
        report.states = queue.counts()
        report.seconds = time.perf_counter() - start


@dataclass
class _SendLoop:
    """One thread records answers, claims batches and queues recipients; a pool sends.

    Queueing a chunk overlaps sending: on SQLite the loop queues a chunk while the pool sends
    (SQLite's writers take turns, and one thread taking turns with itself never waits; a
    queueing thread of its own measured no faster there, its chunks and the loop's claims
    waiting for each other at the one write lock); on PostgreSQL a thread of its own queues
    chunk after chunk, as fast as the server can.
    """

    queue: DeliveryQueue
    notice: Notice
    content: EmailContent
    channel: Channel
    options: SendOptions
    report: SendReport
    progress: Progress | None
    intake: RecipientIntake | None
    in_flight: dict[Future[BatchOutcome], Batch] = field(default_factory=dict)
    answered: list[tuple[Batch, Future[BatchOutcome]]] = field(default_factory=list)
    claimed: int = 0  # batches claimed by this run
    backlog: int = 0  # batches pending before this run, about
    halt: threading.Event = field(default_factory=threading.Event)

    def run(self, pending: int) -> None:
        """Send until nothing is pending, nothing is left to queue and every answer is in."""
        threads = max(1, self.options.threads)
        self.backlog = -(-pending // max(1, self.options.batch_size))
        last_beat = time.monotonic()
        done = 0
        with ThreadPoolExecutor(threads) as pool, ThreadPoolExecutor(1) as queueing:
            background = self._queue_in_background(queueing)
            try:
                while True:
                    # Asked before claiming: once queueing has ended, a claim sees every batch.
                    queued_all = background is None or background.done()
                    done += self._record_and_claim(pool, threads)
                    self._show(done, pending)
                    if not self._step(threads, background, queued_all):
                        return
                    if time.monotonic() - last_beat > self.options.heartbeat_every:
                        self.queue.heartbeat()
                        last_beat = time.monotonic()
            except BaseException as exc:
                self.halt.set()  # the queueing thread stops after its chunk
                if isinstance(exc, KeyboardInterrupt):
                    self.report.stopped = "interrupted"
                self._record_all()
                raise

    def _step(self, threads: int, background: Future[None] | None, queued_all: bool) -> bool:
        """Queue a chunk or wait for answers; False when all is done."""
        if background is not None and background.done():
            background.result()  # raises what stopped it
        if background is None and self._queueing() and self._short(threads):
            # While the database queues a chunk, the threads send what they have.
            self.report.loaded = self.report.loaded + self._intake().queue_next()
            self.answered = self._finished(None, block=False)
        elif self.in_flight or not queued_all:
            self.answered = self._finished(background, block=True)
        else:
            return False
        return True

    def _short(self, threads: int) -> bool:
        """Fewer batches are waiting than threads (the pool would soon run out of work)."""
        waiting = self.backlog + self._intake().batches_cut - self.claimed
        return waiting < threads or not self.in_flight

    def _queue_in_background(self, queueing: ThreadPoolExecutor) -> Future[None] | None:
        if self.intake is None or self.intake.dialect != "postgresql":
            return None
        return queueing.submit(self._queue_all)

    def _queue_all(self) -> None:
        while self._queueing() and not self.halt.is_set():
            self.report.loaded = self.report.loaded + self._intake().queue_next()

    def _record_all(self) -> None:
        """Record what is known, and let the requests on their way finish and be recorded
        (after Ctrl-C or an error), so that a batch that was sent is not sent again."""
        for batch, future in self.answered + [(b, f) for f, b in self.in_flight.items()]:
            _record(self.queue, batch, future, self.channel, self.report)

    def _record_and_claim(self, pool: ThreadPoolExecutor, threads: int) -> int:
        """Record the answers just in and claim the next batches, in one transaction (the
        claims are committed as "sending" before their requests leave); then send them."""
        done = 0
        with self.queue.transaction():
            for batch, future in self.answered:
                done += _record(self.queue, batch, future, self.channel, self.report)
            claimed = _claim(self.queue, threads - len(self.in_flight), self.report)
        self.answered = []  # only once committed: Ctrl-C before that records them
        self.claimed += len(claimed)
        for batch in claimed:
            future = pool.submit(self._send, batch)
            self.in_flight[future] = batch
        return done

    def _send(self, batch: Batch) -> BatchOutcome:
        """Send one batch, in a sending thread: first the database renders its recipients, if
        the channel says how, while the other threads work."""
        item = self.channel.recipient_sql(self.queue.ledger.dialect)
        if item is not None:
            batch = replace(batch, rendered=self.queue.render(batch, item))
        return self.channel.send(batch, self.notice, self.content)

    def _finished(
        self, background: Future[None] | None, *, block: bool
    ) -> list[tuple[Batch, Future[BatchOutcome]]]:
        """The requests answered: those done now, or with ``block`` the first to finish (with
        nothing on its way, a moment's wait: the queueing thread is cutting batches)."""
        # The queueing thread's end wakes the loop too (its last batches are cut), once.
        others: set[Future[None]] = set()
        if background is not None and not background.done():
            others.add(background)
        if not block:
            finished = [future for future in self.in_flight if future.done()]
        elif self.in_flight:
            watched: set[Future[Any]] = {*self.in_flight, *others}
            done, _ = wait(watched, return_when=FIRST_COMPLETED)
            finished = [future for future in self.in_flight if future in done]
        else:
            wait(others, timeout=_IDLE_WAIT)
            finished = []
        return [(self.in_flight.pop(future), future) for future in finished]

    def _queueing(self) -> bool:
        return self.intake is not None and not self.intake.done and self.report.stopped is None

    def _intake(self) -> RecipientIntake:
        assert self.intake is not None
        return self.intake

    def _show(self, done: int, pending: int) -> None:
        if self.progress and done:
            expected = self.intake.expected if self.intake else 0
            self.progress("send", done, pending + expected)


def _claim(queue: DeliveryQueue, room: int, report: SendReport) -> list[Batch]:
    claimed: list[Batch] = []
    while len(claimed) < room and report.stopped is None:
        batch = queue.claim(sending=True)
        if batch is None:
            break
        claimed.append(batch)
    return claimed


def _record(
    queue: DeliveryQueue,
    batch: Batch,
    future: Future[BatchOutcome],
    channel: Channel,
    report: SendReport,
) -> int:
    try:
        outcome = future.result()
    except StopSendingError as stop:
        # Nothing of this batch was accepted: it goes back to the queue for the next run.
        queue.release(batch)
        report.stopped = stop.message
        return 0
    # Counted from the rows that changed: after Ctrl-C a batch whose answer was already
    # committed may be recorded again, and must not be counted twice.
    submitted = refused = 0
    for accepted in outcome.accepted:
        submitted += queue.mark_submitted(
            batch, accepted.delivery_ids, provider=channel.name, message_id=accepted.message_id
        )
    for part in outcome.refused:
        refused += queue.mark_failed(batch, part.delivery_ids, part.error)
    if not submitted and not refused:
        return 0
    report.submitted += submitted
    report.refused += refused
    report.batches += 1
    report.requests += outcome.requests
    report.retries += outcome.retries
    return len(batch.items)
