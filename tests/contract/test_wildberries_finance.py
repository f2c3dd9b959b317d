"""Wildberries finance(): the sales report detail of finance-api against the stateful sandbox, every request and
reply through the spec validator (the en JSON of 2026-08-19: the ru YAMLs have no finance-api), with the figures
checked against the sandbox's own books (sandbox.marketplaces.fees)."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from connectors.base import BadResponse, FinanceEntry, MarketplaceUnavailable, MoneyKind, PermissionDenied, RateLimited
from connectors.wildberries import sales as wb_sales
from connectors.wildberries.limits import WB_FINANCE_MAX_DAYS
from connectors.wildberries.models import MOSCOW, WbReportRow
from sandbox.marketplaces import accounts as A
from sandbox.marketplaces import fees
from sandbox.marketplaces.catalog import Lifecycle, sku_of
from sandbox.marketplaces.orders import add_order_history
from sandbox.marketplaces.wildberries import wb_task_ids
from tests.contract.test_wildberries_ops import fresh_pacers, wb_sandbox  # noqa: F401 (the autouse fixture)
from tests.support.contract import SPECS_DIR

PATH = "/api/finance/v1/sales-reports/detailed"
WB = "wildberries"


def books(state, first: date, last: date) -> dict[tuple[MoneyKind, str | None], Decimal]:
    """The sandbox's own figures for [first, last]: per kind (sku None) and per kind and seller SKU."""
    totals: dict[tuple[MoneyKind, str | None], Decimal] = defaultdict(Decimal)

    def add(kind: MoneyKind, amount: Decimal, sku: str | None) -> None:
        if amount:
            totals[(kind, None)] += amount
            if sku is not None:
                totals[(kind, sku)] += amount

    for order in state.orders.of(WB, A.WB_SELLER_ID):
        if order.status not in fees.SOLD or not first <= fees.booked_on(order, MOSCOW) <= last:
            continue
        for line in order.lines:
            figures = fees.line_figures(WB, order, line)
            sku = sku_of(line.index)
            add(MoneyKind.SALE, figures.revenue, sku)
            add(MoneyKind.RETURN, figures.refund, sku)
            add(MoneyKind.COMMISSION, figures.commission, sku)
            add(MoneyKind.LOGISTICS, figures.logistics + figures.return_logistics, sku)
    today = datetime.fromtimestamp(state.orders.clock(), MOSCOW).date()
    days = len(list(fees.storage_days(first, min(last, today))))
    add(MoneyKind.STORAGE, fees.storage_fee(WB) * days, None)
    return dict(totals)


def sums(entries: list[FinanceEntry]) -> dict[tuple[MoneyKind, str | None], Decimal]:
    totals: dict[tuple[MoneyKind, str | None], Decimal] = defaultdict(Decimal)
    for entry in entries:
        totals[(entry.kind, None)] += entry.amount
        if entry.sku is not None:
            totals[(entry.kind, entry.sku)] += entry.amount
    return dict(totals)


