"""Normalised observable values: table tests per kind, and properties that hold for any text."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.intel.normalise import KINDS, normalise, pattern_values, values_of, wallet_chains

# (kind, raw, expected normal form or None)
CASES = [
    # IPv4: canonical dotted quad; CIDR keeps the network; /32 is the address.
    ("ipv4", "1.2.3.4", "1.2.3.4"),
    ("ipv4", " 1.2.3.4\n", "1.2.3.4"),
    ("ipv4", "001.002.003.004", None),  # ambiguous (octal to inet_aton)
    ("ipv4", "10.1.2.3/8", "10.0.0.0/8"),
    ("ipv4", "192.168.0.0/255.255.0.0", "192.168.0.0/16"),
    ("ipv4", "1.2.3.4/32", "1.2.3.4"),
    ("ipv4", "1.2.3.256", None),
    ("ipv4", "1.2.3", None),
    ("ipv4", "1.2.3.4/33", None),
    ("ipv4", "::1", None),
    # IPv6: compressed, lower-case.
    ("ipv6", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("ipv6", "[2001:db8::1]", "2001:db8::1"),
    ("ipv6", "::FFFF:1.2.3.4", "::ffff:1.2.3.4"),
    ("ipv6", "::ffff:102:304", "::ffff:1.2.3.4"),
    ("ipv6", "fe80::1%eth0", "fe80::1"),
    ("ipv6", "2001:db8::1/32", "2001:db8::/32"),
    ("ipv6", "2001:db8::1/128", "2001:db8::1"),
    ("ipv6", "2001:db8::g", None),
    ("ipv6", "1.2.3.4", None),
    # Domains: lower-case, no trailing dot, IDNA A-labels.
    ("domain", "EXAMPLE.com.", "example.com"),
    ("domain", "bücher.de", "xn--bcher-kva.de"),
    ("domain", "BÜCHER.DE", "xn--bcher-kva.de"),
    ("domain", "xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("domain", "XN--BCHER-KVA.DE", "xn--bcher-kva.de"),
    ("domain", "例え.テスト", "xn--r8jz45g.xn--zckzah"),
    ("domain", "_dmarc.example.com", "_dmarc.example.com"),
    ("domain", "xn--zz.de", None),  # not valid punycode
    ("domain", "-bad.example.com", None),
    ("domain", "bad-.example.com", None),
    ("domain", "a..example.com", None),
    ("domain", "example.com..", None),
    ("domain", "localhost", None),
    ("domain", "1.2.3.4", None),
    ("domain", "example.123", None),
    ("domain", "a" * 64 + ".com", None),
    ("domain", ".".join(["a" * 60] * 5) + ".com", None),  # > 253
    ("domain", "exa mple.com", None),
    ("domain", "example[.]com", None),  # defanged text is not refanged
    ("domain", "☃.com", None),  # symbols are disallowed in IDNA 2008
    ("domain", "xn--n3h.com", None),  # ... in either spelling
    ("domain", "💩.com", None),  # disallowed in IDNA 2008
    # URLs.
    ("url", "HTTP://Example.COM:80/a?b#c", "http://example.com/a?b"),
    ("url", "http://example.com/a?b", "http://example.com/a?b"),
    ("url", "https://example.com:443", "https://example.com/"),
    ("url", "https://example.com:8443/", "https://example.com:8443/"),
    ("url", "http://example.com/%7euser/%2f%e2%82%ac", "http://example.com/~user/%2F%E2%82%AC"),
    ("url", "http://bücher.de/ä b", "http://xn--bcher-kva.de/%C3%A4%20b"),
    ("url", "http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("url", "http://example.com/Case/Kept?Q=1&a=2", "http://example.com/Case/Kept?Q=1&a=2"),
    ("url", "http://example.com/?", "http://example.com/"),
    ("url", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("url", "http://1.2.3.4/x", "http://1.2.3.4/x"),
    ("url", "http://user:pw@Example.com/", "http://user:pw@example.com/"),
    ("url", "http://example.com/login#victim@bank.example", "http://example.com/login"),
    ("url", "http://example.com/100%", "http://example.com/100%25"),
    ("url", "example.com/a", None),
    ("url", "mailto:a@example.com", None),
    ("url", "http://localhost/", None),
    ("url", "http://example.com:99999/", None),
    ("url", "http://exa mple.com/", None),
    ("url", "http://example.com/a\nb", None),
    ("url", "http://[::1/", None),
    # E-mail: whole address lower-cased, domain IDNA.
    ("email", "John.Doe@Example.COM", "john.doe@example.com"),
    ("email", "info@bücher.de", "info@xn--bcher-kva.de"),
    ("email", "a+tag@example.com", "a+tag@example.com"),
    ("email", "a@[1.2.3.4]", "a@[1.2.3.4]"),
    ("email", "a@b@example.com", None),
    ("email", "no-at.example.com", None),
    ("email", "a b@example.com", None),
    ("email", "@example.com", None),
    ("email", "a@localhost", None),
    # Hashes: lower-case hex of the right length.
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("md5", "d41d8cd98f00b204e9800998ecf8427", None),
    ("md5", "g41d8cd98f00b204e9800998ecf8427e", None),
    ("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("sha256", " " + "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("sha256", "0x" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8", None),
    ("sha512", "A" * 128, "a" * 128),
    ("sha512", "a" * 127, None),
    ("sha3-256", "B" * 64, "b" * 64),
    ("ssdeep", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"),
    ("ssdeep", "not an ssdeep", None),
    ("tlsh", "t1" + "a" * 70, "T1" + "A" * 70),
    # Banks.
    ("iban", "gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
    ("iban", "GB82WEST12345698765432", "GB82WEST12345698765432"),
    ("iban", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("iban", "GB82WEST12345698765431", None),  # check digits
    ("iban", "XX82WEST12345698765432", None),
    ("bic", "deutdeffxxx", "DEUTDEFF"),
    ("bic", "DEUTDEFF500", "DEUTDEFF500"),
    ("bic", "DEUT DE FF", "DEUTDEFF"),
    ("bic", "DEUT1EFF", None),
    ("bic", "DEUTDEF", None),
    ("bank-account", "fr: 0123-4567 89", "FR:0123456789"),
    ("bank-account", "0123456789", None),
    # Phones: E.164.
    ("phone", "+44 20 7946 0958", "+442079460958"),
    ("phone", "+442079460958", "+442079460958"),
    ("phone", "0044 20 7946 0958", "+442079460958"),
    ("phone", "020 7946 0958", None),  # no country code, no region
    ("phone", "+44 20", None),
    ("phone", "call me", None),
    # Wallets.
    ("wallet", "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("wallet", "bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("wallet", "BTC:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", None),  # checksum
    ("wallet", "btc:1a1zp1ep5qgefi2dmptftl5slmv7divfna", None),  # Base58 is case-sensitive
    # BIP 173 / BIP 350 vectors.
    ("wallet", "btc:BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
     "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    ("wallet", "btc:bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
     "btc:bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"),
    ("wallet", "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
    ("wallet", "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", None),  # checksum
    ("wallet", "btc:BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", None),  # v0 program length
    ("wallet", "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", None),  # bech32 for v1
    ("wallet", "btc:Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", None),  # mixed case
    ("wallet", "btc:tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", None),  # testnet
    # EIP-55 vectors; a flipped letter case breaks the checksum.
    ("wallet", "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
     "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
    ("wallet", "ethereum:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
     "eth:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
    ("wallet", "eth:0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
     "eth:0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"),
    ("wallet", "eth:0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
     "eth:0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb"),
    ("wallet", "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", None),
    ("wallet", "eth:0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",
     "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),  # one case: no checksum
    ("wallet", "usdt-erc20:5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
     "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
    ("wallet", "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", None),
    # Monero (the project's donation address), Tron, Litecoin, Bitcoin Cash (CashAddr spec).
    ("wallet", "xmr:44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
     "xmr:44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"),
    ("wallet", "xmr:44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3B", None),
    ("wallet", "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
    ("wallet", "usdt-trc20:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
    ("wallet", "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU8", None),
    ("wallet", "trx:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None),  # a Bitcoin address
    ("wallet", "ltc:LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz", "ltc:LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz"),
    ("wallet", "ltc:LaMT348PWRnrqeeWArpwQPbuanpXDZGEUy", None),
    ("wallet", "bch:1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bch:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
    ("wallet", "bch:bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
     "bch:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
    ("wallet", "bitcoincash:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
     "bch:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
    ("wallet", "bch:3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "bch:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"),
    ("wallet", "bch:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b", None),
    ("wallet", "doge:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", "doge:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"),
    ("wallet", "doge:not an address", None),
    ("wallet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None),  # no chain
    # Social accounts.
    ("social", "telegram:@Handle", "telegram:handle"),
    ("social", "Telegram:handle", "telegram:handle"),
    ("social", "https://t.me/Handle", "telegram:handle"),
    ("social", "t.me/s/Handle", "telegram:handle"),
    ("social", "https://t.me/+AbCdEf", None),  # an invite link
    ("social", "https://t.me/joinchat/AbCdEf", None),
    ("social", "twitter:@Foo", "x:foo"),
    ("social", "https://x.com/Foo", "x:foo"),
    ("social", "https://www.instagram.com/Some.User/", "instagram:some.user"),
    ("social", "https://www.tiktok.com/@Foo", "tiktok:foo"),
    ("social", "https://www.reddit.com/user/Foo", "reddit:foo"),
    ("social", "https://wa.me/442079460958", "whatsapp:+442079460958"),
    ("social", "whatsapp:+44 20 7946 0958", "whatsapp:+442079460958"),
    ("social", "somechat:CaseKept", "somechat:CaseKept"),
    ("social", "telegram:has space", None),
    ("social", "https://example.com/foo", None),
    # The rest.
    ("mac", "00-1A-2b-3C-4d-5E", "00:1a:2b:3c:4d:5e"),
    ("mac", "001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e"),
    ("mac", "001A2B3C4D5E", "00:1a:2b:3c:4d:5e"),
    ("mac", "00:1a:2b:3c:4d", None),
    ("mac", "00:1a-2b:3c:4d:5e", None),
    ("asn", "AS13335", "13335"),
    ("asn", "as 13335", "13335"),
    ("asn", "13335", "13335"),
    ("asn", "1.10", "65546"),
    ("asn", "4294967296", None),
    ("asn", "AS-FOO", None),
    ("mutex", " Global\\Mutex ", " Global\\Mutex "),
    ("filename", "Invoice.PDF.exe", "Invoice.PDF.exe"),
    ("user-agent", "Mozilla/5.0 (X)", "Mozilla/5.0 (X)"),
    ("mutex", "", None),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), CASES,
                         ids=[f"{k}:{r[:40]}" for k, r, _ in CASES])
def test_normalise(kind: str, raw: str, expected: str | None) -> None:
    assert normalise(kind, raw) == expected
    if expected is not None:  # the normal form is a fixed point
        assert normalise(kind, expected) == expected


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("domain", "EXAMPLE.com.", "example.com"),
    ("domain", "bücher.de", "xn--bcher-kva.de"),
    ("url", "HTTP://Example.COM:80/a?b#c", "http://example.com/a?b"),
    ("url", "http://bücher.de/", "http://xn--bcher-kva.de"),
    ("iban", "gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
    ("phone", "+44 20 7946 0958", "+442079460958"),
    ("social", "telegram:@Handle", "telegram:handle"),
    ("social", "https://t.me/Handle", "tg:handle"),
    ("ipv4", "1.2.3.4/32", "1.2.3.4"),
    ("bic", "DEUTDEFFXXX", "deutdeff"),
    ("wallet", "bch:1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
     "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
])
def test_equivalent_spellings(kind: str, a: str, b: str) -> None:
    assert normalise(kind, a) is not None
    assert normalise(kind, a) == normalise(kind, b)


def test_phone_region_and_keyword_qualifiers() -> None:
    assert normalise("phone", "020 7946 0958", region="GB") == "+442079460958"
    assert normalise("phone", "020 7946 0958", region="gb") == "+442079460958"
    assert normalise("phone", "020 7946 0958", region="nonsense") is None
    assert normalise("wallet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", chain="Bitcoin") == \
        "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert normalise("social", "@Handle", platform="TG") == "telegram:handle"
    assert normalise("social", "https://t.me/handle", platform="telegram") == "telegram:handle"
    assert normalise("social", "https://t.me/handle", platform="x") is None


def test_tron_hex_form_is_converted() -> None:
    hexform = base58.b58decode_check("TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7").hex()
    assert normalise("wallet", f"trx:{hexform}") == "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"


def test_wallet_chains() -> None:
    assert wallet_chains("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == ["btc", "bch"]
    assert wallet_chains("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == ["eth"]
    assert wallet_chains("nonsense") == []


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        normalise("colour", "red")


def test_overlong_values_are_refused() -> None:
    assert normalise("url", "http://example.com/" + "a" * 9000) is None
    assert normalise("filename", "a" * 9000) is None


# --------------------------------------------------------------------------- values_of

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.mark.parametrize(("obj", "expected"), [
    ({"type": "ipv4-addr", "value": "1.2.3.4"}, [("ipv4", "1.2.3.4")]),
    ({"type": "ipv4-addr", "value": "1.2.3.4/32"}, [("ipv4", "1.2.3.4")]),
    ({"type": "ipv6-addr", "value": "::ffff:1.2.3.4"},
     [("ipv6", "::ffff:1.2.3.4"), ("ipv4", "1.2.3.4")]),
    ({"type": "domain-name", "value": "Bücher.DE."}, [("domain", "xn--bcher-kva.de")]),
    ({"type": "url", "value": "HTTP://Example.COM:80/a?b#c"}, [("url", "http://example.com/a?b")]),
    ({"type": "email-addr", "value": "A@B.example"}, [("email", "a@b.example")]),
    ({"type": "file", "name": "x.exe", "hashes": {"SHA-256": SHA256.upper(), "MD5": MD5,
                                                  "SHA3-256": "a" * 64, "bogus": "1"}},
     [("sha256", SHA256), ("md5", MD5), ("sha3-256", "a" * 64), ("filename", "x.exe")]),
    ({"type": "file", "hashes": {"SHA-256": "not a hash"}}, []),
    ({"type": "x509-certificate", "hashes": {"SHA-1": "A" * 40}}, [("sha1", "a" * 40)]),
    ({"type": "mac-addr", "value": "00:1A:2B:3C:4D:5E"}, [("mac", "00:1a:2b:3c:4d:5e")]),
    ({"type": "autonomous-system", "number": 13335}, [("asn", "13335")]),
    ({"type": "autonomous-system", "number": True}, []),
    ({"type": "mutex", "name": "Global\\x"}, [("mutex", "Global\\x")]),
    ({"type": "network-traffic", "extensions": {"http-request-ext": {
        "request_method": "get", "request_value": "/",
        "request_header": {"User-Agent": "Evil/1.0"}}}}, [("user-agent", "Evil/1.0")]),
    ({"type": "x-cyberhub-bank-account", "iban": "gb82 west 1234 5698 7654 32",
      "bic": "DEUTDEFFXXX", "account_number": "0123-456789", "country": "fr"},
     [("iban", "GB82WEST12345698765432"), ("bic", "DEUTDEFF"), ("bank-account", "FR:0123456789")]),
    ({"type": "x-cyberhub-phone-number", "value": "+44 20 7946 0958"},
     [("phone", "+442079460958")]),
    ({"type": "x-cyberhub-phone-number", "value": "020 7946 0958", "country": "GB"},
     [("phone", "+442079460958")]),
    ({"type": "x-cyberhub-phone-number", "value": "020 7946 0958"}, []),
    ({"type": "x-cyberhub-cryptocurrency-wallet", "chain": "usdt-trc20",
      "address": "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"},
     [("wallet", "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7")]),
    ({"type": "x-cyberhub-cryptocurrency-wallet", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
     [("wallet", "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")]),
    ({"type": "x-cyberhub-social-account", "platform": "Telegram", "handle": "@Foo_bar",
      "url": "https://t.me/foo_bar"}, [("social", "telegram:foo_bar")]),
    ({"type": "x-cyberhub-social-account", "url": "https://x.com/Foo"}, [("social", "x:foo")]),
    ({"type": "observed-data", "objects": {"0": {"type": "ipv4-addr", "value": "9.9.9.9"}}},
     [("ipv4", "9.9.9.9")]),
    ({"type": "malware", "name": "1.2.3.4"}, []),
    ({"type": "indicator", "pattern_type": "snort", "pattern": "[ipv4-addr:value = '1.2.3.4']"}, []),
])
def test_values_of(obj: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert values_of(obj) == expected


def test_pattern_literals() -> None:
    pattern = (
        f"([file:hashes.'SHA-256' = '{SHA256.upper()}' OR file:hashes.MD5 = '{MD5}'] AND "
        "[ipv4-addr:value = '10.1.2.3/8' AND domain-name:value NOT = 'benign.example'] AND "
        "[url:value = 'http://a.example/it\\'s\\\\x'] AND [autonomous-system:number = 15139] "
        "AND [domain-name:value != 'not.example' AND domain-name:value LIKE '%.example'] "
        "AND [email-message:from_ref.value = 'Boss@Corp.example'] "
        "AND [file:name = 'a = \\'ipv4-addr:value = \\'9.9.9.9\\'\\''] "
        "AND [network-traffic:dst_ref.value = '2001:db8::1'] "
        "AND [x-cyberhub-phone-number:value = '+44 20 7946 0958'] "
        "AND [domain-name:value IN ('in.example', 'list.example')]) WITHIN 300 SECONDS"
    )
    assert pattern_values(pattern) == [
        ("sha256", SHA256), ("md5", MD5), ("ipv4", "10.0.0.0/8"),
        ("url", "http://a.example/it's%5Cx"), ("asn", "15139"),
        ("email", "boss@corp.example"), ("filename", "a = 'ipv4-addr:value = '9.9.9.9''"),
        ("ipv6", "2001:db8::1"), ("phone", "+442079460958"),
    ]


def test_pattern_compound_artefacts() -> None:
    w = "x-cyberhub-cryptocurrency-wallet"
    assert pattern_values(f"[{w}:chain = 'bch' AND {w}:address = "
                          "'1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu']") == \
        [("wallet", "bch:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a")]
    # Without a chain: the first chain the address is valid for.
    assert pattern_values(f"[{w}:address = '1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu']") == \
        [("wallet", "btc:1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu")]
    s = "x-cyberhub-social-account"
    assert pattern_values(f"[{s}:platform = 'twitter' AND {s}:handle = '@Foo'] OR "
                          f"[{s}:url = 'https://t.me/Bar']") == \
        [("social", "x:foo"), ("social", "telegram:bar")]
    b = "x-cyberhub-bank-account"
    assert pattern_values(f"[{b}:account_number = '0123 4567' AND {b}:country = 'FR' AND "
                          f"{b}:iban = 'DE89 3704 0044 0532 0130 00']") == \
        [("iban", "DE89370400440532013000"), ("bank-account", "FR:01234567")]


def test_indicator_values_are_deduplicated() -> None:
    obj = {"type": "indicator", "pattern_type": "stix",
           "pattern": "[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '1.2.3.4/32']"}
    assert values_of(obj) == [("ipv4", "1.2.3.4")]


# --------------------------------------------------------------------------- properties

def _plausible(kind: str) -> st.SearchStrategy[str]:
    """Text that is sometimes a valid value of ``kind`` (pure noise would rarely be)."""
    label = st.from_regex(r"[a-zA-Z0-9_üß-]{1,12}", fullmatch=True)
    domain = st.lists(label, min_size=1, max_size=4).map(".".join).map(lambda d: d + ".Com")
    by_kind: dict[str, st.SearchStrategy[str]] = {
        "ipv4": st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 33)).map(
            lambda t: f"{t[0] >> 24}.{t[0] >> 16 & 255}.{t[0] >> 8 & 255}.{t[0] & 255}"
            + (f"/{t[1]}" if t[1] <= 32 else "")),
        "ipv6": st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 129)).map(
            lambda t: ":".join(f"{(t[0] >> (16 * i)) & 0xFFFF:X}" for i in range(8))
            + (f"/{t[1]}" if t[1] <= 128 else "")),
        "domain": domain,
        "url": st.tuples(st.sampled_from(["http", "HTTPS", "ftp"]), domain,
                         st.sampled_from(["", ":80", ":443", ":8080"]),
                         st.text(max_size=20), st.text(max_size=10)).map(
            lambda t: f"{t[0]}://{t[1]}{t[2]}/{t[3]}?{t[4]}"),
        "email": st.tuples(st.from_regex(r"[A-Za-z0-9.+_-]{1,10}", fullmatch=True), domain)
        .map("@".join),
        "mac": st.binary(min_size=6, max_size=6).map(lambda b: "-".join(f"{x:02X}" for x in b)),
        "asn": st.integers(0, 2**33).map(lambda n: f"AS{n}"),
        "social": st.tuples(st.sampled_from(["telegram", "X", "tg", "other", "whatsapp"]),
                            st.text(max_size=20)).map(":".join),
        "wallet": st.tuples(st.sampled_from(["btc", "eth", "bch", "xmr", "trx", "ltc", "zz"]),
                            st.text(max_size=50)).map(":".join),
        "phone": st.from_regex(r"\+?[0-9 ]{4,16}", fullmatch=True),
    }
    return st.one_of(st.text(max_size=64), by_kind.get(kind, st.text(max_size=64)))


@st.composite
def kind_and_text(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    return kind, draw(_plausible(kind))


@settings(max_examples=600, deadline=None)
@given(kind_and_text())
def test_normalise_never_raises_and_is_idempotent(case: tuple[str, str]) -> None:
    kind, raw = case
    once = normalise(kind, raw)
    assert once is None or isinstance(once, str)
    if once is not None:
        assert normalise(kind, once) == once


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["btc", "bch", "eth", "xmr", "trx", "ltc"]))
def test_known_wallets_survive_a_round_trip(chain: str) -> None:
    for kind, raw, expected in CASES:
        if kind == "wallet" and expected is not None and expected.startswith(chain + ":"):
            assert normalise("wallet", expected) == expected


STIX_TYPES = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "artifact",
              "x509-certificate", "mac-addr", "autonomous-system", "mutex", "network-traffic",
              "indicator", "observed-data", "x-cyberhub-bank-account", "x-cyberhub-phone-number",
              "x-cyberhub-cryptocurrency-wallet", "x-cyberhub-social-account"]
KEYS = ["value", "name", "hashes", "number", "pattern", "pattern_type", "objects", "extensions",
        "iban", "bic", "account_number", "country", "chain", "address", "platform", "handle",
        "url", "http-request-ext", "request_header", "User-Agent", "SHA-256", "MD5", "0"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(STIX_TYPES), st.dictionaries(st.sampled_from(KEYS), json_values,
                                                    max_size=6))
def test_values_of_never_raises(type_: str, body: dict[str, object]) -> None:
    obj = {"type": type_, **body}
    for kind, value in values_of(obj):
        assert kind in KINDS and isinstance(value, str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "[", "]", "'", "\\'", "\\\\", " = ", " NOT ", "ipv4-addr:value", "file:hashes.'SHA-256'",
    "x-cyberhub-cryptocurrency-wallet:address", "1.2.3.4", " AND ", " OR ", "(", ")", "42",
]) | st.text(max_size=5), max_size=20).map("".join))
def test_pattern_values_never_raises(pattern: str) -> None:
    for kind, value in pattern_values(pattern):
        assert kind in KINDS and isinstance(value, str)


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_values_of_ignores_non_objects(obj: object) -> None:
    assert values_of(obj) == []  # type: ignore[arg-type]
