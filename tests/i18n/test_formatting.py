"""Dates, numbers, percentages and money as each locale writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cyberhub import i18n
from cyberhub.web.render import env

MOMENT = datetime(2026, 12, 5, 14, 7, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "moment", "day", "number", "percent", "money"), [
    ("en", "Dec 5, 2026, 2:07\u202fPM", "Jan 3, 2026", "1,234,567.5", "42%", "$1,234.50"),
    ("fr", "5 déc. 2026, 14:07", "3 janv. 2026", "1\u202f234\u202f567,5", "42\u00a0%",
     "1\u202f234,50\u00a0$US"),
    ("es", "5 dic 2026, 14:07", "3 ene 2026", "1.234.567,5", "42\u00a0%", "1.234,50\u00a0US$"),
    ("ar", "05\u200f/12\u200f/2026، 2:07 م", "03\u200f/01\u200f/2026", "1,234,567.5", "42%",
     "\u200f1,234.50\u00a0US$"),
])
def test_each_locale_writes_its_own_way(locale, moment, day, number, percent, money):
    with i18n.use_locale(locale):
        assert i18n.format_datetime(MOMENT) == moment
        assert i18n.format_date(date(2026, 1, 3)) == day
        assert i18n.format_number(1234567.5) == number
        assert i18n.format_percent(0.4234) == percent
        assert i18n.format_money(1234.5, "USD") == money


def test_moments_are_shown_in_utc_and_naive_ones_taken_as_utc():
    paris = datetime(2026, 12, 5, 15, 7, tzinfo=timezone(timedelta(hours=1)))
    with i18n.use_locale("fr"):
        assert i18n.format_datetime(paris) == "5 déc. 2026, 14:07"
        assert i18n.format_datetime(MOMENT.replace(tzinfo=None)) == "5 déc. 2026, 14:07"
        assert i18n.format_date(MOMENT) == "5 déc. 2026"
    assert i18n.format_datetime(None) == i18n.format_date(None) == ""


def test_digits_and_crypto_amounts():
    with i18n.use_locale("fr"):
        assert i18n.format_number(1234.56, 0) == "1\u202f235"
        assert i18n.format_number(0.5, 2) == "0,50"
        # A wallet's amount keeps every digit; a crypto-asset is named by its code.
        assert i18n.format_money(Decimal("0.51234567"), "BTC") == "0,51234567 BTC"
        assert i18n.format_money(1500000, "EUR", 0) == "1\u202f500\u202f000\u00a0€"
        assert i18n.format_percent(0.4234, 1) == "42,3\u00a0%"
        assert i18n.format_money(3, None) == "3"


def test_template_filters_follow_the_active_locale():
    template = env.from_string(
        "{{ m|dt }} · {{ d|date }} · {{ n|number(1) }} · {{ r|percent }} · "
        "{{ a|money('EUR', 0) }}")
    values = {"m": MOMENT, "d": date(2026, 1, 3), "n": 1234.56, "r": 0.5, "a": 1000}
    with i18n.use_locale("es"):
        assert template.render(values) == \
            "5 dic 2026, 14:07 · 3 ene 2026 · 1.234,6 · 50\u00a0% · 1.000\u00a0€"
    assert template.render(values) == \
        "Dec 5, 2026, 2:07\u202fPM · Jan 3, 2026 · 1,234.6 · 50% · €1,000"
