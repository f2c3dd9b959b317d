"""bot/web.py: the Yandex Market and Ozon webhook endpoints.

Yandex replies (and the notifications the tests send) are validated with openapi-core against the official
notification-api spec; Ozon publishes its push shapes as prose in the swagger (tags push_start, push_types,
service_response), so those are checked field by field. Polls go through the real job runner, with a fake orders job
that records them.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from bot import web as W
from connectors.base import Marketplace
from connectors.yandex import webhooks as yandex_webhooks
from bot.config import Settings
from db.models import MarketplaceIntegration, Partner
from services.jobs import JobKind, schedule
from services.jobs.runner import JobRunner
from services.jobs.types import JobResult
from tests.support.contract import SPECS_DIR
from tests.support.jobs import platform_with

NOTIFICATION_SPEC = SPECS_DIR / "yandex" / "notification-api" / "openapi" / "openapi.yaml"
YANDEX_PATH = W.webhook_path(Marketplace.YANDEX)
OZON_PATH = W.webhook_path(Marketplace.OZON)
# The ranges Yandex and Ozon publish (each connector's webhooks.NETWORKS): the default of WEBHOOK_ALLOWED_NETWORKS.
PUBLISHED = ("5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25", "195.34.21.0/24", "185.73.192.0/22",
             "91.223.93.0/24")
CAMPAIGN = 21000002
OZON_CLIENT = "2600101"
LOCAL = ["127.0.0.1/32"]


# ------------------------------------------------------------------------------------ the Yandex spec
def _notification_spec() -> OpenAPI:
    data = yaml.safe_load(Path(NOTIFICATION_SPEC).read_text(encoding="utf-8"))
    data = {**data, "servers": [{"url": "/"}]}
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None), base_uri=Path(NOTIFICATION_SPEC).as_uri())


SPEC = _notification_spec()


class _SpecRequest:
    def __init__(self, body: dict):
        self.host_url = "http://shop.local"
        self.path = self.path_pattern = "/notification"
        self.method = "post"
        self.body = json.dumps(body).encode()
        self.content_type = "application/json"
        self.parameters = RequestParameters(query=ImmutableMultiDict(), header=Headers(), cookie=ImmutableMultiDict(),
                                            path={})


class _SpecResponse:
    def __init__(self, status: int, body: bytes, content_type: str):
        self.status_code = status
        self.headers = Headers([("Content-Type", content_type)])
        self.content_type = content_type
        self.data = body


def valid_notification(body: dict) -> dict:
    """What the tests send is what Yandex may send (SendNotificationRequest)."""
    SPEC.validate_request(_SpecRequest(body))
    return body


async def spec_reply(response: aiohttp.ClientResponse, *, as_status: int | None = None) -> dict:
    """The reply, validated against POST /notification's documented response for its status (or `as_status`:
    a 403 of ours is checked against the documented error shape of 400)."""
    raw = await response.read()
    SPEC.validate_response(_SpecRequest({"notificationType": "PING"}),
                           _SpecResponse(as_status or response.status, raw, response.content_type))
    return json.loads(raw)


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ping() -> dict:
    return valid_notification({"notificationType": "PING", "time": iso_now()})


def order_created(campaign: int = CAMPAIGN, order_id: int = 70000001) -> dict:
    return valid_notification({"notificationType": "ORDER_CREATED", "campaignId": campaign, "orderId": order_id,
                               "createdAt": iso_now(),
                               "items": [{"offerId": "SKU-1", "count": 1}]})


YANDEX_ORDER_EXAMPLES = {
    "ORDER_CREATED": order_created,
    "ORDER_CANCELLED": lambda: {"notificationType": "ORDER_CANCELLED", "campaignId": CAMPAIGN, "orderId": 1,
                                "items": [{"offerId": "SKU-1", "count": 1}], "cancelledAt": iso_now()},
    "ORDER_STATUS_UPDATED": lambda: {"notificationType": "ORDER_STATUS_UPDATED", "campaignId": CAMPAIGN, "orderId": 1,
                                     "status": "PROCESSING", "substatus": "STARTED", "updatedAt": iso_now()},
    "ORDER_CANCELLATION_REQUEST": lambda: {"notificationType": "ORDER_CANCELLATION_REQUEST", "campaignId": CAMPAIGN,
                                           "orderId": 1, "requestedAt": iso_now()},
    "ORDER_UPDATED": lambda: {"notificationType": "ORDER_UPDATED", "campaignId": CAMPAIGN, "orderId": 1,
                              "updateType": "SHIPMENT_DATE_UPDATED", "updatedAt": iso_now()},
}


def ozon_new_posting(seller_id=2600101) -> dict:
    """push_types "New shipment" example."""
    return {"message_type": "TYPE_NEW_POSTING", "posting_number": "24319409-0021-1",
            "products": [{"sku": 147451939, "offer_id": "", "quantity": 1}],
            "in_process_at": "2021-01-26T06:56:36.294Z", "warehouse_id": 22000000000001,
            "shipment_date": "2021-01-26T06:56:36.294Z", "tpl_integration_type": "3pl_tracking",
            "is_express": False, "tracking_number": "ZZV-23", "delivery_date_begin": "2025-01-26T06:56:36.294Z",
            "delivery_date_end": "2025-01-26T06:56:36.294Z", "seller_id": seller_id}


def assert_ozon_error(body: dict, code: str) -> None:
    """service_response: {"error": {"code", "message", "details": null}}."""
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code and body["error"]["details"] is None
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


# ------------------------------------------------------------------------------------------- fakes
class Closable:
    async def aclose(self):
        pass


class FakeJobs:
    """The real job runner with an orders job that records its calls; each poll takes `delay` seconds or waits for
    `gate`. `bind(sessionmaker)` makes the runner."""

    def __init__(self, delay: float = 0.0, gate: asyncio.Event | None = None, after_job=None):
        self.calls: list[tuple[str, str]] = []
        self.delay = delay
        self.gate = gate
        self.after_job = after_job
        self.active = 0
        self.max_active = 0
        self.started = asyncio.Event()
        self.runner: JobRunner | None = None

    def bind(self, sessionmaker) -> JobRunner:
        self.runner = JobRunner(platform_with(sessionmaker, Closable()), {JobKind.ORDERS: self.poll},
                                after_job=self.after_job)
        return self.runner

    async def poll(self, ctx) -> JobResult:
        self.calls.append((ctx.integration_id, "orders"))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.started.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.delay)
        finally:
            self.active -= 1
        return JobResult()


@pytest.fixture
async def shops(sessionmaker) -> SimpleNamespace:
    """Partner A: Yandex campaign CAMPAIGN (active), Ozon Client-Id OZON_CLIENT (active), a paused Yandex
    campaign; partner B: another Yandex campaign."""
    async with sessionmaker() as s:
        a, b = Partner(telegram_id=1, language="en"), Partner(telegram_id=2, language="en")
        s.add_all([a, b])
        await s.flush()
        rows = {
            "yandex": MarketplaceIntegration(partner_id=a.id, marketplace="yandex", status="active", active=1,
                                             seller_id=str(CAMPAIGN)),
            "ozon": MarketplaceIntegration(partner_id=a.id, marketplace="ozon", status="active", active=1,
                                           seller_id=OZON_CLIENT),
            "paused": MarketplaceIntegration(partner_id=a.id, marketplace="yandex", status="paused", active=0,
                                             seller_id="21000077"),
            "other": MarketplaceIntegration(partner_id=b.id, marketplace="yandex", status="active", active=1,
                                            seller_id="21000001"),
        }
        s.add_all(rows.values())
        await s.commit()
        return SimpleNamespace(**{k: v.id for k, v in rows.items()}, partner_a=a.id, partner_b=b.id)


@pytest.fixture
async def make_client(sessionmaker):
    clients: list[TestClient] = []

    async def make(jobs, *, allowed=LOCAL, trust_forwarded=False) -> TestClient:
        app = W.build_web_app(sessionmaker=sessionmaker, jobs=jobs.bind(sessionmaker), allowed_networks=list(allowed),
                              trust_forwarded=trust_forwarded)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def triggers(client: TestClient) -> W.OrderTriggers:
    return client.server.app[W.TRIGGERS]


# ----------------------------------------------------------------------------------------- Yandex
async def test_yandex_ping_reply_matches_the_spec(make_client):
    jobs = FakeJobs()
    client = await make_client(jobs)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    response = await client.post(YANDEX_PATH, json=ping())
    assert response.status == 200
    body = await spec_reply(response)
    assert set(body) == {"version", "name", "time"}
    assert body["name"] == "SellerCloudX" and 1 <= len(body["version"]) <= 100
    assert body["time"].endswith("Z")
    assert before <= datetime.fromisoformat(body["time"]) <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert jobs.calls == [] and not triggers(client).busy()


async def test_ping_is_answered_within_a_second_while_a_poll_is_slow(make_client, shops):
    jobs = FakeJobs(delay=30.0)
    client = await make_client(jobs)
    started = time.monotonic()
    response = await client.post(YANDEX_PATH, json=order_created())
    assert response.status == 200 and time.monotonic() - started < 1.0
    await asyncio.wait_for(jobs.started.wait(), 5)  # the slow poll is now running
    for _ in range(3):
        started = time.monotonic()
        response = await client.post(YANDEX_PATH, json=ping())
        elapsed = time.monotonic() - started
        assert response.status == 200 and elapsed < 1.0, elapsed
        await spec_reply(response)
    assert jobs.active == 1  # still polling: the replies did not wait for it
    await triggers(client).close()
    await jobs.runner.stop(grace=0.1)  # shutdown: a poll stuck past the grace period is cancelled
    assert jobs.active == 0 and not triggers(client).busy()


async def test_order_created_triggers_exactly_one_poll_of_the_right_integration(make_client, shops):
    jobs = FakeJobs()
    client = await make_client(jobs)
    response = await client.post(YANDEX_PATH, json=order_created())
    assert response.status == 200
    await spec_reply(response)
    await triggers(client).idle()
    assert jobs.calls == [(shops.yandex, "orders")]


@pytest.mark.parametrize("kind", sorted(YANDEX_ORDER_EXAMPLES))
async def test_every_order_notification_type_triggers_a_poll(make_client, shops, kind):
    jobs = FakeJobs()
    client = await make_client(jobs)
    response = await client.post(YANDEX_PATH, json=valid_notification(YANDEX_ORDER_EXAMPLES[kind]()))
    assert response.status == 200
    await spec_reply(response)
    await triggers(client).idle()
    assert jobs.calls == [(shops.yandex, "orders")]


async def test_other_yandex_notifications_are_acknowledged_without_a_poll(make_client, shops):
    jobs = FakeJobs()
    client = await make_client(jobs)
    chat = valid_notification({"notificationType": "CHAT_CREATED", "businessId": 1, "chatId": 5,
                               "createdAt": iso_now()})
    # A type newer than the spec copy is acknowledged too (refusing it would only make Yandex retry).
    for body in (chat, {"notificationType": "SOMETHING_NEW_IN_2027", "campaignId": CAMPAIGN}):
        response = await client.post(YANDEX_PATH, json=body)
        assert response.status == 200
        await spec_reply(response)
    await triggers(client).idle()
    assert jobs.calls == []


async def test_a_burst_during_a_poll_coalesces_into_one_more_poll(make_client, shops):
    gate = asyncio.Event()
    jobs = FakeJobs(gate=gate)
    client = await make_client(jobs)
    assert (await client.post(YANDEX_PATH, json=order_created(order_id=1))).status == 200
    await asyncio.wait_for(jobs.started.wait(), 5)
    replies = await asyncio.gather(*(client.post(YANDEX_PATH, json=order_created(order_id=n))
                                     for n in range(2, 12)))
    assert [r.status for r in replies] == [200] * 10
    await asyncio.sleep(0.2)  # let every lookup finish while the first poll is still held
    assert len(jobs.calls) == 1
    gate.set()
    await triggers(client).idle()
    assert jobs.calls == [(shops.yandex, "orders")] * 2
    assert jobs.max_active == 1


async def test_a_burst_at_once_never_runs_two_polls_of_one_integration_together(make_client, shops):
    jobs = FakeJobs(delay=0.05)
    client = await make_client(jobs)
    replies = await asyncio.gather(*(client.post(YANDEX_PATH, json=order_created(order_id=n)) for n in range(20)))
    assert all(r.status == 200 for r in replies)
    await triggers(client).idle()
    assert 1 <= len(jobs.calls) <= 2 and jobs.max_active == 1, jobs.calls


async def test_the_sender_is_woken_after_each_webhook_poll(sessionmaker, shops):
    woken: list[int] = []
    jobs = FakeJobs(after_job=lambda: woken.append(len(jobs.calls)))
    app = W.build_web_app(sessionmaker=sessionmaker, jobs=jobs.bind(sessionmaker), allowed_networks=LOCAL)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        assert (await client.post(YANDEX_PATH, json=order_created())).status == 200
        await app[W.TRIGGERS].idle()
    assert woken == [1]  # once, after the poll had run


async def test_duplicates_are_harmless(make_client, shops):
    """The same notification twice: both acknowledged with 200 (never DUPLICATED_EVENT, which would only make
    Yandex retry); each runs an ordinary poll, which stores an order once (it dedupes by order id)."""
    jobs = FakeJobs()
    client = await make_client(jobs)
    body = order_created(order_id=777)
    for _ in range(2):
        response = await client.post(YANDEX_PATH, json=body)
        assert response.status == 200
        await spec_reply(response)
        await triggers(client).idle()
    assert jobs.calls == [(shops.yandex, "orders")] * 2


async def test_unknown_or_paused_campaign_is_acknowledged_and_logged(make_client, shops, caplog):
    jobs = FakeJobs()
    client = await make_client(jobs)
    caplog.set_level(logging.WARNING, logger="bot.web")
    for campaign in (99999999, 21000077):  # nobody's; paused
        response = await client.post(YANDEX_PATH, json=order_created(campaign=campaign))
        assert response.status == 200
        await spec_reply(response)
    await triggers(client).idle()
    assert jobs.calls == []
    assert triggers(client).stats["unknown"] == 2
    assert "99999999" in caplog.text and "no active integration" in caplog.text


async def test_each_partner_with_the_campaign_is_polled(make_client, sessionmaker, shops):
    async with sessionmaker() as s:
        twin = MarketplaceIntegration(partner_id=shops.partner_b, marketplace="yandex", status="error", active=1,
                                      seller_id=str(CAMPAIGN))
        s.add(twin)
        await s.commit()
        twin_id = twin.id
    jobs = FakeJobs()
    client = await make_client(jobs)
    assert (await client.post(YANDEX_PATH, json=order_created())).status == 200
    await triggers(client).idle()
    assert sorted(jobs.calls) == sorted([(shops.yandex, "orders"), (twin_id, "orders")])


@pytest.mark.parametrize("raw, what", [
    (b"{not json", "malformed JSON"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"campaignId": 21000002}', "notificationType"),
    (b'{"notificationType": "ORDER_CREATED", "orderId": 1}', "campaignId"),
    (b'{"notificationType": "ORDER_CREATED", "campaignId": "abc"}', "campaignId"),
])
async def test_bad_yandex_body_is_400_in_the_spec_error_shape(make_client, shops, raw, what):
    jobs = FakeJobs()
    client = await make_client(jobs)
    response = await client.post(YANDEX_PATH, data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 400
    body = await spec_reply(response)
    assert body["error"]["type"] == "WRONG_EVENT_FORMAT" and what in body["error"]["message"]
    await triggers(client).idle()
    assert jobs.calls == []


async def test_refused_source_gets_403_in_each_marketplace_shape(make_client, shops):
    jobs = FakeJobs()
    client = await make_client(jobs, allowed=list(PUBLISHED))  # 127.0.0.1 is not in them
    response = await client.post(YANDEX_PATH, json=order_created())
    assert response.status == 403
    body = await spec_reply(response, as_status=400)
    assert body["error"]["type"] == "UNKNOWN"
    response = await client.post(OZON_PATH, json=ozon_new_posting())
    assert response.status == 403
    assert_ozon_error(await response.json(), "ERROR_UNKNOWN")
    await triggers(client).idle()
    assert jobs.calls == []


@pytest.mark.parametrize("trust, forwarded, status", [
    (False, "5.45.207.10", 403),  # not trusted: the peer (127.0.0.1) counts
    (True, "5.45.207.10", 200),
    (True, "5.45.207.10, 10.0.0.1", 200),  # the left-most entry is the sender
    (True, "8.8.8.8, 5.45.207.10", 403),
    (True, "::ffff:5.45.207.10", 200),
    (True, "not-an-address", 403),
    (True, None, 403),  # no header: the peer
])
async def test_x_forwarded_for_is_honoured_only_when_trusted(make_client, shops, trust, forwarded, status):
    jobs = FakeJobs()
    client = await make_client(jobs, allowed=list(yandex_webhooks.NETWORKS), trust_forwarded=trust)
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    response = await client.post(YANDEX_PATH, json=order_created(), headers=headers)
    assert response.status == status
    await spec_reply(response, as_status=400 if status == 403 else None)
    await triggers(client).idle()
    assert len(jobs.calls) == (1 if status == 200 else 0)


# ------------------------------------------------------------------------------------------- Ozon
async def test_ozon_ping_reply_has_the_documented_shape(make_client):
    """push_start "Your service response": {"version", "name", "time"} (UNCONFIRMED; see ozon_ping_reply)."""
    jobs = FakeJobs()
    client = await make_client(jobs)
    started = time.monotonic()
    response = await client.post(OZON_PATH, json={"message_type": "TYPE_PING", "time": "2019-08-24T14:15:22Z"})
    assert response.status == 200 and time.monotonic() - started < 1.0
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"version", "name", "time"}
    assert body["name"] == "SellerCloudX" and body["version"]
    assert body["time"].endswith("Z") and "." not in body["time"]  # "2019-08-24T14:15:22Z"
    assert abs(datetime.fromisoformat(body["time"]) - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert jobs.calls == []


@pytest.mark.parametrize("seller_id", [2600101, "2600101"])
async def test_ozon_new_posting_triggers_a_poll_and_replies_result_true(make_client, shops, seller_id):
    jobs = FakeJobs()
    client = await make_client(jobs)
    response = await client.post(OZON_PATH, json=ozon_new_posting(seller_id))
    assert response.status == 200 and await response.json() == {"result": True}
    await triggers(client).idle()
    assert jobs.calls == [(shops.ozon, "orders")]


async def test_ozon_cancelled_and_state_changed_trigger_polls(make_client, shops):
    jobs = FakeJobs()
    client = await make_client(jobs)
    for body in ({"message_type": "TYPE_POSTING_CANCELLED", "posting_number": "24219509-0020-1",
                  "products": [{"sku": 147451959, "quantity": 1}], "old_state": "posting_created",
                  "new_state": "posting_canceled", "changed_state_date": "2021-01-26T06:56:36.294Z",
                  "reason": {"id": 0, "message": "string"}, "warehouse_id": 0, "seller_id": 2600101},
                 {"message_type": "TYPE_STATE_CHANGED", "posting_number": "24219509-0020-2",
                  "new_state": "posting_delivered", "changed_state_date": "2021-02-02T15:07:46.765Z",
                  "warehouse_id": 0, "seller_id": 2600101}):
        response = await client.post(OZON_PATH, json=body)
        assert response.status == 200 and await response.json() == {"result": True}
        await triggers(client).idle()
    assert jobs.calls == [(shops.ozon, "orders")] * 2


async def test_ozon_unknown_seller_and_other_types_are_acknowledged(make_client, shops):
    jobs = FakeJobs()
    client = await make_client(jobs)
    for body in (ozon_new_posting(seller_id=15),
                 {"message_type": "TYPE_CHAT_CLOSED", "chat_id": "b646d975", "chat_type": "Buyer_Seller",
                  "user": {"id": "115568", "type": "Сustomer"}, "seller_id": "2600101"}):
        response = await client.post(OZON_PATH, json=body)
        assert response.status == 200 and await response.json() == {"result": True}
    await triggers(client).idle()
    assert jobs.calls == [] and triggers(client).stats["unknown"] == 1


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "ERROR_UNKNOWN"),
    (b'"TYPE_PING"', "ERROR_UNKNOWN"),
    (b'{"time": "2019-08-24T14:15:22Z"}', "ERROR_PARAMETER_VALUE_MISSED"),
    (b'{"message_type": "TYPE_NEW_POSTING", "posting_number": "1-1-1"}', "ERROR_PARAMETER_VALUE_MISSED"),
])
async def test_bad_ozon_body_is_400_in_the_documented_error_shape(make_client, shops, raw, code):
    jobs = FakeJobs()
    client = await make_client(jobs)
    response = await client.post(OZON_PATH, data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert_ozon_error(await response.json(), code)
    await triggers(client).idle()
    assert jobs.calls == []


# ------------------------------------------------------------------------------ the scheduled poll
async def test_a_webhook_during_a_scheduled_poll_waits_for_it_then_polls_once(make_client, sessionmaker, shops):
    """The runner guards each (kind, integration): the webhook's poll neither runs beside the scheduler's nor is
    swallowed by it (the scheduled one may have read the list before the new order)."""
    windows: list[tuple[float, float]] = []

    class Timed(FakeJobs):
        async def poll(self, ctx):
            start = time.monotonic()
            result = await super().poll(ctx)
            windows.append((start, time.monotonic()))
            return result

    jobs = Timed(delay=0.3)
    client = await make_client(jobs)
    async with sessionmaker() as s:
        await schedule.run_now(s, shops.yandex, "orders")
        await s.commit()
    await jobs.runner.tick()  # the scheduler starts the due poll
    await asyncio.sleep(0.05)
    assert (await client.post(YANDEX_PATH, json=order_created())).status == 200
    await triggers(client).idle()
    await jobs.runner.wait_idle()
    assert len(windows) == 2, windows
    (_, first_end), (second_start, _) = sorted(windows)
    assert second_start >= first_end  # one after the other, never together


# ----------------------------------------------------------------------------- server and settings
async def test_healthz(make_client):
    client = await make_client(FakeJobs(), allowed=[])
    response = await client.get(W.HEALTH_PATH)
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_start_web_serves_and_shutdown_lets_running_polls_finish(sessionmaker, shops):
    jobs = FakeJobs(delay=0.3)
    app = W.build_web_app(sessionmaker=sessionmaker, jobs=jobs.bind(sessionmaker), allowed_networks=LOCAL)
    runner = await W.start_web(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{W.bound_port(runner)}"
    async with aiohttp.ClientSession() as http:
        async with http.post(base + YANDEX_PATH, json=order_created()) as response:
            assert response.status == 200
        async with http.get(base + W.HEALTH_PATH) as response:
            assert response.status == 200
    await asyncio.wait_for(jobs.started.wait(), 5)
    await runner.cleanup()
    await jobs.runner.stop()  # the runtime's shutdown order: the web server, then the jobs (within their grace)
    assert jobs.calls == [(shops.yandex, "orders")] and jobs.active == 0
    assert not app[W.TRIGGERS].busy()


async def test_serve_web_is_off_with_port_zero(sessionmaker):
    settings = Settings(_env_file=None, WEB_PORT=0)
    runtime = SimpleNamespace(settings=settings, sessionmaker=sessionmaker, jobs=FakeJobs().bind(sessionmaker))
    assert await W.serve_web(runtime) is None


async def test_serve_web_listens_as_configured(sessionmaker):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(_env_file=None, WEB_HOST="127.0.0.1", WEB_PORT=port, WEBHOOK_ALLOWED_NETWORKS="127.0.0.1")
    runtime = SimpleNamespace(settings=settings, sessionmaker=sessionmaker, jobs=FakeJobs().bind(sessionmaker))
    runner = await W.serve_web(runtime)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}{YANDEX_PATH}", json=ping()) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()


def test_settings_defaults_are_the_published_ranges(monkeypatch):
    for name in ("WEB_HOST", "WEB_PORT", "WEBHOOK_ALLOWED_NETWORKS", "WEBHOOK_TRUST_FORWARDED"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.WEB_HOST == "0.0.0.0" and settings.WEB_PORT == 8080
    assert settings.WEBHOOK_TRUST_FORWARDED is False
    assert tuple(settings.WEBHOOK_ALLOWED_NETWORKS) == PUBLISHED


def test_settings_read_networks_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", " 127.0.0.1, 10.1.2.3/8 ,2a02:6b8::/32")
    monkeypatch.setenv("WEBHOOK_TRUST_FORWARDED", "true")
    monkeypatch.setenv("WEB_PORT", "0")
    settings = Settings(_env_file=None)
    assert settings.WEBHOOK_ALLOWED_NETWORKS == ["127.0.0.1/32", "10.0.0.0/8", "2a02:6b8::/32"]
    assert settings.WEBHOOK_TRUST_FORWARDED is True and settings.WEB_PORT == 0
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "5.45.207.0/25,nonsense")
    with pytest.raises(ValueError):
        Settings(_env_file=None)


@pytest.mark.parametrize("text, expected", [
    ("5.45.207.1", "5.45.207.1"),
    ("5.45.207.1:443", "5.45.207.1"),
    ("::ffff:5.45.207.1", "5.45.207.1"),
    ("[2a02:6b8::1]:443", "2a02:6b8::1"),
    (" 2a02:6b8::1 ", "2a02:6b8::1"),
    ("", None),
    ("unknown", None),
])
def test_parse_address(text, expected):
    address = W.parse_address(text)
    assert (str(address) if address is not None else None) == expected


def test_allowed_networks():
    networks = W.parse_networks(PUBLISHED)
    assert W.is_allowed(W.parse_address("141.8.142.127"), networks)
    assert not W.is_allowed(W.parse_address("141.8.142.128"), networks)  # outside the /25
    assert W.is_allowed(W.parse_address("185.73.195.200"), networks)  # inside the /22
    assert not W.is_allowed(W.parse_address("2a02:6b8::1"), networks)
    assert not W.is_allowed(None, networks)
