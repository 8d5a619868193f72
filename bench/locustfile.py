"""The users of a load test (locust): analysts who sign in, search, open objects, read the
dashboards, page through TAXII and import small bundles; automation reading TAXII.

Driven by bench/load_test.py, which seeds the hub and passes what the users need in
CYBERHUB_LOAD_PLAN (a JSON file: accounts, API token, object ids, collection id).
Every request is named by what it stands for, so that the report reads by action.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from locust import FastHttpUser, between, task

PLAN: dict[str, Any] = json.loads(open(os.environ["CYBERHUB_LOAD_PLAN"]).read())  # noqa: SIM115
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TAXII = "application/taxii+json;version=2.1"
WORDS = PLAN["words"]
# Seconds a user waits between actions (bench/load_test.py --think): an analyst reads a
# page before the next click; automation waits between polls.
THINK_MIN, THINK_MAX = PLAN.get("think", (1.0, 5.0))


def bundle() -> bytes:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    objects = []
    for _ in range(20):
        value = f"{random.getrandbits(32):08x}.load.example"
        objects.append({"type": "indicator", "spec_version": "2.1",
                        "id": f"indicator--{uuid.uuid4()}", "created": now, "modified": now,
                        "name": "Load test indicator", "pattern_type": "stix",
                        "pattern": f"[domain-name:value = '{value}']", "valid_from": now})
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                       "objects": objects}).encode()


class Analyst(FastHttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        self.account = random.choice(PLAN["accounts"])
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/signin", name="sign-in page")
        token = CSRF.search(page.text or "")
        if token is None:
            return
        self.client.post("/signin", name="sign-in", allow_redirects=False,
                         data={"email": self.account, "password": PLAN["password"],
                               "csrf_token": token.group(1)})

    @task(1)
    def sign_in_again(self) -> None:
        self.client.cookiejar.clear()
        self.sign_in()

    @task(3)
    def search_page(self) -> None:
        self.client.get(f"/objects?q={random.choice(WORDS)}", name="search (page)")

    @task(3)
    def search_api(self) -> None:
        self.client.get(f"/api/v1/objects?q={random.choice(WORDS)}&limit=50",
                        name="search (API)", headers={"Authorization": f"Bearer {PLAN['token']}"})

    @task(5)
    def object_page(self) -> None:
        self.client.get(f"/objects/{random.choice(PLAN['objects'][self.account])}",
                        name="object page")

    @task(2)
    def object_api(self) -> None:
        ids = PLAN["objects"][PLAN["token_account"]]
        self.client.get(f"/api/v1/objects/{random.choice(ids)}", name="object (API)",
                        headers={"Authorization": f"Bearer {PLAN['token']}"})

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="dashboard (home)")

    @task(1)
    def landscape(self) -> None:
        # Off unless asked (--landscape): at a million objects one landscape costs seconds
        # of database time and drags every other figure with it.
        if PLAN.get("landscape"):
            self.client.get("/atlas", name="dashboard (landscape)")

    @task(1)
    def import_bundle(self) -> None:
        """Queue an import, then follow it until stored: the queued answer is one figure,
        the time until the objects are in the hub another ("import (20 objects, stored)")."""
        auth = {"Authorization": f"Bearer {PLAN['token']}"}
        started = time.perf_counter()
        got = self.client.post("/api/v1/import?tlp=GREEN", data=bundle(),
                               name="import (20 objects, queued)",
                               headers={**auth, "Content-Type": "application/stix+json"})
        where = got.headers.get("Location") if got.status_code == 202 else None
        if where is None:
            return
        problem: Exception | None = TimeoutError("not stored within 60 s")
        while time.perf_counter() - started < 60:
            time.sleep(0.2)
            status = self.client.get(where, name="import status (API)", headers=auth)
            state = (status.json() or {}).get("status") if status.status_code == 200 else None
            if state == "succeeded":
                problem = None
                break
            if state in ("failed", "rejected"):
                problem = RuntimeError(f"import {state}")
                break
        self.environment.events.request.fire(
            request_type="IMPORT", name="import (20 objects, stored)",
            response_time=(time.perf_counter() - started) * 1000, response_length=0,
            exception=problem, context={})

    @task(1)
    def health(self) -> None:
        # The baseline: the same server and client, no database.
        self.client.get("/healthz", name="baseline: /healthz")


class TaxiiClient(FastHttpUser):
    """Automation that pages through a collection, as a SIEM or a partner hub does."""
    wait_time = between(THINK_MIN, THINK_MAX)
    weight = 1

    @task
    def pages(self) -> None:
        base = f"/taxii2/hub/collections/{PLAN['collection']}/objects/"
        headers = {"Accept": TAXII, "Authorization": f"Bearer {PLAN['token']}"}
        got = self.client.get(base + "?limit=100", name="TAXII page", headers=headers)
        body = got.json() if got.status_code == 200 else {}
        if body.get("more") and body.get("next"):
            self.client.get(f"{base}?limit=100&next={body['next']}", name="TAXII page",
                            headers=headers)
