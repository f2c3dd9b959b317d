"""What a marketplace is shown for a stock, under each integration's rules (property-based)."""
from hypothesis import given
from hypothesis import strategies as st

from services.stock import StockRules, channel_quantity

rules = st.builds(
    StockRules,
    buffer=st.integers(0, 50),
    max_quantity=st.none() | st.integers(0, 500),
    share_percent=st.integers(0, 100),
    floor=st.integers(0, 30),
)


@given(stock=st.integers(-100, 10_000), rules=rules)
def test_never_negative_never_more_than_stock(stock, rules):
    shown = channel_quantity(stock, rules)
    assert 0 <= shown <= max(stock, 0)
    if rules.max_quantity is not None:
        assert shown <= rules.max_quantity


@given(stock=st.integers(0, 10_000), more=st.integers(0, 1_000), rules=rules)
def test_more_stock_never_shows_less(stock, more, rules):
    assert channel_quantity(stock + more, rules) >= channel_quantity(stock, rules)


@given(stock=st.integers(0, 10_000), rules=rules)
def test_floor_shows_zero_at_or_below_it(stock, rules):
    if rules.floor and stock <= rules.floor:
        assert channel_quantity(stock, rules) == 0


@given(stock=st.integers(0, 10_000))
def test_default_rules_show_the_stock(stock):
    assert channel_quantity(stock, StockRules()) == stock


def test_examples():
    assert channel_quantity(10, StockRules(buffer=2)) == 8
    assert channel_quantity(10, StockRules(share_percent=50)) == 5
    assert channel_quantity(10, StockRules(share_percent=50, buffer=1, max_quantity=3)) == 3
    assert channel_quantity(3, StockRules(floor=3)) == 0
    assert channel_quantity(4, StockRules(floor=3)) == 4
    assert channel_quantity(1, StockRules(buffer=5)) == 0


def test_settings_round_trip_and_garbage():
    rules = StockRules(buffer=2, max_quantity=None, share_percent=40, floor=1)
    assert StockRules.from_settings(rules.to_settings()) == rules
    assert StockRules.from_settings({"buffer": "x", "share_percent": 500, "floor": -3}) == \
        StockRules(buffer=0, share_percent=100, floor=0)
