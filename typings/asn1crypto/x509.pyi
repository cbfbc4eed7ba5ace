from typing import Self

from .core import Choice

class Name(Choice):
    @classmethod
    def build(cls, name_dict: dict[str, str], use_printable: bool = False) -> Self: ...
