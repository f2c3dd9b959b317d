"""Products: the catalog list with search, a product card, set stock / price (and a price for one marketplace),
spreadsheet export and import."""
from __future__ import annotations

import asyncio
import io
import logging

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import (
    ImportAction,
    ImportCb,
    MenuAction,
    MenuCb,
    ProductAction,
    ProductCb,
    ProductsAction,
    ProductsCb,
)
from bot.filters import IsRegistered
from bot.flow import show
from bot.states import ProductsFlow
from db.models import JsonText, Partner, Product, now
from services import analytics, products, spreadsheets, stock
from services.outbox.policy import prefs_of

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = spreadsheets.MAX_BYTES
REJECTED_SHOWN = 15
COVER_SHOWN_MAX = 999  # days of cover
RUNS_OUT_MARK = "⏳ "  # a product whose cover is within the partner's "runs out" horizon
CLEAR_TYPED = ("-", "—", "–")  # typed instead of a cost price: clear it


# ---- the list ----

async def _list_view(session: AsyncSession, partner: Partner, i18n: I18nContext, page_no: int, query: str | None):
    items, pages, total = await products.page(session, partner.id, page_no, query)
    page_no = min(page_no, pages - 1)
    if total == 0 and not query:
        text = i18n.get("products-empty")
    elif total == 0:
        text = i18n.get("products-not-found", query=fmt.esc(query))
    else:
        text = i18n.get("products-title", total=total, page=page_no + 1, pages=pages)
        if query:
            text += "\n" + i18n.get("products-search-active", query=fmt.esc(query))
    # One covers() call for the page: the days of stock each product has left at its recent pace.
    covers = await analytics.covers(session, partner.id, now(), [p.id for p in items]) if items else {}
    horizon = prefs_of(partner).runs_out_days
    rows, marked = [], False
    for p in items:
        label, cover = f"{p.sku} · {p.name}"[:48] + f" · {p.stock}", covers.get(p.id)
        if cover is not None and cover.days_left is not None:
            label += " · " + i18n.get("products-cover", days=cover_days(cover.days_left))
            if cover.days_left <= horizon:
                label, marked = RUNS_OUT_MARK + label, True
        rows.append([kb.button(label, ProductCb(action=ProductAction.OPEN, id=p.id))])
    if marked:
        text += "\n" + i18n.get("products-runs-out-legend", days=horizon)
    nav = []
    if page_no > 0:
        nav.append(kb.button("◀️", ProductsCb(action=ProductsAction.LIST, arg=str(page_no - 1))))
    if page_no < pages - 1:
        nav.append(kb.button("▶️", ProductsCb(action=ProductsAction.LIST, arg=str(page_no + 1))))
    search = [kb.button(i18n.get("btn-search"), ProductsCb(action=ProductsAction.SEARCH))]
    if query:
        search.append(kb.button(i18n.get("btn-search-clear"), ProductsCb(action=ProductsAction.CLEAR)))
    return text, kb.rows(*rows, nav, search,
                         [kb.button(i18n.get("btn-sync-products"), ProductsCb(action=ProductsAction.SYNC))],
                         [kb.button(i18n.get("btn-export"), ProductsCb(action=ProductsAction.EXPORT)),
                          kb.button(i18n.get("btn-import"), ProductsCb(action=ProductsAction.IMPORT))],
                         kb.to_menu(i18n))


async def products_menu(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                        i18n: I18nContext) -> None:
    await state.clear()
    await query.answer()
    await show(query, *await _list_view(session, partner, i18n, 0, None))


async def products_page(query: CallbackQuery, callback_data: ProductsCb, state: FSMContext, session: AsyncSession,
                        partner: Partner, i18n: I18nContext) -> None:
    if callback_data.action == ProductsAction.CLEAR:
        await state.update_data(search=None)
    data = await state.get_data()
    page_no = int(callback_data.arg) if callback_data.arg.isdigit() else 0
    await state.set_state(None)
    await query.answer()
    await show(query, *await _list_view(session, partner, i18n, page_no, data.get("search")))


async def search_ask(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await query.answer()
    await state.set_state(ProductsFlow.search)
    await show(query, i18n.get("products-search-ask"), kb.rows(_back_to_list(i18n)))


async def search_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                         i18n: I18nContext) -> None:
    text = message.text.strip()[:100]
    await state.set_state(None)
    await state.update_data(search=text or None)
    await show(message, *await _list_view(session, partner, i18n, 0, text or None))


