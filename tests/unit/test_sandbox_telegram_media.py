"""The sandbox Telegram's editMessageMedia, as Telegram takes it: the new photo uploaded as a multipart part named by
`media.media` = attach://<part>, the caption and parse_mode inside `media`; the PhotoSize carries the PNG's own size;
editing a message without media, or a media type Telegram has no such edit for, is a 400."""
from __future__ import annotations

import struct

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaPhoto

from sandbox.telegram import TelegramSandbox
from tests.unit.test_sandbox_telegram import make_bot


def png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, height) + b"\x08\x02\0\0\0"


async def test_a_photo_replaced_in_place_with_its_caption():
    tg = TelegramSandbox()
    await tg.start()
    bot = make_bot(tg)
    try:
        user = tg.user(8, first_name="Dilnoza")
        await user.send("/start")
        sent = await bot.send_photo(8, BufferedInputFile(png(1080, 810), "a.png"), caption="<b>7 days</b>")
        assert (sent.photo[-1].width, sent.photo[-1].height) == (1080, 810)
        edited = await bot.edit_message_media(InputMediaPhoto(media=BufferedInputFile(png(1080, 600), "b.png"),
                                                              caption="<b>Today</b>: 3 orders"),
                                              chat_id=8, message_id=sent.message_id)
        assert edited.message_id == sent.message_id and edited.caption == "Today: 3 orders"
        assert (edited.photo[-1].width, edited.photo[-1].height) == (1080, 600)
        [photo] = tg.photos(8)
        assert photo.edited and photo.document_bytes == png(1080, 600) and photo.caption == "Today: 3 orders"
        assert photo.html == "<b>Today</b>: 3 orders"

        text = await bot.send_message(8, "plain")
        with pytest.raises(TelegramBadRequest, match="no media"):
            await bot.edit_message_media(InputMediaPhoto(media=BufferedInputFile(png(10, 10), "c.png")),
                                         chat_id=8, message_id=text.message_id)
        with pytest.raises(TelegramBadRequest, match="too long"):
            await bot.edit_message_media(InputMediaPhoto(media=BufferedInputFile(png(10, 10), "c.png"),
                                                         caption="x" * 1025), chat_id=8, message_id=sent.message_id)
    finally:
        await bot.session.close()
        await tg.stop()
