"""``notifier send``: queue a notice's recipients in the ledger, then deliver them in batches.

Resumable: everything is recorded in the ledger as it happens, so after a crash, a kill or
Ctrl-C, running the same command again finishes the job (see :mod:`notifier.ledger.queue` for
what happens to a batch that was on its way when the process died). Requests run on a few
threads; the ledger is written by one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from notifier.channels.base import BatchOutcome, Channel, StopSendingError
from notifier.channels.render import EmailContent
from notifier.ledger.loading import LoadReport
from notifier.ledger.queue import Batch, DeliveryQueue, Recovery
from notifier.ledger.store import DEFAULT_BATCH, NoticeLedger
from notifier.notices import EMAIL, Notice
from notifier.recipients import Recipient

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


def queue_recipients(
    ledger: NoticeLedger,
    notice_id: int,
    people: Iterable[Recipient],
    progress: Progress | None = None,
    stream: str = EMAIL,
    batch_size: int = DEFAULT_BATCH,
) -> LoadReport:
    """Add recipients to the e-mail queue (``stream``) of a notice, in batches of
    ``batch_size`` (the recipients of one request)."""
    total = LoadReport()
    for chunk in ledger.queue(notice_id, stream, people, batch_size):
        total = total + chunk
        if progress:
            progress("queue", total.read, None)
    return total


def deliver(
    ledger: NoticeLedger,
    notice: Notice,
    content: EmailContent,
    channel: Channel,
    options: SendOptions,
    report: SendReport,
    progress: Progress | None = None,
) -> None:
    """Deliver every pending e-mail of ``notice`` through ``channel``, recording each answer."""
    queue = DeliveryQueue(ledger, ledger.notice_id(notice.key), options.stream)
    start = time.perf_counter()
    try:
        report.recovery = queue.recover(lease=options.lease, unknown=options.unknown)
        total = queue.counts().get("pending", 0)
        _run(queue, notice, content, channel, options, report, total, progress)
    except KeyboardInterrupt:
        report.stopped = "interrupted"
        raise
    finally:
        queue.stop()
        report.states = queue.counts()
        report.seconds = time.perf_counter() - start


def _run(
    queue: DeliveryQueue,
    notice: Notice,
    content: EmailContent,
    channel: Channel,
    options: SendOptions,
    report: SendReport,
    total: int,
    progress: Progress | None,
) -> None:
    threads = max(1, options.threads)
    in_flight: dict[Future[BatchOutcome], Batch] = {}
    answered: list[tuple[Batch, Future[BatchOutcome]]] = []
    last_beat = time.monotonic()
    done = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            while True:
                # One transaction records the answers just in and claims the next batches; the
                # claims are committed (as "sending") before their requests leave.
                with queue.transaction():
                    for batch, future in answered:
                        done += _record(queue, batch, future, channel, report)
                    claimed = _claim(queue, threads - len(in_flight), options, report)
                answered = []  # only once committed: Ctrl-C before that records them below
                if progress and done:
                    progress("send", done, total)
                for batch in claimed:
                    in_flight[pool.submit(channel.send, batch, notice, content)] = batch
                if not in_flight:
                    return
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                answered = [(in_flight.pop(future), future) for future in finished]
                if time.monotonic() - last_beat > options.heartbeat_every:
                    queue.heartbeat()
                    last_beat = time.monotonic()
        except KeyboardInterrupt:
            report.stopped = "interrupted"
            # Record what is known, and let the requests on their way finish and be recorded.
            for batch, future in answered + [(b, f) for f, b in in_flight.items()]:
                _record(queue, batch, future, channel, report)
            raise


def _claim(
    queue: DeliveryQueue, room: int, options: SendOptions, report: SendReport
) -> list[Batch]:
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
