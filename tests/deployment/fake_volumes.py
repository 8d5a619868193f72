"""A stand-in for the kernel's description of block devices and mounts (``/sys`` and
``/proc/self/mountinfo``), so that ``cyberhub.volumes`` can be shown a LUKS volume, a
plain disk or a file system in memory under a test's own directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyberhub import volumes


def _node(sys_root: Path, name: str, dm_uuid: str | None = None,
          dm_name: str | None = None, slaves: tuple[str, ...] = ()) -> Path:
    node = sys_root / "devices" / "virtual" / "block" / name
    node.mkdir(parents=True)
    if dm_uuid is not None:
        (node / "dm").mkdir()
        (node / "dm" / "uuid").write_text(dm_uuid + "\n")
        (node / "dm" / "name").write_text((dm_name or name) + "\n")
    (node / "slaves").mkdir()
    for below in slaves:
        (node / "slaves" / below).symlink_to(f"../../{below}")
    return node


def fake_volume(monkeypatch: pytest.MonkeyPatch, root: Path, under: Path, layout: str,
                fs_type: str = "ext4") -> None:
    """Describe the volume holding ``under`` as ``layout``: "luks-under-lvm" (an LVM
    volume on a LUKS container on a disk), "luks" (a LUKS container), or "plain" (the
    disk itself). The mount of ``under`` has the file system type ``fs_type``."""
    sys_root, block = root / "sys", root / "sys" / "dev" / "block"
    block.mkdir(parents=True)
    dev = os.stat(under).st_dev
    source = "/dev/vdz"
    if os.major(dev) == 0:  # an anonymous device (btrfs, overlay): the mount names one
        source = "/dev/null"
        dev = os.stat(source).st_rdev
    _node(sys_root, "vdz")
    if layout == "luks-under-lvm":
        _node(sys_root, "dm-0", "CRYPT-LUKS2-0f1e2d3c-cryptdata", "cryptdata", ("vdz",))
        top = _node(sys_root, "dm-1", "LVM-abcdef", "vg-hub", ("dm-0",))
    elif layout == "luks":
        top = _node(sys_root, "dm-0", "CRYPT-LUKS2-0f1e2d3c-cryptdata", "cryptdata", ("vdz",))
    else:
        top = sys_root / "devices" / "virtual" / "block" / "vdz"
    (block / f"{os.major(dev)}:{os.minor(dev)}").symlink_to(top)
    point = str(under).replace(" ", "\\040")
    mountinfo = root / "mountinfo"
    mountinfo.write_text(
        f"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        f"40 27 {os.major(dev)}:{os.minor(dev)} / {point} rw,relatime - {fs_type} {source} rw\n")
    monkeypatch.setattr(volumes, "SYS", sys_root)
    monkeypatch.setattr(volumes, "MOUNTINFO", mountinfo)
