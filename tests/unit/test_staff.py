"""Staff roster, PIN sign-in, lockout, roles and sessions."""

from __future__ import annotations

import pytest

from kiosk.errors import StaffError, UsageError
from kiosk.staff import audit
from kiosk.staff.roster import Role, Roster, StaffDesk, StaffPolicy, require_role
from tests.unit.staff_support import FAST_POLICY, FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def roster(store, clock):
    r = Roster(store, FAST_POLICY, clock=clock)
    r.add("1001", "王敏", "operator", "246810")
    r.add("2001", "李强", "supervisor", "135790", card_uid="04:A1:B2:C3:D4:E5:F6")
    r.add("3001", "陈静", "clerk", "112233")
    return r


def test_pin_is_stored_as_argon2id_never_in_clear(store, roster):
    row = store.db.execute("SELECT pin_hash FROM staff WHERE staff_no = '1001'").fetchone()
    assert row[0].startswith("$argon2id$")
    assert "246810" not in row[0]
    dump = "\n".join(store.db.conn.iterdump())
    assert "246810" not in dump


def test_default_policy_uses_a_slow_hash():
    p = StaffPolicy()
    assert p.hash_memory_kib >= 65536 and p.hash_time_cost >= 3


def test_right_pin_signs_in_and_is_audited(roster):
    desk = StaffDesk(roster)
    s = desk.sign_in("1001", "246810")
    assert s.role is Role.OPERATOR and s.member.name == "王敏"
    last = audit.entries(roster.store.db)[-1]
    assert (last.action, last.staff_no, last.outcome) == ("staff.sign_in", "1001", "done")


def test_wrong_pin_counts_down_then_locks_for_the_configured_time(roster, clock):
    desk = StaffDesk(roster)
    for left in (4, 3, 2, 1):
        with pytest.raises(StaffError) as e:
            desk.sign_in("1001", "000000")
        assert e.value.code == "staff.wrong_pin"
        assert f"{left} tries left" in e.value.message
    with pytest.raises(StaffError) as e:
        desk.sign_in("1001", "000000")
    assert e.value.code == "staff.locked"
    # Locked: even the right PIN is refused until lockout_s has passed.
    with pytest.raises(StaffError) as e:
        desk.sign_in("1001", "246810")
    assert e.value.code == "staff.locked"
    clock.advance(FAST_POLICY.lockout_s - 1)
    with pytest.raises(StaffError):
        desk.sign_in("1001", "246810")
    clock.advance(2)
    assert desk.sign_in("1001", "246810").member.staff_no == "1001"
    assert roster.get("1001").failed_pins == 0
    actions = [(e.action, e.outcome) for e in audit.entries(roster.store.db)]
    assert ("staff.locked_out", "done") in actions
    assert actions.count(("staff.sign_in", "refused")) == 7


def test_lockout_is_configurable(store, clock):
    policy = StaffPolicy(max_failed_pins=2, lockout_s=60, hash_time_cost=1, hash_memory_kib=1024)
    r = Roster(store, policy, clock=clock)
    r.add("1001", "王敏", "operator", "246810")
    with pytest.raises(StaffError):
        r.authenticate("1001", "1")
    with pytest.raises(StaffError) as e:
        r.authenticate("1001", "2")
    assert e.value.code == "staff.locked"
    clock.advance(61)
    assert r.authenticate("1001", "246810").staff_no == "1001"


def test_right_pin_resets_the_failure_count(roster):
    for _ in range(4):
        with pytest.raises(StaffError):
            roster.authenticate("1001", "999999")
    roster.authenticate("1001", "246810")
    with pytest.raises(StaffError) as e:
        roster.authenticate("1001", "999999")
    assert e.value.code == "staff.wrong_pin"


def test_unknown_number_and_disabled_member_are_refused(roster):
    with pytest.raises(StaffError) as e:
        roster.authenticate("9999", "246810")
    assert e.value.code == "staff.unknown"
    roster.disable("1001", reason="left the company")
    with pytest.raises(StaffError) as e:
        roster.authenticate("1001", "246810")
    assert e.value.code == "staff.disabled"


