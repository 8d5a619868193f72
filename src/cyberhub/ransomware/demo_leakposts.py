"""Demo leak-site posts for the demo community: generated, fictional, flagged ``is_demo``.

Two demo organisations import the posts through the real importer, as JSON Lines a
monitor would publish: a threat-research company shares about 180 posts over two years
(TLP:GREEN), a CERT a few of its own (TLP:AMBER, some the same posts). Victims are
invented ("Demo Harbour Logistics"), sites end in ``.example``. Deterministic;
idempotent: nothing is added when demo posts exist.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Organisation, Role, User
from cyberhub.ransomware import leakposts
from cyberhub.ransomware.models_leakposts import LeakPost
from cyberhub.sharing import TLP

__all__ = ["load", "posts"]

SEED = 20261205
END = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAYS = 730
# Group names as leak-site monitors spell them, by weight; the last matches no family.
GROUPS = [("lockbit3", 7), ("LockBit 3.0", 1), ("akira", 5), ("play", 4), ("rhysida", 3),
          ("alphv", 2), ("demo-crew", 1)]
ADJECTIVES = ["Harbour", "Northern", "Silver", "Meadow", "Granite", "Blue Valley", "Lakeside",
              "Summit", "Riverside", "Oak", "Coastal", "Highland", "Amber", "Westfield"]
NOUNS = [("Logistics", "Logistic"), ("Clinic", "Health"), ("Dental Group", "Health"),
         ("Manufacturing", "Manufacturing"), ("Law Partners", "Legal"),
         ("Municipality", "Government, Administration"), ("School District", "Education"),
         ("Credit Union", "Finance"), ("Retail", "Retail"), ("Construction", "Construction"),
         ("Engineering", "Engineering"), ("Hotels", "Hospitality")]
COUNTRIES = [("US", 6), ("DE", 2), ("GB", 2), ("FR", 2), ("NL", 2), ("IT", 1), ("ES", 1),
             ("BE", 1), ("CA", 1), ("", 1)]
RESEARCHER = "Sentinel Threat Research"
CERT = "National CERT"


def _pick(rng: random.Random, items: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in items], weights=[w for _v, w in items])[0]


def posts(count: int = 180, seed: int = SEED) -> list[dict[str, str]]:
    """``count`` fictional posts in the monitors' JSON shape (ransomware.live's keys)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    out = []
    for i in range(count):
        adj, (noun, sector) = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        victim = f"Demo {adj} {noun}"
        slug = f"{adj}-{noun}".lower().replace(" ", "-")
        group = _pick(rng, GROUPS)
        published = END - timedelta(days=rng.randint(0, DAYS), minutes=rng.randint(0, 1440))
        discovered = published + timedelta(minutes=rng.randint(5, 600))
        size = rng.choice([40, 120, 300, 750, 1200])
        country = _pick(rng, COUNTRIES)
        out.append({
            "post_title": victim,
            "group_name": group,
            "discovered": discovered.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "published": published.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "description": f"[DEMO] Fictional post: the group claims {size} GB of files "
                           f"of {victim}. Invented for the demo hub.",
            "website": f"{slug}-{i % 7}.example",
            "post_url": f"http://{group.replace(' ', '').lower()}-leaks.demo.example/"
                        f"post/{i + 1}",
            "country": country,
            "activity": sector if rng.random() < 0.85 else "Not Found",
        })
    return out


def _jsonl(items: list[dict[str, str]]) -> io.BytesIO:
    return io.BytesIO(b"".join(orjson.dumps(p) + b"\n" for p in items))


def _analyst(session: Session, org_name: str) -> access.Viewer | None:
    user = session.scalars(select(User).join(Organisation).where(
        Organisation.name == f"{org_name} (demo)", Organisation.is_demo.is_(True),
        User.role == Role.ANALYST).order_by(User.email)).first()
    return None if user is None else access.viewer_for(session, user)


def load(session: Session) -> int:
    """Import the demo posts once; returns how many were stored."""
    if session.scalar(select(LeakPost.id).where(LeakPost.is_demo.is_(True))) is not None:
        return 0
    stored = 0
    items = posts()
    researcher = _analyst(session, RESEARCHER)
    if researcher is not None:
        stored += leakposts.import_posts(
            session, researcher, _jsonl(items), filename="demo-leak-posts.jsonl",
            tlp=TLP.GREEN, is_demo=True, now=END).stored
    cert = _analyst(session, CERT)
    if cert is not None:
        own = posts(12, seed=SEED + 1) + items[:3]  # three the researchers shared too
        stored += leakposts.import_posts(
            session, cert, _jsonl(own), filename="demo-cert-leak-posts.jsonl",
            tlp=TLP.AMBER, is_demo=True, now=END).stored
    return stored