class Recorder(httpx.AsyncBaseTransport):
    """Keeps each finance request body (the contract transport records method, path and status only)."""

    def __init__(self):
        self.inner, self.bodies = httpx.AsyncHTTPTransport(), []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(PATH):
            self.bodies.append(json.loads(request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# ============================================================================ figures vs the books
async def test_ninety_days_with_returns_match_the_sandbox_books(monkeypatch):
    """90 days of history (5% returned): the sums per kind, and per kind for one product, are the sandbox's own;
    the range is split into periods WB allows and each period is read page by page, at 1 request a minute."""
    monkeypatch.setattr(wb_sales, "WB_FINANCE_PAGE", 60)  # a few pages per period
    recorder = Recorder()
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, enforce=True, inner=recorder) as wb:
        add_order_history(wb.state, days=90, returns=0.05, seed=11, now=wb.clock.now())
        today = datetime.fromtimestamp(wb.clock.now(), MOSCOW).date()
        first = today - timedelta(days=89)
        started = wb.clock.now()
        entries = await wb.client.finance(first, today)
        again = await wb.client.finance(first, today)
        expected = books(wb.state, first, today)
        returned = [o for o in wb.state.orders.of(WB, A.WB_SELLER_ID) if o.status == Lifecycle.RETURNED]
    got = sums(entries)
    assert returned and got[(MoneyKind.RETURN, None)] > 0
    assert {k: v for k, v in got.items() if k[1] is None} == {k: v for k, v in expected.items() if k[1] is None}
    top = Counter(e.sku for e in entries if e.kind == MoneyKind.SALE).most_common(1)[0][0]
    assert {k: v for k, v in got.items() if k[1] == top} == {k: v for k, v in expected.items() if k[1] == top}
    assert got == expected  # every product too
    # each sale and return names the order (as Order.external_id: the WB task id) and the seller SKU
    task_ids = {str(t) for o in wb.state.orders.of(WB, A.WB_SELLER_ID) for t in wb_task_ids(o)}
    goods = [e for e in entries if e.kind in (MoneyKind.SALE, MoneyKind.RETURN)]
    assert all(e.order_id in task_ids and e.sku and e.quantity for e in goods)
    assert all(e.sku is None and e.order_id is None for e in entries if e.kind == MoneyKind.STORAGE)
    assert all(e.amount > 0 for e in entries) and len({e.key for e in entries}) == len(entries)
    assert again == entries  # re-read: the same keys, the same lines
    # split: 90 days in periods of at most WB_FINANCE_MAX_DAYS, several pages each; nothing met a 429
    periods = {(b["dateFrom"], b["dateTo"]) for b in recorder.bodies}
    assert len(periods) == 3 and all(
        (date.fromisoformat(t[:10]) - date.fromisoformat(f)).days < WB_FINANCE_MAX_DAYS for f, t in periods)
    assert len(recorder.bodies) > 2 * len(periods) and any(b["rrdId"] > 0 for b in recorder.bodies)
    assert 429 not in wb.statuses() and wb.clock.now() - started >= 60 * (len(recorder.bodies) - 1)


async def test_base_token_reads_two_periods_twelve_hours_apart_without_a_429():
    async with wb_sandbox(enforce=True) as wb:  # a Base token: 2 requests per 24 h
        today = datetime.fromtimestamp(wb.clock.now(), MOSCOW).date()
        started = wb.clock.now()
        entries = await wb.client.finance(today - timedelta(days=WB_FINANCE_MAX_DAYS + 5), today)
    assert wb.calls("POST", PATH) == 2 and 429 not in wb.statuses()
    assert 12 * 3600 <= wb.clock.now() - started < 13 * 3600
    assert {e.kind for e in entries} == {MoneyKind.STORAGE}  # no orders: the daily storage charge alone


async def test_before_wb_data_starts_nothing_is_asked():
    async with wb_sandbox() as wb:
        assert await wb.client.finance(date(2023, 1, 1), date(2023, 12, 31)) == []
    assert wb.calls("POST", PATH) == 0


# ==================================================================================== bad replies
@pytest.mark.parametrize("reply, error", [
    (httpx.Response(200, content=b"<html>proxy</html>"), BadResponse),
    (httpx.Response(200, json={"rows": []}), BadResponse),  # wrong shape: an object, not the array of rows
    (httpx.Response(200, json=[{"rrDate": "2026-01-01"}]), BadResponse),  # a row without its id
    (httpx.Response(503, json={"title": "service unavailable"}), MarketplaceUnavailable),
    (httpx.Response(429, headers={"X-Ratelimit-Retry": "5"}, json={"title": "too many requests", "status": 429}),
     RateLimited),
], ids=["garbage", "object", "no-row-id", "503", "429"])
async def test_a_bad_reply_is_a_typed_error(reply, error):
    transport = httpx.MockTransport(lambda request: reply)
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, inner=transport, strict=False) as wb:
        with pytest.raises(error):
            await wb.client.finance(date(2026, 1, 1), date(2026, 1, 5))


async def test_injected_faults_are_retried_and_the_figures_stay_whole():
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL, strict=False) as wb:
        add_order_history(wb.state, days=20, returns=0.1, seed=3, now=wb.clock.now())
        today = datetime.fromtimestamp(wb.clock.now(), MOSCOW).date()
        for kind in ("5xx", "garbage", "rate_limit"):
            wb.sandbox.inject(WB, f"/finance{PATH}", kind)
        entries = await wb.client.finance(today - timedelta(days=19), today)
        expected = books(wb.state, today - timedelta(days=19), today)
    assert sums(entries) == expected


async def test_a_token_without_the_finance_category_is_refused_and_the_check_says_so():
    token = A.make_wb_token(s=A.wb_scope_mask("content", "analytics", "prices", "marketplace", "statistics"))
    async with wb_sandbox(token=token) as wb:
        info = await wb.client.check_connection()
        with pytest.raises(PermissionDenied):
            await wb.client.finance(date(2026, 1, 1), date(2026, 1, 2))
    assert info.extra["missing_categories"] == ["finance"] and "finance" not in info.scopes


