"""kiosk.toml into typed, validated settings.

Every section is a strict pydantic model (unknown keys are errors). Errors name the file, the key
and what is allowed; the CLI turns them into one message on stderr and exit status 2.

Discovery (one function, so tests can replace it): ``--config FILE`` > ``$KIOSK_CONFIG`` >
``./kiosk.toml`` > ``/etc/netca-kiosk/kiosk.toml`` > the defaults shipped in the package.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from kiosk.domain.types import Kind, KindFees, Program, SealPricing, Service
from kiosk.errors import ConfigError

if TYPE_CHECKING:  # the holiday library loads its tables on import: only when hours are asked
    from kiosk.domain.hours import HoursRules

CONFIG_ENV = "KIOSK_CONFIG"
SYSTEM_CONFIG = Path("/etc/netca-kiosk/kiosk.toml")

Fen = Annotated[int, Field(ge=0, strict=True)]
_PERIOD = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")


def _check_regex(v: str) -> str:
    try:
        re.compile(v)
    except re.error as e:
        raise ValueError(f"not a regular expression: {e}") from None
    return v


# A reader-name pattern: validated as a regular expression when the file loads.
RegexPattern = Annotated[str, AfterValidator(_check_regex)]


class Section(BaseModel):
    """Base of every settings section: strict, immutable, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _parse_period(text: str) -> tuple[time, time]:
    m = _PERIOD.match(text)
    if not m:
        raise ValueError(f"period {text!r} must look like '08:30-12:00'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as e:
        raise ValueError(f"period {text!r}: {e}") from None
    if start >= end:
        raise ValueError(f"period {text!r} ends before it starts")
    return start, end


Periods = list[str]


class HoursSettings(Section):
    """Opening hours per weekday ("HH:MM-HH:MM" periods; empty = closed)."""

    mon: Periods = []
    tue: Periods = []
    wed: Periods = []
    thu: Periods = []
    fri: Periods = []
    sat: Periods = []
    sun: Periods = []
    workday_hours: Periods = []

    @field_validator("*")
    @classmethod
    def _periods_valid(cls, v: Periods) -> Periods:
        spans = sorted(_parse_period(p) for p in v)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"periods overlap: {v}")
        return v

    def periods(self, weekday: int) -> list[tuple[time, time]]:
        """Opening periods of a weekday (0 = Monday)."""
        day = (self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun)[weekday]
        return sorted(_parse_period(p) for p in day)

    def workday_periods(self) -> list[tuple[time, time]]:
        """Opening periods on a make-up working day (调休)."""
        return sorted(_parse_period(p) for p in self.workday_hours)


class CounterSettings(Section):
    """The counter: where it is, what it is called, when it is open."""

    @property
    def order_prefix(self) -> str:
        """What this kiosk's order numbers start with: the counter's code and its station."""
        return self.id + self.station

    id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
    station: Annotated[str, StringConstraints(pattern=r"^[0-9]?$")] = ""
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    hotline: str = ""
    timezone: str = "Asia/Shanghai"
    holiday_calendar: Literal["chinese-calendar", "none"] = "chinese-calendar"
    extra_closed_days: list[date] = []
    extra_working_days: list[date] = []
    hours: HoursSettings

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (an IANA name like 'Asia/Shanghai')"
            ) from None
        return v

    @model_validator(mode="after")
    def _no_day_both_ways(self) -> CounterSettings:
        both = sorted(set(self.extra_closed_days) & set(self.extra_working_days))
        if both:
            days = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"days both in extra_closed_days and extra_working_days: {days}")
        return self

    def to_hours_rules(self) -> HoursRules:
        """The pure opening rules the domain computes with (``kiosk.domain.hours``)."""
        # Imported here: kiosk.domain.hours loads the holiday tables (chinesecalendar), and
        # every start loads the settings; only the hours check needs them.
        from kiosk.domain.hours import HoursRules

        return HoursRules(
            weekly=tuple(tuple(self.hours.periods(wd)) for wd in range(7)),
            workday_periods=tuple(self.hours.workday_periods()),
            extra_closed=frozenset(self.extra_closed_days),
            extra_working=frozenset(self.extra_working_days),
            use_chinese_calendar=self.holiday_calendar == "chinese-calendar",
        )


