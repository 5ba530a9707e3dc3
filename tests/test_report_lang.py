"""Reports in Chinese: the catalogue's words on the page, none of its English left, fonts that draw.

A page is written in Chinese when every catalogue key it asks for gives its Chinese text: the
tests record the keys each page asks for while it is written, then look for the English text
of each in the page a learner reads (sections kept in English on purpose are cut out first).
Figures in Chinese must not fall back to empty boxes: matplotlib's "Glyph … missing" warning
is an error here, and a figure drawn without :mod:`sim.report.fonts` shows the test can fail.
"""

from __future__ import annotations

import html
import io
import re
import string
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from sim.cli.commands import app
from sim.i18n import Catalogue, catalogue, text
from sim.i18n.catalogue import entries
from sim.report import compare_page, run_page
from sim.report.fonts import CJK_FAMILY, cjk_fonts, font_rc, register, use_fonts
from sim.report.plots import FIGURES

if TYPE_CHECKING:
    from sim.experiments.comparison import Comparison
    from sim.results.run_result import RunResult

SMALL = ["population.initial=300", "horizon=1y"]
GLYPH = r"(?s).*Glyph .* missing"


class Recorder:
    """Records the catalogue keys asked for while it is active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: set[str] = set()
        original = Catalogue.text

        def recording(catalogue_: Catalogue, key: str, /, **fields: object) -> str:
            self.keys.add(key)
            return original(catalogue_, key, **fields)

        monkeypatch.setattr(Catalogue, "text", recording)


@pytest.fixture(scope="module")
def zh_run(
    small_baseline: RunResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, set[str]]]:
    """The small baseline's report in Chinese, and the catalogue keys it asked for."""
    out = tmp_path_factory.mktemp("zh_run")
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH)
        recorder = Recorder(patch)
        page = run_page.write_report(small_baseline, out, lang="zh")
    yield page.read_text(encoding="utf-8"), recorder.keys


