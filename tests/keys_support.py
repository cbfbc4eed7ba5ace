"""Shared helpers for the key tests: a seal picture, a CA, a whole key environment."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from data.store import Store
from hardware.token import KeyAlgorithm, Pkcs11Tokens
from hub.ca import CertificateAuthority
from hub.ca.inprocess import InProcessIssuer
from kiosk.contracts.subject import SubjectData
from kiosk.keys import KeyService, SealRequest
from kiosk.shell.builder import standalone_keys

UNIT = SubjectData(unit_name="东莞市测试科技有限公司", uscc="91441900MA4UJ6R63X")


def seal_png(px: int = 240) -> bytes:
    """A round red seal imprint as a PNG."""
    im = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((6, 6, px - 6, px - 6), outline=(220, 0, 0, 255), width=10)
    d.regular_polygon((px // 2, px // 2, px // 6), 5, fill=(220, 0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def seal_request(name: str = "东莞市测试科技有限公司公章") -> SealRequest:
    return SealRequest(name=name, picture_png=seal_png(), width_mm=42, height_mm=42)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class KeyEnv:
    """A kiosk's key side on SoftHSM2: reader, store, vault, CA, service."""

    base: Path
    tokens: Pkcs11Tokens
    store: Store
    ca: CertificateAuthority
    service: KeyService

    @property
    def sim(self):  # the SoftHSM2 stand-in
        return self.tokens.standin

    def pull(self, serial: str) -> None:
        """Pull the key out and let the module notice (a re-scan, as the watcher does)."""
        self.sim.pull(serial)
        self.tokens.rescan()

    def insert(self, serial: str) -> None:
        self.sim.insert(serial)
        self.tokens.rescan()

    def close(self) -> None:
        self.tokens.close()
        self.store.close()
        self.ca.close()


def make_env(
    base: Path, *, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256, blank_slots: int = 6
) -> KeyEnv:
    base.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.open(base / "ca")
    tokens, store, svc = standalone_keys(
        base, InProcessIssuer(ca), algorithm=algorithm, blank_slots=blank_slots
    )
    return KeyEnv(base, tokens, store, ca, svc)
