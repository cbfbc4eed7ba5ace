"""Person files: the fictional people whose cards the stand-ins carry.

A person file is JSON with the card's fields in readable form::

    {"name": "张伟", "sex": "1", "nation": "01", "birth_date": "1988-06-15",
     "address": "…", "id_number": "44190019880615231X", "authority": "…",
     "valid_from": "2019-03-01", "valid_to": "2039-03-01" | "long-term",
     "card_type": "resident_id" | "hmt_permit", "pass_number": "H60123456", "issue_count": 1,
     "photo_hex": "…" (optional; else 1024 deterministic bytes), "comment": "…"}

The sample people ship in ``hardware/sim/people/`` (see :func:`sample_people`). Files are not
validated beyond their shape: a stand-in must be able to carry a bad card too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hardware.idcard.record import (
    PHOTO_LENGTH,
    CardType,
    IdCardRecord,
    encode_text_record,
)
from kiosk.errors import UsageError

PEOPLE_DIR = Path(__file__).with_name("people")
_KEYS = {
    "name", "sex", "nation", "birth_date", "address", "id_number", "authority", "valid_from",
    "valid_to", "card_type", "pass_number", "issue_count", "photo_hex", "comment",
}  # fmt: skip


@dataclass(frozen=True)
class CardImage:
    """What a card holds: the 256-byte text record and the photo record.

    Attributes:
        text: the text record as the card delivers it.
        photo: the photo record (1024 bytes on a real card).
        label: for logs (the person file's stem).
    """

    text: bytes
    photo: bytes
    label: str = "card"

    @classmethod
    def from_record(cls, record: IdCardRecord, label: str = "card") -> CardImage:
        """The image of a card carrying ``record`` (photo taken from the record)."""
        return cls(encode_text_record(record), record.photo, label)


def fake_photo(seed: str, length: int = PHOTO_LENGTH) -> bytes:
    """Deterministic bytes standing in for a WLT photo (which starts ``WLf``)."""
    out = bytearray(b"WLf\x00\x7e\x00\x32\x00")
    block = seed.encode()
    while len(out) < length:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:length])


def person_record(data: dict[str, object], label: str = "person") -> IdCardRecord:
    """Build the record a person file describes.

    Raises:
        UsageError: unknown keys, missing keys, or values of the wrong form.
    """
    unknown = set(data) - _KEYS
    if unknown:
        raise UsageError(
            f"Person file {label}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}."
        )
    try:
        valid_to = str(data["valid_to"])
        photo_hex = data.get("photo_hex")
        issue = data.get("issue_count")
        return IdCardRecord(
            name=str(data["name"]),
            sex=str(data["sex"]),
            nation=str(data.get("nation", "")),
            birth_date=dt.date.fromisoformat(str(data["birth_date"])),
            address=str(data["address"]),
            id_number=str(data["id_number"]),
            authority=str(data["authority"]),
            valid_from=dt.date.fromisoformat(str(data["valid_from"])),
            valid_to=None if valid_to == "long-term" else dt.date.fromisoformat(valid_to),
            card_type=CardType(str(data.get("card_type", "resident_id"))),
            pass_number=None if data.get("pass_number") is None else str(data["pass_number"]),
            issue_count=None if issue is None else int(str(issue)),
            photo=bytes.fromhex(str(photo_hex))
            if photo_hex
            else fake_photo(str(data["id_number"])),
        )
    except KeyError as e:
        raise UsageError(f"Person file {label}: missing key {e.args[0]!r}.") from e
    except ValueError as e:
        raise UsageError(f"Person file {label}: {e}.") from e


def load_person(path: str | Path) -> IdCardRecord:
    """Read a person file (a path, or the name of a sample person such as ``zhang_wei``).

    Raises:
        UsageError: no such file, not JSON, or not a person.
    """
    p = resolve_person(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"Person file {p} cannot be read: {e}.") from e
    if not isinstance(data, dict):
        raise UsageError(f"Person file {p} must hold a JSON object.")
    return person_record(data, p.stem)


def resolve_person(path: str | Path) -> Path:
    """A person file path: as given if it exists, else a sample person by stem."""
    p = Path(path)
    if p.is_file():
        return p
    sample = PEOPLE_DIR / f"{p.stem}.json"
    if sample.is_file() and (p.parent == Path(".") or p.parent == PEOPLE_DIR):
        return sample
    names = ", ".join(sorted(x.stem for x in PEOPLE_DIR.glob("*.json")))
    raise UsageError(f"No person file {str(path)!r}; give a path or one of: {names}.")


def load_card(path: str | Path) -> CardImage:
    """The card image for a person file."""
    p = resolve_person(path)
    return CardImage.from_record(load_person(p), p.stem)


def sample_people() -> dict[str, Path]:
    """The shipped sample person files by stem."""
    return {p.stem: p for p in sorted(PEOPLE_DIR.glob("*.json"))}
