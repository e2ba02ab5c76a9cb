"""The dispatch policy as a pure function: who gets whom, and the waiting-time estimate."""

from __future__ import annotations

import datetime as dt

from hub.domain.dispatch_policy import (
    AgentLoad,
    BranchPolicy,
    Waiting,
    choose_assignments,
    effective_capacity,
    estimate_wait,
    queue_order,
)

T0 = dt.datetime(2025, 3, 10, 3, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def pairs(assignments) -> list[tuple[int, str]]:
    return [(a.session_id, a.agent_id) for a in assignments]


def test_first_come_first_served():
    waiting = [Waiting(3, False, at(3)), Waiting(1, False, at(1)), Waiting(2, False, at(2))]
    agents = [AgentLoad("cs1", capacity=2, active=0)]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "cs1"), (2, "cs1")]


def test_priority_participant_goes_before_earlier_arrivals():
    waiting = [Waiting(1, False, at(1)), Waiting(2, False, at(2)), Waiting(3, True, at(9))]
    agents = [AgentLoad("cs1", capacity=1, active=0)]
    assert pairs(choose_assignments(waiting, agents)) == [(3, "cs1")]
    assert [w.session_id for w in queue_order(waiting)] == [3, 1, 2]


def test_agent_with_most_free_capacity_is_chosen():
    waiting = [Waiting(1, False, at(1))]
    agents = [
        AgentLoad("busy", capacity=5, active=4),
        AgentLoad("free", capacity=5, active=1),
        AgentLoad("half", capacity=5, active=2),
    ]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "free")]


def test_tie_goes_to_the_agent_longest_since_last_assignment():
    waiting = [Waiting(1, False, at(1))]
    agents = [
        AgentLoad("recent", capacity=5, active=0, last_assigned_at=at(-1)),
        AgentLoad("long_ago", capacity=5, active=0, last_assigned_at=at(-60)),
        AgentLoad("middle", capacity=5, active=0, last_assigned_at=at(-30)),
    ]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "long_ago")]


def test_agent_never_assigned_counts_as_longest_waiting():
    waiting = [Waiting(1, False, at(1))]
    agents = [
        AgentLoad("before", capacity=5, active=0, last_assigned_at=at(-600)),
        AgentLoad("fresh", capacity=5, active=0, last_assigned_at=None),
    ]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "fresh")]


def test_participants_are_spread_over_agents_in_one_round():
    waiting = [Waiting(i, False, at(i)) for i in range(1, 5)]
    agents = [AgentLoad("a", 5, 0, at(-10)), AgentLoad("b", 5, 0, at(-5))]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "a"), (2, "b"), (3, "a"), (4, "b")]


def test_full_agents_get_nobody_and_the_rest_keep_waiting():
    waiting = [Waiting(i, False, at(i)) for i in range(1, 10)]
    agents = [AgentLoad("a", 5, 5), AgentLoad("b", 5, 3)]
    assert pairs(choose_assignments(waiting, agents)) == [(1, "b"), (2, "b")]


def test_one_to_one_branch_caps_every_agent_at_one_session():
    policy = BranchPolicy("one_to_one", 5)
    waiting = [Waiting(i, False, at(i)) for i in range(1, 5)]
    agents = [AgentLoad("a", capacity=5, active=0), AgentLoad("b", capacity=5, active=1)]
    assert pairs(choose_assignments(waiting, agents, policy)) == [(1, "a")]
    assert effective_capacity(5, policy) == 1


def test_branch_maximum_caps_requested_capacity():
    policy = BranchPolicy("one_to_many", 4)
    waiting = [Waiting(i, False, at(i)) for i in range(1, 10)]
    assert len(choose_assignments(waiting, [AgentLoad("a", 5, 0)], policy)) == 4
    assert effective_capacity(5, policy) == 4


def test_nothing_to_do_without_agents_or_waiting():
    assert choose_assignments([Waiting(1, False, at(1))], []) == []
    assert choose_assignments([], [AgentLoad("a", 5, 0)]) == []


def test_wait_estimate_uses_free_capacity_then_service_rate():
    # 2 CS x 5 = 10 places; 3 free: positions 1-3 go now, the 4th waits one tenth of a service.
    assert estimate_wait(3, free_capacity=3, total_capacity=10, avg_service_seconds=600) == 0
    assert estimate_wait(4, free_capacity=3, total_capacity=10, avg_service_seconds=600) == 60
    assert estimate_wait(13, free_capacity=3, total_capacity=10, avg_service_seconds=600) == 600


def test_no_estimate_while_no_cs_is_online():
    assert estimate_wait(1, free_capacity=0, total_capacity=0, avg_service_seconds=600) is None
