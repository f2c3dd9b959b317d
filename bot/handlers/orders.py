"""Orders: one list across all marketplaces (newest first, pages, filters by marketplace, state and period kept
in FSM data), an order card, and the actions the marketplace allows — confirm, cancel with a reason, ship —
each after a confirmation step. The marketplace's answer is shown as it is; the next order poll (asked for at
once) records the new status, and a cancellation's stock comes back through it."""
from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import (
    MenuAction,
    MenuCb,
    OrderCardAction,
    OrderCb,
    OrdersAction,
    OrdersCb,
)
from bot.filters import IsRegistered
from bot.flow import show
from connectors.base import (
    CancelReason,
    ConnectorError,
    NotSupported,
    OrderAction,
    OrderState,
)
from db.models import Partner
from services import order_actions, order_queries
from services.order_queries import PERIODS, STATES, Filters, OrderView
from services.platform import Platform

log = logging.getLogger(__name__)

FILTERS_KEY = "orders_filters"  # FSM data: the list's filters (not secret)
PAGE_KEY = "orders_page"
ITEMS_SHOWN = 30
# Marketplaces whose seller API has no "ship" call: the card says how it is done there instead.
NO_SHIP_HINTS = ("uzum", "ozon")

# ---- words ----

def state_name(i18n: I18nContext, state: str) -> str:
    return i18n.get(f"order-state-{state}") if state in set(OrderState) else fmt.esc(state)


def period_name(i18n: I18nContext, period: str | None) -> str:
    names = {"today": i18n.get("orders-period-today"), "7d": i18n.get("orders-period-7d"),
             "30d": i18n.get("orders-period-30d")}
    return names.get(period or "", i18n.get("orders-period-all"))


def reason_name(i18n: I18nContext, reason: CancelReason) -> str:
    return i18n.get(f"order-reason-{reason.value}")


def _mp_name(i18n: I18nContext, marketplace: str | None) -> str:
    if not marketplace:
        return i18n.get("orders-mp-all")
    if marketplace in ("uzum", "yandex", "wildberries", "ozon"):
        return i18n.get("mp-" + marketplace)
    return fmt.esc(marketplace)


def _sum(view: OrderView, value) -> str:
    return f"{fmt.money(value)} {order_queries.currency_of(view.integration.marketplace, view.order.currency)}"


# ---- the list ----

async def _filters(state: FSMContext) -> Filters:
    return Filters.from_data((await state.get_data()).get(FILTERS_KEY))


async def _list_view(session: AsyncSession, partner: Partner, i18n: I18nContext, state: FSMContext, page_no: int):
    filters = await _filters(state)
    items, page_no, pages, total = await order_queries.page(session, partner.id, page_no, filters, partner.timezone)
    await state.update_data({PAGE_KEY: page_no})
    filtered = filters != Filters()
    if total == 0:
        text = i18n.get("orders-none-match") if filtered else i18n.get("orders-empty")
    else:
        text = i18n.get("orders-title", total=total, page=page_no + 1, pages=pages)
        if filters.state != OrderState.CANCELLED:
            count, totals = await order_queries.sales(session, partner.id, filters, partner.timezone)
            if count:
                text += "\n" + i18n.get("orders-sales", count=count, total=" · ".join(
                    f"{fmt.money(amount)} {currency}" for currency, amount in totals.items()))
    text += "\n" + i18n.get("orders-filters", marketplace=_mp_name(i18n, filters.marketplace),
                            state=state_name(i18n, filters.state) if filters.state else i18n.get("orders-state-all"),
                            period=period_name(i18n, filters.period))
    rows = []
    for view in items:
        label = " · ".join((_mp_name(i18n, view.integration.marketplace), f"#{view.order.external_id}",
                            _sum(view, view.order.total), state_name(i18n, view.order.state)))
        rows.append([kb.button(label[:64], OrderCb(action=OrderCardAction.OPEN, id=view.order.id))])
    nav = []
    if page_no > 0:
        nav.append(kb.button("◀️", OrdersCb(action=OrdersAction.LIST, value=str(page_no - 1))))
    if page_no < pages - 1:
        nav.append(kb.button("▶️", OrdersCb(action=OrdersAction.LIST, value=str(page_no + 1))))
    filter_row = [
        kb.button(i18n.get("btn-orders-filter-mp", value=_mp_name(i18n, filters.marketplace)),
                  OrdersCb(action=OrdersAction.PICK, key="mp")),
        kb.button(i18n.get("btn-orders-filter-state",
                           value=state_name(i18n, filters.state) if filters.state else i18n.get("orders-state-all")),
                  OrdersCb(action=OrdersAction.PICK, key="st")),
    ]
    period_row = [kb.button(i18n.get("btn-orders-filter-period", value=period_name(i18n, filters.period)),
                            OrdersCb(action=OrdersAction.PICK, key="pe"))]
    if filtered:
        period_row.append(kb.button(i18n.get("btn-orders-filter-reset"), OrdersCb(action=OrdersAction.SET, key="all")))
    return text, kb.rows(*rows, nav, filter_row, period_row, kb.to_menu(i18n))


