"""USB keys through PKCS#11 (python-pkcs11): list, inspect, initialise, and work on one key.

The vendor's PKCS#11 module in production, SoftHSM2 (``hardware.sim.softhsm``) in tests and
training mode. Every call into the module runs under one lock: PKCS#11 modules tolerate threads
badly, re-running ``C_InitToken`` from elsewhere wipes a key under a live session, and the slot
watcher re-scans between operations. Vendor exceptions become :class:`kiosk.errors.TokenError`
with a ``code`` here, at the boundary.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pkcs11
import pkcs11.exceptions as p11e
from asn1crypto import algos as asn1algos
from asn1crypto import keys as asn1keys
from pkcs11 import MGF, Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass, TokenFlag
from pkcs11.constants import DEFAULT
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key
from pkcs11.util.x509 import decode_x509_certificate

from kiosk.errors import TokenError

#: Errors a module gives when the key leaves the port in the middle of a call.
_GONE = (
    p11e.DeviceRemoved,
    p11e.TokenNotPresent,
    p11e.TokenNotRecognised,
    p11e.SessionHandleInvalid,
    p11e.SessionClosed,
    p11e.ObjectHandleInvalid,
    p11e.KeyHandleInvalid,
    p11e.SlotIDInvalid,
    p11e.DeviceError,
    p11e.GeneralError,
)


class KeyAlgorithm(StrEnum):
    """Key pair kinds the kiosk generates on a key."""

    RSA2048 = "rsa2048"
    EC_P256 = "ec-p256"


@dataclass(frozen=True)
class PinState:
    """What a key reports about one of its PINs (PKCS#11 token flags).

    Standard PKCS#11 gives no count, only "count low", "final try" and "locked"; ``tries_left``
    is therefore known only on the final try (1) and when locked (0).
    """

    count_low: bool = False
    final_try: bool = False
    locked: bool = False
    to_be_changed: bool = False

    @property
    def tries_left(self) -> int | None:
        """1 on the final try, 0 when locked, otherwise None (the key does not say)."""
        if self.locked:
            return 0
        if self.final_try:
            return 1
        return None

    def describe(self) -> str:
        """One line for a person: locked / last try / a wrong PIN was entered / ok."""
        if self.locked:
            return "locked"
        if self.final_try:
            return "final try (1 left)"
        if self.count_low:
            return "a wrong PIN was entered (tries running low)"
        return "ok"


@dataclass(frozen=True)
class KeyInfo:
    """One key in the reader, as the module reports it.

    Attributes:
        slot_id: the module's slot (changes across re-scans: find keys by ``serial``).
        serial: the token serial ("" for a blank key: it gets one when initialised).
        label: the token label (the kiosk writes the order number there).
        initialised: ``CKF_TOKEN_INITIALIZED``; a blank key is not initialised.
        user_pin_initialised: ``CKF_USER_PIN_INITIALIZED``.
        user_pin, so_pin: the PIN state flags.
    """

    slot_id: int
    serial: str
    label: str
    manufacturer: str
    model: str
    initialised: bool
    user_pin_initialised: bool
    user_pin: PinState
    so_pin: PinState
    flags: int

    @property
    def blank(self) -> bool:
        """A key the module reports as never initialised."""
        return not self.initialised

    @property
    def ident(self) -> str:
        """The serial, or ``blank@<slot>`` for a blank key (the watcher's identity)."""
        return self.serial or f"blank@{self.slot_id}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "slot": self.slot_id,
            "serial": self.serial,
            "label": self.label,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "initialised": self.initialised,
            "user_pin_initialised": self.user_pin_initialised,
            "user_pin": self.user_pin.describe(),
            "so_pin": self.so_pin.describe(),
        }


@dataclass(frozen=True)
class TokenObject:
    """An object on a key (only public attributes are read; private keys never leave)."""

    kind: str  # "certificate" | "public_key" | "private_key" | "data" | other class name
    label: str
    key_id: bytes
    application: str = ""
    value: bytes | None = field(default=None, repr=False)


def _pin_states(flags: int) -> tuple[PinState, PinState]:
    user = PinState(
        count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
        final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
        locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
        to_be_changed=bool(flags & TokenFlag.USER_PIN_TO_BE_CHANGED),
    )
    so = PinState(
        count_low=bool(flags & TokenFlag.SO_PIN_COUNT_LOW),
        final_try=bool(flags & TokenFlag.SO_PIN_FINAL_TRY),
        locked=bool(flags & TokenFlag.SO_PIN_LOCKED),
        to_be_changed=bool(flags & TokenFlag.SO_PIN_TO_BE_CHANGED),
    )
    return user, so


def _info(slot: Any, token: Any) -> KeyInfo:
    flags = int(token.flags)
    initialised = bool(flags & TokenFlag.TOKEN_INITIALIZED)
    # A blank key's PIN flags mean nothing (SoftHSM reports its SO PIN "locked"): none yet.
    user, so = _pin_states(flags) if initialised else (PinState(), PinState())
    return KeyInfo(
        slot_id=int(slot.slot_id),
        serial=token.serial.decode("ascii", "replace").strip() if initialised else "",
        label=token.label.strip(),
        manufacturer=token.manufacturer_id.strip(),
        model=token.model.strip(),
        initialised=initialised,
        user_pin_initialised=bool(flags & TokenFlag.USER_PIN_INITIALIZED),
        user_pin=user,
        so_pin=so,
        flags=flags,
    )


def wrong_pin_error(state: PinState, *, so: bool = False) -> TokenError:
    """The named answer to a wrong PIN, saying how many tries are left when the key tells."""
    who = "SO PIN" if so else "PIN"
    if state.locked:
        return TokenError(
            f"Wrong {who}; the key is now locked. Unlocking is a counter service (解锁).",
            code="token.pin_locked",
        )
    left = state.tries_left
    if left == 1:
        tail = "1 try left before the key locks."
    elif state.count_low:
        tail = "Few tries left before the key locks; check the PIN envelope."
    else:
        tail = "The key does not report how many tries are left."
    err = TokenError(f"Wrong {who}. {tail}", code="token.wrong_pin")
    err.tries_left = left
    return err


# -- C_InitToken through the module's own function list ----------------------------------------
# python-pkcs11 has no C_InitToken. A second PKCS#11 binding (PyKCS11) cannot load the same module
# in this process ("already initialized"), but ctypes can call into the *same* loaded copy: dlopen
# returns the handle python-pkcs11 already holds, so the module's state (initialised, its slots) is
# shared and nothing is initialised twice. Calling through C_GetFunctionList, not a bare symbol,
# keeps it working for vendor modules that export only that entry point.

_CK_RV = ctypes.c_ulong

#: The reader's state when each loaded module last (re-)initialised, by module path. Kept per
#: module, not per adapter: a process loads a module once, so every adapter on it shares it.
_SCANNED: dict[str, object] = {}
_UNKNOWN = object()
_InitToken = ctypes.CFUNCTYPE(
    _CK_RV, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p
)


class _CkVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class _FunctionListHead(ctypes.Structure):
    # The first ten entries of CK_FUNCTION_LIST (PKCS#11 v2.40 order); C_InitToken is the tenth.
    _fields_ = (
        [("version", _CkVersion)]
        + [(f"f{i}", ctypes.c_void_p) for i in range(9)]
        + [("C_InitToken", _InitToken)]
    )


_CKR_NAMES = {
    0x000000A0: "pin_incorrect",
    0x000000A4: "pin_locked",
    0x000000E0: "token_not_present",
    0x00000032: "device_removed",
    0x000000B6: "session_exists",
    0x00000003: "slot_id_invalid",
}


class Pkcs11Tokens:
    """The key reader: one PKCS#11 module and the keys in its slots.

    Args:
        module_path: the PKCS#11 module (``libsofthsm2.so`` in tests and training).
        slot_filter: decides, from ``initialised``, whether a slot counts as a key in the reader;
            the SoftHSM stand-in hides its ever-present blank slot when no blank key is inserted.
        rescan_on_poll: re-initialise the module before listing (SoftHSM reads its token
            directory only when initialised; real modules report insertions themselves).
        reader_state: with ``rescan_on_poll``, what the module's view of the reader depends on
            (the stand-in's :meth:`~hardware.sim.softhsm.SoftHsm2.reader_state`): a poll then
            re-initialises only when it differs from what it was at the last re-scan. An
            explicit :meth:`rescan` or ``keys(rescan=True)`` always re-initialises.

    Capability flags (class attributes): ``can_init_token``: blank keys can be initialised.
    """

    can_init_token = True

    def __init__(
        self,
        module_path: str,
        *,
        slot_filter: Callable[[bool], bool] | None = None,
        rescan_on_poll: bool = False,
        reader_state: Callable[[], object] | None = None,
    ):
        self.module_path = module_path
        self.slot_filter = slot_filter
        self.rescan_on_poll = rescan_on_poll
        self.reader_state = reader_state
        self.lock = threading.RLock()
        self._lib: Any = None
        self._init_token: Any = None
        #: the SoftHSM2 stand-in behind this reader, when there is one (tests, training).
        self.standin: Any = None

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> Pkcs11Tokens:
        """Load the module.

        Raises:
            TokenError: ``token.module_load`` when the module does not load.
        """
        with self.lock:
            if self._lib is not None:
                return self
            _SCANNED.pop(self.module_path, None)  # a fresh load: nothing known about it yet
            try:
                self._lib = pkcs11.lib(self.module_path)
            except (p11e.PKCS11Error, OSError, RuntimeError) as e:
                raise TokenError(
                    f"The key module {self.module_path} does not load ({e}); "
                    "check devices.token.module_path in kiosk.toml",
                    code="token.module_load",
                ) from e
            return self

    def close(self) -> None:
        """Finalise the module (idempotent)."""
        with self.lock:
            if self._lib is not None:
                with contextlib.suppress(p11e.PKCS11Error):  # already finalised
                    self._lib.finalize()
                self._lib = None
                _SCANNED.pop(self.module_path, None)

    def __enter__(self) -> Pkcs11Tokens:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def lib(self) -> Any:
        if self._lib is None:
            self.open()
        return self._lib

    def rescan(self) -> None:
        """Re-initialise the module: picks up keys inserted or pulled, drops leaked sessions."""
        with self.lock:
            # read before the restart: a change while it runs then shows at the next poll
            seen = self.reader_state() if self.reader_state is not None else _UNKNOWN
            _SCANNED.pop(self.module_path, None)
            try:
                self.lib.reinitialize()
            except p11e.PKCS11Error as e:
                raise TokenError(
                    f"The key module failed to restart ({e})", code="token.failed"
                ) from e
            if seen is not _UNKNOWN:
                _SCANNED[self.module_path] = seen

    def _reader_changed(self) -> bool:
        """Whether a poll must re-scan: always, unless the reader's state is known to be the
        one the module last initialised with."""
        if self.reader_state is None:
            return True
        return self.reader_state() != _SCANNED.get(self.module_path, _UNKNOWN)

    # -- listing -----------------------------------------------------------------------------

    def keys(self, *, rescan: bool | None = None) -> list[KeyInfo]:
        """The keys in the reader, blank ones included, in slot order."""
        with self.lock:
            if rescan if rescan is not None else self.rescan_on_poll and self._reader_changed():
                self.rescan()
            out: list[KeyInfo] = []
            try:
                slots = self.lib.get_slots(token_present=True)
            except p11e.PKCS11Error as e:
                raise TokenError(f"Cannot list keys ({e})", code="token.failed") from e
            for slot in slots:
                try:
                    info = _info(slot, slot.get_token())
                except _GONE:
                    continue  # pulled while listing
                if self.slot_filter is None or self.slot_filter(info.initialised):
                    out.append(info)
            return out

    def key(self, serial: str) -> KeyInfo:
        """The key with this serial.

        Raises:
            TokenError: ``token.not_found`` when it is not in the reader.
        """
        for info in self.keys():
            if info.serial == serial:
                return info
        # a key inserted since the last scan is seen only after one
        if not self.rescan_on_poll:
            for info in self.keys(rescan=True):
                if info.serial == serial:
                    return info
        raise TokenError(f"Key {serial} is not in the reader; insert it", code="token.not_found")

    def one_key(self, *, blank: bool | None = None) -> KeyInfo:
        """The single key in the reader (the kiosk works on one key at a time).

        Args:
            blank: True when a blank key is needed, False when an issued one is, None for either.

        Raises:
            TokenError: ``token.no_key`` (none), ``token.two_keys`` (more than one),
                ``token.not_blank`` / ``token.blank`` (the wrong kind).
        """
        present = self.keys()
        if not present:
            raise TokenError("No key in the reader; insert the key", code="token.no_key")
        if len(present) > 1:
            raise TokenError(
                f"{len(present)} keys are in the reader; leave only the one for this visit",
                code="token.two_keys",
            )
        k = present[0]
        if blank is True and not k.blank:
            raise TokenError(
                f"Key {k.serial} ({k.label}) is not blank; "
                "a new issue needs a blank key from stock",
                code="token.not_blank",
            )
        if blank is False and k.blank:
            raise TokenError(
                "This is a blank key; this service needs the holder's own key",
                code="token.blank",
            )
        return k

    # -- initialising ------------------------------------------------------------------------

    def _c_init_token(self) -> Any:
        if self._init_token is None:
            so = ctypes.CDLL(self.module_path)
            head = ctypes.POINTER(_FunctionListHead)()
            get_list = so.C_GetFunctionList
            get_list.argtypes = [ctypes.POINTER(ctypes.POINTER(_FunctionListHead))]
            get_list.restype = _CK_RV
            rv = get_list(ctypes.byref(head))
            if rv != 0:
                raise TokenError(f"C_GetFunctionList failed (0x{rv:x})", code="token.module_load")
            self._init_token = (so, head.contents.C_InitToken)
        return self._init_token[1]

    def init_token(
        self, key: KeyInfo, *, so_pin: str, label: str, current_so_pin: str | None = None
    ) -> KeyInfo:
        """Initialise a key: every object on it is destroyed, and it gets a new label and SO PIN.

        Args:
            key: the key (blank, or an initialised one being wiped).
            so_pin: the new SO PIN (for a blank key) or the current one (wiping: PKCS#11 keeps
                the SO PIN of an initialised token; pass it as ``current_so_pin`` too).
            label: at most 32 bytes of UTF-8 (the kiosk uses the order number).
            current_so_pin: the SO PIN of an already initialised key.

        Returns:
            the key as it is now (with its serial).

        Raises:
            TokenError: ``token.wrong_pin`` / ``token.pin_locked`` (SO PIN), ``token.removed``.
        """
        raw_label = label.encode()
        if len(raw_label) > 32:
            raise TokenError("A key label holds at most 32 bytes", code="token.label")
        pin = (current_so_pin if key.initialised and current_so_pin else so_pin).encode()
        with self.lock:
            # C_InitToken destroys whatever sits in the slot: make sure the slot still holds
            # *this* key (a re-scan since the caller looked can renumber slots).
            key = self._current(key)
            fn = self._c_init_token()
            rv = fn(key.slot_id, pin, len(pin), raw_label.ljust(32, b" "))
            name = _CKR_NAMES.get(int(rv))
            if rv == 0:
                pass
            elif name == "pin_incorrect":
                raise wrong_pin_error(self._fresh_so_state(key), so=True)
            elif name == "pin_locked":
                raise TokenError(
                    "The key's SO PIN is locked; this key cannot be reused",
                    code="token.pin_locked",
                )
            elif name in ("token_not_present", "device_removed", "slot_id_invalid"):
                raise TokenError("The key was pulled out; insert it again", code="token.removed")
            elif name == "session_exists":
                raise TokenError("The key is busy (a session is open)", code="token.busy")
            else:
                raise TokenError(f"Initialising the key failed (CKR 0x{rv:x})", code="token.failed")
            # The slot keeps its id until the module re-scans: read the new serial from it.
            for slot in self.lib.get_slots(token_present=True):
                if slot.slot_id == key.slot_id:
                    return _info(slot, slot.get_token())
        raise TokenError("The key was pulled out; insert it again", code="token.removed")

    def _current(self, key: KeyInfo) -> KeyInfo:
        """``key`` as the module shows it now (its slot re-found by serial; a blank key must
        still be the only blank one in its slot)."""
        for attempt in (0, 1):
            if attempt:
                self.rescan()
            slots = self.lib.get_slots(token_present=True)
            infos = []
            for slot in slots:
                try:
                    infos.append(_info(slot, slot.get_token()))
                except _GONE:
                    continue
            if key.initialised:
                found = [i for i in infos if i.serial == key.serial]
            else:
                found = [i for i in infos if i.blank and i.slot_id == key.slot_id]
                if not found:
                    blanks = [i for i in infos if i.blank]
                    found = blanks if len(blanks) == 1 else []
            if found:
                return found[0]
        raise TokenError("The key was pulled out; insert it again", code="token.removed")

    def _fresh_so_state(self, key: KeyInfo) -> PinState:
        try:
            for slot in self.lib.get_slots(token_present=True):
                if slot.slot_id == key.slot_id:
                    return _info(slot, slot.get_token()).so_pin
        except p11e.PKCS11Error:
            pass
        return PinState()

    # -- sessions ----------------------------------------------------------------------------

    def _token(self, serial: str) -> Any:
        for attempt in (0, 1):
            if attempt:
                self.rescan()
            for slot in self.lib.get_slots(token_present=True):
                try:
                    tok = slot.get_token()
                except _GONE:
                    continue
                if tok.serial.decode("ascii", "replace").strip() == serial:
                    return tok
        raise TokenError(f"Key {serial} is not in the reader; insert it", code="token.removed")

    @contextmanager
    def session(
        self,
        serial: str,
        *,
        user_pin: str | None = None,
        so_pin: str | None = None,
        rw: bool = False,
    ) -> Iterator[KeySession]:
        """Open a session on one key, logged in as the user or the SO (or not at all).

        Holds the adapter's lock for the whole block: one operation on keys at a time.

        Raises:
            TokenError: ``token.wrong_pin`` (with tries left when known), ``token.pin_locked``,
                ``token.removed`` (the key left the port), ``token.failed``.
        """
        with self.lock:
            tok = self._token(serial)
            try:
                sess = tok.open(rw=rw or so_pin is not None, user_pin=user_pin, so_pin=so_pin)
            except p11e.PinIncorrect as e:
                # python-pkcs11 leaks the session when login fails; a re-scan drops it.
                self.rescan()
                state = self.key(serial)
                raise wrong_pin_error(
                    state.so_pin if so_pin else state.user_pin, so=so_pin is not None
                ) from e
            except p11e.PinLocked as e:
                self.rescan()
                raise TokenError(
                    "The key's PIN is locked after too many wrong tries; unlocking is a counter "
                    "service (解锁)",
                    code="token.pin_locked",
                ) from e
            except p11e.UserPinNotInitialized as e:
                raise TokenError("The key has no user PIN yet", code="token.no_user_pin") from e
            except _GONE as e:
                raise self._gone(serial, e) from e
            try:
                yield KeySession(self, serial, sess)
            except _GONE as e:
                raise self._gone(serial, e) from e
            except p11e.PKCS11Error as e:
                raise TokenError(
                    f"The key refused the operation ({type(e).__name__})", code="token.failed"
                ) from e
            finally:
                with contextlib.suppress(p11e.PKCS11Error):  # the key is gone, and its session
                    sess.close()

    def _gone(self, serial: str, e: Exception) -> TokenError:
        try:
            self.rescan()
            present = any(k.serial == serial for k in self.keys(rescan=False))
        except TokenError:
            present = False
        if present:
            return TokenError(f"The key failed ({type(e).__name__})", code="token.failed")
        return TokenError(f"Key {serial} was pulled out; insert it again", code="token.removed")

    # -- watching ----------------------------------------------------------------------------

    def watch(
        self,
        on_change: Callable[[str, KeyInfo], None],
        *,
        interval: float = 0.5,
        on_error: Callable[[Exception], None] | None = None,
    ) -> SlotWatcher:
        """A started watcher that calls ``on_change("inserted"|"removed", key)`` from its thread."""
        w = SlotWatcher(self, on_change, interval=interval, on_error=on_error)
        w.start()
        return w


def _translated(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Vendor exceptions of a session method become TokenError right where they happen, so a
    caller holding one session over several steps journals the right failure."""

    @functools.wraps(fn)
    def wrapper(self: KeySession, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except _GONE as e:
            raise self.tokens._gone(self.serial, e) from e
        except p11e.PKCS11Error as e:
            raise TokenError(
                f"The key refused the operation ({type(e).__name__})", code="token.failed"
            ) from e

    return wrapper


class KeySession:
    """Operations on one key inside :meth:`Pkcs11Tokens.session`."""

    def __init__(self, tokens: Pkcs11Tokens, serial: str, session: Any):
        self.tokens = tokens
        self.serial = serial
        self._s = session

    # user PIN management (SO session for init, user session for change)
    @_translated
    def init_user_pin(self, new_pin: str) -> None:
        """Set the user PIN (SO session): first issue and unlock."""
        self._s.init_pin(new_pin)

    @_translated
    def set_pin(self, old_pin: str, new_pin: str) -> None:
        """Change the PIN of the logged-in user."""
        self._s.set_pin(old_pin, new_pin)

    @_translated
    def generate_keypair(self, key_id: bytes, algorithm: KeyAlgorithm, label: str) -> bytes:
        """Generate a key pair on the key; the private key is sensitive and never extractable.

        Returns:
            the public key as a DER SubjectPublicKeyInfo.
        """
        priv_tpl = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.PRIVATE: True,
        }
        caps = MechanismFlag.SIGN | MechanismFlag.VERIFY
        if algorithm is KeyAlgorithm.EC_P256:
            params = self._s.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            pub, _ = params.generate_keypair(
                store=True, id=key_id, label=label, capabilities=caps, private_template=priv_tpl
            )
        else:
            pub, _ = self._s.generate_keypair(
                KeyType.RSA,
                2048,
                store=True,
                id=key_id,
                label=label,
                capabilities=caps,
                private_template=priv_tpl,
            )
        return _spki(pub)

    @_translated
    def public_key(self, key_id: bytes) -> bytes | None:
        """The public key with this CKA_ID as SubjectPublicKeyInfo DER, or None."""
        # searches are read to the end: a half-read one keeps C_FindObjects open on the session
        found = list(
            self._s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_id})
        )
        return _spki(found[0]) if found else None

    @_translated
    def has_private_key(self, key_id: bytes) -> bool:
        """Whether the private key with this CKA_ID is on the key (needs a user session)."""
        found = list(
            self._s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id})
        )
        return bool(found)

    @_translated
    def sign(self, key_id: bytes, data: bytes) -> tuple[bytes, str]:
        """Sign ``data`` with SHA-256 and the private key ``key_id``.

        Returns:
            (signature, algorithm): a PKCS#1 v1.5 signature and ``"sha256_rsa"``, or a DER ECDSA
            signature and ``"sha256_ecdsa"`` (SoftHSM has no CKM_ECDSA_SHA256: hash here, sign
            the digest with CKM_ECDSA on the key, DER-encode r‖s).
        """
        priv = self._s.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id)
        if priv.key_type == KeyType.EC:
            raw = priv.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
            return asn1algos.DSASignature.from_p1363(raw).dump(), "sha256_ecdsa"
        return priv.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS), "sha256_rsa"

    @_translated
    def import_wrapped_key(
        self,
        key_id: bytes,
        label: str,
        fetch: Callable[[bytes], tuple[bytes, bytes]],
    ) -> None:
        """Receive an RSA private key that crosses the wire only wrapped (key escrow, 密钥恢复).

        A fresh RSA-2048 *transport* key pair is made on the key as session objects (gone when
        the session closes; the private half sensitive and never extractable);
        ``fetch(transport_spki)`` asks the key management centre, which answers
        ``(wrapped_kek, wrapped_key)``: a one-time AES-256 key under RSA-OAEP (SHA-1, MGF1-SHA-1:
        the only OAEP hash SoftHSM2 2.6 accepts) and the PKCS#8 private key under that AES key
        with AES key wrap with padding (RFC 5649). Both are unwrapped *inside* the key
        (``C_UnwrapKey``); the private key is stored as ``key_id`` (sensitive, not extractable,
        decrypt and unwrap only), replacing any earlier one with that id.

        Raises:
            TokenError: the key refused (``token.failed``) or was pulled (``token.removed``);
                whatever ``fetch`` raises passes through.
        """
        pub, transport = self._s.generate_keypair(
            KeyType.RSA,
            2048,
            store=False,
            capabilities=MechanismFlag.WRAP | MechanismFlag.UNWRAP,
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
        )
        wrapped_kek, wrapped_key = fetch(_spki(pub))
        try:
            self._unwrap_into(transport, key_id, label, wrapped_kek, wrapped_key)
        except (p11e.GeneralError, p11e.WrappedKeyInvalid, p11e.WrappedKeyLenRange) as e:
            # SoftHSM answers a damaged or foreign wrapping with CKR_GENERAL_ERROR: tell that
            # apart from a pulled key, which the caller handles as such
            gone = self.tokens._gone(self.serial, e)
            if gone.code != "token.failed":
                raise gone from e
            raise TokenError(
                "The key could not unwrap the encryption key the key management centre sent "
                "(damaged on the way, or wrapped for another key); run the step again",
                code="token.unwrap_failed",
            ) from e
        finally:
            with contextlib.suppress(p11e.PKCS11Error):
                transport.destroy()
                pub.destroy()

    def _unwrap_into(
        self, transport: Any, key_id: bytes, label: str, wrapped_kek: bytes, wrapped_key: bytes
    ) -> None:
        kek = transport.unwrap_key(
            ObjectClass.SECRET_KEY,
            KeyType.AES,
            wrapped_kek,
            mechanism=Mechanism.RSA_PKCS_OAEP,
            mechanism_param=(Mechanism.SHA_1, MGF.SHA1, None),
            store=False,
            capabilities=MechanismFlag.UNWRAP,
            template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
        )
        for old in list(
            self._s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id})
        ):
            old.destroy()
        kek.unwrap_key(
            ObjectClass.PRIVATE_KEY,
            KeyType.RSA,
            wrapped_key,
            id=key_id,
            label=label,
            mechanism=Mechanism.AES_KEY_WRAP_PAD,
            store=True,
            capabilities=MechanismFlag.DECRYPT | MechanismFlag.UNWRAP,
            # python-pkcs11 templates every capability; a private key has no ENCRYPT, WRAP or
            # VERIFY attribute and SoftHSM refuses the unwrap if they are present
            template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.PRIVATE: True,
                Attribute.ENCRYPT: DEFAULT,
                Attribute.WRAP: DEFAULT,
                Attribute.VERIFY: DEFAULT,
            },
        )
        kek.destroy()

    @_translated
    def decrypt(self, key_id: bytes, ciphertext: bytes) -> bytes:
        """Decrypt RSA-OAEP (SHA-1) ``ciphertext`` with the private key ``key_id`` on the key
        (the encryption key pair's proof that the key holds it)."""
        priv = self._s.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id)
        return bytes(
            priv.decrypt(
                ciphertext,
                mechanism=Mechanism.RSA_PKCS_OAEP,
                mechanism_param=(Mechanism.SHA_1, MGF.SHA1, None),
            )
        )

    @_translated
    def write_certificate(self, key_id: bytes, cert_der: bytes, label: str) -> None:
        """Write an X.509 certificate object with the key pair's CKA_ID, replacing any old one."""
        for old in list(
            self._s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id})
        ):
            old.destroy()
        attrs = decode_x509_certificate(cert_der)
        attrs.update(
            {
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.ID: key_id,
                Attribute.LABEL: label,
            }
        )
        self._s.create_object(attrs)

    @_translated
    def write_data(self, label: str, application: str, value: bytes) -> None:
        """Write a public data object (CKO_DATA), replacing one with the same label."""
        for old in list(
            self._s.get_objects({Attribute.CLASS: ObjectClass.DATA, Attribute.LABEL: label})
        ):
            old.destroy()
        self._s.create_object(
            {
                Attribute.CLASS: ObjectClass.DATA,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.LABEL: label,
                Attribute.APPLICATION: application,
                Attribute.VALUE: value,
            }
        )

    @_translated
    def delete(
        self, *, kind: str | None = None, label: str | None = None, key_id: bytes | None = None
    ) -> int:
        """Destroy objects (all, or those of one kind / label / CKA_ID). Returns how many went."""
        tpl: dict[Any, Any] = {}
        if key_id is not None:
            tpl[Attribute.ID] = key_id
        if kind is not None:
            tpl[Attribute.CLASS] = _KIND_CLASS[kind]
        if label is not None:
            tpl[Attribute.LABEL] = label
        objs = list(self._s.get_objects(tpl))
        for o in objs:
            o.destroy()
        return len(objs)

    @_translated
    def objects(self) -> list[TokenObject]:
        """Objects visible in this session (public only, unless logged in)."""
        out: list[TokenObject] = []
        for o in list(self._s.get_objects()):
            cls = o[Attribute.CLASS]
            kind = _CLASS_KIND.get(cls, str(cls))
            label = _safe(o, Attribute.LABEL) or ""
            key_id = _safe(o, Attribute.ID) or b""
            app = ""
            value: bytes | None = None
            if cls in (ObjectClass.CERTIFICATE, ObjectClass.DATA):
                value = _safe(o, Attribute.VALUE)
            if cls == ObjectClass.DATA:
                app = _safe(o, Attribute.APPLICATION) or ""
            out.append(
                TokenObject(
                    kind=kind, label=label, key_id=bytes(key_id), application=app, value=value
                )
            )
        return out


