"""Callback data, one class per screen: a short prefix, an action from the screen's own enum, opaque ids only
(Telegram allows 64 bytes). Every handler reloads the object by id AND the pressing partner, because callback data is
client input; a value outside the enum (a forged or outdated button) matches no handler and gets the fallback's
"outdated button" answer."""
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    MAIN = "main"
    MARKETPLACES = "mps"
    CONNECT = "connect"
    LANGUAGE = "lang"
    HELP = "help"
    ADMIN = "admin"
    PRODUCTS = "products"
    ORDERS = "orders"
    NOTIFICATIONS = "notif"


class MenuCb(CallbackData, prefix="m"):
    action: MenuAction


class LangCb(CallbackData, prefix="l"):
    code: str  # services.partners.LANGUAGES (checked by the handler)


class ConnectAction(StrEnum):
    MARKETPLACE = "mp"  # value: the marketplace
    BACK = "back"
    CANCEL = "cancel"
    RETRY = "retry"
    PICK = "pick"  # value: the shop / warehouse offered


class ConnectCb(CallbackData, prefix="c"):
    action: ConnectAction
    value: str = ""


class IntegrationAction(StrEnum):
    OPEN = "open"
    TEST = "test"
    PAUSE = "pause"
    RESUME = "resume"
    REPLACE_KEYS = "replace"
    DELETE = "delete"
    DELETE_CONFIRMED = "delete_yes"
    SYNC = "sync"
    RULES = "rules"
    SET_RULE = "rset"  # arg: which rule (b buffer, m max, s share, f floor)
    DRIFT = "drift"


class IntegrationCb(CallbackData, prefix="i"):
    action: IntegrationAction
    id: str
    arg: str = ""


class AdminAction(StrEnum):
    HOME = "home"
    PARTNERS = "partners"  # arg: page
    FAILING = "failing"
    INVITE = "invite"
    CONFIGS = "configs"
    CONFIG = "cfg"  # arg: the marketplace
    CONFIG_URL = "cfg_url"
    CONFIG_RATE = "cfg_rate"
    CONFIG_RESET = "cfg_reset"


class AdminCb(CallbackData, prefix="a"):
    action: AdminAction
    arg: str = ""


class AdminStatsAction(StrEnum):
    SHOW = "show"  # a fresh chart photo


class AdminStatsCb(CallbackData, prefix="ast"):
    action: AdminStatsAction


class AuditAction(StrEnum):
    PAGE = "page"  # page: the page number


class AuditCb(CallbackData, prefix="aal"):
    action: AuditAction
    page: int = 0


class BroadcastAction(StrEnum):
    LIST = "list"  # the broadcasts sent, with their delivery counts
    NEW = "new"  # ask for the text (again)
    AUDIENCES = "auds"  # the audience choices for the text given
    AUDIENCE = "aud"  # arg: all | mp-<marketplace> | lang-<code>
    SEND = "send"  # arg: the draft's broadcast id (an old preview's button does not send a newer draft)
    CANCEL = "cancel"


class BroadcastCb(CallbackData, prefix="abc"):
    action: BroadcastAction
    arg: str = ""


class ProductsAction(StrEnum):
    LIST = "list"  # arg: page
    SEARCH = "search"
    CLEAR = "clear"
    EXPORT = "export"  # arg: format
    IMPORT = "import"
    SYNC = "sync"


class ProductsCb(CallbackData, prefix="p"):
    action: ProductsAction
    arg: str = ""


class ProductAction(StrEnum):
    OPEN = "open"
    STOCK = "stock"
    PRICE = "price"
    MARKETPLACE_PRICE = "mp_price"
    MARKETPLACE_PICK = "mp_pick"  # arg: the integration
    MARKETPLACE_RESET = "mp_reset"  # arg: the integration
    COST = "cost"
    COST_CLEAR = "cost_clear"


class ProductCb(CallbackData, prefix="pc"):
    action: ProductAction
    id: str  # product id
    arg: str = ""  # see the actions; OPEN with "alert": pressed under an alert, the card comes as a new message


class RunsOutCb(CallbackData, prefix="ro"):
    """The "runs out within N days" setting of the stock-cover alert (bot/handlers/settings.py)."""

    days: int = 0  # 0: show the presets


class SyncAction(StrEnum):
    RUN = "run"
    DUPLICATES = "dups"
    UNMATCHED = "unmatched"


class SyncCb(CallbackData, prefix="s"):
    action: SyncAction
    id: str  # integration id


class ImportAction(StrEnum):
    APPLY = "apply"
    CANCEL = "cancel"


class ImportCb(CallbackData, prefix="im"):
    action: ImportAction
    id: str  # pending import id


class OrdersAction(StrEnum):
    LIST = "list"  # value: page, or "back" (the page a card was opened from)
    PICK = "pick"  # key: which filter's choices
    SET = "set"  # key + value: a filter's value


class OrdersCb(CallbackData, prefix="ol"):
    action: OrdersAction
    key: str = ""  # mp | st | pe | all (bot.handlers.orders FILTER_KEYS)
    value: str = ""  # page number, marketplace, state, period ("" = all)


class OrderCardAction(StrEnum):
    OPEN = "open"  # arg "alert": from an alert, the card comes as a new message
    ASK = "ask"  # arg: confirm | ship | cancel_<reason>
    REASONS = "reasons"
    DO = "do"  # arg as in ask


class OrderCb(CallbackData, prefix="od"):
    action: OrderCardAction
    id: str  # order id
    arg: str = ""


class NotifAction(StrEnum):
    HOME = "home"
    MUTE = "mute"  # arg: alert kind
    QUIET = "quiet"  # arg: preset, "" = show the presets
    LOW_STOCK = "low"


class NotifCb(CallbackData, prefix="ns"):
    action: NotifAction
    arg: str = ""


class DashAction(StrEnum):
    OPEN = "open"
    EVERY = "every"  # arg: seconds
    RUN = "run"  # arg: orders | catalog


class DashCb(CallbackData, prefix="sd"):
    action: DashAction
    id: str  # integration id
    arg: str = ""
