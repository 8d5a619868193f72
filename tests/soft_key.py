"""A software FIDO2 authenticator for the tests: an EC P-256 key pair that answers the
hub's WebAuthn options the way a browser hands a security key's answer to a page
(``PublicKeyCredential.toJSON()``), with "none" attestation.

Each answer can be bent to test the hub's checks: another origin or relying party, a
counter that does not move on, a challenge of its own."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

# authenticatorData flags (WebAuthn §6.1)
UP = 0x01  # user present
UV = 0x04  # user verified
AT = 0x40  # attested credential data follows


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftKey:
    """One credential on one authenticator."""

    def __init__(self, *, origin: str = "http://testserver", rp_id: str = "testserver",
                 counts: bool = True, user_verified: bool = True) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.origin = origin
        self.rp_id = rp_id
        self.counts = counts  # keeps a signature counter (some passkeys keep none: 0)
        self.user_verified = user_verified
        self.sign_count = 0

    @property
    def id(self) -> str:
        return b64u(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _flags(self, extra: int = 0) -> int:
        return UP | (UV if self.user_verified else 0) | extra

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None,
               rp_id: str | None = None, challenge: str | None = None, fmt: str = "none",
               att_stmt: dict[str, Any] | None = None,
               public_key: bytes | None = None) -> dict[str, Any]:
        """The answer to ``navigator.credentials.create()`` for the hub's options (an
        attestation statement of another format, or another public key, if given)."""
        client_data = self._client_data("webauthn.create", challenge or options["challenge"],
                                        origin)
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        auth_data = (rp_hash + bytes([self._flags(AT)]) + self.sign_count.to_bytes(4, "big")
                     + bytes(16)  # AAGUID: none
                     + len(self.credential_id).to_bytes(2, "big") + self.credential_id
                     + (public_key or self.cose_public_key()))
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": att_stmt or {}, "authData": auth_data})
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "authenticatorAttachment": "cross-platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64u(client_data),
                             "attestationObject": b64u(attestation),
                             "transports": ["usb", "nfc", "smoke-signals"]}}

    def get(self, options: dict[str, Any], *, origin: str | None = None,
            rp_id: str | None = None, challenge: str | None = None,
            count: int | None = None) -> dict[str, Any]:
        """The answer to ``navigator.credentials.get()`` for the hub's options; the
        counter moves on unless ``count`` says what to report."""
        if count is not None:
            reported = count
        else:
            if self.counts:
                self.sign_count += 1
            reported = self.sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"],
                                        origin)
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags()]) + reported.to_bytes(4, "big")
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "authenticatorAttachment": "cross-platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64u(client_data),
                             "authenticatorData": b64u(auth_data),
                             "signature": b64u(signature), "userHandle": None}}
