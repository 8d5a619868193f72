"""Properties of normalisation and matching: every spelling of one value gives one
digest and matches; different values never do. Plus the cross-hub exchange hook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from stdnum import iban as stdnum_iban

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database, utcnow
from cyberhub.deconfliction import exchange, keys, service
from cyberhub.deconfliction.models import Hit, Registration
from cyberhub.deconfliction.service import Value
from cyberhub.errors import InvalidInput
from cyberhub.ransomware.demo_payments import btc_address
from tests.factories import Community

KEY = b"k" * 48
# One value as a list of its spellings (each a Value); the first is the plain one.
Spellings = list[Value]


def _case(rng: st.DrawFn, text: str) -> str:
    flips = rng(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))


@st.composite
def emails(draw: st.DrawFn) -> Spellings:
    local = draw(st.from_regex(r"[a-z][a-z0-9.]{0,10}[a-z0-9]", fullmatch=True))
    assume(".." not in local)
    domain = draw(st.from_regex(r"[a-z]{2,10}\.(com|org|example|net)", fullmatch=True))
    plain = f"{local}@{domain}"
    return [Value("email", plain), Value("email", _case(draw, plain)),
            Value("email", f"  {plain.upper()} ")]


@st.composite
def ibans(draw: st.DrawFn) -> Spellings:
    bank = draw(st.from_regex(r"[A-Z]{4}", fullmatch=True))
    digits = draw(st.from_regex(r"[0-9]{14}", fullmatch=True))
    bban = bank + digits
    plain = "GB" + stdnum_iban.calc_check_digits("GB00" + bban) + bban
    grouped = " ".join(plain[i:i + 4] for i in range(0, len(plain), 4))
    return [Value("iban", plain), Value("iban", grouped.lower()), Value("iban", f" {grouped} ")]


@st.composite
def phones(draw: st.DrawFn) -> Spellings:
    n = draw(st.integers(0, 999))
    tail = f"0{n:03d}"  # 020 7946 0000–0999: numbers set aside for fiction
    return [Value("phone", f"+44 20 7946 {tail}"), Value("phone", f"+4420 7946{tail}"),
            Value("phone", f"0044 (0)20-7946-{tail}".replace("(0)", "")),
            Value("phone", f"020 7946 {tail}", region="gb")]


@st.composite
def btc_wallets(draw: st.DrawFn) -> Spellings:
    address = btc_address(draw(st.text(min_size=1, max_size=12)))
    return [Value("wallet", f"btc:{address}"), Value("wallet", address.upper(), chain="BTC"),
            Value("wallet", f"BTC:{address.upper()}"), Value("wallet", address, chain="btc")]


@st.composite
def eth_wallets(draw: st.DrawFn) -> Spellings:
    hexpart = draw(st.from_regex(r"[0-9a-f]{40}", fullmatch=True))
    return [Value("wallet", f"eth:0x{hexpart}"), Value("wallet", f"0x{hexpart}", chain="eth"),
            # Every EVM chain and token is one key pair, so one owner.
            Value("wallet", f"0x{hexpart}", chain="polygon"),
            Value("wallet", f"0x{hexpart}", chain="erc20")]


@st.composite
def domains(draw: st.DrawFn) -> Spellings:
    name = draw(st.from_regex(r"[a-z][a-z0-9-]{0,12}[a-z0-9]\.(com|example|org)",
                              fullmatch=True))
    assume("--" not in name)
    return [Value("domain", name), Value("domain", _case(draw, name) + "."),
            Value("domain", f" {name.upper()}")]


@st.composite
def ipv4s(draw: st.DrawFn) -> Spellings:
    n = draw(st.integers(0, 2**32 - 1))
    text = ".".join(str((n >> s) & 255) for s in (24, 16, 8, 0))
    return [Value("ipv4", text), Value("ipv4", f" {text}\t"), Value("ipv4", f"{text}/32")]


VALUES: list[Callable[[], st.SearchStrategy[Spellings]]] = [
    emails, ibans, phones, btc_wallets, eth_wallets, domains, ipv4s]
any_value = st.one_of(*(f() for f in VALUES))


def _digest(v: Value) -> bytes:
    return keys.digest(KEY, *service.normalised(v))


@given(any_value)
def test_every_spelling_gives_one_digest(spellings: Spellings) -> None:
    assert len({_digest(v) for v in spellings}) == 1


@given(any_value, any_value)
def test_different_values_give_different_digests(a: Spellings, b: Spellings) -> None:
    assume(service.normalised(a[0]) != service.normalised(b[0]))
    assert _digest(a[0]) != _digest(b[0])


@given(st.text(max_size=40), st.sampled_from(service.KINDS))
def test_normalisation_refuses_or_digests_never_crashes(text: str, kind: str) -> None:
    try:
        service.normalised(Value(kind, text))
    except InvalidInput as exc:
        assert exc.details["field"] == "value"


def _le_user(community: Community, name: str) -> User:
    return community.user(community.org(name, kind="law-enforcement"), "analyst",
                          email=f"{name.lower().replace(' ', '-')}@prop-police.example")


@pytest.fixture
def agencies(database: Database, community: Community) -> tuple[access.Viewer, access.Viewer]:
    a, b = _le_user(community, "Prop Police A"), _le_user(community, "Prop Police B")
    with database.transaction() as s:
        return (access.viewer_for(s, s.get(User, a.id)),  # type: ignore[arg-type]
                access.viewer_for(s, s.get(User, b.id)))  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pair=st.tuples(any_value, any_value), data=st.data())
def test_registered_spellings_match_other_values_do_not(
        database: Database, agencies: tuple[access.Viewer, access.Viewer],
        pair: tuple[Spellings, Spellings], data: st.DataObject) -> None:
    a, b = pair
    assume(service.normalised(a[0]) != service.normalised(b[0]))
    one, two = agencies
    registered = data.draw(st.sampled_from(a))
    asked = data.draw(st.sampled_from(a))
    with database.transaction() as s:
        # Each example on its own: nothing left by an earlier one.
        s.execute(delete(Hit))
        s.execute(delete(Registration))
        service.register(s, one, registered, case_reference="C", contact="desk",
                         rate_limited=False)
        assert service.check(s, two, [asked, b[0]]) == [True, False]
        # The registrant's own organisation is never "elsewhere".
        assert service.check(s, one, [asked]) == [False]
        done = service.register(s, two, asked, case_reference="D", contact="desk two",
                                rate_limited=False)
        assert len(done.hits) == 1


def test_exchange_hook_matches_partner_digests_under_the_network_key(
        database: Database, agencies: tuple[access.Viewer, access.Viewer]) -> None:
    from cyberhub.config import get_settings

    network = b"n" * 40
    get_settings().deconfliction_network_key = network.decode()
    one, _two = agencies
    wallet = Value("wallet", f"btc:{btc_address('exchange')}")
    with database.transaction() as s:
        service.register(s, one, wallet, case_reference="X-1", contact="Desk A, +31 70",
                         rate_limited=False)
    # A partner hub asks with digests made from its own spelling of the value.
    asked = exchange.wire_digests(network, [service.normalised(
        Value("wallet", btc_address("exchange").upper(), chain="btc")),
        ("ipv4", "192.0.2.1")])
    assert all(len(d) == 32 for d in asked)
    with database.transaction() as s:
        [m] = exchange.match_digests(s, network, asked)
        assert (m.digest, m.organisation, m.contact) == (asked[0], "Prop Police A",
                                                         "Desk A, +31 70")
        # Under another key (the hub's own, a stranger's) nothing matches.
        assert exchange.match_digests(s, b"o" * 40, asked) == []
        assert exchange.match_digests(s, network, asked, now=utcnow() + timedelta(days=181)
                                      ) == []
        for bad in (["zz"], ["00" * 15], [None]):
            with pytest.raises(InvalidInput):
                exchange.match_digests(s, network, bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            exchange.match_digests(s, network, ["00" * 16] * (exchange.MAX_DIGESTS + 1))
    # The documented format, which cross-hub matching of the knowledge base shares:
    # HMAC-SHA-256(key, kind NUL value), its first 16 bytes.
    import hmac

    assert keys.digest(network, "ipv4", "192.0.2.1") == hmac.digest(
        network, b"ipv4\x00192.0.2.1", "sha256")[:16]