def _visible(page: str) -> str:
    """What a reader sees: no images, tags, code or the sections kept in English."""
    page = re.sub(r"src='data:[^']*'", "", page)
    page = re.sub(r"(?s)<style>.*?</style>", "", page)
    page = re.sub(r"(?s)<section id='model-check'>.*?</section>", "", page)
    page = re.sub(r"(?s)<details>.*?</details>", "", page)
    page = re.sub(r"(?s)<code>.*?</code>", "", page)
    page = re.sub(r"\[[\w.-]+\.png\]", "", page)  # links to the figure files
    # A lesson's header and claims are the scenario's own words (its YAML), not the catalogue's.
    page = re.sub(r"(?s)<li class='muted'>.*?</li>", "", page)
    page = re.sub(r"(?s)<p class='(?:see|lesson)'>.*?</p>", "", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _english_left(page: str, keys: set[str]) -> list[str]:
    """The English texts of ``keys`` (those translated differently) found in ``page``.

    A text with fields is looked for by its longest literal piece, when that piece is long
    enough to mean something on its own.
    """
    seen = _visible(page)
    left = []
    for key in sorted(keys):
        entry = entries()[key]
        en, zh = entry.texts["en"], entry.texts["zh"]
        if en == zh:
            continue
        pieces = [lit.strip(" .,;:()") for lit, *_ in string.Formatter().parse(en)]
        piece = max(pieces, key=len)
        if not piece or (entry.fields("en") and len(piece) < 12):
            continue
        if re.search(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", seen, flags=re.IGNORECASE):
            left.append(f"{key}: {piece!r}")
    return left


# ------------------------------------------------------------------------------- fonts
def _chinese_figure() -> bytes:
    fig = Figure()
    ax = fig.subplots()
    fig.suptitle("客户留存率 retention")
    ax.plot([0, 1], [1, 0], label="流失客户")
    ax.set_xlabel("自开始以来的月数")
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_chinese_needs_the_cjk_font() -> None:
    import matplotlib as mpl

    # The default family, whatever another test may have set for the whole process.
    with warnings.catch_warnings(), mpl.rc_context({"font.family": ["sans-serif"]}):
        warnings.filterwarnings("error", message=GLYPH)
        with pytest.raises(UserWarning, match="Glyph"):
            _chinese_figure()  # the default font has no Chinese
        with cjk_fonts():
            assert _chinese_figure().startswith(b"\x89PNG")


def test_the_font_comes_from_the_installed_package_and_setup_is_idempotent() -> None:
    from matplotlib import font_manager

    assert register() == CJK_FAMILY == register()
    assert CJK_FAMILY in {f.name for f in font_manager.fontManager.ttflist}
    family = font_rc()["font.family"]
    assert family[-1] == CJK_FAMILY and family.count(CJK_FAMILY) == 1
    import matplotlib as mpl

    with mpl.rc_context():
        use_fonts()
        use_fonts()
        assert list(mpl.rcParams["font.family"]).count(CJK_FAMILY) == 1
        assert mpl.rcParams["font.family"][0] != CJK_FAMILY  # Latin keeps its font


@pytest.mark.parametrize("key", ["economics", "trust", "churn", "service"])
def test_run_figures_in_chinese_draw_every_glyph(small_baseline: RunResult, key: str) -> None:
    with warnings.catch_warnings(), cjk_fonts():
        warnings.filterwarnings("error", message=GLYPH)
        fig = FIGURES[key](small_baseline, "zh")
        fig.savefig(io.BytesIO(), format="png")
    title = fig.get_suptitle()
    assert title == text(f"report.fig.{key}.title", "zh") and title != text(
        f"report.fig.{key}.title", "en"
    )


# ---------------------------------------------------------------------------- run page
def test_a_chinese_run_report_is_in_chinese(zh_run: tuple[str, set[str]]) -> None:
    page, asked = zh_run
    assert "<html lang='zh'>" in page
    zh = catalogue("zh")
    for key in ("report.run.kpis", "report.run.figures", "report.run.churn"):
        assert f"<h2>{zh(key)}</h2>" in page
    assert zh("kpi.profit") in page and zh("kpi.mean_clv") in page
    assert {"report.cap.flows", "report.cap.churn", "report.run.story"} <= asked
    assert "客户为何流失" in page and "核心指标" in page
    assert _english_left(page, asked) == []


def test_the_chinese_lesson_header_comes_from_the_scenario(zh_run: tuple[str, set[str]]) -> None:
    import sim
    from sim.scenario.header import lesson_header

    header = lesson_header(sim.load_scenario("baseline", SMALL), "zh")
    page = zh_run[0]
    if header.translated:
        assert html.escape(header.lesson, quote=True) in page
    else:
        assert html.escape(text("report.untranslated", "zh"), quote=True) in page


def test_an_english_run_report_reads_the_catalogue_in_english(
    small_baseline: RunResult, tmp_path: Path
) -> None:
    page = run_page.write_report(small_baseline, tmp_path).read_text(encoding="utf-8")
    assert "<html lang='en'>" in page
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    keys = ("kpis", "figures", "churn")
    want = [text(f"report.run.{k}") for k in keys]
    want += [text("report.model_check.title"), text("report.run.columns")]
    assert headings == want
    assert want[:3] == ["Headline numbers", "Figures", "Why customers left"]
    assert not re.search(r"[\u4e00-\u9fff]", _visible(page))


# ------------------------------------------------------------------------ comparison
@pytest.fixture(scope="module")
def small_comparison() -> Comparison:
    import sim
    from sim.experiments.comparison import compare

    tiny = ["population.initial=150", "horizon=6mo"]  # three arms × three replications
    return compare(sim.load_scenario("complaint_handling", tiny), n=3, seed=3)


def test_a_chinese_comparison_report_is_in_chinese(
    small_comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = Recorder(monkeypatch).keys
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=GLYPH)
        page = compare_page.write_report(small_comparison, tmp_path, lang="zh")
    text_zh = page.read_text(encoding="utf-8")
    assert "<html lang='zh'>" in text_zh
    zh = catalogue("zh")
    for key in ("report.cmp.verdicts", "report.cmp.means", "report.cmp.intervals"):
        assert f"<h2>{zh(key)}</h2>" in text_zh
    assert any(k.startswith("report.verdict.") for k in asked)
    assert f"<b>{zh('report.see')}</b>" in text_zh
    assert _english_left(text_zh, asked) == []


def test_an_english_comparison_report_reads_the_catalogue_in_english(
    small_comparison: Comparison, tmp_path: Path
) -> None:
    page = compare_page.write_report(small_comparison, tmp_path).read_text(encoding="utf-8")
    assert "<html lang='en'>" in page
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    for key in ("verdicts", "means", "retention", "intervals", "data"):
        assert text(f"report.cmp.{key}") in headings
    assert "Verdicts" in headings and "Arm means" in headings
    assert not re.search(r"[\u4e00-\u9fff]", _visible(page).replace("·", ""))


# ------------------------------------------------------------------------------ CLI
@pytest.mark.parametrize("command", [["run", "baseline"], ["compare", "complaint_handling"]])
def test_an_unknown_language_exits_2_naming_the_allowed(tmp_path: Path, command: list[str]) -> None:
    args = [*command, "--lang", "fr", "--out", str(tmp_path / "x")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "unknown language 'fr'" in result.stderr and "en (English), zh (中文)" in result.stderr
    assert not (tmp_path / "x").exists()


def test_run_writes_a_chinese_report(tmp_path: Path) -> None:
    out = tmp_path / "zh"
    args = ["run", "baseline", "--set", "population.initial=100", "--set", "horizon=6mo",
            "--format", "html", "--quiet", "--lang", "zh", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='zh'>" in page and text("report.run.kpis", "zh") in page
