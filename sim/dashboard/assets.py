"""The dashboard's browser assets, stored on this machine so the page loads offline.

A Solara page is a shell: its Vue/Vuetify bundle, RequireJS, Font Awesome and (for every
``solara.Markdown``) KaTeX and Mermaid come from ``/_solara/cdn/<npm name>@<version>/…``,
which Solara's asset proxy answers from a cache directory and, on a miss, fetches from
jsdelivr. In a classroom without internet that miss is a blank page, so the cache is filled
ahead of time, at install, from the npm registry (the only package index allowed to us):
each package's tarball, checked against the registry's sha512 ``integrity``, unpacked into
``<cache>/<name>@<version>/`` exactly where the proxy looks.

The versions are not typed here: they are read from the installed Solara's own template and
components (:data:`SOURCES`), so upgrading Solara moves them with it, and a Solara that no
longer names one of them stops :func:`packages` with a message saying which file to read.

Run ``python -m sim.dashboard.assets`` to fill the cache; it says what it fetched and how big.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shutil
import site
import sys
import tarfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError

__all__ = [
    "DEFAULT_REGISTRY",
    "SOURCES",
    "AssetError",
    "Filled",
    "Package",
    "default_cache_dir",
    "fill",
    "missing",
    "packages",
    "say",
]

#: Where tarballs come from; ``CRMSIM_NPM_REGISTRY`` points elsewhere (a mirror, a test).
DEFAULT_REGISTRY = "https://registry.npmjs.org"

#: Written last inside a package's folder: its presence means the folder is complete.
#: Solara's proxy never writes it, so a folder the proxy half-filled online is redone.
MARKER = ".crmsim-complete"

#: Seconds before a registry request gives up.
TIMEOUT = 60

#: Each npm package the page asks for, the file of the installed Solara (relative to the
#: ``solara`` package) that names its version, and why the page needs it. For Vue 3
#: (ipyvue 3) Solara's template switches to the ``solara-vuetify3-app`` bundle.
SOURCES: dict[str, tuple[str, str]] = {
    "@widgetti/solara-vuetify-app": (
        "server/templates/solara.html.j2",
        "the Vue 2 / Vuetify / ipywidgets bundle every page loads",
    ),
    "@widgetti/solara-vuetify3-app": (
        "server/templates/solara.html.j2",
        "the same bundle for Vue 3 (ipyvue 3)",
    ),
    "requirejs": ("server/templates/solara.html.j2", "the module loader of the widgets"),
    "font-awesome": ("server/settings.py", "the icon font of the page's stylesheet"),
    "katex": ("components/markdown.py", "maths in solara.Markdown"),
    "mermaid": (
        "components/markdown.py",
        "diagrams in solara.Markdown (it loads them on every page)",
    ),
    "@widgetti/vue-grid-layout": (
        "widgets/vue/gridlayout.vue",
        "solara.GridDraggable, the layout of Mesa's SolaraViz",
    ),
    "echarts": ("components/echarts.vue", "the live charts of the dashboard"),
}

Progress = Callable[[str], None]


class AssetError(UserError):
    """The assets could not be read from Solara, fetched, or trusted; the message says why."""


@dataclass(frozen=True)
class Package:
    """One npm package the page loads: ``name@version`` and why."""

    name: str
    version: str
    why: str

    @property
    def spec(self) -> str:
        """``name@version``, also the package's folder under the cache directory."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Filled:
    """What :func:`fill` did for one package.

    Attributes:
        package: the package.
        action: ``"present"`` (already complete, nothing fetched) or ``"downloaded"``.
        download_bytes: size of the tarball fetched (0 when present).
        disk_bytes: size of the unpacked folder.
        seconds: wall time spent on it.
    """

    package: Package
    action: str
    download_bytes: int
    disk_bytes: int
    seconds: float


def _solara_dir() -> Path:
    spec = importlib.util.find_spec("solara")
    if spec is None or spec.origin is None:
        raise AssetError("solara is not installed; run `make` (or pip install -e .) first")
    return Path(spec.origin).parent