class UiSettings(Section):
    """Screen behaviour."""

    language: Literal["zh-CN", "en"] = "zh-CN"
    idle_timeout_s: Annotated[int, Field(ge=10, le=3600)] = 180
    staff_timeout_s: Annotated[int, Field(ge=30, le=7200)] = 300
    care_mode: bool = False


class KindFeesSettings(Section):
    """One kind's fees in fen (see kiosk.toml for each key's meaning)."""

    new_per_year: Fen
    renew_per_year: Fen
    replace_fee: Fen
    new_key_fee: Fen = 0
    seal_new_per_year: Fen = 0
    seal_renew_per_year: Fen = 0
    seal_replace_fee: Fen = 0
    seal_apply_per_year: Fen = 0


SealType = Literal["official", "contract", "mortgage", "credit"]


class ProgramSettings(Section):
    """A program and its fee table."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name_zh: str
    name_en: str
    ca: str
    kinds: Annotated[list[Kind], Field(min_length=1)]
    services: Annotated[list[Service], Field(min_length=1)]
    seal_pricing: SealPricing
    seal_types: list[SealType] = []
    transfer_remark: str = ""
    expired_renewal: Literal["renew", "reapply"] = "renew"
    refund_days: Annotated[int, Field(ge=0, le=365)] = 14
    form_names: dict[Kind, Annotated[str, StringConstraints(min_length=1)]] = {}
    form_copies: Annotated[int, Field(ge=1, le=5)] = 2
    seal_form: Literal["separate", "combined"] = "separate"
    fees: dict[Kind, KindFeesSettings]

    @model_validator(mode="after")
    def _fees_cover_kinds(self) -> ProgramSettings:
        missing = [k.value for k in self.kinds if k not in self.fees]
        if missing:
            raise ValueError(f"fees missing for kinds {missing} (add [programs.fees.KIND])")
        extra = [k.value for k in self.fees if k not in self.kinds]
        if extra:
            raise ValueError(f"fees given for kinds {extra} not listed in kinds")
        return self

    def to_domain(self) -> Program:
        """The pure domain value the rules compute with."""
        return Program(
            id=self.id,
            name_zh=self.name_zh,
            name_en=self.name_en,
            ca=self.ca,
            kinds=tuple(self.kinds),
            services=tuple(self.services),
            seal_pricing=self.seal_pricing,
            fees={k: KindFees(**v.model_dump()) for k, v in self.fees.items()},
            seal_types=tuple(self.seal_types),
            transfer_remark=self.transfer_remark,
            expired_renewal=self.expired_renewal,
            refund_days=self.refund_days,
            form_names=dict(self.form_names),
            form_copies=self.form_copies,
            seal_form=self.seal_form,
        )


def _hex_bytes(value: str, what: str, sizes: tuple[int, int]) -> str:
    try:
        raw = bytes.fromhex(value.replace(" ", ""))
    except ValueError:
        raise ValueError(f"{what} must be hexadecimal bytes, e.g. 'D156000005'") from None
    if not sizes[0] <= len(raw) <= sizes[1]:
        size = str(sizes[0]) if sizes[0] == sizes[1] else f"{sizes[0]} to {sizes[1]}"
        raise ValueError(f"{what} must be {size} bytes")
    return raw.hex().upper()


class ReaderProfileSettings(Section):
    """``[devices.reader.profile]``: the APDUs that read the ID record over PC/SC."""

    name: str = "default"
    cla: Annotated[int, Field(ge=0, le=255)] = 0
    aid: str = "D15600000549444331"
    text_file: str = "0101"
    photo_file: str = "0102"
    photo_length: Annotated[int, Field(ge=0, le=4096)] = 1024
    chunk: Annotated[int, Field(ge=1, le=256)] = 256

    @field_validator("aid")
    @classmethod
    def _aid(cls, v: str) -> str:
        return _hex_bytes(v, "aid", (1, 16))

    @field_validator("text_file", "photo_file")
    @classmethod
    def _fid(cls, v: str) -> str:
        return _hex_bytes(v, "file id", (2, 2))


class ReaderSettings(Section):
    """The ID card reader."""

    backend: Literal["pcsc", "sam"] = "pcsc"
    reader_pattern: RegexPattern = ".*"
    serial_device: str = "/dev/ttyUSB0"
    baudrate: Annotated[int, Field(gt=0)] = 115200
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 30
    sam_answer_timeout_s: Annotated[float, Field(gt=0, le=30)] = 2.0
    profile: ReaderProfileSettings = ReaderProfileSettings()


class TokenSettings(Section):
    """USB keys through PKCS#11."""

    backend: Literal["pkcs11"] = "pkcs11"
    module_path: str = "/usr/lib/softhsm/libsofthsm2.so"
    key_algorithm: Literal["rsa2048", "ec-p256"] = "rsa2048"
    poll_interval_s: Annotated[float, Field(gt=0, le=10)] = 0.5
    training_blank_slots: Annotated[int, Field(ge=1, le=32)] = 4