_CLASS_KIND = {
    ObjectClass.CERTIFICATE: "certificate",
    ObjectClass.PUBLIC_KEY: "public_key",
    ObjectClass.PRIVATE_KEY: "private_key",
    ObjectClass.DATA: "data",
}
_KIND_CLASS = {v: k for k, v in _CLASS_KIND.items()}


def _safe(obj: Any, attr: Attribute) -> Any:
    try:
        return obj[attr]
    except (p11e.AttributeTypeInvalid, p11e.AttributeSensitive):
        return None


def _spki(pub: Any) -> bytes:
    if pub.key_type == KeyType.EC:
        return encode_ec_public_key(pub)
    rsa = asn1keys.RSAPublicKey.load(encode_rsa_public_key(pub))
    return asn1keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa", "parameters": None},
            "public_key": rsa,
        }
    ).dump()


class SlotWatcher:
    """Polls the reader in a thread and reports keys inserted and removed.

    The adapter owns the thread (:meth:`start` / :meth:`stop`). Failures go to ``on_error``,
    never swallowed; a poll is skipped while another thread works on a key (the lock is busy),
    so watching never interrupts an issuance.
    """

    def __init__(
        self,
        tokens: Pkcs11Tokens,
        on_change: Callable[[str, KeyInfo], None],
        *,
        interval: float = 0.5,
        on_error: Callable[[Exception], None] | None = None,
    ):
        self.tokens = tokens
        self.on_change = on_change
        self.on_error = on_error
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.present: dict[str, KeyInfo] = {}

    def start(self) -> None:
        """Start polling (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="token-watcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poll_once(self) -> None:
        """One scan: report the difference from the last one."""
        if not self.tokens.lock.acquire(timeout=0.05):
            return
        try:
            keys = self.tokens.keys()
        finally:
            self.tokens.lock.release()
        # Blank keys have no serial and a module may renumber slots on a re-scan: count them.
        now: dict[str, KeyInfo] = {}
        blanks = 0
        for k in keys:
            if k.blank:
                blanks += 1
                now[f"blank#{blanks}"] = k
            else:
                now[k.serial] = k
        for ident, k in now.items():
            if ident not in self.present:
                self.on_change("inserted", k)
        for ident, k in self.present.items():
            if ident not in now:
                self.on_change("removed", k)
        self.present = now

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as e:  # reported, not swallowed: the UI shows it
                if self.on_error is not None:
                    self.on_error(e)
            self._stop.wait(self.interval)