def default_cache_dir() -> Path:
    """Solara's proxy cache folder, found the way ``solara.server.settings`` finds it.

    ``SOLARA_ASSETS_PROXY_CACHE_DIR`` when set, else ``<prefix>/share/solara/cdn`` where
    the prefix is the user base for a ``pip install --user`` Solara and ``sys.prefix``
    otherwise. Read without importing the server settings, which create folders on import.
    """
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    userbase = site.getuserbase()
    prefix = userbase if userbase and str(_solara_dir()).startswith(userbase) else sys.prefix
    return Path(prefix) / "share" / "solara" / "cdn"


def _vue3() -> bool:
    """Whether Solara serves the Vue 3 bundle (``solara.server.server.vue3``)."""
    return importlib.metadata.version("ipyvue").startswith("3")


def _versions(name: str, text: str) -> list[str]:
    """The versions of ``name`` a source file names, sorted and without repeats.

    Either written out (``name@1.2.3/``) or, as in Solara's ``echarts.vue``, through a
    template variable (``name@${version}/``) set once in the same file
    (``const version = "5.4.0";``).
    """
    number = r"(\d+\.\d+\.\d+[\w.+-]*)"
    found = set(re.findall(re.escape(name) + "@" + number + "/", text))
    if re.search(re.escape(name) + r"@\$\{version\}/", text):
        found |= set(re.findall(r"\bversion\s*=\s*[\"']" + number + r"[\"']", text))
    return sorted(found)


def packages() -> list[Package]:
    """The packages the installed Solara's page loads, with the versions it names.

    Raises:
        AssetError: a source file no longer names exactly one version of a package
            (Solara changed how it loads its assets; :data:`SOURCES` needs updating).
    """
    root = _solara_dir()
    skip = "@widgetti/solara-vuetify-app" if _vue3() else "@widgetti/solara-vuetify3-app"
    found = []
    for name, (source, why) in SOURCES.items():
        if name == skip:
            continue
        text = (root / source).read_text(encoding="utf-8")
        versions = _versions(name, text)
        if len(versions) != 1:
            raise AssetError(
                f"solara {importlib.metadata.version('solara')} names "
                f"{versions or 'no version'} of {name} in {root / source}; expected exactly "
                "one: update SOURCES in sim/dashboard/assets.py"
            )
        found.append(Package(name, versions[0], why))
    return found


def _folder(cache: Path, package: Package) -> Path:
    return cache / package.spec


def missing(cache_dir: Path | str | None = None) -> list[str]:
    """``name@version`` of every package not yet completely in the cache."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return [p.spec for p in packages() if not (_folder(cache, p) / MARKER).is_file()]


def _registry() -> str:
    return os.environ.get("CRMSIM_NPM_REGISTRY", DEFAULT_REGISTRY).rstrip("/")


def _get(url: str) -> bytes:
    """The body at ``url``; http(s) only, so registry metadata cannot point at local files."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise AssetError(f"refusing to fetch {url}: only http(s) addresses are used")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return bytes(response.read())
    except OSError as exc:  # URLError, HTTPError, timeouts, refused connections
        raise AssetError(f"could not fetch {url}: {exc}") from None


def _dist(registry: str, package: Package) -> tuple[str, str]:
    """The tarball address and its ``sha512-…`` integrity from the registry's metadata."""
    url = f"{registry}/{package.name}/{package.version}"
    try:
        dist = json.loads(_get(url))["dist"]
        tarball, integrity = str(dist["tarball"]), str(dist.get("integrity", ""))
    except (ValueError, KeyError, TypeError):
        raise AssetError(f"{url} is not npm package metadata with a dist.tarball") from None
    if not integrity.startswith("sha512-"):
        raise AssetError(f"{url} gives no sha512 integrity for {package.spec}; not trusted")
    return tarball, integrity


