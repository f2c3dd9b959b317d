"""FSM states, all in one place. Secrets never go into FSM storage: only ids and the marketplace name."""
from aiogram.fsm.state import State, StatesGroup


class ConnectFlow(StatesGroup):
    client_id = State()  # Ozon only: the numeric Client-Id
    api_key = State()  # the secret: deleted from the chat as soon as read
    choosing = State()  # picking a shop / warehouse of a tested, encrypted draft


class AdminFlow(StatesGroup):
    base_url = State()
    rate_limit = State()


class BroadcastFlow(StatesGroup):
    text = State()  # waiting for the admin's text
    audience = State()  # text checked (in data), picking who gets it
    confirm = State()  # audience picked, the preview shown: send or not


class ProductsFlow(StatesGroup):
    search = State()
    stock = State()  # product id in data
    price = State()
    mp_price = State()  # product id + integration id in data
    cost = State()  # product id in data
    import_file = State()


class RulesFlow(StatesGroup):
    value = State()  # integration id + which rule in data


class SettingsFlow(StatesGroup):
    low_stock = State()  # typing the partner's low-stock threshold