def cover_days(days_left: float) -> str:
    """Whole days of cover as shown ("12"; past COVER_SHOWN_MAX only "999+": the exact number means nothing)."""
    return str(int(days_left)) if days_left <= COVER_SHOWN_MAX else f"{COVER_SHOWN_MAX}+"


def _back_to_list(i18n: I18nContext):
    return [kb.button(i18n.get("btn-back-to-products"), ProductsCb(action=ProductsAction.LIST, arg="0"))]


def _back_to_card(i18n: I18nContext, product: Product):
    return [kb.button(i18n.get("btn-back"), ProductCb(action=ProductAction.OPEN, id=product.id))]


# ---- the product card ----

async def _card(session: AsyncSession, partner: Partner, i18n: I18nContext, product: Product):
    listings = await products.listings_of(session, product)
    text = fmt.product_card(i18n, partner, product, listings)
    buttons = [[kb.button(i18n.get("btn-set-stock"), ProductCb(action=ProductAction.STOCK, id=product.id)),
                kb.button(i18n.get("btn-set-price"), ProductCb(action=ProductAction.PRICE, id=product.id))]]
    if listings:
        buttons.append([kb.button(i18n.get("btn-mp-price"), ProductCb(action=ProductAction.MARKETPLACE_PRICE, id=product.id))])
    buttons.append([kb.button(i18n.get("btn-cost-price"), ProductCb(action=ProductAction.COST, id=product.id))])
    buttons.append(_back_to_list(i18n))
    return text, kb.rows(*buttons)


async def _product(query: CallbackQuery, callback_data: ProductCb, session: AsyncSession, partner: Partner,
                   i18n: I18nContext) -> Product | None:
    product = await products.get(session, partner.id, callback_data.id)
    if product is None:
        await query.answer(i18n.get("not-found"), show_alert=True)
    return product


async def open_product(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
                       partner: Partner, i18n: I18nContext) -> None:
    if product := await _product(query, callback_data, session, partner, i18n):
        await state.set_state(None)
        await query.answer()
        text, markup = await _card(session, partner, i18n, product)
        if callback_data.arg == "alert":  # under an alert: the alert stays in the chat
            await query.message.answer(text, reply_markup=markup)
        else:
            await show(query, text, markup)


async def _ask(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
               partner: Partner, i18n: I18nContext, asked: State) -> Product | None:
    """The product whose value is asked for, the partner's next message being that value (`asked`); None after a
    refusal."""
    product = await _product(query, callback_data, session, partner, i18n)
    if product is not None:
        await query.answer()
        await state.set_state(asked)
        await state.update_data(product_id=product.id)
    return product


async def ask_value(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
                    partner: Partner, i18n: I18nContext) -> None:
    for_stock = callback_data.action == ProductAction.STOCK
    product = await _ask(query, callback_data, state, session, partner, i18n,
                         ProductsFlow.stock if for_stock else ProductsFlow.price)
    if product is None:
        return
    back = kb.rows(_back_to_card(i18n, product))
    if for_stock:
        await show(query, i18n.get("product-ask-stock", sku=fmt.esc(product.sku), stock=product.stock), back)
    else:
        marketplaces = {v.integration.marketplace for v in await products.listings_of(session, product)}
        await show(query, i18n.get("product-ask-price", sku=fmt.esc(product.sku),
                                   price=fmt.money(product.price)) + fmt.price_rules(i18n, marketplaces), back)


async def _edited(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                  i18n: I18nContext) -> Product | None:
    """The product a value is being typed for, or None after saying it is gone (the flow ends)."""
    product = await products.get(session, partner.id, (await state.get_data()).get("product_id", ""))
    if product is None:
        await state.set_state(None)
        await message.answer(i18n.get("not-found"))
    return product


async def _typed_value(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                       i18n: I18nContext, parse, bad_text: str):
    """(the product being edited, the value the partner typed), or None after telling them why not."""
    product = await _edited(message, state, session, partner, i18n)
    if product is None:
        return None
    value = parse(message.text)
    if value is None:
        await message.answer(i18n.get(bad_text), reply_markup=kb.rows(_back_to_card(i18n, product)))
        return None
    return product, value


