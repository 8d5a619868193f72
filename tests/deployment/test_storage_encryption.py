"""`cyberhub check` tells whether the hub's files are encrypted at rest (ASVS 6.1.1–6.1.3):
the volume below the var directory and a SQLite database, followed down through the
device-mapper stack to a dm-crypt layer; or the operator's statement where the kernel
cannot show it. The kernel's description is a stand-in under the test's directory
(tests/deployment/fake_volumes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberhub import volumes
from cyberhub.cli import app as cli
from cyberhub.config import Settings, set_settings
from cyberhub.deploycheck import Status, storage_checks
from tests.deployment.fake_volumes import fake_volume

runner = CliRunner()


def _hub(settings: Settings, tmp_path: Path, **changes: object) -> Settings:
    var = tmp_path / "hub var"  # a space, escaped as \040 in the mount table
    var.mkdir()
    new = settings.model_copy(update={"var_dir": var, **changes})
    set_settings(new)
    return new


@pytest.mark.parametrize("layout", ["luks", "luks-under-lvm"])
def test_a_luks_volume_passes_and_is_named(settings: Settings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    s = _hub(settings, tmp_path)
    fake_volume(monkeypatch, tmp_path / "kernel", s.var_dir, layout)
    assert volumes.volume_of(s.var_dir / "files" / "not-made-yet") == volumes.Volume(
        volumes.Kind.ENCRYPTED, "ext4", "cryptdata")
    var = [c for c in storage_checks(s) if c.name == str(s.var_dir.resolve())]
    assert [(c.status, c.message) for c in var] == [
        (Status.OK, "On an encrypted volume (cryptdata).")]


def test_a_plain_disk_fails_the_check_with_what_to_do(settings: Settings, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    s = _hub(settings, tmp_path)
    fake_volume(monkeypatch, tmp_path / "kernel", s.var_dir, "plain")
    assert volumes.volume_of(s.var_dir).kind is volumes.Kind.PLAIN
    failed = [c for c in storage_checks(s) if c.status is Status.FAIL]
    # The var directory, and the directory of a SQLite database the tests keep apart.
    url = s.resolved_database_url()
    apart = [str(Path(url.removeprefix("sqlite:///")).parent.resolve())] \
        if url.startswith("sqlite:///") else []
    assert [c.name for c in failed] == [str(s.var_dir.resolve()), *apart]
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    out = "".join(result.output.split())
    for expected in ("which is not encrypted", "an encrypted volume (LUKS)",
                     "CYBERHUB_STORAGE_ENCRYPTED_BY"):
        assert "".join(expected.split()) in out, expected


def test_the_operator_s_statement_stands_where_the_kernel_cannot_see(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = _hub(settings, tmp_path, storage_encrypted_by="the provider's volume encryption")
    fake_volume(monkeypatch, tmp_path / "kernel", s.var_dir, "plain")
    assert [(c.status, c.message) for c in storage_checks(s)] == [
        (Status.OK, "Encrypted at rest, as the operator states: the provider's volume "
                    "encryption.")]


@pytest.mark.parametrize(("fs_type", "kind", "words"), [
    ("tmpfs", volumes.Kind.MEMORY, "nothing is at rest here"),
    ("overlay", volumes.Kind.UNKNOWN, "cannot be seen from here (overlay)"),
])
def test_memory_and_overlays_are_warnings_not_passes(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fs_type: str, kind: volumes.Kind, words: str) -> None:
    s = _hub(settings, tmp_path)
    fake_volume(monkeypatch, tmp_path / "kernel", s.var_dir, "plain", fs_type=fs_type)
    assert volumes.volume_of(s.var_dir).kind is kind
    var = [c for c in storage_checks(s) if c.name == str(s.var_dir.resolve())]
    assert [c.status for c in var] == [Status.WARN]
    assert words in var[0].message


def test_postgresql_s_files_are_left_to_the_operator(settings: Settings, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    s = _hub(settings, tmp_path, database_url="postgresql://hub@db.example.org/hub")
    fake_volume(monkeypatch, tmp_path / "kernel", s.var_dir, "luks")
    statuses = {c.name: c.status for c in storage_checks(s)}
    assert statuses == {"CYBERHUB_STORAGE_ENCRYPTED_BY": Status.WARN,
                        str(s.var_dir.resolve()): Status.OK}


def test_the_mount_holding_a_path_is_the_longest_that_contains_it() -> None:
    table = "\n".join([
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
        "2 1 8:2 / /srv/hub rw - ext4 /dev/mapper/hub rw",
        "3 1 8:3 / /srv/hub2 rw - xfs /dev/sdb1 rw",
        "4 1 0:40 / /srv/my\\040hub rw - tmpfs tmpfs rw",
        "garbage line",
    ])
    assert volumes.mount_of(Path("/srv/hub/var/x"), table)[1:] == ("ext4", "/dev/mapper/hub")
    assert volumes.mount_of(Path("/srv/hub2"), table)[1:] == ("xfs", "/dev/sdb1")
    assert volumes.mount_of(Path("/srv/hubx"), table)[1:] == ("ext4", "/dev/sda1")
    assert volumes.mount_of(Path("/srv/my hub/db"), table)[0] == "/srv/my hub"