async def orders_menu(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                      i18n: I18nContext) -> None:
    await state.set_state(None)
    await query.answer()
    await show(query, *await _list_view(session, partner, i18n, state, 0))


async def orders_page(query: CallbackQuery, callback_data: OrdersCb, state: FSMContext, session: AsyncSession,
                      partner: Partner, i18n: I18nContext) -> None:
    if callback_data.value.isdigit():
        page_no = int(callback_data.value)
    else:  # "back" from a card: the page it was opened from
        page_no = (await state.get_data()).get(PAGE_KEY, 0)
        page_no = page_no if isinstance(page_no, int) else 0
    await state.set_state(None)
    await query.answer()
    await show(query, *await _list_view(session, partner, i18n, state, page_no))


async def pick_filter(query: CallbackQuery, callback_data: OrdersCb, state: FSMContext, session: AsyncSession,
                      partner: Partner, i18n: I18nContext) -> None:
    filters = await _filters(state)
    mark = lambda chosen, text: ("✅ " if chosen else "") + text  # noqa: E731
    if callback_data.key == "mp":
        choices = [("", _mp_name(i18n, None))] + [(m, _mp_name(i18n, m))
                                                   for m in await order_queries.marketplaces_of(session, partner.id)]
        current, prompt = filters.marketplace or "", i18n.get("orders-pick-mp")
    elif callback_data.key == "st":
        choices = [("", i18n.get("orders-state-all"))] + [(s, state_name(i18n, s)) for s in STATES]
        current, prompt = filters.state or "", i18n.get("orders-pick-state")
    elif callback_data.key == "pe":
        choices = [("", i18n.get("orders-period-all"))] + [(p, period_name(i18n, p)) for p in PERIODS]
        current, prompt = filters.period or "", i18n.get("orders-pick-period")
    else:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    buttons = [[kb.button(mark(value == current, text), OrdersCb(action=OrdersAction.SET, key=callback_data.key, value=value))]
               for value, text in choices]
    buttons.append([kb.button(i18n.get("btn-back"), OrdersCb(action=OrdersAction.LIST, value="back"))])
    await show(query, prompt, kb.rows(*buttons))


async def set_filter(query: CallbackQuery, callback_data: OrdersCb, state: FSMContext, session: AsyncSession,
                     partner: Partner, i18n: I18nContext) -> None:
    filters, key, value = await _filters(state), callback_data.key, callback_data.value
    valid = (
        (key == "mp" and (value == "" or value in await order_queries.marketplaces_of(session, partner.id)))
        or (key == "st" and (value == "" or value in STATES))
        or (key == "pe" and (value == "" or value in PERIODS))
        or (key == "all" and value == "")
    )
    if not valid:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    if key == "all":
        filters = Filters()
    else:
        data = filters.to_data()
        data[key] = value
        filters = Filters.from_data(data)
    await state.update_data({FILTERS_KEY: filters.to_data()})
    await state.set_state(None)
    await query.answer()
    await show(query, *await _list_view(session, partner, i18n, state, 0))


# ---- the order card ----

