import io
import logging

from bot.log import RedactingFormatter, redact, remember_secret


def test_shapes_of_secrets_are_redacted():
    text = ("token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw jwt eyJhbGciOi.eyJhY2MiOjF9.sig "
            "ACMA:abc:def y0_AgAAAAAAabcdefghij Api-Key: 3f2c-secret Authorization=xyz")
    out = redact(text)
    for leaked in ("AAHdqTcv", "eyJhY2MiOjF9", "ACMA:abc", "y0_AgAAA", "3f2c-secret", "xyz"):
        assert leaked not in out, leaked


def test_remembered_secret_is_redacted_in_tracebacks():
    secret = "plain-uzum-token-without-shape-123"
    remember_secret(secret)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        raise RuntimeError(f"failed with {secret}")
    except RuntimeError:
        logger.exception("boom %s", secret)
    logger.removeHandler(handler)
    assert secret not in stream.getvalue()
    assert "***" in stream.getvalue()