async def _saved(message: Message, state: FSMContext, session: AsyncSession, partner: Partner, i18n: I18nContext,
                 product: Product, done: str) -> None:
    """The typed value is stored: the flow ends, and the card comes again under what was done."""
    await state.set_state(None)
    text, markup = await _card(session, partner, i18n, product)
    await message.answer(done + "\n\n" + text, reply_markup=markup)


async def stock_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                        i18n: I18nContext) -> None:
    typed = await _typed_value(message, state, session, partner, i18n, stock.parse_quantity, "product-bad-stock")
    if typed is None:
        return
    product, quantity = typed
    await stock.set_manual(session, product, quantity, actor=partner.telegram_id)
    await _saved(message, state, session, partner, i18n, product, i18n.get("product-stock-set", stock=quantity))


async def price_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                        i18n: I18nContext) -> None:
    typed = await _typed_value(message, state, session, partner, i18n, products.parse_price, "product-bad-price")
    if typed is None:
        return
    product, price = typed
    old = product.price
    await products.set_price(session, product, price)
    warnings = fmt.price_change_warnings(i18n, old, price,
                                           {v.integration.marketplace for v in await products.listings_of(session, product)})
    await _saved(message, state, session, partner, i18n, product,
                 i18n.get("product-price-set", price=fmt.money(price)) + warnings)


async def cost_ask(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
                   partner: Partner, i18n: I18nContext) -> None:
    product = await _ask(query, callback_data, state, session, partner, i18n, ProductsFlow.cost)
    if product is None:
        return
    await show(query, i18n.get("product-ask-cost", sku=fmt.esc(product.sku), cost=_cost_text(i18n, product)),
               _cost_buttons(i18n, product))


def _cost_text(i18n: I18nContext, product: Product) -> str:
    return fmt.money(product.cost_price) if product.cost_price is not None else i18n.get("product-cost-unset")


def _cost_buttons(i18n: I18nContext, product: Product):
    rows = []
    if product.cost_price is not None:
        rows.append([kb.button(i18n.get("btn-cost-price-clear"), ProductCb(action=ProductAction.COST_CLEAR, id=product.id))])
    rows.append(_back_to_card(i18n, product))
    return kb.rows(*rows)


async def cost_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                       i18n: I18nContext) -> None:
    product = await _edited(message, state, session, partner, i18n)
    if product is None:
        return
    typed = message.text.strip()
    cost = None if typed in CLEAR_TYPED else products.parse_price(typed)
    if cost is None and typed not in CLEAR_TYPED:
        await message.answer(i18n.get("product-bad-cost"), reply_markup=_cost_buttons(i18n, product))
        return
    await products.set_cost_price(session, product, cost, actor=partner.telegram_id)
    done = i18n.get("product-cost-set", cost=fmt.money(cost)) if cost is not None else i18n.get("product-cost-cleared")
    await _saved(message, state, session, partner, i18n, product, done)


async def cost_clear(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
                     partner: Partner, i18n: I18nContext) -> None:
    product = await _product(query, callback_data, session, partner, i18n)
    if product is None:
        return
    await products.set_cost_price(session, product, None, actor=partner.telegram_id)
    await state.set_state(None)
    await query.answer(i18n.get("product-cost-cleared"))
    await show(query, *await _card(session, partner, i18n, product))


def _listing_key(integration_id: str) -> str:
    """The integration in a product's callback: Telegram allows 64 bytes, and the product's id with a whole
    integration id is 86. The ids' last 12 hex digits are random (UUIDv7), so among one product's few listings
    they tell the integration; a forged or stale key matches none (or, never in practice, two) and is refused."""
    return integration_id[-12:]


async def mp_price_pick(query: CallbackQuery, callback_data: ProductCb, session: AsyncSession, partner: Partner,
                        i18n: I18nContext) -> None:
    product = await _product(query, callback_data, session, partner, i18n)
    if product is None:
        return
    await query.answer()
    seen, buttons = set(), []
    for view in await products.listings_of(session, product):
        if view.integration.id not in seen:
            seen.add(view.integration.id)
            buttons.append([kb.button(fmt.integration_title(i18n, view.integration)[:60],
                                      ProductCb(action=ProductAction.MARKETPLACE_PICK, id=product.id,
                                                arg=_listing_key(view.integration.id)))])
    buttons.append(_back_to_card(i18n, product))
    await show(query, i18n.get("product-mp-price-choose"), kb.rows(*buttons))