class CameraSettings(Section):
    """The seal camera."""

    backend: Literal["opencv"] = "opencv"
    source: str = "0"
    width: Annotated[int, Field(gt=0, le=8192)] = 1280
    height: Annotated[int, Field(gt=0, le=8192)] = 720
    exposure: str = "auto"
    px_per_mm: Annotated[float, Field(ge=0, le=200)] = 0.0

    @field_validator("exposure")
    @classmethod
    def _exposure(cls, v: str) -> str:
        if v != "auto":
            try:
                float(v)
            except ValueError:
                raise ValueError(f"exposure must be 'auto' or a number, not {v!r}") from None
        return v


class PrinterSettings(Section):
    """The receipt printer."""

    backend: Literal["network", "usb", "serial", "file"] = "network"
    uri: str = "tcp://127.0.0.1:9100"
    profile: str = "TM-T88V"
    chinese: Literal["gb18030", "raster"] = "gb18030"


class PaymentSettings(Section):
    """Payments: where WeChat Pay / Alipay go, and the counter's rules for pending transfers."""

    provider: Literal["hub", "sandbox", "none"] = "hub"
    allow_issue_on_pending_transfer: bool = False
    poll_interval_s: Annotated[float, Field(gt=0, le=30)] = 2.0
    max_wait_s: Annotated[float, Field(gt=0, le=300)] = 30.0
    qr_wait_s: Annotated[float, Field(gt=0, le=900)] = 120.0


class FlowSettings(Section):
    """Visit flows: key escrow for key recovery (密钥恢复)."""

    # "hub": the hub's key management centre (KMC) makes and escrows an encryption key pair
    # for every new or replaced key (双证书: it arrives wrapped and is unwrapped inside the key,
    # with its encryption certificate), and key recovery gives it back. "none": signing keys
    # only; key recovery is refused with a clear reason. Signing keys are never recovered.
    # A kiosk.toml without [flows] keeps "none"; the shipped kiosk.toml says "hub".
    key_escrow: Literal["none", "hub"] = "none"


class DevicesSettings(Section):
    """Every device the kiosk drives."""

    reader: ReaderSettings = ReaderSettings()
    token: TokenSettings = TokenSettings()
    camera: CameraSettings = CameraSettings()
    printer: PrinterSettings = PrinterSettings()


