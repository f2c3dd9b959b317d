"""Local decoding of Wildberries tokens (en-json api-information.json, "About the token")."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import AuthError, Warning
from connectors.wildberries.account import (
    WB_CATEGORY_BITS,
    WB_READ_ONLY_BIT,
    WB_REQUIRED_CATEGORIES,
    decode_wb_token,
    wb_scope_bit,
    wb_token_warnings,
)
from tests.support import make_jwt, make_wb_token, wb_mask

# A payload shaped exactly like a real WB token found in open-source code (values changed): s=128.
REAL_SHAPE = {"ent": 1, "exp": 1759719677, "id": "01960b9e-c8e6-7105-b560-e156c089d0d6", "iid": 50109270,
              "oid": 677632, "s": 128, "sid": "e6ac6604-1d21-415c-905d-3dc0c4a8f2be", "t": False, "uid": 50109270}


def test_bit_position_means_one_shifted_by_position():
    # "Bit position 1 = Content": value 2, not 1. Bit 0 is unused by WB.
    assert wb_scope_bit(1) == 2
    assert decode_wb_token(make_jwt({"s": 2})).categories == {"content"}
    assert decode_wb_token(make_jwt({"s": 1})).categories == frozenset()
    assert decode_wb_token(make_jwt(REAL_SHAPE)).categories == {"feedbacks"}  # 128 = 1 << 7


def test_every_documented_position():
    expected = {1: "content", 2: "analytics", 3: "prices", 4: "marketplace", 5: "statistics", 6: "promotion",
                7: "feedbacks", 9: "buyers_chat", 10: "supplies", 11: "returns", 12: "documents", 13: "finance",
                16: "users"}
    assert WB_CATEGORY_BITS == expected
    for position, name in expected.items():
        assert decode_wb_token(make_jwt({"s": 1 << position})).categories == {name}


def test_read_only_is_bit_30():
    info = decode_wb_token(make_wb_token(s=wb_mask(1, 4, WB_READ_ONLY_BIT)))
    assert info.read_only and info.categories == {"content", "marketplace"}
    assert not decode_wb_token(make_wb_token(s=wb_mask(1, 4))).read_only


@pytest.mark.parametrize("acc, expected", [(1, "base"), (2, "test"), (3, "personal"), (4, "service"), (9, "unknown")])
def test_token_type_from_acc(acc, expected):
    assert decode_wb_token(make_wb_token(acc=acc)).type == expected


def test_service_token_carries_service_id_and_fields():
    token = make_wb_token(acc=4, exp=1_900_000_123, **{"for": "asid:abc-123"})
    info = decode_wb_token(token)
    assert info.service_id == "abc-123"
    assert info.expires_at == 1_900_000_123
    assert info.seller_id == "e6ac6604-1d21-415c-905d-3dc0c4a8f2be"


def test_test_token_by_t_claim_when_acc_missing():
    assert decode_wb_token(make_jwt({"t": True, "s": 2})).type == "test"


@pytest.mark.parametrize("text", ["", "not-a-token", "a.b", "a.b.c.d", "x.!!!.y", make_jwt({})[:-1].replace(".", "", 1)])
def test_non_jwt_is_auth_error_without_the_text(text):
    with pytest.raises(AuthError) as err:
        decode_wb_token(text)
    assert (not text) or text not in str(err.value)


def test_payload_that_is_not_an_object():
    with pytest.raises(AuthError):
        decode_wb_token(make_jwt("[1, 2]"))  # type: ignore[arg-type]


def test_warnings_for_type_read_only_and_missing_categories():
    info = decode_wb_token(make_wb_token(acc=3, s=wb_mask(1, 4, WB_READ_ONLY_BIT)))
    warnings, missing = wb_token_warnings(info)
    assert warnings == [Warning.WB_PERSONAL_TOKEN, Warning.WB_READ_ONLY, Warning.WB_MISSING_CATEGORIES]
    assert missing == ["prices", "statistics", "analytics", "finance"]

    service = decode_wb_token(make_wb_token(acc=4, s=wb_mask(1, 2, 3, 4, 5, 13)))
    assert wb_token_warnings(service) == ([], [])
    assert set(WB_REQUIRED_CATEGORIES) == service.categories


@given(st.sets(st.sampled_from(sorted(WB_CATEGORY_BITS))), st.booleans())
def test_mask_round_trip(positions, read_only):
    mask = wb_mask(*positions, *([WB_READ_ONLY_BIT] if read_only else []))
    info = decode_wb_token(make_wb_token(s=mask))
    assert info.categories == {WB_CATEGORY_BITS[p] for p in positions}
    assert info.read_only is read_only


@given(st.text(max_size=200))
def test_any_text_decodes_or_raises_auth_error(text):
    try:
        decode_wb_token(text)
    except AuthError:
        pass
