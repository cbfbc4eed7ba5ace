"""The life of a USB key, as a state machine: every allowed transition is listed here, once.

``blank → formatted → active`` is issuance (formatted: the token is initialised and carries the
order number, but no verified certificate yet). ``suspended`` is an active key whose PIN is locked
(unlocking returns it to active). ``lost`` and ``damaged`` are reported by the holder;
``terminated`` is a cancelled key (or a lost/damaged one written off). A terminated key goes back
to ``blank`` only through a wipe; a formatted key that was never handed over is wiped back to blank
too.
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.errors import DomainError


class KeyState(StrEnum):
    """Lifecycle states of a key (stored per key serial)."""

    BLANK = "blank"
    FORMATTED = "formatted"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LOST = "lost"
    DAMAGED = "damaged"
    TERMINATED = "terminated"


S = KeyState

#: The allowed transitions (from -> to). Nothing else is allowed.
TRANSITIONS: dict[KeyState, frozenset[KeyState]] = {
    S.BLANK: frozenset({S.FORMATTED, S.DAMAGED, S.LOST}),
    S.FORMATTED: frozenset({S.ACTIVE, S.BLANK, S.DAMAGED, S.LOST, S.TERMINATED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.LOST, S.DAMAGED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.LOST, S.DAMAGED, S.TERMINATED}),
    S.LOST: frozenset({S.TERMINATED, S.ACTIVE}),  # found again before it was replaced
    S.DAMAGED: frozenset({S.TERMINATED}),
    S.TERMINATED: frozenset({S.BLANK}),  # only through a wipe
}

#: Transitions that only a wipe (all objects destroyed, SO PIN kept) may make.
WIPE_ONLY: frozenset[tuple[KeyState, KeyState]] = frozenset(
    {(S.TERMINATED, S.BLANK), (S.FORMATTED, S.BLANK)}
)


class KeyStateError(DomainError):
    """A lifecycle transition that the rules do not allow."""

    code = "keys.bad_transition"


def check_transition(current: KeyState, target: KeyState, *, wipe: bool = False) -> None:
    """Refuse a transition not in :data:`TRANSITIONS`.

    Raises:
        KeyStateError: the transition is not allowed, or needs a wipe.
    """
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "none"
        raise KeyStateError(
            f"A {current.value} key cannot become {target.value} (allowed: {allowed})"
        )
    if (current, target) in WIPE_ONLY and not wipe:
        raise KeyStateError(
            f"A {current.value} key becomes {target.value} only by wiping it",
            code="keys.wipe_required",
        )
