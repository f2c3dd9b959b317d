"""Admin broadcasts end to end, through the real polling loop and the outbox sender against the sandbox Telegram
server: broken HTML is refused, the preview is the message partners get, the audience can be changed before
sending, every partner gets one copy, a partner who blocked the bot is counted as blocked in the delivery count the
admin gets once, and no partner can reach any of it. Also the platform stats chart and the audit log."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.callbacks import (
    AdminStatsAction,
    AdminStatsCb,
    AuditAction,
    AuditCb,
    BroadcastAction,
    BroadcastCb,
)
from db.models import Broadcast, OutboxMessage
from services.jobs import GlobalJob
from tests.e2e.conftest import ADMIN_ID, press_and_wait, wait_for_text

TEXT = '<b>New fees</b> from Monday &amp; a <a href="https://example.com/fees">table</a>'
VISIBLE = "New fees from Monday & a table"


async def test_broadcast_reaches_partners_and_counts_the_blocked_one(harness):
    admin = harness.user(ADMIN_ID)
    await admin.send("/start")
    await wait_for_text(admin, "Main menu")
    partners = [await harness.registered(801 + n) for n in range(3)]
    russian = await harness.registered(804, language_code="ru")
    everyone = [*partners, russian]

    await admin.send("/admin")
    await wait_for_text(admin, "Administration")
    await press_and_wait(admin, "Broadcasts", "No broadcasts yet")
    await press_and_wait(admin, "New broadcast", "Send the text of the broadcast")

    # Broken HTML is refused with Telegram's reason, and nothing is queued.
    await admin.send("<b>New fees from Monday")
    refused = await wait_for_text(admin, "Telegram cannot show this text")
    assert "end tag" in refused.text
    await admin.send("<blink>hi</blink>")
    assert "blink" in (await wait_for_text(admin, "Telegram cannot show this text")).text

    # A good text: the preview is the message itself, then the audience.
    await admin.send(TEXT)
    preview = await admin.next_message()
    assert preview.text == VISIBLE
    assert {e["type"] for e in preview.entities} == {"bold", "text_link"}
    await wait_for_text(admin, "Who should get it?")
    by_language = await press_and_wait(admin, "Русский", "Send the message above?")
    assert "Recipients: 1" in by_language.text
    await press_and_wait(admin, "Change the audience", "Who should get it?")
    confirm = await press_and_wait(admin, "All partners", "Send the message above?")
    assert "Recipients: 5" in confirm.text  # four partners and the admin, who is one too
    async with harness.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0  # nothing before confirming

    harness.telegram.block(804)  # the Russian-speaking partner blocks the bot before the copies go out
    listing = await press_and_wait(admin, "Send to 5", "Broadcasts")
    assert "Queued for 5 partners" in admin.last_callback_answer()["text"]
    assert "pending 5" in listing.text and "recipients: 5" in listing.text
    # A second tap on the same button sends nothing more.
    callback_id = await admin.forge_callback(confirm.button("Send to 5").callback_data)
    assert "sent already" in (await admin.wait_callback_answer(callback_id))["text"]

    await harness.runtime.sender.drain_once()
    for partner in partners:
        copies = [m for m in harness.telegram.messages(partner.user_id) if m.text == VISIBLE]
        assert len(copies) == 1 and copies[0].entities == preview.entities
    assert not [m for m in harness.telegram.messages(804) if m.text == VISIBLE]
    await wait_for_text(admin, VISIBLE)  # the admin's own copy

    # Once every copy is settled the admin gets the delivery count, once.
    assert await harness.runtime.jobs.run_global(GlobalJob.BROADCAST_REPORTS) == 1
    await harness.runtime.sender.drain_once()
    report = await wait_for_text(admin, "delivered")
    assert "Recipients: 5" in report.text and "Sent: 4" in report.text
    assert "Blocked the bot: 1" in report.text and "Failed: 0" in report.text
    assert await harness.runtime.jobs.run_global(GlobalJob.BROADCAST_REPORTS) == 0
    await harness.runtime.sender.drain_once()
    await asyncio.sleep(0.3)
    assert len([m for m in harness.telegram.messages(ADMIN_ID) if "delivered" in (m.text or "")]) == 1

    # The list says the same.
    await admin.send("/admin")
    await wait_for_text(admin, "Administration")
    listing = await press_and_wait(admin, "Broadcasts", "recipients: 5")
    assert "sent 4" in listing.text and "blocked 1" in listing.text and "pending 0" in listing.text
    assert VISIBLE in listing.text

    # Platform stats: a chart photo, its caption carrying the figures.
    await press_and_wait(admin, "Back", "Administration")
    await admin.press("Platform stats")
    photo = await admin.next_message(timeout=20)
    assert photo.kind == "photo" and photo.document_bytes.startswith(b"\x89PNG")
    assert "Active partners: 5 today" in photo.caption
    assert "1 blocked" in photo.caption
    # Back from the photo leads home again.
    await press_and_wait(admin, "Back", "Administration", timeout=10)

    # The audit log names the broadcast and who sent it.
    audit = await press_and_wait(admin, "Audit log", "Audit log")
    assert "Broadcast sent" in audit.text and f"id {ADMIN_ID}" in audit.text and "Invite created" in audit.text

    async with harness.runtime.sessionmaker() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
        assert broadcast.reported_at is not None
        keys = set(await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "broadcast")))
    assert len(keys) == 6 and f"broadcast-report:{broadcast.id}" in keys

    # No partner reaches any of it, forged buttons included.
    intruder = everyone[0]
    await intruder.send("/admin")
    await wait_for_text(intruder, "administrators only")
    forged = [BroadcastCb(action=a, arg=broadcast.id if a is BroadcastAction.SEND else "all").pack()
              for a in BroadcastAction]
    forged += [AdminStatsCb(action=AdminStatsAction.SHOW).pack(), AuditCb(action=AuditAction.PAGE, page=0).pack()]
    for data in forged:
        callback_id = await intruder.forge_callback(data)
        assert "out of date" in (await intruder.wait_callback_answer(callback_id))["text"], data
    async with harness.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1
