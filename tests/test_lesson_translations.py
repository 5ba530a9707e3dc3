"""Every library lesson carries its header in Chinese, and the Chinese says what the English says.

A Chinese CRM class reads a lesson's ``zh:`` block (``lesson``, ``see``, ``description``) in
``crmsim list/show --lang zh``, the dashboard and the reports. These tests hold each file to
what a careless edit would break: a translation that is missing, left in English, or carries
different figures from the English ``see:`` (the measured effects a learner checks against a
run: a figure changed in one language only is a wrong lesson); YAML folding that slipped a
space between Chinese characters; a page that passes English off as the translation. The
figures are compared as a multiset of numbers: both languages write each as digits, with the
same decimals (``8.0`` stays ``8.0``); thousands separators and a leading ``+`` do not count,
a minus sign does.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import scenarios
from sim.cli.commands import app
from sim.i18n import text
from sim.scenario.header import lesson_header
from sim.scenario.spec import Scenario, load_scenario, scenario_hash

NAMES = scenarios.names()
FIELDS = ("lesson", "see", "description")

#: A number as written in either language: digits with optional thousands separators and
#: decimals, and a sign only where it stands before the number (not the hyphen of "25-95").
NUMBER = re.compile(r"(?<![0-9A-Za-z._])([+\-\u2212]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)")

IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
#: Ideographs, CJK punctuation (。、“”) and full-width forms (，：；（）).
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
FOLDED_SPACE = re.compile(rf"{CJK}\s+{CJK}")
ASCII_PUNCTUATION = re.compile(rf"{CJK}[,:;()]|[,:;()]{CJK}")

#: A wide terminal, so that no table row of ``crmsim list`` wraps.
WIDE = {"COLUMNS": "400"}


def numbers(s: str) -> Counter[str]:
    """The numbers in ``s``: ``3,000`` → ``3000``, ``+9.9`` → ``9.9``, ``−7`` → ``-7``."""
    return Counter(
        ("-" if sign and sign != "+" else "") + digits.replace(",", "")
        for sign, digits in NUMBER.findall(s)
    )


def ideograph_share(s: str) -> float:
    """The share of Chinese ideographs among the non-blank characters of ``s``."""
    chars = [c for c in s if not c.isspace()]
    return len(IDEOGRAPH.findall(s)) / len(chars) if chars else 0.0


def raw(name: str) -> dict[str, Any]:
    """The library file ``name`` as written (no ``extends`` merged)."""
    data = yaml.safe_load(scenarios.path(name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def untranslated(tmp_path: Path) -> Path:
    """The subscription lesson (it extends nothing) written without its ``zh:`` block."""
    data = raw("subscription")
    del data["zh"]
    path = tmp_path / "own_lesson.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# ------------------------------------------------------------------- the helpers themselves
def test_numbers_reads_both_languages_alike() -> None:
    en = "+9.9 % for basic, 3,000 a month, 24-month retention, +25 % to +95 %, 8.0 points, −7"
    zh = "基本处理 +9.9 %，每月 3000，24 个月留存率，+25 % 至 95 %，8.0 个百分点，−7"
    assert (
        numbers(en)
        == numbers(zh)
        == Counter({"9.9": 1, "3000": 1, "24": 1, "25": 1, "95": 1, "8.0": 1, "-7": 1})
    )
    assert numbers("8 points") != numbers("8.0 points")  # decimals count
    assert numbers("a fall of 7") != numbers("−7")  # a sign of its own counts
    assert numbers("25-95 %") == Counter({"25": 1, "95": 1})  # a range is not a minus
    assert numbers("a year, one call, three years, 12月") == Counter({"12": 1})


def test_ideograph_share_tells_chinese_from_english() -> None:
    assert ideograph_share("首批客户 12 个月后的留存率高出 5.8 个百分点") > 0.6
    assert ideograph_share("The launch cohort keeps 5.8 points more") == 0.0


# ------------------------------------------------------------------- the library's files
@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_file_has_its_own_chinese_header(name: str) -> None:
    data = raw(name)
    zh = data.get("zh")
    assert isinstance(zh, dict), f"{name}.yaml has no zh: block"
    for field in FIELDS:
        english = str(data.get(field) or "").strip()
        chinese = str(zh.get(field) or "").strip()
        if field in ("lesson", "see") or english:
            assert chinese, f"{name}.yaml: zh.{field} is empty"
        if english:
            assert chinese != english, f"{name}.yaml: zh.{field} is the English text"


@pytest.mark.parametrize("name", NAMES)
def test_chinese_carries_the_same_figures(name: str) -> None:
    sc = load_scenario(name)
    for field in FIELDS:
        english, chinese = getattr(sc, field), getattr(sc.zh, field)
        if not english:
            continue
        missing = numbers(english) - numbers(chinese)
        extra = numbers(chinese) - numbers(english)
        assert not missing and not extra, (
            f"{name}: zh.{field} differs from {field} in its figures: "
            f"missing {dict(missing)}, extra {dict(extra)}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_chinese_reads_as_chinese(name: str) -> None:
    zh = load_scenario(name).zh
    for field in FIELDS:
        chinese = getattr(zh, field)
        if not chinese:
            continue
        share = ideograph_share(chinese)
        assert share >= 0.3, f"{name}: zh.{field} is {share:.0%} Chinese characters"
        folded = FOLDED_SPACE.search(chinese)
        assert folded is None, (
            f"{name}: zh.{field} has a space between Chinese characters ({folded.group()!r}): "
            "a folded YAML line (>-) breaks only where the text has a space"
        )
        ascii_mark = ASCII_PUNCTUATION.search(chinese)
        assert ascii_mark is None, (
            f"{name}: zh.{field} uses ASCII punctuation in Chinese ({ascii_mark.group()!r}); "
            "write ，：；（）"
        )


@pytest.mark.parametrize("name", NAMES)
def test_translation_loads_through_the_extends_chain(name: str) -> None:
    sc = load_scenario(name)
    own = raw(name)["zh"]
    assert sc.zh.lesson == own["lesson"] and sc.zh.see == own["see"]
    assert sc.zh.description == own.get("description", "")
    header = lesson_header(sc, "zh")
    assert header.translated and header.lang == "zh"
    assert (header.lesson, header.see) == (own["lesson"], own["see"])
    english = lesson_header(sc, "en")
    assert english.translated and (english.lesson, english.see) == (sc.lesson, sc.see)


def test_a_scenario_without_translation_falls_back_to_english(tmp_path: Path) -> None:
    sc = load_scenario(untranslated(tmp_path))
    assert not sc.zh.lesson
    header = lesson_header(sc, "zh")
    assert not header.translated
    assert (header.lang, header.asked) == ("en", "zh")
    assert (header.lesson, header.see) == (sc.lesson, sc.see)


def test_a_rewritten_header_does_not_inherit_the_parents_translation(tmp_path: Path) -> None:
    """A file on top of the baseline with its own lesson shows its English, not baseline's zh."""
    path = tmp_path / "mine.yaml"
    path.write_text("extends: baseline\nname: mine\nlesson: my own lesson\n", encoding="utf-8")
    sc = load_scenario(path)
    base = load_scenario("baseline")
    assert not sc.zh.lesson and base.zh.lesson
    assert sc.zh.see == base.zh.see  # the see it did not rewrite keeps its translation
    header = lesson_header(sc, "zh")
    assert (header.lesson, header.translated) == ("my own lesson", False)
    path.write_text(
        "extends: baseline\nname: mine\nlesson: my own lesson\nzh:\n  lesson: 我的课\n",
        encoding="utf-8",
    )
    header = lesson_header(load_scenario(path), "zh")
    assert (header.lesson, header.translated) == ("我的课", True)


