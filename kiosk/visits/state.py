"""A visit's typed state: the journalled data column, each step's inputs and result, the view.

The ``visits.data`` column is JSON; :class:`VisitData` reads and writes it. Reading is lenient
on purpose: every field is optional and unknown keys are kept (``extra="allow"``), so a visit
journalled by an earlier version of the kiosk resumes as it was, and writing back dumps only
the keys that were set (the same JSON shape as before the models existed).

- :class:`VisitData`: the data column (what the steps learned: agent, unit, quote, payment …).
- :class:`StepInputs`: what a screen or a headless visit file gives the steps (the file's
  ``[agent]``, ``[unit]``, ``[seal_image]``, ``[payment]``, ``[key]`` tables).
- :class:`StepResult`: one step's journal detail and the data it adds.
- :class:`VisitView`: the visit as the CLI's ``--json`` and the screens see it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.errors import VisitError


class FlowError(VisitError):
    """A visit step refused or failed; ``step`` names it, ``code`` says why."""

    code = "visit.failed"

    def __init__(self, message: str, *, code: str | None = None, step: str | None = None):
        super().__init__(message, code=code)
        self.step = step


class _Part(BaseModel):
    """A part of the journalled data: lenient, keeps keys it does not name."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    def dump(self) -> dict[str, Any]:
        """The part as journalled: only the keys that were set."""
        return self.model_dump(mode="json", exclude_unset=True)


# -- the data column -----------------------------------------------------------------------


class Agent(_Part):
    """The agent (经办人) as identified: from the ID card reader or typed."""

    name: str | None = None
    id_number: str | None = None
    mobile: str | None = None
    id_valid_to: str | None = None


class Unit(_Part):
    """The unit (or, for an individual certificate, the person) the certificate names."""

    uscc: str | None = None
    name: str | None = None
    legal_rep: str | None = None
    unit_type: str | None = None
    address: str | None = None
    phone: str | None = None
    person_name: str | None = None


class QuoteItem(_Part):
    """One line of the quote."""

    name: str | None = None
    amount_fen: int = 0


class QuoteData(_Part):
    """The quote as journalled (opening keeps the total; the quote step adds the items)."""

    total_fen: int = 0
    items: list[QuoteItem] = Field(default_factory=list)


class PaymentData(_Part):
    """The visit's payment as the pay step recorded it (its live state is the payments')."""

    id: int | None = None
    state: str | None = None
    method: str | None = None


class CertificateData(_Part):
    """The certificate on the key after the key step."""

    serial: str | None = None
    subject: str | None = None
    not_before: str | None = None
    not_after: str | None = None


class KeyData(_Part):
    """The key the visit worked on."""

    serial: str | None = None
    state: str | None = None


class ReceiptData(_Part):
    """The receipt's print job."""

    job: int | None = None
    state: str | None = None


class RefundData(_Part):
    """A refund made by a ``refund`` visit."""

    id: int | None = None
    amount_fen: int = 0
    payment_id: int | None = None


class RecoveredData(_Part):
    """What a key recovery put back onto the key."""

    key: str | None = None
    encryption_serial: str | None = None


class HandoverData(_Part):
    """The hand-over: the counter's date and the key."""

    on: str | None = None
    serial: str | None = None


class FailureData(_Part):
    """The last refusal or failure of a step (cleared when a step is done)."""

    step: str | None = None
    code: str | None = None
    reason: str | None = None


class SealPicture(_Part):
    """The checked imprint of the seal made in this visit (``png_hex`` is the extracted seal)."""

    verdict: str | None = None
    reasons: list[str] = Field(default_factory=list)
    borderline: list[str] = Field(default_factory=list)
    width_mm: float = 0
    height_mm: float = 0
    png_hex: str = ""
    seal_type: str | None = None
    source: str | None = None
    evidence: str | None = None
    override: dict[str, Any] | None = None


class VisitData(_Part):
    """The ``visits.data`` column: the visit's plan, its choices and what each step learned."""

    plan: list[str] = Field(default_factory=list)
    years: int | None = None
    seal: bool = False
    earlier_order: str | None = None
    renew_first: bool = False
    quote: QuoteData | None = None
    key_serial: str | None = None
    unit: Unit | None = None
    agent: Agent | None = None
    materials: list[str] | None = None
    seal_picture: SealPicture | None = None
    pay_key: str | None = None
    pay_attempt: int | None = None
    payment: PaymentData | None = None
    key: KeyData | None = None
    certificate: CertificateData | None = None
    recovered: RecoveredData | None = None
    handover: HandoverData | None = None
    receipt: ReceiptData | None = None
    refund: RefundData | None = None
    failure: FailureData | None = None
    activated: bool = False
    seal_change: bool = True
    #: a headless visit's file (never the PIN), so ``kiosk visit resume`` needs no file
    inputs: dict[str, Any] | None = None

    @classmethod
    def load(cls, text: str | None) -> VisitData:
        """The data column's JSON, read leniently (an older visit's too)."""
        return cls.model_validate(json.loads(text or "{}"))

    def merged(self, fields: dict[str, Any]) -> VisitData:
        """This data with ``fields`` set (JSON-shaped values or parts), as a new object."""
        plain = {k: v.dump() if isinstance(v, _Part) else v for k, v in fields.items()}
        return VisitData.model_validate({**self.dump(), **plain})

    def to_json(self) -> str:
        """The data column's JSON (only the keys that were set, as before the models)."""
        return json.dumps(self.dump())


