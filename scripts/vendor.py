"""Vendor pinned front-end files from the npm registry and verify them against recorded hashes.

    python scripts/vendor.py htmx 2.0.11   # static/vendor/htmx-2.0.11.min.js
    python scripts/vendor.py axe 4.14.1    # tests/browser/vendor/axe-4.14.1.min.js
    python scripts/vendor.py --check       # every vendored file, no network

Each download is checked against the registry's `dist.integrity` (sha512) before anything is
written; the SHA-256 of each written file is recorded in the folder's SHA256SUMS, in the format
`sha256sum --check` reads.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = "https://registry.npmjs.org"
SUMS_NAME = "SHA256SUMS"
MAX_TARBALL_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 60
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$")


class VendorError(Exception):
    """A download, an integrity check or a recorded hash did not match expectations."""


@dataclass(frozen=True)
class Asset:
    """One file taken from an npm package and kept in the repository under a versioned name."""

    package: str
    member: str  # path of the file inside the npm tarball
    directory: Path
    prefix: str

    def filename(self, version: str) -> str:
        return f"{self.prefix}-{version}.min.js"

    def is_own_file(self, filename: str) -> bool:
        return filename.startswith(f"{self.prefix}-") and filename.endswith(".min.js")


ASSETS = {
    "htmx": Asset("htmx.org", "package/dist/htmx.min.js", ROOT / "static" / "vendor", "htmx"),
    "axe": Asset("axe-core", "package/axe.min.js", ROOT / "tests" / "browser" / "vendor", "axe"),
}


def http_get(url: str, limit: int) -> bytes:
    """GET an https URL on the npm registry, refusing anything else and any oversized body."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != urlsplit(REGISTRY).hostname:
        raise VendorError(f"refusing to download from {url}: not on {REGISTRY}")
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        body: bytes = response.read(limit + 1)
    if len(body) > limit:
        raise VendorError(f"{url} is larger than {limit} bytes")
    return body


def registry_dist(package: str, version: str) -> dict[str, str]:
    """The `dist` block (tarball URL, integrity, shasum) of one published version."""
    url = f"{REGISTRY}/{quote(package, safe='@')}/{quote(version)}"
    try:
        metadata = json.loads(http_get(url, 5 * 1024 * 1024))
    except OSError as error:
        raise VendorError(f"cannot read {url}: {error}") from error
    dist = metadata.get("dist")
    if not isinstance(dist, dict) or "tarball" not in dist:
        raise VendorError(f"{package}@{version} has no tarball in the registry metadata")
    return {key: str(value) for key, value in dist.items() if isinstance(value, str)}


def check_integrity(tarball: bytes, dist: dict[str, str], label: str) -> None:
    """Compare the tarball with the registry's sha512 integrity (or its sha1 shasum if alone)."""
    for entry in dist.get("integrity", "").split():
        algorithm, _, expected = entry.partition("-")
        if algorithm == "sha512":
            actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
            if actual != expected:
                raise VendorError(f"{label}: tarball sha512 does not match dist.integrity")
            return
    if "shasum" in dist:
        print(f"warning: {label} has no sha512 integrity, checking the sha1 shasum only")
        if hashlib.sha1(tarball, usedforsecurity=False).hexdigest() != dist["shasum"]:
            raise VendorError(f"{label}: tarball sha1 does not match dist.shasum")
        return
    raise VendorError(f"{label}: the registry publishes no integrity hash, refusing to vendor")


def extract_member(tarball: bytes, member: str, label: str) -> bytes:
    """Read one regular file out of the gzipped npm tarball without extracting anything else."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        try:
            info = archive.getmember(member)
        except KeyError as error:
            raise VendorError(f"{label}: {member} is not in the tarball") from error
        stream = archive.extractfile(info) if info.isfile() else None
        if stream is None:
            raise VendorError(f"{label}: {member} is not a regular file")
        return stream.read()


def read_sums(path: Path) -> dict[str, str]:
    """filename -> sha256 from a sha256sum-format file (empty when the file does not exist)."""
    sums: dict[str, str] = {}
    if not path.exists():
        return sums
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        digest, separator, filename = line.partition("  ")
        if not separator or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise VendorError(f"{path}:{number}: not a `<sha256>  <filename>` line")
        sums[filename] = digest
    return sums


def write_sums(path: Path, sums: dict[str, str]) -> None:
    path.write_text("".join(f"{sums[name]}  {name}\n" for name in sorted(sums)))


def vendor(asset: Asset, version: str) -> Path:
    """Download, verify and record `asset` at `version`, replacing any older version of it."""
    if not VERSION_PATTERN.match(version):
        raise VendorError(f"{version!r} is not a version number such as 2.0.11")
    label = f"{asset.package}@{version}"
    dist = registry_dist(asset.package, version)
    try:
        tarball = http_get(dist["tarball"], MAX_TARBALL_BYTES)
    except OSError as error:
        raise VendorError(f"cannot download {dist['tarball']}: {error}") from error
    check_integrity(tarball, dist, label)
    content = extract_member(tarball, asset.member, label)

    asset.directory.mkdir(parents=True, exist_ok=True)
    sums_path = asset.directory / SUMS_NAME
    sums = {
        name: digest for name, digest in read_sums(sums_path).items() if not asset.is_own_file(name)
    }
    target = asset.directory / asset.filename(version)
    for old in asset.directory.glob(f"{asset.prefix}-*.min.js"):
        if old != target:
            old.unlink()
    target.write_bytes(content)
    sums[target.name] = hashlib.sha256(content).hexdigest()
    write_sums(sums_path, sums)
    return target


def check(asset: Asset) -> list[str]:
    """Problems found in `asset`'s folder: missing, unrecorded or modified files."""
    sums_path = asset.directory / SUMS_NAME
    recorded = read_sums(sums_path)
    own = {name: digest for name, digest in recorded.items() if asset.is_own_file(name)}
    problems = []
    if not own:
        problems.append(f"{sums_path.relative_to(ROOT)}: no {asset.prefix} file recorded")
    for name, digest in own.items():
        path = asset.directory / name
        if not path.is_file():
            problems.append(f"{path.relative_to(ROOT)}: recorded in {SUMS_NAME} but missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{path.relative_to(ROOT)}: SHA-256 differs from {SUMS_NAME}")
    for path in sorted(asset.directory.glob(f"{asset.prefix}-*.min.js")):
        if path.name not in own:
            problems.append(f"{path.relative_to(ROOT)}: not recorded in {SUMS_NAME}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("name", nargs="?", choices=sorted(ASSETS), help="what to vendor")
    parser.add_argument("version", nargs="?", help="exact npm version, e.g. 2.0.11")
    parser.add_argument(
        "--check", action="store_true", help="verify vendored files against SHA256SUMS (offline)"
    )
    args = parser.parse_args(argv)

    try:
        if args.check:
            if args.version:
                parser.error("--check takes no version")
            names = [args.name] if args.name else sorted(ASSETS)
            problems = [problem for name in names for problem in check(ASSETS[name])]
            for problem in problems:
                print(f"vendor check failed: {problem}", file=sys.stderr)
            if problems:
                return 1
            print(f"vendored files match their SHA256SUMS ({', '.join(names)})")
            return 0
        if not args.name or not args.version:
            parser.error("give NAME and VERSION, or --check")
        path = vendor(ASSETS[args.name], args.version)
    except VendorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    digest = read_sums(path.parent / SUMS_NAME)[path.name]
    print(f"{digest}  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
