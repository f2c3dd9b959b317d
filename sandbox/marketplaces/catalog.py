"""The sandbox's sellers' products and orders, shared by the four marketplace stand-ins.

A catalog of up to 100,000 products costs almost no memory: product N is computed from N on demand
(deterministic SKU, barcode, name, price, stock), and only what a client changed (stock, price, status)
is stored. The same SKU and barcode denote the same product on every marketplace, so a partner with the
same goods on all four sees them match.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

DEFAULT_CATALOG_SIZE = 40
SKU_PREFIX = "SKU-"

_ADJECTIVES = ("Classic", "Premium", "Eco", "Compact", "Smart", "Soft", "Silk", "Steel", "Cotton", "Family")
_NOUNS = ("T-shirt", "Teapot", "Backpack", "Lamp", "Notebook", "Scarf", "Kettle", "Blender", "Pillow", "Sneakers")


def sku_of(index: int) -> str:
    return f"{SKU_PREFIX}{index:06d}"


def index_of(sku: str) -> int | None:
    if not sku.startswith(SKU_PREFIX) or not sku[len(SKU_PREFIX):].isdigit():
        return None
    return int(sku[len(SKU_PREFIX):])


# The EAN-13 check digit weighs the 12 body digits 1, 3, 1, 3... from the left: "478" sums to 4 + 3*7 + 8, and
# the index's 9 digits are three groups of 3 weighted 3-1-3, 1-3-1, 3-1-3. The groups' sums are looked up rather
# than added digit by digit: a page of 1,000 products computes 1,000 barcodes.
_PREFIX_SUM = 4 + 3 * 7 + 8
_GROUP_SUM_313 = [3 * (n // 100) + (n // 10) % 10 + 3 * (n % 10) for n in range(1000)]
_GROUP_SUM_131 = [n // 100 + 3 * ((n // 10) % 10) + n % 10 for n in range(1000)]


def ean13(index: int) -> str:
    """A valid EAN-13 (with its check digit) in the 478 prefix range (Uzbekistan), unique per index < 10**9."""
    total = (_PREFIX_SUM + _GROUP_SUM_313[index // 1_000_000 % 1000] + _GROUP_SUM_131[index // 1000 % 1000]
             + _GROUP_SUM_313[index % 1000])
    return f"478{index:09d}{(10 - total % 10) % 10}"


@dataclass(frozen=True)
class Product:
    index: int
    sku: str
    barcode: str
    name: str
    price: int  # whole currency units (UZS on Uzum, RUB elsewhere)
    stock: int  # the starting stock


def base_price(index: int) -> int:
    """Product N's starting price (= product(N).price, without computing the rest of the product)."""
    return 1000 + (index * 37) % 9000


def base_stock(index: int) -> int:
    """Product N's starting stock (= product(N).stock, without computing the rest of the product)."""
    return (index * 7) % 50


def product_name(index: int) -> str:
    return f"{_ADJECTIVES[index % 10]} {_NOUNS[(index // 10) % 10]} #{index}"


def product(index: int) -> Product:
    return Product(index=index, sku=sku_of(index), barcode=ean13(index), name=product_name(index),
                   price=base_price(index), stock=base_stock(index))


@dataclass
class Catalog:
    """One seller account's products 1..size, with what clients changed on top."""

    size: int = DEFAULT_CATALOG_SIZE
    stock: dict[tuple[int, str | None], int] = field(default_factory=dict)  # (index, warehouse) -> amount
    prices: dict[int, int] = field(default_factory=dict)
    archived: set[int] = field(default_factory=set)

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 1 <= index <= self.size

    def product(self, index: int) -> Product:
        if index not in self:
            raise KeyError(index)
        return product(index)

    def page(self, offset: int, limit: int) -> list[Product]:
        """Products in index order starting after `offset` items."""
        first = offset + 1
        return [product(i) for i in range(first, min(first + limit, self.size + 1))]

    # The defaults below are base_stock / base_price, not product(index): pages of 1,000 products read them
    # for every product, and a whole Product (name, barcode...) costs far more than the one number.
    def get_stock(self, index: int, warehouse: str | None = None) -> int:
        return self.stock.get((index, warehouse), base_stock(index))

    def stock_at(self, index: int, warehouses: Iterable[str | None]) -> int:
        """Units of product `index` at these warehouses together."""
        base, total = base_stock(index), 0
        for warehouse in warehouses:
            total += self.stock.get((index, warehouse), base)
        return total

    def set_stock(self, index: int, amount: int, warehouse: str | None = None) -> None:
        self.stock[(index, warehouse)] = amount

    def get_price(self, index: int) -> int:
        return self.prices.get(index, base_price(index))

    def set_price(self, index: int, price: int) -> None:
        self.prices[index] = price


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------
class Lifecycle:
    """A marketplace-neutral order lifecycle; each stand-in shows it in its own status words."""

    NEW = "new"  # waiting for the seller (Uzum CREATED, Yandex PROCESSING/STARTED, WB new, Ozon awaiting_packaging)
    CONFIRMED = "confirmed"  # accepted / packed
    SHIPPED = "shipped"  # handed to delivery
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    # Delivered, then sent back by the buyer: the sale is refunded (finance reports). Orders become it only in the
    # order history a stand-in is given (sandbox.marketplaces.orders.add_order_history), never by an action.
    RETURNED = "returned"
    ALL = (NEW, CONFIRMED, SHIPPED, DELIVERED, CANCELLED, RETURNED)


@dataclass
class OrderLine:
    index: int  # product index in the account's catalog
    quantity: int
    price: int


@dataclass
class SandboxOrder:
    id: int
    marketplace: str
    account: str  # the key of the account in SandboxState (token / api key / sid / client id)
    lines: list[OrderLine]
    created_at: float
    status: str = Lifecycle.NEW
    updated_at: float = 0.0
    ship_by: float = 0.0
    scheme: str = "FBS"
    shop_id: str | None = None  # Uzum shop / Yandex campaign / Ozon warehouse the order belongs to
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(line.price * line.quantity for line in self.lines)


@dataclass
class OrderBook:
    """Every sandbox order, in creation order; ids are unique across marketplaces."""

    clock: Callable[[], float] = time.time
    orders: dict[int, SandboxOrder] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(70_000_001))

    def create(self, marketplace: str, account: str, lines: list[OrderLine], *, shop_id: str | None = None,
               scheme: str = "FBS", ship_within: float = 2 * 86400) -> SandboxOrder:
        now = self.clock()
        order = SandboxOrder(id=next(self._ids), marketplace=marketplace, account=account, lines=lines,
                             created_at=now, updated_at=now, ship_by=now + ship_within, scheme=scheme,
                             shop_id=shop_id)
        self.orders[order.id] = order
        return order

    def set_status(self, order_id: int, status: str) -> SandboxOrder:
        if status not in Lifecycle.ALL:
            raise ValueError(f"unknown lifecycle status {status!r}")
        order = self.orders[order_id]
        order.status, order.updated_at = status, self.clock()
        return order

    def of(self, marketplace: str, account: str) -> list[SandboxOrder]:
        return [o for o in self.orders.values() if o.marketplace == marketplace and o.account == account]