# ------------------------------------------------------------------- crmsim list and show
def test_list_in_chinese_prints_the_chinese_lessons(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--lang", "zh"], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert text("cli.list.lesson", "zh") in out and text("word.scenario", "zh") in out
    assert text("cli.list.title", "zh", folder=scenarios.SCENARIO_DIR) in out
    for name in NAMES:
        sc = load_scenario(name)
        assert name in out
        assert sc.zh.lesson in out, f"{name}: its Chinese lesson is not listed"
        assert sc.lesson not in out, f"{name}: listed in English"
    assert text("cli.untranslated", "zh") not in out


def test_list_in_english_is_the_plain_list(runner: CliRunner) -> None:
    plain = runner.invoke(app, ["list"], env=WIDE)
    english = runner.invoke(app, ["list", "--lang", "en"], env=WIDE)
    assert plain.exit_code == english.exit_code == 0
    assert english.stdout == plain.stdout
    assert all(load_scenario(n).lesson in plain.stdout for n in NAMES)


@pytest.mark.parametrize("name", ["baseline", "complaint_handling", "subscription"])
def test_show_in_chinese_heads_the_yaml_with_the_chinese_header(
    runner: CliRunner, name: str
) -> None:
    zh = runner.invoke(app, ["show", name, "--lang", "zh"])
    en = runner.invoke(app, ["show", name])
    assert zh.exit_code == en.exit_code == 0, zh.output + en.output
    sc = load_scenario(name)
    lines = zh.stdout.splitlines()
    resolved = text("cli.show.resolved", "zh", name=sc.name, hash=scenario_hash(sc))
    assert lines[:3] == [
        f"# {resolved}",
        f"# {text('cli.show.lesson', 'zh', lesson=sc.zh.lesson)}",
        f"# {text('cli.show.see', 'zh', see=sc.zh.see)}",
    ]
    assert en.stdout.splitlines()[0].startswith(f"# {sc.name}: resolved scenario ")
    assert zh.stdout.splitlines()[3:] == en.stdout.splitlines()[1:]
    assert Scenario.model_validate(yaml.safe_load(zh.stdout)) == sc


def test_show_in_chinese_says_when_the_header_is_untranslated(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = untranslated(tmp_path)
    result = runner.invoke(app, ["show", str(path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    sc = load_scenario(path)
    head = result.stdout.splitlines()[:4]
    assert head[1] == f"# {text('cli.show.lesson', 'zh', lesson=sc.lesson)}"
    assert head[3] == f"# {text('cli.untranslated', 'zh')}"
    assert Scenario.model_validate(yaml.safe_load(result.stdout)) == sc


@pytest.mark.parametrize("args", [["list"], ["show", "baseline"]])
def test_an_unknown_language_exits_2_naming_the_languages(
    runner: CliRunner, args: list[str]
) -> None:
    result = runner.invoke(app, [*args, "--lang", "fr"])
    assert result.exit_code == 2, result.output
    assert "'fr'" in result.stderr and "en" in result.stderr and "zh" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