# -- step inputs -----------------------------------------------------------------------------


class AgentInput(_Part):
    """``[agent]``: typed in, or ``from_reader`` (read from the ID card reader at this step)."""

    name: str | None = None
    id_number: str | None = None
    mobile: str | None = None
    id_valid_to: str | dt.date | None = None  # a TOML date, or its ISO text
    from_reader: bool = False
    source: str | None = None


class UnitInput(_Part):
    """``[unit]``: the unit's details (missing ones are prefilled from an earlier visit)."""

    uscc: str | None = None
    name: str | None = None
    legal_rep: str | None = None
    unit_type: str | None = None
    address: str | None = None
    phone: str | None = None


class SealOverride(_Part):
    """A staff override of the imprint check (its record is the staff area's)."""

    id: int


class SealImageInput(_Part):
    """``[seal_image]``: the imprint photo."""

    path: str | None = None
    seal_type: str = "official"
    px_per_mm: float | None = None
    source: str = "file"
    override: SealOverride | None = None


class PaymentInput(_Part):
    """``[payment]``: how the visit pays."""

    method: str | None = None
    reference: str | None = None
    payer_name: str | None = None
    qr: bool = False


class KeyInput(_Part):
    """``[key]``: the key to work on and what the service needs of it."""

    blank: bool = False
    serial: str | None = None
    pin: str | None = None
    recover: str | None = None
    condition: str | None = None
    reason: str | None = None


class StepInputs(_Part):
    """What the steps are given (a screen's answers, or a headless visit file whole)."""

    agent: AgentInput = Field(default_factory=AgentInput)
    unit: UnitInput = Field(default_factory=UnitInput)
    seal_image: SealImageInput = Field(default_factory=SealImageInput)
    payment: PaymentInput = Field(default_factory=PaymentInput)
    key: KeyInput = Field(default_factory=KeyInput)

    @classmethod
    def of(cls, given: StepInputs | dict[str, Any] | None) -> StepInputs:
        """The inputs, from a model or a plain mapping (a section given as null counts as
        not given).

        Raises:
            FlowError: ``visit.bad_inputs`` (a value of the wrong kind, named by its place).
        """
        if isinstance(given, StepInputs):
            return given
        try:
            return cls.model_validate({k: v for k, v in (given or {}).items() if v is not None})
        except ValidationError as e:
            where = ", ".join(".".join(str(p) for p in err["loc"]) for err in e.errors())
            raise FlowError(
                f"the visit's inputs do not read: {where}", code="visit.bad_inputs"
            ) from e


# -- step results ----------------------------------------------------------------------------


class StepResult(BaseModel):
    """One step's outcome: ``detail`` goes into the journal row (and its outbox event),
    ``data`` is merged into the visit's data column in the same transaction."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    detail: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, detail: dict[str, Any], **data: Any) -> StepResult:
        """A result; ``data`` values may be parts (:class:`Unit` …) or JSON-shaped values."""
        plain = {k: v.dump() if isinstance(v, _Part) else v for k, v in data.items()}
        VisitData.model_validate(plain)  # a step never journals data the column cannot read
        return cls(detail=detail, data=plain)


# -- the view ----------------------------------------------------------------------------------


class VisitView(BaseModel):
    """The visit as the CLI's ``--json`` and the screens see it (:meth:`as_dict` is the JSON)."""

    model_config = ConfigDict(frozen=True)

    order: str
    service: str
    program: str
    kind: str
    training: bool
    state: str
    next_step: str | None
    steps: list[str]
    done: list[str]
    total_fen: int
    payment: PaymentData | None = None
    certificate: CertificateData | None = None
    key: KeyData | None = None
    receipt: ReceiptData | None = None
    refund: RefundData | None = None
    recovered: RecoveredData | None = None
    renewed_in_visit: bool = False
    failure: FailureData | None = None

    def as_dict(self) -> dict[str, Any]:
        """The view as the CLI prints it (parts as journalled; absent parts as null)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            v = getattr(self, name)
            out[name] = v.dump() if isinstance(v, _Part) else v
        return out