def card_text(i18n: I18nContext, partner: Partner, view: OrderView) -> str:
    order, integration = view.order, view.integration
    lines = [i18n.get("order-title", id=fmt.esc(order.external_id)),
             fmt.esc(fmt.integration_title(i18n, integration)),
             i18n.get("order-status", state=state_name(i18n, order.state), status=fmt.esc(order.status)),
             i18n.get("order-placed", time=fmt.local_time(partner, order.placed_at)),
             i18n.get("order-ship-by", time=fmt.local_time(partner, order.ship_by)),
             i18n.get("order-scheme", scheme=fmt.esc(order.scheme)),
             i18n.get("order-items")]
    items = order.item_list
    for item in items[:ITEMS_SHOWN]:
        quantity = item.get("quantity") or 0
        price = item.get("price")
        lines.append("• " + i18n.get("order-item-line", name=fmt.esc((item.get("name") or "—")[:80]),
                                     sku=fmt.esc(item.get("sku") or "—"), quantity=quantity,
                                     price=_sum(view, price) if price is not None else "—"))
    if len(items) > ITEMS_SHOWN:
        lines.append(i18n.get("order-items-more", count=len(items) - ITEMS_SHOWN))
    lines.append(i18n.get("order-total", total=_sum(view, order.total)))
    if order.state in (OrderState.NEW, OrderState.ACTIVE) and integration.marketplace in NO_SHIP_HINTS:
        lines.append("ℹ️ " + i18n.get(f"order-no-ship-{integration.marketplace}"))
    return "\n".join(lines)


def _back_to_list(i18n: I18nContext) -> list:
    return [kb.button(i18n.get("btn-back-to-orders"), OrdersCb(action=OrdersAction.LIST, value="back"))]


def _card(i18n: I18nContext, partner: Partner, view: OrderView):
    cb = lambda action, arg="": OrderCb(action=action, id=view.order.id, arg=arg)  # noqa: E731
    actions = order_queries.actions_for(view)
    first = []
    if OrderAction.CONFIRM in actions:
        first.append(kb.button(i18n.get("btn-order-confirm"), cb(OrderCardAction.ASK, OrderAction.CONFIRM.value)))
    if OrderAction.SHIP in actions:
        first.append(kb.button(i18n.get("btn-order-ship"), cb(OrderCardAction.ASK, OrderAction.SHIP.value)))
    second = [kb.button(i18n.get("btn-order-cancel"), cb(OrderCardAction.REASONS))] \
        if OrderAction.CANCEL in actions else []
    return card_text(i18n, partner, view), kb.rows(first, second, _back_to_list(i18n))


async def _order(query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, partner: Partner,
                 i18n: I18nContext) -> OrderView | None:
    """The order if it is this partner's (a forged or stale id gets a clear refusal, nothing changes)."""
    view = await order_queries.get(session, partner.id, callback_data.id)
    if view is None:
        await query.answer(i18n.get("not-found"), show_alert=True)
    return view


async def open_order(query: CallbackQuery, callback_data: OrderCb, state: FSMContext, session: AsyncSession,
                     partner: Partner, i18n: I18nContext) -> None:
    if view := await _order(query, callback_data, session, partner, i18n):
        await state.set_state(None)
        await query.answer()
        if callback_data.arg == "alert":  # from an alert: keep the alert, the card comes below it
            text, markup = _card(i18n, partner, view)
            await query.message.answer(text, reply_markup=markup)
        else:
            await show(query, *_card(i18n, partner, view))


def _parse(arg: str) -> tuple[OrderAction, CancelReason | None] | None:
    """ask / do argument: confirm | ship | cancel_<reason>."""
    if arg in (OrderAction.CONFIRM, OrderAction.SHIP):
        return OrderAction(arg), None
    action, _, reason = arg.partition("_")
    if action == OrderAction.CANCEL and reason in set(CancelReason):
        return OrderAction.CANCEL, CancelReason(reason)
    return None


async def cancel_reasons(query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, partner: Partner,
                         i18n: I18nContext) -> None:
    view = await _order(query, callback_data, session, partner, i18n)
    if view is None:
        return
    if not order_queries.allowed(view, OrderAction.CANCEL):
        await query.answer(i18n.get("order-action-too-late"), show_alert=True)
        await show(query, *_card(i18n, partner, view))
        return
    await query.answer()
    buttons = [[kb.button(reason_name(i18n, r), OrderCb(action=OrderCardAction.ASK, id=view.order.id,
                                                         arg=f"{OrderAction.CANCEL.value}_{r.value}"))]
               for r in CancelReason]
    buttons.append([kb.button(i18n.get("btn-back"), OrderCb(action=OrderCardAction.OPEN, id=view.order.id))])
    await show(query, i18n.get("order-cancel-why", id=fmt.esc(view.order.external_id),
                               title=fmt.esc(fmt.integration_title(i18n, view.integration))), kb.rows(*buttons))


