from typing import Self

from .core import Sequence

class DSASignature(Sequence):
    @classmethod
    def from_p1363(cls, data: bytes) -> Self: ...
