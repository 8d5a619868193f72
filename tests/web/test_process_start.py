"""What an app process does as it starts: page templates are compiled and kept on disk
(the next process, another worker or a restart, loads them instead of compiling them
again), and in `cyberhub serve` what start-up made is frozen out of the garbage
collector's way."""

from __future__ import annotations

from starlette.testclient import TestClient

from cyberhub.app import create_app
from cyberhub.web import render


def _page_templates() -> list[str]:
    return [n for n in render.env.list_templates() if n.endswith(".html")]


def test_templates_are_compiled_at_start_and_loaded_from_disk_after(settings, database,
                                                                     monkeypatch):
    render.env.cache.clear()  # as in a process that has rendered nothing yet
    app = create_app(settings, database)
    with TestClient(app, base_url="http://testserver") as client:
        kept = list((settings.var_dir / "cache" / "templates").iterdir())
        assert len(kept) == len(_page_templates())
        assert "Sign in" in client.get("/signin").text

    # The next process: nothing in memory, and compiling is not allowed; every template
    # still loads, from the compiled copies on disk.
    render.env.cache.clear()

    def no_compile(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a template was compiled again")

    monkeypatch.setattr(render.env, "compile", no_compile)
    app = create_app(settings, database)
    with TestClient(app, base_url="http://testserver") as client:
        assert "Sign in" in client.get("/signin").text


def test_a_changed_template_is_compiled_again(settings, database, tmp_path, monkeypatch):
    """Jinja checks each compiled copy against its source: an upgrade never serves the
    old page."""
    from jinja2 import ChoiceLoader, DictLoader

    render.use_bytecode_cache(tmp_path)
    monkeypatch.setattr(render.env, "loader", ChoiceLoader(
        [DictLoader({"probe.html": "first"}), render.env.loader]))
    render.env.cache.clear()
    assert render.env.get_template("probe.html").render() == "first"
    render.env.cache.clear()
    render.env.loader.loaders[0].mapping["probe.html"] = "second"  # type: ignore[attr-defined]
    assert render.env.get_template("probe.html").render() == "second"
    render.env.cache.clear()


def test_an_unwritable_cache_directory_leaves_templates_in_memory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    before = render.env.bytecode_cache
    render.use_bytecode_cache(blocked)
    assert render.env.bytecode_cache is before
    assert render.env.get_template("error.html") is not None


def test_the_served_app_freezes_what_start_up_made(settings, database):
    """`cyberhub serve` builds each process with create_served_app: once started, what
    start-up made is out of the garbage collector's reach (no long full collections)."""
    import gc

    from cyberhub.app import create_served_app

    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_served_app(), base_url="http://testserver") as client:
            assert gc.get_freeze_count() > 10_000
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