def verify(data: bytes, integrity: str, what: str) -> None:
    """Raise :class:`AssetError` unless ``data`` has the npm ``sha512-<base64>`` digest."""
    expected = integrity.removeprefix("sha512-")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise AssetError(f"{what} does not match its registry integrity (sha512); refused")


def _member_path(name: str) -> Path | None:
    """A tar member's path inside the package, without npm's top folder (``package/``).

    None for the top folder itself; :class:`AssetError` for an absolute path or one with
    ``..`` (a tarball trying to write outside its folder).
    """
    parts = Path(name.replace("\\", "/")).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise AssetError(f"tarball member {name!r} points outside the package; refused")
    inner = parts[1:]
    return Path(*inner) if inner else None


def extract(data: bytes, target: Path) -> int:
    """Unpack an npm tarball's regular files into ``target``; returns the bytes written.

    Links, devices and anything else but files and folders are skipped: a package's
    browser assets are plain files, and a link could point anywhere on the machine.
    """
    written = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            inner = _member_path(member.name)
            if inner is None or not (member.isfile() or member.isdir()):
                continue
            dest = target / inner
            if member.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, open(dest, "wb") as out:
                shutil.copyfileobj(source, out)
            written += member.size
    return written


def _disk_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _install(cache: Path, package: Package, data: bytes, integrity: str) -> None:
    """Unpack into a temporary sibling, then rename it into place.

    The proxy serves a file as soon as it exists, so the folder appears whole (with its
    marker) or not at all; a half-filled folder the proxy wrote online is moved aside first.
    """
    final = _folder(cache, package)
    final.parent.mkdir(parents=True, exist_ok=True)
    stem = f".{final.name}.{os.getpid()}"
    tmp, old = final.parent / f"{stem}.tmp", final.parent / f"{stem}.old"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        extract(data, tmp)
        (tmp / MARKER).write_text(integrity + "\n", encoding="utf-8")
        if final.exists():
            final.rename(old)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def fill(
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    registry: str | None = None,
) -> list[Filled]:
    """Put every package of :func:`packages` into the cache; skips those already complete.

    Args:
        cache_dir: Solara's proxy cache folder (default :func:`default_cache_dir`).
        progress: called with one line per package as it is done.
        registry: npm registry base address (default ``CRMSIM_NPM_REGISTRY`` or npmjs).

    Returns:
        What was done, one record per package.

    Raises:
        AssetError: the registry cannot be reached, or a tarball fails its integrity
            check or tries to write outside its folder; nothing half-done is left.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    base = (registry or _registry()).rstrip("/")
    done = []
    for package in packages():
        start = time.perf_counter()
        folder = _folder(cache, package)
        size = 0
        if (folder / MARKER).is_file():
            action = "present"
        else:
            tarball, integrity = _dist(base, package)
            data = _get(tarball)
            verify(data, integrity, f"{tarball}")
            _install(cache, package, data, integrity)
            action, size = "downloaded", len(data)
        record = Filled(package, action, size, _disk_bytes(folder), time.perf_counter() - start)
        done.append(record)
        if progress is not None:
            progress(_line(record))
    return done


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _line(r: Filled) -> str:
    fetched = f", fetched {_mb(r.download_bytes)}" if r.action == "downloaded" else ""
    return (
        f"{r.package.spec}: {r.action}{fetched}, {_mb(r.disk_bytes)} on disk, "
        f"{r.seconds:.1f} s ({r.package.why})"
    )


def say(line: str) -> None:
    """One line on standard output, at once (make shows it while the next one is fetched)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    """Fill the default cache, one line per package and a total; exit code 1 on failure."""
    cache = default_cache_dir()
    say(f"dashboard assets in {cache}")
    try:
        done = fill(cache, progress=lambda line: say("  " + line))
    except AssetError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    fetched = sum(r.download_bytes for r in done)
    disk = sum(r.disk_bytes for r in done)
    seconds = sum(r.seconds for r in done)
    say(f"  total: fetched {_mb(fetched)}, {_mb(disk)} on disk, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