async def mp_price_ask(query: CallbackQuery, callback_data: ProductCb, state: FSMContext, session: AsyncSession,
                       partner: Partner, i18n: I18nContext) -> None:
    product = await _product(query, callback_data, session, partner, i18n)
    if product is None:
        return
    matches = {v.integration.id: v for v in await products.listings_of(session, product)
               if _listing_key(v.integration.id) == callback_data.arg}
    view = next(iter(matches.values())) if len(matches) == 1 else None
    if view is None:  # not a listing of this product (forged or stale)
        await query.answer(i18n.get("not-found"), show_alert=True)
        return
    await query.answer()
    if callback_data.action == ProductAction.MARKETPLACE_RESET:
        await products.set_marketplace_price(session, product, view.integration.id, None)
        await show(query, *await _card(session, partner, i18n, product))
        return
    await state.set_state(ProductsFlow.mp_price)
    await state.update_data(product_id=product.id, integration_id=view.integration.id)
    marketplace = view.integration.marketplace
    await show(query, i18n.get("product-ask-mp-price", title=fmt.esc(fmt.integration_title(i18n, view.integration)),
                               price=fmt.money(product.price)) + fmt.price_rules(i18n, {marketplace}),
               kb.rows([kb.button(i18n.get("btn-mp-price-reset"), ProductCb(action=ProductAction.MARKETPLACE_RESET, id=product.id,
                                                                           arg=_listing_key(view.integration.id)))],
                       _back_to_card(i18n, product)))


async def mp_price_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                           i18n: I18nContext) -> None:
    typed = await _typed_value(message, state, session, partner, i18n, products.parse_price, "product-bad-price")
    if typed is None:
        return
    product, price = typed
    data = await state.get_data()
    listings = [v for v in await products.listings_of(session, product) if v.integration.id == data.get("integration_id")]
    if not listings:
        await state.set_state(None)
        await message.answer(i18n.get("not-found"))
        return
    await products.set_marketplace_price(session, product, listings[0].integration.id, price)
    await _saved(message, state, session, partner, i18n, product, i18n.get("product-price-set", price=fmt.money(price)))


# ---- spreadsheets ----

async def export_ask(query: CallbackQuery, callback_data: ProductsCb, session: AsyncSession, partner: Partner,
                     i18n: I18nContext, bot: Bot) -> None:
    if callback_data.arg not in ("xlsx", "csv"):
        await query.answer()
        await show(query, i18n.get("export-choose"),
                   kb.rows([kb.button("Excel (.xlsx)", ProductsCb(action=ProductsAction.EXPORT, arg="xlsx")),
                            kb.button("CSV (.csv)", ProductsCb(action=ProductsAction.EXPORT, arg="csv"))], _back_to_list(i18n)))
        return
    await query.answer(i18n.get("export-preparing"))
    rows = [row async for row in products.export_rows(session, partner.id)]
    headers, body = spreadsheets.export_table(rows, headers_language=partner.language)
    encode = spreadsheets.to_xlsx if callback_data.arg == "xlsx" else spreadsheets.to_csv
    # A big catalog takes seconds to encode: off the event loop, so other partners are still answered.
    data = await asyncio.to_thread(encode, headers, body)
    filename = f"sellercloudx-products.{callback_data.arg}"
    await bot.send_document(query.from_user.id, BufferedInputFile(data, filename),
                            caption=i18n.get("export-done", count=len(rows)))


