"""The table of allowed seal shapes and sizes per unit type and seal type, loaded from TOML.

The table is data (``rules.toml`` beside this module, one ``source`` per row) so a counter can
follow a new regulation or local practice without a code change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import ConfigError, UsageError

RULES_PATH = Path(__file__).with_name("rules.toml")
SHAPES = ("round", "oval", "rectangle")
CENTRES = ("star", "emblem", "any")

Range = tuple[float, float]


@dataclass(frozen=True)
class SealRule:
    """One row of the rules table.

    Attributes:
        unit_type: 单位性质 key (``enterprise``, ``institution``, ``state_organ_county_gov`` …).
        seal_type: 印章类型 key (``official``, ``contract`` …) or ``*`` for any.
        shapes: allowed shapes.
        diameter_mm: allowed diameter range for round seals.
        axes_mm: allowed (major, minor) ranges for oval seals.
        rect_mm: allowed (width, height) ranges for rectangular seals, width the longer side.
        centre: ``star`` (a central five-pointed star is required), ``emblem`` or ``any``.
        tolerance_mm: measurement tolerance applied to every limit.
        source: where the row comes from.
    """

    unit_type: str
    seal_type: str
    shapes: tuple[str, ...]
    diameter_mm: Range | None
    axes_mm: tuple[Range, Range] | None
    rect_mm: tuple[Range, Range] | None
    centre: str
    tolerance_mm: float
    source: str

    @property
    def key(self) -> str:
        """``unit_type/seal_type`` as shown in reports."""
        return f"{self.unit_type}/{self.seal_type}"


def _range(v: object, where: str) -> Range:
    if (
        not isinstance(v, list)
        or len(v) != 2
        or not all(isinstance(x, int | float) for x in v)
        or v[0] > v[1]
    ):
        raise ConfigError(f"{where}: expected [min, max] in mm, got {v!r}", code="seal.rules")
    return float(v[0]), float(v[1])


def _pair(v: object, where: str) -> tuple[Range, Range]:
    if not isinstance(v, list) or len(v) != 2:
        raise ConfigError(
            f"{where}: expected [[min, max], [min, max]], got {v!r}", code="seal.rules"
        )
    return _range(v[0], where), _range(v[1], where)


_KEYS = {"unit_type", "seal_type", "shapes", "diameter_mm", "axes_mm", "rect_mm", "centre"}
_KEYS |= {"source", "tolerance_mm"}


class RuleTable:
    """All rows, with lookup by unit type and seal type (an exact seal type beats ``*``)."""

    def __init__(self, rules: list[SealRule]):
        self.rules = rules

    @classmethod
    def load(cls, path: Path | None = None) -> RuleTable:
        """Read and check a rules file.

        Args:
            path: the TOML file; the packaged ``rules.toml`` when None.

        Raises:
            ConfigError: the file is missing, not TOML, or a row is wrong (names file and row).
        """
        path = path or RULES_PATH
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: cannot read seal rules: {e}", code="seal.rules") from e
        default_tol = float(doc.get("defaults", {}).get("tolerance_mm", 1.0))
        rules = []
        for i, row in enumerate(doc.get("rule", []), 1):
            where = f"{path} rule #{i}"
            unknown = set(row) - _KEYS
            if unknown:
                raise ConfigError(f"{where}: unknown keys {sorted(unknown)}", code="seal.rules")
            shapes = tuple(row.get("shapes", []))
            if not shapes or any(s not in SHAPES for s in shapes):
                raise ConfigError(f"{where}: shapes must be from {SHAPES}", code="seal.rules")
            centre = row.get("centre", "any")
            if centre not in CENTRES:
                raise ConfigError(f"{where}: centre must be one of {CENTRES}", code="seal.rules")
            if not row.get("source"):
                raise ConfigError(f"{where}: every row needs a source", code="seal.rules")
            rule = SealRule(
                unit_type=str(row.get("unit_type", "")),
                seal_type=str(row.get("seal_type", "*")),
                shapes=shapes,
                diameter_mm=_range(row["diameter_mm"], where) if "diameter_mm" in row else None,
                axes_mm=_pair(row["axes_mm"], where) if "axes_mm" in row else None,
                rect_mm=_pair(row["rect_mm"], where) if "rect_mm" in row else None,
                centre=centre,
                tolerance_mm=float(row.get("tolerance_mm", default_tol)),
                source=str(row["source"]),
            )
            for shape, size in (("round", "diameter_mm"), ("oval", "axes_mm")):
                if shape in shapes and getattr(rule, size) is None:
                    raise ConfigError(f"{where}: shape {shape} needs {size}", code="seal.rules")
            if "rectangle" in shapes and rule.rect_mm is None:
                raise ConfigError(f"{where}: shape rectangle needs rect_mm", code="seal.rules")
            rules.append(rule)
        if not rules:
            raise ConfigError(f"{path}: no [[rule]] rows", code="seal.rules")
        return cls(rules)

    @property
    def unit_types(self) -> list[str]:
        """Every unit type the table knows, in file order."""
        return list(dict.fromkeys(r.unit_type for r in self.rules))

    @property
    def seal_types(self) -> list[str]:
        """Every named seal type the table knows, in file order."""
        return list(dict.fromkeys(r.seal_type for r in self.rules if r.seal_type != "*"))

    def find(self, unit_type: str, seal_type: str) -> SealRule:
        """The row for a unit type and seal type.

        Raises:
            UsageError: no row matches; the message lists the known unit types.
        """
        exact = [r for r in self.rules if r.unit_type == unit_type and r.seal_type == seal_type]
        wild = [r for r in self.rules if r.unit_type == unit_type and r.seal_type == "*"]
        if exact or wild:
            return (exact or wild)[0]
        if unit_type not in self.unit_types:
            raise UsageError(
                f"unknown unit type {unit_type!r}; known: {', '.join(self.unit_types)}",
                code="seal.unit_type",
            )
        known = [r.seal_type for r in self.rules if r.unit_type == unit_type]
        raise UsageError(
            f"no rule for seal type {seal_type!r} of unit type {unit_type!r}; known: "
            f"{', '.join(known)}",
            code="seal.seal_type",
        )