def test_card_uid_bound_to_staff_number_then_pin(roster):
    desk = StaffDesk(roster)
    s = desk.sign_in_card(bytes.fromhex("04A1B2C3D4E5F6"), "135790")
    assert s.member.staff_no == "2001" and s.method == "card"
    with pytest.raises(StaffError) as e:
        desk.sign_in_card("04A1B2C3D4E5F6", "000000")
    assert e.value.code == "staff.wrong_pin"


def test_unknown_card_uid_is_refused_and_audited(roster):
    with pytest.raises(StaffError) as e:
        StaffDesk(roster).sign_in_card("DEADBEEF", "135790")
    assert e.value.code == "staff.unknown_card"
    last = audit.entries(roster.store.db)[-1]
    assert last.reason_code == "unknown_card" and "DEADBEEF" in last.after


def test_session_times_out_after_inactivity(roster, clock):
    desk = StaffDesk(roster)
    desk.sign_in("1001", "246810")
    clock.advance(200)
    desk.current()  # activity refreshes
    clock.advance(299)
    assert desk.current().member.staff_no == "1001"
    clock.advance(300)
    with pytest.raises(StaffError) as e:
        desk.current()
    assert e.value.code == "staff.session_expired"
    with pytest.raises(StaffError) as e:
        desk.current()
    assert e.value.code == "staff.not_signed_in"
    last = audit.entries(roster.store.db)[-1]
    assert (last.action, last.reason_code) == ("staff.sign_out", "timeout")


def test_role_check_refuses_and_audits(roster):
    desk = StaffDesk(roster)
    desk.sign_in("1001", "246810")
    with pytest.raises(StaffError) as e:
        desk.require("day.close", Role.CLERK)
    assert e.value.code == "staff.forbidden"
    last = audit.entries(roster.store.db)[-1]
    assert (last.action, last.outcome, last.staff_no) == ("day.close", "refused", "1001")
    require_role(roster.store, roster.get("3001"), "day.close", [Role.CLERK])


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("1 2", "x", "operator", "123456"), "staff.bad_number"),
        (("1002", "x", "boss", "123456"), "staff.bad_role"),
        (("1002", "x", "operator", "12ab56"), "staff.bad_pin_format"),
        (("1002", "x", "operator", "123"), "staff.bad_pin_format"),
    ],
)
def test_bad_roster_input_is_a_usage_error(roster, args, code):
    with pytest.raises(UsageError) as e:
        roster.add(*args)
    assert e.value.code == code


def test_duplicate_number_or_card(roster):
    with pytest.raises(StaffError) as e:
        roster.add("1001", "x", "operator", "123456")
    assert e.value.code == "staff.exists"
    with pytest.raises(StaffError) as e:
        roster.add("1002", "x", "operator", "123456", card_uid="04A1B2C3D4E5F6")
    assert e.value.code == "staff.card_taken"


def test_hub_roster_is_cached_and_missing_entries_disabled(roster):
    h = roster.hasher.hash("555666")
    n = roster.import_from_hub(
        [{"staff_no": "4001", "name": "赵六", "role": "operator", "pin_hash": h}]
    )
    assert n == 1
    assert roster.authenticate("4001", "555666").source == "hub"
    roster.import_from_hub([])
    with pytest.raises(StaffError) as e:
        roster.authenticate("4001", "555666")
    assert e.value.code == "staff.disabled"
    assert roster.get("1001").active  # local entries are not the hub's to disable


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("[staff]\nlockout_minutes = 5\n", "staff.lockout_minutes"),
        ("[staff]\nmax_failed_pins = 0\n", "staff.max_failed_pins"),
        ('[staff]\ncard_reader_pattern = "("\n', "staff.card_reader_pattern"),
        ("[day_close]\ndifference_threshold_fen = -1\n", "day_close.difference_threshold_fen"),
        ("[day_close]\ndifference_threshold_fen = 1.5\n", "day_close.difference_threshold_fen"),
    ],
)
def test_bad_staff_and_day_close_settings_name_the_key(section, words):
    from kiosk.config import default_config_text, parse_settings
    from kiosk.errors import ConfigError

    base = default_config_text()
    # drop the shipped sections so the bad one is the only one
    for name in ("[staff]", "[day_close]"):
        base = base[: base.index(name)] if name in base and base.index(name) < len(base) else base
    with pytest.raises(ConfigError) as e:
        parse_settings(base + "\n" + section, "bad.toml")
    assert "bad.toml" in e.value.message and words in e.value.message