async def import_ask(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await query.answer()
    await state.set_state(ProductsFlow.import_file)
    await show(query, i18n.get("import-ask"), kb.rows(_back_to_list(i18n)))


async def import_file(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                      i18n: I18nContext, bot: Bot) -> None:
    document = message.document
    if document.file_size and document.file_size > MAX_IMPORT_BYTES:
        await message.answer(i18n.get("import-error-too_large"))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        parsed = await asyncio.to_thread(spreadsheets.parse_import, document.file_name or "file", buffer.getvalue())
    except spreadsheets.ImportFileError as error:
        await message.answer(i18n.get(f"import-error-{error.code}"), reply_markup=kb.rows(_back_to_list(i18n)))
        return
    pending = await products.prepare_import(session, partner.id, document.file_name or "file", parsed)
    await state.set_state(None)
    report = JsonText.load(pending.report, {})
    text = i18n.get("import-report", total=report["total"], valid=report["valid"],
                    rejected=len(report["rejected"]))
    if report.get("cost_changes"):
        text += "\n" + i18n.get("import-cost-changes", count=report["cost_changes"])
    for number, sku, reason, _value in report["rejected"][:REJECTED_SHOWN]:
        text += "\n" + i18n.get("import-rejected-line", row=number, sku=fmt.esc(sku or "—"),
                                reason=i18n.get(f"import-reason-{reason}"))
    if len(report["rejected"]) > REJECTED_SHOWN:
        text += "\n" + i18n.get("import-rejected-more", count=len(report["rejected"]) - REJECTED_SHOWN)
    buttons = [[kb.button(i18n.get("btn-import-cancel"), ImportCb(action=ImportAction.CANCEL, id=pending.id))]]
    if report["valid"]:
        buttons.insert(0, [kb.button(i18n.get("btn-import-apply", count=report["valid"]),
                                     ImportCb(action=ImportAction.APPLY, id=pending.id))])
        text += "\n\n" + i18n.get("import-confirm")
    await message.answer(text, reply_markup=kb.rows(*buttons))


async def import_not_a_file(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("import-send-file"), reply_markup=kb.rows(_back_to_list(i18n)))


async def import_decision(query: CallbackQuery, callback_data: ImportCb, session: AsyncSession, partner: Partner,
                          i18n: I18nContext) -> None:
    if callback_data.action == ImportAction.APPLY:
        result = await products.apply_import(session, partner.id, callback_data.id, actor=partner.telegram_id)
        if result is None:
            await query.answer(i18n.get("button-outdated"), show_alert=True)
            return
        await query.answer()
        text = i18n.get("import-applied", stock=result.stock, prices=result.prices)
        if result.costs:
            text += " " + i18n.get("import-applied-cost", count=result.costs)
        await show(query, text, kb.rows(_back_to_list(i18n), kb.to_menu(i18n)))
        return
    cancelled = await products.cancel_import(session, partner.id, callback_data.id)
    await query.answer()
    await show(query, i18n.get("import-cancelled") if cancelled else i18n.get("button-outdated"),
               kb.rows(_back_to_list(i18n), kb.to_menu(i18n)))


def router() -> Router:
    r = Router(name="products")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(products_menu, MenuCb.filter(F.action == MenuAction.PRODUCTS))
    r.callback_query.register(
        products_page, ProductsCb.filter(F.action.in_({ProductsAction.LIST, ProductsAction.CLEAR})))
    r.callback_query.register(search_ask, ProductsCb.filter(F.action == ProductsAction.SEARCH))
    r.message.register(search_entered, ProductsFlow.search, F.text)
    r.callback_query.register(open_product, ProductCb.filter(F.action == ProductAction.OPEN))
    r.callback_query.register(ask_value, ProductCb.filter(F.action.in_({ProductAction.STOCK, ProductAction.PRICE})))
    r.message.register(stock_entered, ProductsFlow.stock, F.text)
    r.message.register(price_entered, ProductsFlow.price, F.text)
    r.callback_query.register(mp_price_pick, ProductCb.filter(F.action == ProductAction.MARKETPLACE_PRICE))
    r.callback_query.register(
        mp_price_ask, ProductCb.filter(F.action.in_({ProductAction.MARKETPLACE_PICK, ProductAction.MARKETPLACE_RESET})))
    r.message.register(mp_price_entered, ProductsFlow.mp_price, F.text)
    r.callback_query.register(cost_ask, ProductCb.filter(F.action == ProductAction.COST))
    r.callback_query.register(cost_clear, ProductCb.filter(F.action == ProductAction.COST_CLEAR))
    r.message.register(cost_entered, ProductsFlow.cost, F.text)
    r.callback_query.register(export_ask, ProductsCb.filter(F.action == ProductsAction.EXPORT))
    r.callback_query.register(import_ask, ProductsCb.filter(F.action == ProductsAction.IMPORT))
    r.message.register(import_file, ProductsFlow.import_file, F.document)
    r.message.register(import_not_a_file, ProductsFlow.import_file)
    r.callback_query.register(import_decision, ImportCb.filter())
    return r
