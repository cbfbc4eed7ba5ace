"""What each counter service is, once: its traits, its names, and the "expired, apply anew" rule.

The visit engine plans and prices a visit from these sets, the app's screens choose their
questions from them, the day close prints the names: one definition, so a service added or
re-priced changes everywhere at once.

Pure: no I/O, no project imports beyond the domain's value types.
"""

from __future__ import annotations

from typing import Protocol

from kiosk.domain.types import Service

#: Services the visit quotes and takes money for (a change of an expired certificate is priced
#: too, as the renewal it includes: see :func:`must_reapply` and the engine's ``renew_first``).
PRICED: frozenset[str] = frozenset({"new", "renew", "replace", "seal"})

#: Services that work on an earlier visit's key: the earlier order number is asked first.
ON_EXISTING_KEY: frozenset[str] = frozenset(
    {"renew", "change", "replace", "unlock", "cancel", "key-recovery", "seal", "pickup", "refund"}
)

#: Services after whose key step the agent takes a key away (hand-over, PIN slip where one was
#: set).
WITH_KEY_HANDOVER: frozenset[str] = frozenset(
    {"new", "renew", "change", "replace", "unlock", "pickup", "seal"}
)

#: Services on an existing key that keep its seal as it is (and price it, where it is priced).
KEEPS_SEAL: frozenset[str] = frozenset(
    {"renew", "change", "replace", "unlock", "cancel", "key-recovery"}
)

#: Services that work on the earlier visit's key: refused when opened if it has none (before
#: anything is quoted or paid), not at the key step.
NEEDS_KEY: frozenset[str] = KEEPS_SEAL | {"seal"}

#: Services that set a new user PIN on the key (the agent leaves with a PIN slip).
SETS_PIN: frozenset[str] = frozenset({"new", "replace", "unlock"})

#: Services that renew the certificate (or, for a change of an expired one, include a renewal):
#: the ones a program's ``expired_renewal = "reapply"`` refuses on an expired certificate.
RENEWS_EXPIRED: frozenset[str] = frozenset({"renew", "change"})

#: Each service's name on the counter's forms and the day close's paper, by its CLI name.
NAMES_ZH: dict[str, str] = {s.value: s.zh for s in Service}

#: Each service's English name, by its CLI name.
NAMES_EN: dict[str, str] = {s.value: s.en for s in Service}


class RenewalRule(Protocol):
    """What :func:`must_reapply` reads of a program (``kiosk.domain.types.Program``)."""

    @property
    def name_en(self) -> str: ...

    @property
    def expired_renewal(self) -> str: ...


def must_reapply(program: RenewalRule, service: str, *, expired: bool) -> bool:
    """Whether ``service`` on an ``expired`` certificate is refused by the program's rule.

    A program with ``expired_renewal = "reapply"`` (平安采购 in today's configuration) does not
    renew an expired certificate, nor change it (a change of an expired certificate renews in
    the same visit): the holder applies anew, in a new visit. Other services are not concerned.

    Args:
        program: the visit's program (its ``expired_renewal`` setting decides).
        service: the service's CLI name.
        expired: whether the certificate's notAfter has passed.
    """
    return expired and service in RENEWS_EXPIRED and program.expired_renewal == "reapply"


def reapply_reason(program: RenewalRule, service: str) -> str:
    """The refusal's words when :func:`must_reapply` holds, naming the program."""
    if service == Service.CHANGE.value:
        return (
            f"{program.name_en}: the certificate has expired and must be applied for anew "
            "(a new visit), not changed or renewed"
        )
    return (
        f"{program.name_en}: the certificate has expired and must be applied for anew (a new visit)"
    )
