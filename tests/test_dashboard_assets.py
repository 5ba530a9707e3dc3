"""The dashboard's asset cache: versions read from Solara, tarballs checked and unpacked safely.

Fills run against a registry served on loopback from memory, never the real one: a test
tarball, its metadata, and variants that lie about their digest or reach outside their
folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sim.dashboard import assets
from sim.dashboard.assets import AssetError, Package

TINY = Package("tiny-widget", "1.0.0", "a test package")


def tarball(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A gzipped tar of ``files`` (member name → content) and symbolic ``links``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class Registry:
    """An npm registry on loopback: path → body, and a log of the paths asked for."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.hits: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.hits.append(self.path)
                body = registry.bodies.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, package: Package, data: bytes, digest: str | None = None) -> None:
        """Serve ``data`` as the package's tarball, announced with ``digest`` (its own)."""
        tar_path = f"/{package.name}/-/{package.name}-{package.version}.tgz"
        dist = {"tarball": self.url + tar_path, "integrity": digest or integrity(data)}
        self.bodies[f"/{package.name}/{package.version}"] = json.dumps({"dist": dist}).encode()
        self.bodies[tar_path] = data


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A loopback registry, and :func:`assets.packages` reduced to the one test package."""
    reg = Registry()
    thread = threading.Thread(target=reg.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setattr(assets, "packages", lambda: [TINY])
    yield reg
    reg.server.shutdown()
    reg.server.server_close()


GOOD = {"package/package.json": b"{}", "package/dist/widget.js": b"console.log(1)\n"}


def test_fill_unpacks_into_the_proxy_layout_once(registry: Registry, tmp_path: Path) -> None:
    registry.publish(TINY, tarball(GOOD))
    lines: list[str] = []
    first = assets.fill(tmp_path, progress=lines.append, registry=registry.url)
    folder = tmp_path / "tiny-widget@1.0.0"
    assert (folder / "dist" / "widget.js").read_bytes() == b"console.log(1)\n"
    assert [r.action for r in first] == ["downloaded"] and first[0].download_bytes > 0
    assert assets.missing(tmp_path) == []
    assert lines and lines[0].startswith("tiny-widget@1.0.0: downloaded")
    asked = len(registry.hits)
    again = assets.fill(tmp_path, registry=registry.url)
    assert [r.action for r in again] == ["present"] and len(registry.hits) == asked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-widget@1.0.0"]  # no leftovers


def test_a_corrupted_tarball_is_refused_and_leaves_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    # a well-formed tarball, but not the one the registry vouches for: only the digest tells
    swapped = tarball({"package/dist/widget.js": b"stealCookies()\n"})
    registry.publish(TINY, swapped, digest=integrity(tarball(GOOD)))
    with pytest.raises(AssetError, match="integrity"):
        assets.fill(tmp_path, registry=registry.url)
    assert list(tmp_path.iterdir()) == []
    assert assets.missing(tmp_path) == ["tiny-widget@1.0.0"]


def test_metadata_without_sha512_is_not_trusted(registry: Registry, tmp_path: Path) -> None:
    registry.publish(TINY, tarball(GOOD), digest="sha1-abc")
    with pytest.raises(AssetError, match="sha512"):
        assets.fill(tmp_path, registry=registry.url)


def test_a_member_reaching_outside_is_refused(registry: Registry, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    registry.publish(TINY, tarball({**GOOD, "package/../../evil.js": b"x"}))
    with pytest.raises(AssetError, match="outside"):
        assets.fill(cache, registry=registry.url)
    assert not (tmp_path / "evil.js").exists() and not (cache / "evil.js").exists()
    assert list(cache.iterdir()) == []


def test_links_are_skipped(registry: Registry, tmp_path: Path) -> None:
    registry.publish(TINY, tarball(GOOD, links={"package/dist/passwd": "/etc/passwd"}))
    assets.fill(tmp_path, registry=registry.url)
    folder = tmp_path / "tiny-widget@1.0.0" / "dist"
    assert sorted(p.name for p in folder.iterdir()) == ["widget.js"]


def test_a_folder_the_proxy_half_filled_is_redone(registry: Registry, tmp_path: Path) -> None:
    stale = tmp_path / "tiny-widget@1.0.0" / "dist"
    stale.mkdir(parents=True)
    (stale / "old.js").write_bytes(b"half")
    registry.publish(TINY, tarball(GOOD))
    assert assets.missing(tmp_path) == ["tiny-widget@1.0.0"]
    assets.fill(tmp_path, registry=registry.url)
    assert sorted(p.name for p in stale.iterdir()) == ["widget.js"]


def test_an_unreachable_registry_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match=r"could not fetch http://127\.0\.0\.1:9/"):
        assets.fill(tmp_path, registry="http://127.0.0.1:9")


def test_versions_come_from_the_installed_solara() -> None:
    specs = [p.spec for p in assets.packages()]
    import solara

    if solara.__version__ == "1.64.1":  # the release these pins were measured on
        assert specs == [
            "@widgetti/solara-vuetify-app@10.1.1",
            "requirejs@2.3.6",
            "font-awesome@4.5.0",
            "katex@0.16.9",
            "mermaid@10.8.0",
            "@widgetti/vue-grid-layout@2.3.13-alpha.2",
            "echarts@5.4.0",
        ]
    assert assets.missing(Path("/nonexistent")) == specs


def test_a_version_set_in_a_template_variable_is_read() -> None:
    vue = 'const version = "5.4.0";\nimport(`${cdn}/echarts@${version}/dist/echarts.js`)'
    assert assets._versions("echarts", vue) == ["5.4.0"]
    # a version variable alone names nothing: the package must be loaded through it
    assert assets._versions("echarts", 'const version = "5.4.0";') == []
    assert assets._versions("katex", "katex@0.16.9/dist katex@0.16.9/x") == ["0.16.9"]


def test_a_solara_that_stopped_naming_a_package_fails_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = {"left-pad": ("server/templates/solara.html.j2", "gone")}
    monkeypatch.setattr(assets, "SOURCES", sources)
    with pytest.raises(AssetError, match=r"no version of left-pad in .*solara\.html\.j2"):
        assets.packages()


@pytest.mark.parametrize("env", [None, "custom"])
def test_the_default_cache_is_where_solara_looks(
    env: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solara.server import settings

    if env is None:
        monkeypatch.delenv("SOLARA_ASSETS_PROXY_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / env))
    assert assets.default_cache_dir() == settings.Assets().proxy_cache_dir
