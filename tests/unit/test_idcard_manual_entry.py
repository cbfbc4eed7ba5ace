"""Staff manual entry: the form passes the same checks as a card read."""

from __future__ import annotations

import datetime as dt

import pytest

from hardware.idcard.errors import BadCheckCharacter, CardExpired, CorruptRecord, UnknownNation
from hardware.idcard.record import CardType
from kiosk.errors import UsageError
from kiosk.shell.idcard_bridge import ManualEntry
from screens.i18n import CATALOGUE
from screens.idcard import KNOWN_ERRORS, error_words, mask_id

TODAY = dt.date(2026, 11, 21)
FORM = {
    "name": "张伟",
    "id_number": "44190019880615231x",
    "sex": "1",
    "nation": "01",
    "valid_from": "2019-03-01",
    "valid_to": "2039-03-01",
}


def entry() -> ManualEntry:
    return ManualEntry(today=lambda: TODAY)


def test_a_good_form_gives_a_validated_record() -> None:
    record = entry().validate(FORM)
    assert record.id_number == "44190019880615231X"
    assert record.birth_date == dt.date(1988, 6, 15)


def test_long_term_and_permit_numbers() -> None:
    form = {**FORM, "id_number": "810000199009210031", "nation": "", "valid_to": "长期"}
    record = entry().validate(form)  # a HK/Macau/Taiwan permit carries no nation
    assert record.card_type is CardType.HMT_PERMIT and record.valid_to is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"id_number": "441900198806152310"}, BadCheckCharacter),
        ({"valid_to": "2025-01-01"}, CardExpired),
        ({"valid_to": "2039/03/01"}, CorruptRecord),
        ({"nation": "99"}, UnknownNation),
        ({"name": "  "}, UsageError),
        ({"nation": ""}, UsageError),
    ],
)
def test_bad_forms_get_the_card_errors(change: dict[str, str], error: type) -> None:
    with pytest.raises(error):
        entry().validate({**FORM, **change})


def test_every_error_code_of_the_reader_has_words_in_both_languages() -> None:
    import hardware.idcard.errors as errors

    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type)
        and issubclass(cls, errors.IdCardError)
        and cls.code != "idcard.error"
    }
    assert codes <= set(KNOWN_ERRORS), codes - set(KNOWN_ERRORS)
    assert set(KNOWN_ERRORS) <= set(CATALOGUE)
    assert error_words("idcard.something_new") == CATALOGUE["idcard.error"]


def test_screen_masks_like_paper() -> None:
    assert mask_id("44190019880615231X") == "441900********231X"
