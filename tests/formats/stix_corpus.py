"""A corpus of valid STIX 2.1 objects of every type, and mutations of them.

Built in code so that the differential tests can compare our validator with the OASIS
stix2-validator on thousands of objects without fixtures on disk.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from cyberhub.intel import extensions as ext

U = "4f2c6b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f"
U2 = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
U5 = "5e9d2a10-4b7c-5d8e-9f01-23456789abcd"  # a v5 UUID
TS = "2024-03-01T10:00:00.000Z"
TS2 = "2024-03-02T10:00:00.000Z"


def sid(t: str, u: str = U) -> str:
    return f"{t}--{u}"


IDENT = sid("identity", U2)
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def _sdo(t: str, **props: Any) -> dict[str, Any]:
    return {"type": t, "spec_version": "2.1", "id": sid(t), "created": TS, "modified": TS2,
            "created_by_ref": IDENT, **props}


def _sco(t: str, u: str = U5, **props: Any) -> dict[str, Any]:
    return {"type": t, "spec_version": "2.1", "id": sid(t, u), **props}


SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

VALID: list[dict[str, Any]] = [
    _sdo("attack-pattern", name="Spearphishing", aliases=["phish"],
         kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
         external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}]),
    _sdo("campaign", name="Op X", first_seen="2024-01-01T00:00:00Z",
         last_seen="2024-02-01T00:00:00Z", objective="money"),
    _sdo("course-of-action", name="Block it", description="Block the IP."),
    _sdo("grouping", name="G", context="suspicious-activity", object_refs=[sid("indicator")]),
    _sdo("identity", name="ACME Bank", identity_class="organization", sectors=["financial-services"],
         labels=["bank"], confidence=80, lang="en",
         object_marking_refs=[TLP_GREEN],
         granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["name"]}]),
    _sdo("incident", name="Ransomware at X", description="bad day"),
    _sdo("indicator", name="C2", indicator_types=["malicious-activity"],
         pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix",
         valid_from="2024-01-01T00:00:00Z", valid_until="2025-01-01T00:00:00Z",
         kill_chain_phases=[{"kill_chain_name": "lockheed", "phase_name": "c2"}]),
    _sdo("indicator", name="hash", pattern=f"[file:hashes.'SHA-256' = '{SHA256}']",
         pattern_type="stix", valid_from="2024-01-01T00:00:00Z"),
    _sdo("indicator", pattern="[file:size > 100] FOLLOWEDBY [url:value LIKE 'http://%'] "
         "WITHIN 300 SECONDS", pattern_type="stix", valid_from="2024-01-01T00:00:00Z"),
    _sdo("indicator", pattern="alert tcp any any -> any 80 (msg:\"x\";)", pattern_type="snort",
         valid_from="2024-01-01T00:00:00Z"),
    _sdo("infrastructure", name="Bulletproof host", infrastructure_types=["hosting-malware"],
         first_seen="2024-01-01T00:00:00Z"),
    _sdo("intrusion-set", name="FIN-X", aliases=["X"], goals=["money"],
         resource_level="organization", primary_motivation="personal-gain"),
    _sdo("location", name="Paris", country="FR", region="europe", city="Paris"),
    _sdo("location", latitude=48.85, longitude=2.35, precision=1000.0),
    _sdo("malware", name="LockBit", is_family=True, malware_types=["ransomware"],
         implementation_languages=["c"], sample_refs=[sid("file", U5)]),
    _sdo("malware", is_family=False),
    _sdo("malware-analysis", product="sandbox", result="malicious",
         sample_ref=sid("file", U5), analysis_sco_refs=[sid("file", U5)]),
    _sdo("note", content="seen twice", object_refs=[sid("indicator")], authors=["me"]),
    _sdo("observed-data", first_observed=TS, last_observed=TS2, number_observed=3,
         object_refs=[sid("ipv4-addr", U5)]),
    _sdo("observed-data", first_observed=TS, last_observed=TS2, number_observed=1,
         objects={"0": {"type": "mutex", "id": sid("mutex", U5), "name": "m"}}),
    _sdo("opinion", opinion="agree", object_refs=[sid("indicator")]),
    _sdo("report", name="Q1", report_types=["threat-report"], published=TS,
         object_refs=[sid("indicator"), sid("malware")]),
    _sdo("threat-actor", name="Bob", threat_actor_types=["criminal"], roles=["agent"],
         sophistication="expert"),
    _sdo("tool", name="cobalt", tool_types=["remote-access"], tool_version="4"),
    _sdo("vulnerability", name="CVE-2021-44228",
         external_references=[{"source_name": "cve", "external_id": "CVE-2021-44228"}]),
    _sdo("relationship", relationship_type="uses", source_ref=sid("threat-actor"),
         target_ref=sid("malware"), start_time=TS, stop_time=TS2),
    _sdo("sighting", sighting_of_ref=sid("indicator"), count=2, first_seen=TS, last_seen=TS2,
         where_sighted_refs=[IDENT], observed_data_refs=[sid("observed-data")], summary=False),
    _sco("artifact", mime_type="application/zip", payload_bin="UEsDBA=="),
    _sco("artifact", url="https://example.com/a.zip", hashes={"SHA-256": SHA256},
         encryption_algorithm="mime-type-indicated", decryption_key="infected"),
    _sco("autonomous-system", number=64500, name="AS", rir="RIPE"),
    _sco("directory", path="C:\\Windows", path_enc="UTF-8", ctime="2024-01-01T00:00:00Z"),
    _sco("domain-name", value="example.com", resolves_to_refs=[sid("ipv4-addr", U5)]),
    _sco("email-addr", value="john@example.com", display_name="John"),
    _sco("email-message", is_multipart=False, subject="hi", body="hello",
         from_ref=sid("email-addr", U5), to_refs=[sid("email-addr", U5)], date=TS,
         additional_header_fields={"X-Mailer": "m", "Received": ["a", "b"]}),
    _sco("email-message", u="9b0e2f4a-1c3d-4e5f-a6b7-c8d9e0f1a2b3", is_multipart=True,
         body_multipart=[{"body": "x", "content_type": "text/plain"},
                         {"body_raw_ref": sid("artifact", U5)}]),
    _sco("file", name="evil.exe", size=1024, hashes={"SHA-256": SHA256, "MD5": "0" * 32},
         magic_number_hex="4D5A", parent_directory_ref=sid("directory", U5),
         extensions={"windows-pebinary-ext": {"pe_type": "exe", "number_of_sections": 4},
                     "ntfs-ext": {"sid": "S-1-5"}}),
    _sco("file", name="a.zip", extensions={"archive-ext": {"contains_refs": [sid("file", U5)]}}),
    _sco("ipv4-addr", value="198.51.100.7", belongs_to_refs=[sid("autonomous-system", U5)]),
    _sco("ipv4-addr", value="10.0.0.0/8"),
    _sco("ipv6-addr", value="2001:db8::1"),
    _sco("mac-addr", value="d2:fb:49:24:37:18"),
    _sco("mutex", name="Global\\evil"),
    _sco("network-traffic", protocols=["ipv4", "tcp"], src_ref=sid("ipv4-addr", U5),
         dst_port=443, start=TS, end=TS2, is_active=False,
         extensions={"tcp-ext": {"src_flags_hex": "02"},
                     "socket-ext": {"address_family": "AF_INET", "socket_type": "SOCK_STREAM"}}),
    _sco("process", u="f47ac10b-58cc-4372-a567-0e02b2c3d479", pid=1234,
         command_line="evil.exe -x", image_ref=sid("file", U5),
         extensions={"windows-process-ext": {"aslr_enabled": True, "integrity_level": "high"}}),
    _sco("software", name="Word", vendor="Microsoft", version="2016",
         cpe="cpe:2.3:a:microsoft:word:2016:*:*:*:*:*:*:*", languages=["en"]),
    _sco("url", value="https://example.com/path?q=1#f"),
    _sco("user-account", user_id="1001", account_login="bob", account_type="unix",
         extensions={"unix-account-ext": {"gid": 1001, "shell": "/bin/sh"}}),
    _sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\Software\\Evil",
         values=[{"name": "run", "data": "evil.exe", "data_type": "REG_SZ"}]),
    _sco("x509-certificate", issuer="CN=Evil", serial_number="01",
         validity_not_before=TS, validity_not_after=TS2,
         x509_v3_extensions={"basic_constraints": "CA:FALSE"}),
    {"type": "marking-definition", "spec_version": "2.1", "id": sid("marking-definition"),
     "created": TS, "definition_type": "statement",
     "definition": {"statement": "Copyright ACME"}, "created_by_ref": IDENT},
    {"type": "marking-definition", "spec_version": "2.1",
     "id": TLP_GREEN, "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
     "name": "TLP:GREEN", "definition": {"tlp": "green"}},
    {"type": "marking-definition", "spec_version": "2.1",
     "id": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
     "created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN",
     "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
         "extension_type": "property-extension", "tlp_2_0": "green"}}},
    _sdo("language-content", object_ref=sid("campaign"), object_modified=TS,
         contents={"de": {"name": "Operation X"}, "fr": {"description": "désolé"}}),
    _sdo("extension-definition", name="ext", schema="https://example.com/s.json",
         version="1.0", extension_types=["property-extension"]),
    _sdo("x-acme-widget", name="custom SDO", x_acme_size=3),
    _sco("x-acme-gadget", value="custom SCO"),
    *ext.EXTENSION_DEFINITIONS,
    ext.IDENTITY,
    ext.new_bank_account(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX",
                         bank_name="Commerzbank", country="DE"),
    ext.new_bank_account(account_number="12345678", bank_name="Bank of X", country="GB"),
    ext.new_phone_number("+33612345678"),
    ext.new_cryptocurrency_wallet("bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ext.new_social_account("telegram", "@evilshop", url="https://t.me/evilshop"),
    ext.new_criminal_service("Evil Hosting", "bulletproof-hosting",
                             urls=["https://evil.example/"], created=TS),
]


def _set(o: dict[str, Any], k: str, v: Any) -> dict[str, Any]:
    o = copy.deepcopy(o)
    o[k] = v
    return o


def _drop(o: dict[str, Any], k: str) -> dict[str, Any]:
    o = copy.deepcopy(o)
    del o[k]
    return o


BAD_TIMESTAMPS = ["2024-03-01", "2024-03-01T10:00:00", "2024-03-01T10:00:00+01:00",
                  "2024-02-30T10:00:00.000Z", "2024-03-01T24:00:00.000Z",
                  "2024-03-01T10:00:60.000Z", "2024-13-01T10:00:00.000Z", 1709287200,
                  "2024-03-01 10:00:00.000Z", "2024-03-01T10:00:00.000z",
                  "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.1Z",
                  "2024-03-01T10:00:00.123456Z", "2023-03-01T10:00:00.000Z"]
BAD_IDS = ["x", "identity--1234", "identity--4f2c6b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5", "Identity--" + U,
           "identity-" + U, "identity--4f2c6b1e-8d3a-0c5b-9e7f-0a1b2c3d4e5f",
           "identity--4f2c6b1e-8d3a-4c5b-7e7f-0a1b2c3d4e5f", "--" + U, 42]
WEIRD_VALUES: list[Any] = [None, [], "", -1, 1.5, True, "x", [None], {"a": 1}]


def mutations(o: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    t = o["type"]
    for k in list(o):
        if k != "type":
            yield f"drop {k}", _drop(o, k)
    for k, v in list(o.items()):
        if k in ("type", "id"):
            continue
        for w in WEIRD_VALUES:
            if w != v:
                yield f"{k}={w!r}", _set(o, k, w)
        if isinstance(v, str) and (k.endswith(("_ref", "_time", "_seen", "_observed", "ed"))
                                   or k in ("created", "modified", "valid_from", "valid_until",
                                            "published", "start", "end", "date")):
            for bad in BAD_TIMESTAMPS if not k.endswith("_ref") else BAD_TIMESTAMPS[:2]:
                yield f"{k}={bad!r}", _set(o, k, bad)
        if k.endswith("_ref") and isinstance(v, str):
            for other in ("identity", "indicator", "relationship", "marking-definition",
                          "bundle", "x-custom", "file", "ipv4-addr", "software"):
                yield f"{k}->{other}", _set(o, k, sid(other, U5))
            for bad in BAD_IDS:
                yield f"{k}={bad!r}", _set(o, k, bad)
        if k.endswith("_refs") and isinstance(v, list):
            for other in ("identity", "indicator", "relationship", "marking-definition",
                          "file", "ipv4-addr", "mac-addr"):
                yield f"{k}->[{other}]", _set(o, k, [sid(other, U5)])
            yield f"{k}+bad", _set(o, k, [*v, "nope"])
    for bad in BAD_IDS:
        yield f"id={bad!r}", _set(o, "id", bad)
    yield "id other type", _set(o, "id", sid("campaign" if t != "campaign" else "tool"))
    yield "id uuid v1", _set(o, "id", f"{t}--{U[:14]}1{U[15:]}")
    yield "id uuid v4", _set(o, "id", f"{t}--{U}")
    for bad_t in ("Identity", "x", "a--b", "-abc", "abc-", "x_acme", "action", "a" * 251,
                  "bundle"):
        yield f"type={bad_t}", _set(o, "type", bad_t)
    for sv in ("2.0", "2.2", 2.1, "", None):
        yield f"spec_version={sv!r}", _set(o, "spec_version", sv)
    for name in ("severity", "action", "username", "phone_numbers", "ab", "Abc", "abc-d",
                 "x_acme_score", "x_acme_bin", "x_acme_hex", "x_data_bin", "x_data_hex",
                 "x" * 251):
        for val in (("AQID", 3) if name.endswith(("_bin", "_hex")) else ("high",)):
            yield f"+{name}={val!r}", _set(o, name, val)
    yield "+confidence=101", _set(o, "confidence", 101)
    yield "+confidence=-1", _set(o, "confidence", -1)
    yield "+confidence=50.0", _set(o, "confidence", 50.0)
    for lang in ("en", "fr-CA", "xx", "english", "EN", "de-DE"):
        yield f"+lang={lang}", _set(o, "lang", lang)
    yield "+labels=[]", _set(o, "labels", [])
    yield "+labels=[1]", _set(o, "labels", [1])
    yield "+omr=[identity]", _set(o, "object_marking_refs", [IDENT])
    yield "+omr=[tlp]", _set(o, "object_marking_refs", [TLP_GREEN])
    yield "+omr=[]", _set(o, "object_marking_refs", [])
    for gm in ([{"marking_ref": TLP_GREEN, "selectors": ["nonexistent_prop"]}],
               [{"marking_ref": TLP_GREEN, "selectors": ["type"]}],
               [{"marking_ref": TLP_GREEN, "selectors": []}],
               [{"marking_ref": IDENT, "selectors": ["type"]}],
               [{"selectors": ["type"]}],
               [{"marking_ref": TLP_GREEN, "selectors": ["Type"]}],
               [{"marking_ref": TLP_GREEN, "selectors": ["id"]}],
               []):
        yield f"+granular={gm!r}", _set(o, "granular_markings", gm)
    for er in ([{"source_name": "cve", "external_id": "CVE-2021-1"}],
               [{"source_name": "cve"}], [{"source_name": "acme"}],
               [{"source_name": "acme", "url": "not a url"}],
               [{"source_name": "acme", "url": "https://example.com/x"}],
               [{"source_name": "acme", "external_id": "CAPEC-12"}],
               [{"source_name": "capec", "external_id": "CAPEC-12"}],
               [{"source_name": "acme", "description": "d", "hashes": {"SHA-256": "00"}}],
               [{"external_id": "x"}], [], ["x"]):
        yield f"+extref={er!r}", _set(o, "external_references", er)
    ed = "extension-definition--" + U
    for exts in ({}, {ed: {"extension_type": "property-extension", "x_rank": 5}},
                 {ed: {"rank": 5}}, {ed: {"extension_type": "new-thing"}},
                 {ed: "x"}, {"acme-ext": {"a_b": 1}}, {"acme-ext": {}}, {"acme": {"a": 1}},
                 {"extension-definition--nope": {"extension_type": "new-sdo"}},
                 {ed: {"extension_type": "toplevel-property-extension"}}):
        yield f"+extensions={exts!r}", _set(o, "extensions", exts)
    if t == "indicator":
        for p in PATTERNS_VALID + PATTERNS_INVALID:
            yield f"pattern={p!r}", _set(o, "pattern", p)
        yield "pattern_version=2.0", _set(o, "pattern_version", "2.0")
        yield "pattern_type=sigma bad", _set(_set(o, "pattern_type", "sigma"), "pattern", "[[[")
    if t == "file":
        for h in ({"SHA-256": "00"}, {"MD5": SHA256}, {"ab": "x"}, {"x-custom": "x"},
                  {"SHA-256": SHA256.upper()}, {}):
            yield f"hashes={h!r}", _set(o, "hashes", h)


PATTERNS_VALID = [
    "[ipv4-addr:value = '1.2.3.4']",
    "[ipv4-addr:value='1.2.3.4']",
    "  [ ipv4-addr : value = '1.2.3.4' ]  ",
    f"[file:hashes.'SHA-256' = '{SHA256}']",
    f"[file:hashes.'SHA-256' = '{SHA256}' OR file:hashes.MD5 = '{'a' * 32}']",
    "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    "[file:hashes.'x-custom' = 'anything']",
    "[domain-name:value = 'x.example' OR url:value = 'http://y.example/']",
    "[domain-name:value = 'a' AND domain-name:value = 'b']",
    "[file:name = 'it\\'s']",
    "[file:name = 'back\\\\slash']",
    "[file:name = '']",
    "[file:name = 'with AND inside OR too']",
    "[email-message:from_ref.value = 'a@example.com']",
    "[x-cyberhub-phone-number:value = '+33612345678']",
    "[x-acme-thing:x_prop = 'v']",
    "[file:size > 100]",
    "[file:name != 'a']",
    "[file:name LIKE 'evil%']",
    "[file:name MATCHES '^evil.*$']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[file:name IN ('a', 'b')]",
    "[file:name = 'a'] AND [file:name = 'b']",
    "[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] WITHIN 10 SECONDS",
    "[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[file:name = 'a'] REPEATS 5 TIMES",
    "([file:name = 'a'] OR [file:name = 'b'])",
    "[NOT file:name = 'a']",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[network-traffic:dst_port = 443]",
    "[artifact:payload_bin = b'AQID']",
    "[file:mtime = t'2016-06-01T00:00:00Z']",
    "[file:name = 'a' OR\n file:name = 'b']",
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Foo']",
    "[process:id = 'x']",
]
PATTERNS_INVALID = [
    "", "[]", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value = 1.2.3.4]", "[ipv4-addr:value = \"1.2.3.4\"]",
    "[ipv4-addr:value = '1.2.3.4]", "[file:name = 'a\\b']", "[file:name = 'a''b']",
    f"[file:hashes.'SHA-256' = '{SHA256[:-1]}']", "[file:hashes.MD5 = 'xyz']",
    "[file:hashes.'SHA-1' = 'zz']", "[file:name = 'a' and file:name = 'b']",
    "[file:name = 'a' ANDfile:name = 'b']", "[file:name = 'a' XOR file:name = 'b']",
    "[File:name = 'a']", "[file:Name = 'a']", "[fi:name = 'a']", "[file:nm = 'a']",
    "[x:name = 'a']", "[file:name == 'a']", "[file name = 'a']", "[file:name = 'a'] AND",
    "[file:name = 'a'] WITHIN 10 SECONDS WITHIN 5 SECONDS", "[true:abc = 'a']",
    "[file:true = 'a']", "[file:hashes.AND = 'a']", "[file:name = 'a'] START t'x' STOP t'y'",
    "[file:name IN ()]", "[file:name MATCHES]", "[[file:name = 'a']]", "[file:-name = 'a']",
    "[file:name = 'a']]", "[file:name = 'a'] /* comment */", "[file:size = 'a' OR]",
]


def corpus() -> Iterator[tuple[str, dict[str, Any]]]:
    for i, o in enumerate(VALID):
        label = f"{i}:{o['type']}"
        yield label, o
        for m, mutated in mutations(o):
            yield f"{label} {m}", mutated
