"""What a transaction changed, so that exactly the right event streams wake once it commits.

Every database session made by the app's factory collects topics while it works: changed
sessions name their booth, their agent (old and new) and, when the queue moved, their branch;
new stream messages name their recipient. Code that changes rows behind the ORM's back (the
conditional updates of dispatch) calls `mark`. After a commit the topics go to the
broadcaster; after a rollback they are dropped. No request handler has to remember to notify,
and nothing wakes for a change that did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from hub.realtime.broadcast import Broadcaster, Topic, agent_topic, booth_topic, branch_topic
from hub.realtime.wakeups import Wakeups
from hub.store.models import Agent, AgentToken, Booth, ServiceSession, StreamMessage

_KEY = "bilik_topics"
#: Session attributes whose change moves the branch's queue (positions, ETA).
_QUEUE_ATTRS = ("state", "enqueued_at", "agent_id", "priority")


def mark(
    db: Session,
    branches: Iterable[str | None] = (),
    booths: Iterable[str | None] = (),
    agents: Iterable[str | None] = (),
) -> None:
    """Wake these streams after the current transaction commits."""
    topics: set[Topic] = db.info.setdefault(_KEY, set())
    topics.update(branch_topic(b) for b in branches if b)
    topics.update(booth_topic(b) for b in booths if b)
    topics.update(agent_topic(a) for a in agents if a)


def _changed(obj: Any, attr: str) -> bool:
    return inspect(obj).attrs[attr].history.has_changes()


def _old_values(obj: Any, attr: str) -> list[Any]:
    return list(inspect(obj).attrs[attr].history.deleted)


def _collect(db: Session, _flush_context: Any) -> None:
    # after_flush: new/dirty and attribute histories still describe what this flush wrote
    for obj in list(db.new) + list(db.dirty):
        if isinstance(obj, ServiceSession):
            if obj in db.dirty and not db.is_modified(obj):
                continue
            queue_moved = obj in db.new or any(_changed(obj, a) for a in _QUEUE_ATTRS)
            mark(
                db,
                branches=[obj.branch_id] if queue_moved else [],
                booths=[obj.booth_id],
                agents=[obj.agent_id, *_old_values(obj, "agent_id")],
            )
        elif isinstance(obj, StreamMessage) and obj in db.new:
            if obj.recipient_kind == "booth":
                mark(db, booths=[obj.recipient_id])
            else:
                mark(db, agents=[obj.recipient_id])
        elif isinstance(obj, Agent) and (_changed(obj, "status") or _changed(obj, "capacity")):
            mark(db, branches=[obj.branch_id], agents=[obj.id])  # free capacity: every ETA
        elif isinstance(obj, Agent) and _changed(obj, "disabled"):
            mark(db, agents=[obj.id])  # its streams check their credential and close
        elif isinstance(obj, Booth) and _changed(obj, "token_hash"):
            mark(db, booths=[obj.id])  # re-enrolled: the old token's stream closes
    for obj in db.deleted:
        if isinstance(obj, AgentToken):
            mark(db, agents=[obj.agent_id])  # logged out


def watch(
    factory: sessionmaker[Session], broadcaster: Broadcaster, wakeups: Wakeups | None = None
) -> None:
    """Attach the collection to every session `factory` makes; `wakeups` tells the other hub
    processes, inside the transaction, so they hear of exactly what commits."""

    def _publish(db: Session) -> None:
        if wakeups is None:
            return
        db.flush()  # the last changes name their topics too
        topics = db.info.get(_KEY)
        if topics:
            wakeups.publish(db, topics)

    def _wake(db: Session) -> None:
        topics = db.info.pop(_KEY, None)
        if topics:
            broadcaster.notify(topics)

    def _forget(db: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the outermost transaction ended without a commit
            db.info.pop(_KEY, None)

    event.listen(factory, "after_flush", _collect)
    event.listen(factory, "before_commit", _publish)
    event.listen(factory, "after_commit", _wake)
    event.listen(factory, "after_transaction_end", _forget)
