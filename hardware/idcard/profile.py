"""A reader profile: the APDUs that read the ID record from a card through PC/SC.

Readers that expose the ID card's decrypted record over PC/SC do it with vendor APDUs, so the
APDUs are configuration (``[idcard.pcsc.profile]`` in kiosk.toml). The default profile is the one
the kiosk's virtual card (``hardware.sim.vicc``) answers:

1. ``SELECT`` by AID: ``00 A4 04 00 Lc <aid>``
2. ``SELECT`` the text file: ``00 A4 02 0C 02 <text_file>``, then ``READ BINARY``
   (``00 B0 <offset> Le``) until ``text_length`` bytes are in;
3. the same for the photo file (``photo_length`` bytes).

Responses may be chained (``61xx``: fetch with ``GET RESPONSE 00 C0 00 00 xx``) or ask for an
exact length (``6Cxx``: resend with ``Le = xx``); both are handled.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The kiosk's default application id: RID D156 (national registration, China = 156) and a
#: proprietary extension. Real readers' profiles set their own.
DEFAULT_AID = bytes.fromhex("D15600000549444331")


@dataclass(frozen=True)
class ApduProfile:
    """The APDUs of one reader profile.

    Attributes:
        name: for logs.
        cla: class byte of every command.
        aid: application id selected first.
        text_file: 2-byte file id of the 256-byte text record.
        photo_file: 2-byte file id of the photo record.
        text_length: bytes in the text record.
        photo_length: bytes in the photo record.
        chunk: most bytes asked per READ BINARY (1-256; 256 is sent as Le = 00).
    """

    name: str = "default"
    cla: int = 0x00
    aid: bytes = DEFAULT_AID
    text_file: bytes = b"\x01\x01"
    photo_file: bytes = b"\x01\x02"
    text_length: int = 256
    photo_length: int = 1024
    chunk: int = 256

    def __post_init__(self) -> None:
        if not 1 <= len(self.aid) <= 16:
            raise ValueError("aid must be 1 to 16 bytes")
        if len(self.text_file) != 2 or len(self.photo_file) != 2:
            raise ValueError("file ids must be 2 bytes")
        if not 1 <= self.chunk <= 256:
            raise ValueError("chunk must be 1 to 256")
        if not 0 <= self.cla <= 0xFF:
            raise ValueError("cla must be one byte")

    def select_aid(self) -> list[int]:
        """The SELECT-by-AID command."""
        return [self.cla, 0xA4, 0x04, 0x00, len(self.aid), *self.aid]

    def select_file(self, fid: bytes) -> list[int]:
        """SELECT an elementary file by id, no response data."""
        return [self.cla, 0xA4, 0x02, 0x0C, 0x02, *fid]

    def read_binary(self, offset: int, le: int) -> list[int]:
        """READ BINARY ``le`` bytes (256 sent as 00) at ``offset`` (15 bits)."""
        return [self.cla, 0xB0, (offset >> 8) & 0x7F, offset & 0xFF, le & 0xFF]

    def get_response(self, le: int) -> list[int]:
        """GET RESPONSE for a ``61xx`` chain."""
        return [self.cla, 0xC0, 0x00, 0x00, le & 0xFF]