class HubSettings(Section):
    """The back office (hub) and the sync worker's pace."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://")] = "http://127.0.0.1:8800/api/v1"
    credential: str = ""
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 5.0
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 500
    poll_interval_s: Annotated[float, Field(gt=0, le=600)] = 2.0
    backoff_base_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    backoff_cap_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    keep_sent_days: Annotated[int, Field(ge=0, le=3650)] = 90


class StorageSettings(Section):
    """Where data lives."""

    data_dir: Path = Path("var")


class StaffSettings(Section):
    """Staff sign-in: lockout, PINs, and the staff-card reader (``[staff]``)."""

    max_failed_pins: Annotated[int, Field(ge=1, le=20)] = 5
    lockout_s: Annotated[int, Field(ge=10, le=86400)] = 900
    pin_min_length: Annotated[int, Field(ge=4, le=12)] = 6
    pin_hash_time_cost: Annotated[int, Field(ge=1, le=10)] = 3
    pin_hash_memory_kib: Annotated[int, Field(ge=8, le=1048576)] = 65536
    card_reader_pattern: RegexPattern = ".*"
    card_timeout_s: Annotated[float, Field(gt=0, le=600)] = 30


class DayCloseSettings(Section):
    """The clerk's end-of-day close (``[day_close]``)."""

    difference_threshold_fen: Fen = 0
    key_difference_threshold: Annotated[int, Field(ge=0, strict=True)] = 0
    reports_dir: Path = Path("reports")
    pdf_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


class Settings(Section):
    """The whole of kiosk.toml."""

    counter: CounterSettings
    ui: UiSettings = UiSettings()
    programs: Annotated[list[ProgramSettings], Field(min_length=1)]
    devices: DevicesSettings = DevicesSettings()
    hub: HubSettings = HubSettings()
    payments: PaymentSettings = PaymentSettings()
    flows: FlowSettings = FlowSettings()
    storage: StorageSettings = StorageSettings()
    staff: StaffSettings = StaffSettings()
    day_close: DayCloseSettings = DayCloseSettings()
    # Where these settings were read from (not a key of the file).
    source: Path = Field(default=Path("<defaults>"), exclude=True)

    @field_validator("programs")
    @classmethod
    def _unique_ids(cls, v: list[ProgramSettings]) -> list[ProgramSettings]:
        ids = [p.id for p in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"program ids must be unique; repeated: {dupes}")
        return v

    def program(self, program_id: str) -> Program:
        """The domain value of a program, or a ConfigError naming the valid ids."""
        for p in self.programs:
            if p.id == program_id:
                return p.to_domain()
        raise ConfigError(
            f"unknown program {program_id!r}; valid: {', '.join(self.program_ids())}",
            code="config.unknown_program",
        )

    def program_ids(self) -> list[str]:
        """Program ids in file order."""
        return [p.id for p in self.programs]


def default_config_text() -> str:
    """The kiosk.toml shipped in the package (the embedded defaults)."""
    return resources.files("kiosk").joinpath("kiosk.toml").read_text(encoding="utf-8")


def discover_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The settings file to use, or None for the embedded defaults.

    Args:
        explicit: a path given on the command line; wins over everything.

    Raises:
        ConfigError: an explicit or KIOSK_CONFIG path that does not exist.
    """
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file", code="config.missing")
        return p
    env = os.environ.get(CONFIG_ENV)
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(
                f"{p} (from ${CONFIG_ENV}): no such config file", code="config.missing"
            )
        return p
    for candidate in (Path("kiosk.toml"), SYSTEM_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def _describe(err: ErrorDetails) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"key '{loc}': unknown key (check the spelling; kiosk.toml documents every key)"
    if kind == "missing":
        return f"key '{loc}': required but missing"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    given = err.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (given: {given!r})"
    return f"key '{loc}': {msg}{shown}"


def parse_settings(text: str, source: str) -> Settings:
    """Parse and validate kiosk.toml text.

    Raises:
        ConfigError: the message names the file, each bad key and what is allowed.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}", code="config.syntax") from e
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as e:
        lines = [_describe(err) for err in e.errors()]
        raise ConfigError(f"{source}: " + "; ".join(lines), code="config.invalid") from e
    return settings.model_copy(update={"source": Path(source)})


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Discover and load the settings (see module docstring for the order)."""
    found = discover_config(path)
    if found is None:
        return parse_settings(default_config_text(), "<embedded kiosk.toml>")
    try:
        text = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{found}: cannot read: {e}", code="config.unreadable") from e
    return parse_settings(text, str(found))
