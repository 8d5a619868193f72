"""Which volume holds a path, and whether it is encrypted at rest (Linux).

``cyberhub check`` asks this of the var directory and of a SQLite database kept
elsewhere: they hold members' accounts, victims' reports, dialogue attachments and
evidence, which must be stored encrypted (ASVS 6.1.1–6.1.3). Encrypting every column in
the application would end search and correlation, so the hub relies on the volume and
checks it: the device under the path's file system, followed down through the stack of
device-mapper layers (LVM, RAID) in ``/sys``, is encrypted when one of them is a
dm-crypt target (LUKS, plain dm-crypt: a device-mapper UUID that starts ``CRYPT-``).

What the kernel cannot show — a file system in memory, an overlay or network file
system, or a disk a cloud provider encrypts below the machine — is reported as such.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

# Where the kernel describes block devices and mounts (moved aside by the tests).
SYS = Path("/sys")
MOUNTINFO = Path("/proc/self/mountinfo")
IN_MEMORY = frozenset({"tmpfs", "ramfs"})
# File systems that lie on one block device of this machine, whose stack /sys shows.
# Others (overlay, NFS, FUSE, ZFS and its own encryption…) say nothing of their disks.
ON_A_BLOCK_DEVICE = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs",
                               "reiserfs", "bcachefs", "nilfs2", "vfat", "exfat", "ntfs3"})
_MAX_LAYERS = 16


class Kind(enum.StrEnum):
    ENCRYPTED = "encrypted"
    PLAIN = "plain"  # a block device with no encryption layer under it
    MEMORY = "memory"  # nothing is at rest
    UNKNOWN = "unknown"  # the kernel does not say (overlay, network, no device)


@dataclass(frozen=True)
class Volume:
    kind: Kind
    # The file system's type, and the device found (its dm-crypt name when encrypted).
    fs_type: str
    device: str


def _unescape(field: str) -> str:
    """mountinfo escapes spaces, tabs, newlines and backslashes as octal (``\\040``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_of(path: Path, mountinfo: str) -> tuple[str, str, str]:
    """(mount point, file system type, source) of the mount that holds ``path``: the
    longest mount point that contains it (the last one mounted, when stacked)."""
    best: tuple[str, str, str] = ("", "", "")
    target = str(path)
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 10:
            continue
        point = _unescape(fields[4])
        after = line.split(" - ", 1)[1].split()
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]) and len(after) >= 2:
            best = (point, after[0], _unescape(after[1]))
    return best


def _dm_name(device: Path) -> str:
    name = device / "dm" / "name"
    return name.read_text().strip() if name.is_file() else device.name


def _crypt_layer(device: Path, depth: int = 0) -> str | None:
    """The dm-crypt device at or below ``device`` (a /sys/.../block/<name> directory),
    followed down through its ``slaves``; None when there is none."""
    uuid = device / "dm" / "uuid"
    if uuid.is_file() and uuid.read_text().startswith("CRYPT-"):
        return _dm_name(device)
    slaves = device / "slaves"
    if depth >= _MAX_LAYERS or not slaves.is_dir():
        return None
    for below in sorted(slaves.iterdir()):
        found = _crypt_layer(below.resolve(), depth + 1)
        if found is not None:
            return found
    return None


def volume_of(path: Path) -> Volume:
    """The volume that holds ``path`` (or its nearest existing parent)."""
    path = path.resolve()
    try:
        while not path.exists() and path != path.parent:
            path = path.parent
    except OSError:  # a parent we may not look into
        return Volume(Kind.UNKNOWN, "", "")
    try:
        mountinfo = MOUNTINFO.read_text()
    except OSError:
        mountinfo = ""
    _point, fs_type, source = mount_of(path, mountinfo)
    if fs_type in IN_MEMORY:
        return Volume(Kind.MEMORY, fs_type, source)
    if fs_type not in ON_A_BLOCK_DEVICE:
        return Volume(Kind.UNKNOWN, fs_type, source)
    try:
        dev = os.stat(path).st_dev
    except OSError:  # not ours to look at
        return Volume(Kind.UNKNOWN, fs_type, source)
    major, minor = os.major(dev), os.minor(dev)
    if major == 0 and source.startswith("/dev/"):
        # btrfs and others show an anonymous device; the mount names the real one.
        try:
            rdev = os.stat(source).st_rdev
        except OSError:
            return Volume(Kind.UNKNOWN, fs_type, source)
        major, minor = os.major(rdev), os.minor(rdev)
    block = SYS / "dev" / "block" / f"{major}:{minor}"
    if major == 0 or not block.exists():
        return Volume(Kind.UNKNOWN, fs_type, source)
    device = block.resolve()
    crypt = _crypt_layer(device)
    if crypt is not None:
        return Volume(Kind.ENCRYPTED, fs_type, crypt)
    return Volume(Kind.PLAIN, fs_type, source or _dm_name(device))