# ============================================================================ the official shapes
def test_report_rows_parse_and_map_as_documented():
    """Money is sent as decimal strings; a sale gives its commission (what WB keeps of forPay, less the payment
    fee), a return gives back what WB returns of its fee; fee fields of any row keep their kinds."""
    sale = WbReportRow.model_validate({"rrdId": 7, "rrDate": "2026-03-17", "docTypeName": "Продажа",
                                       "orderId": 2816993144, "vendorCode": "MAB123", "quantity": 1,
                                       "retailAmount": "367", "forPay": "300.50", "acquiringFee": "14.89",
                                       "deliveryService": "0", "currency": "RUB"})
    back = WbReportRow.model_validate({"rrdId": 8, "rrDate": "2026-03-18", "docTypeName": "Возврат",
                                       "orderId": 2816993144, "vendorCode": "MAB123", "quantity": 1,
                                       "retailAmount": "367", "forPay": "330"})
    fee = WbReportRow.model_validate({"rrdId": 9, "rrDate": "2026-03-18", "paidStorage": "12.5",
                                      "penalty": "100", "deduction": "-40", "additionalPayment": "5"})
    got = {(e.key, e.kind, e.amount, e.sku, e.order_id) for e in wb_sales.finance_entries([sale, back, fee])}
    assert got == {
        ("7:sale", MoneyKind.SALE, Decimal("367"), "MAB123", "2816993144"),
        ("7:commission", MoneyKind.COMMISSION, Decimal("51.61"), "MAB123", "2816993144"),
        ("7:other_fee", MoneyKind.OTHER_FEE, Decimal("14.89"), "MAB123", "2816993144"),
        ("8:return", MoneyKind.RETURN, Decimal("367"), "MAB123", "2816993144"),
        ("8:compensation", MoneyKind.COMPENSATION, Decimal("37"), "MAB123", "2816993144"),
        ("9:storage", MoneyKind.STORAGE, Decimal("12.5"), None, None),
        ("9:penalty", MoneyKind.PENALTY, Decimal("100"), None, None),
        ("9:compensation", MoneyKind.COMPENSATION, Decimal("45"), None, None),  # 40 paid back + 5 adjustment
    }


def _full_row_schema() -> dict | None:
    path = SPECS_DIR / "wildberries" / "en-json-2026-08-19" / "financial-reports-and-accounting.json"
    return json.loads(path.read_text(encoding="utf-8"))["components"]["schemas"].get("SalesReportsDetailedRes")


@pytest.mark.skipif(_full_row_schema() is None,
                    reason="the trimmed en JSON holds no row schema (cut as [MaxDepth]); SCX_SPECS_DIR=full copies")
async def test_sandbox_rows_match_the_full_row_schema():
    """With the full copies, each row the sandbox sends is checked against SalesReportsDetailedRes."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_full_row_schema())
    async with wb_sandbox(token=A.WB_TOKEN_PERSONAL) as wb:
        add_order_history(wb.state, days=15, returns=0.3, seed=5, now=wb.clock.now())
        today = datetime.fromtimestamp(wb.clock.now(), MOSCOW).date()
        response = await wb.client.send("POST", "finance", PATH, group="finance_reports",
                                        body={"dateFrom": (today - timedelta(days=14)).isoformat(),
                                              "dateTo": today.isoformat()})
    rows = response.json()
    assert rows and not [error.message for row in rows for error in validator.iter_errors(row)]


async def test_a_returned_order_is_listed_as_sold_and_its_return_is_in_the_sales_report():
    """WB's FBS statuses have no word for a return after delivery: the task stays complete / sold (DONE); the
    return shows in the reports."""
    async with wb_sandbox() as wb:
        order = wb.order((3, 1, 700))
        order.status = Lifecycle.RETURNED  # as add_order_history does: OrderBook.set_status does not take it yet
        task = str(wb_task_ids(order)[0])
        seen = await wb.client.get_order(task)
        today = datetime.fromtimestamp(wb.clock.now(), MOSCOW).date()
        rows = await wb.client.sales(today, today)
    assert (seen.status, seen.extra["wb_status"], seen.state.value) == ("complete", "sold", "done")
    assert [(r.sku, r.quantity, r.returns, r.revenue) for r in rows] == [(sku_of(3), 1, 1, Decimal(0))]
