import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Marketplace
from services.key_formats import check_api_key, check_client_id, looks_like_secret, normalize


def jwt(payload: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'ES256'})}.{enc(payload)}.c2ln"


def test_ozon_client_id_must_be_numeric():
    assert check_client_id("123456") is None
    assert check_client_id(" 123456 ") is None
    assert check_client_id("12a456") == "format-ozon-client-id"
    assert check_client_id("") == "format-ozon-client-id"
    assert check_client_id("0") == "format-ozon-client-id"
    assert check_client_id("²") == check_client_id("٣") == "format-ozon-client-id"


def test_wildberries_token_must_be_a_jwt():
    assert check_api_key(Marketplace.WILDBERRIES, jwt({"acc": 1})) is None
    assert check_api_key(Marketplace.WILDBERRIES, "not-a-jwt-but-long-enough") == "format-wildberries-key"
    assert check_api_key(Marketplace.WILDBERRIES, "a.b.c") == "format-wildberries-key"


def test_ozon_key_is_a_uuid():
    assert check_api_key(Marketplace.OZON, "0f8fad5b-d9cb-469f-a165-70867728950e") is None
    assert check_api_key(Marketplace.OZON, "0f8fad5b d9cb") == "format-ozon-key"


def test_yandex_oauth_token_is_refused_with_a_hint():
    assert check_api_key(Marketplace.YANDEX, "y0_AgAAAAAAxxxxxxxxxxxxxxxxxxxxx") == "format-yandex-oauth"
    assert check_api_key(Marketplace.YANDEX, "ACMA:abcdefghijklmnopqrstuvwxyz:12345678") is None


def test_pasted_bearer_prefix_and_quotes_are_removed():
    assert normalize('  "Bearer ACMA:abc"  ') == "ACMA:abc"


def test_secret_shapes_are_recognised_outside_the_flow():
    assert looks_like_secret(jwt({"acc": 1, "s": 1}))
    assert looks_like_secret("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert not looks_like_secret("hello, how do I connect Ozon?")


@given(st.text(max_size=300))
def test_any_text_gets_an_answer_not_an_exception(text):
    for marketplace in Marketplace:
        result = check_api_key(marketplace, text)
        assert result is None or result.startswith("format-")
    assert check_client_id(text) in (None, "format-ozon-client-id")
    looks_like_secret(text)
