"""The "runs out" alert as the partner reads it, in each language: the product, what is left, the days and the pace
(a decimal comma in Russian and Uzbek), escaped, with a button that opens the product's card as a new message."""
from __future__ import annotations

from bot import alert_texts
from bot.callbacks import ProductAction, ProductCb
from bot.i18n import Texts
from sandbox.telegram import parse_html
from services.outbox.records import AlertKind, Recipient
from tests.unit.test_outbox_sender import core, make_row  # noqa: F401  (core is a fixture)

PAYLOAD = {"product_id": "p-1", "sku": "MUG-<1>", "name": "Blue & white mug", "stock": 4, "days": 3, "rate": 1.14,
           "horizon": 7}


async def test_runs_out_alert_in_three_languages(core):  # noqa: F811
    expected = {"en": ("Runs out soon", "4 left", "about 3 days", "1.1 sold a day"),
                "ru": ("Скоро закончится", "осталось 4", "на 3 дн.", "1,1 в день"),
                "uz": ("Tez orada tugaydi", "4 ta qoldi", "3 kunga", "kuniga 1,1 ta")}
    for locale, phrases in expected.items():
        partner = Recipient("p", 1, locale, "Asia/Tashkent", None)
        text, markup = alert_texts.render([make_row(AlertKind.RUNS_OUT, PAYLOAD)], Texts(core, locale), partner)
        visible, _ = parse_html(text)  # raises on HTML Telegram would refuse
        assert "MUG-&lt;1&gt;" in text and "Blue &amp; white mug" in text
        assert all(phrase in visible for phrase in phrases), (locale, visible)
        (button,) = markup.inline_keyboard[0]
        assert ProductCb.unpack(button.callback_data) == ProductCb(action=ProductAction.OPEN, id="p-1", arg="alert")