async def _requested(query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, partner: Partner,
                     i18n: I18nContext) -> tuple[OrderView, OrderAction, CancelReason | None] | None:
    """(order, action, cancel reason) of an ask / do button, or None after telling the partner why not: not
    their order, a button from an older version, or an action the order's status no longer allows."""
    view = await _order(query, callback_data, session, partner, i18n)
    if view is None:
        return None
    parsed = _parse(callback_data.arg)
    if parsed is None:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return None
    action, reason = parsed
    if not order_queries.allowed(view, action):
        await query.answer(i18n.get("order-action-too-late"), show_alert=True)
        await show(query, *_card(i18n, partner, view))
        return None
    return view, action, reason


async def ask_action(query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, partner: Partner,
                     i18n: I18nContext) -> None:
    requested = await _requested(query, callback_data, session, partner, i18n)
    if requested is None:
        return
    view, action, reason = requested
    await query.answer()
    order_id = fmt.esc(view.order.external_id)
    title = fmt.esc(fmt.integration_title(i18n, view.integration))
    if action == OrderAction.CONFIRM:
        text, yes = i18n.get("order-ask-confirm", id=order_id, title=title), i18n.get("btn-order-confirm-yes")
    elif action == OrderAction.SHIP:
        text, yes = i18n.get("order-ask-ship", id=order_id, title=title), i18n.get("btn-order-ship-yes")
    else:
        text = i18n.get("order-ask-cancel", id=order_id, title=title, reason=reason_name(i18n, reason))
        yes = i18n.get("btn-order-cancel-yes")
    await show(query, text, kb.rows([kb.button(yes, OrderCb(action=OrderCardAction.DO, id=view.order.id, arg=callback_data.arg)),
                                     kb.button(i18n.get("btn-order-no"), OrderCb(action=OrderCardAction.OPEN, id=view.order.id))]))


async def do_action(query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, partner: Partner,
                    platform: Platform, i18n: I18nContext) -> None:
    requested = await _requested(query, callback_data, session, partner, i18n)
    if requested is None:
        return
    view, action, reason = requested
    order_id = fmt.esc(view.order.external_id)
    title = fmt.esc(fmt.integration_title(i18n, view.integration))
    try:
        await query.answer(i18n.get("order-action-sending"))
        done = await order_actions.perform(platform, session, partner, view, action, reason)
    except order_actions.ActionRunning:
        await query.message.answer(i18n.get("order-action-running"))
        return
    except order_actions.ActionTooLate:
        await show(query, *_card(i18n, partner, view))
        return
    except NotSupported as error:
        log.info("order %s %s: not supported by %s (%s)", view.order.id, action, view.integration.marketplace, error)
        text = i18n.get("order-not-supported", marketplace=i18n.get("mp-" + view.integration.marketplace))
        text += _detail(i18n, error)
    except ConnectorError as error:
        log.info("order %s %s refused or failed: %s", view.order.id, action, error.cause.value)
        text = i18n.get("order-action-failed", id=order_id, title=title) + "\n" + i18n.get("error-" + error.cause.value)
        text += _detail(i18n, error)
    else:
        status = fmt.esc(done.order.status)
        outcome = {OrderAction.CONFIRM: "order-confirmed", OrderAction.SHIP: "order-shipped",
                   OrderAction.CANCEL: "order-cancel-done"}[action]
        text = i18n.get(outcome, id=order_id, title=title, status=status)
    await show(query, text, kb.rows(
        [kb.button(i18n.get("btn-order-open"), OrderCb(action=OrderCardAction.OPEN, id=view.order.id))],
        _back_to_list(i18n)))


def _detail(i18n: I18nContext, error: ConnectorError) -> str:
    """The marketplace's own words, when it gave any."""
    return "\n" + i18n.get("error-detail", detail=fmt.esc(error.detail[:300])) if error.detail else ""


def router() -> Router:
    r = Router(name="orders")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(orders_menu, MenuCb.filter(F.action == MenuAction.ORDERS))
    r.callback_query.register(orders_page, OrdersCb.filter(F.action == OrdersAction.LIST))
    r.callback_query.register(pick_filter, OrdersCb.filter(F.action == OrdersAction.PICK))
    r.callback_query.register(set_filter, OrdersCb.filter(F.action == OrdersAction.SET))
    r.callback_query.register(open_order, OrderCb.filter(F.action == OrderCardAction.OPEN))
    r.callback_query.register(cancel_reasons, OrderCb.filter(F.action == OrderCardAction.REASONS))
    r.callback_query.register(ask_action, OrderCb.filter(F.action == OrderCardAction.ASK))
    r.callback_query.register(do_action, OrderCb.filter(F.action == OrderCardAction.DO))
    return r
