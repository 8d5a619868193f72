"""The privacy notice (ASVS 8.3.3): open to everyone, linked from every page, stating
what the hub keeps from its own settings, with the operator's notice sanitised."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cyberhub.config import Settings


def test_anyone_reads_what_is_kept_and_for_how_long(client: TestClient,
                                                    settings: Settings) -> None:
    settings.retention_sessions_days, settings.retention_notifications_days = 45, 0
    signin = client.get("/signin")
    assert 'href="/privacy"' in signin.text
    r = client.get("/privacy")
    assert r.status_code == 200
    assert "deleted 45 days after it ends" in r.text  # sessions, from the setting
    assert "Your notifications</td><td data-label=\"How long\">kept until" in r.text
    assert "not published their notice yet" in r.text


def test_the_operator_s_notice_is_shown_in_the_reader_s_language_and_sanitised(
        client: TestClient, settings: Settings) -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "privacy.md").write_text(
        "## Who we are\n\nRun by the *Example partnership*.\n\n<script>alert(1)</script>\n"
        "[contact](javascript:alert(2))\n")
    (settings.var_dir / "privacy.fr.md").write_text("## Qui nous sommes\n\nLe *partenariat*.\n")
    r = client.get("/privacy")
    assert "<h2>Who we are</h2>" in r.text and "<em>Example partnership</em>" in r.text
    assert "&lt;script&gt;alert(1)" in r.text and "<script>alert" not in r.text
    assert 'href="javascript:' not in r.text
    fr = client.get("/privacy", headers={"Accept-Language": "fr"})
    assert "<h2>Qui nous sommes</h2>" in fr.text and "Who we are" not in fr.text
