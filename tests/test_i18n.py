"""The message catalogue: every entry in both languages, each text under one key, every key real.

Loading already refuses a broken file (a language missing, fields that differ, a key defined
twice); these tests show it does, on crafted folders, and add what needs the whole code base:
no English text (ignoring case) and no Chinese text under two keys, so a word is written once,
and every literal key the code asks for is defined, so no page can show a key to a learner.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from sim.errors import UserError
from sim.i18n import LANGS, catalogue, check_lang, text
from sim.i18n.catalogue import entries, load_folder

REPO = Path(__file__).resolve().parent.parent

#: A literal catalogue key: dotted lower-case words ending in a letter or digit.
_KEY = re.compile(r"^[a-z]+(?:\.[a-z0-9_]*[a-z0-9])+$")

#: Literals shaped like keys that are file names, not keys.
_FILES = (".html", ".png", ".csv", ".json", ".yaml", ".parquet", ".md", ".py", ".lock")


def _write(folder: Path, name: str, body: str) -> Path:
    (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_a_good_folder_loads(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "x.greet:\n  en: 'Hello {name}'\n  zh: '你好 {name}'\n")
    _write(tmp_path, "notes.txt", "not a catalogue file")
    got = load_folder(tmp_path)
    assert list(got) == ["x.greet"]
    assert got["x.greet"].fields("zh") == {"name"} and got["x.greet"].source == "a.yaml"


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"a.yaml": "x.one:\n  en: One\n"}, "needs exactly the languages"),
        ({"a.yaml": "x.one:\n  en: One\n  zh: 一\n  fr: Un\n"}, "needs exactly the languages"),
        ({"a.yaml": "x.one:\n  en: One\n  zh: ''\n"}, "non-empty text"),
        ({"a.yaml": "x.one:\n  en: '{n} days'\n  zh: '{m} 天'\n"}, "different fields"),
        ({"a.yaml": "x.one:\n  en: One\n  zh: 一\n", "b.yaml": "x.one:\n  en: 1\n  zh: 壹\n"},
         "also defined in a.yaml"),
        ({"a.yaml": "- just\n- a list\n"}, "mapping of keys"),
    ],
)  # fmt: skip
def test_a_broken_folder_is_refused(tmp_path: Path, files: dict[str, str], needle: str) -> None:
    for name, body in files.items():
        _write(tmp_path, name, body)
    with pytest.raises(ValueError, match=needle):
        load_folder(tmp_path)


def test_the_package_catalogue_loads_in_every_language() -> None:
    found = entries()
    assert found, "no entries in sim/i18n/messages"
    for entry in found.values():
        assert set(entry.texts) == set(LANGS), entry.key
        assert len({entry.fields(lang) for lang in LANGS}) == 1, entry.key


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_written_under_two_keys(lang: str) -> None:
    by_text: dict[str, list[str]] = defaultdict(list)
    for entry in entries().values():
        words = entry.texts[lang]
        by_text[words.casefold() if lang == "en" else words].append(entry.key)
    twice = {words: keys for words, keys in by_text.items() if len(keys) > 1}
    assert not twice, f"{lang} texts under more than one key (write each once): {twice}"


def test_an_unknown_key_is_a_bug_with_a_hint() -> None:
    with pytest.raises(KeyError, match=r"closest: kpi\.profit"):
        text("kpi.proft")
    assert text("kpi.profit", "zh") == "利润"
    assert catalogue("zh")("report.run.story_title", cid=7) == "客户 7 的故事"


def test_a_bad_language_names_the_allowed_ones() -> None:
    with pytest.raises(UserError, match=r"unknown language 'fr'; allowed: en \(English\), zh"):
        check_lang("fr")


def _literal_keys(path: Path) -> set[str]:
    """Every plain string literal of ``path`` shaped like a key of the catalogue's areas."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_fstrings = {
        id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
        for part in node.values
    }  # fmt: skip
    areas = {key.split(".")[0] for key in entries()}
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in in_fstrings and _KEY.match(node.value)
        and node.value.split(".")[0] in areas and not node.value.endswith(_FILES)
    }  # fmt: skip


def test_every_literal_key_in_the_code_is_defined() -> None:
    known = entries()
    missing = {
        f"{path.relative_to(REPO)}: {key}"
        for path in sorted((REPO / "sim").rglob("*.py"))
        for key in _literal_keys(path)
        if key not in known
    }
    assert not missing, f"keys the code asks for but the catalogue lacks: {sorted(missing)}"


def test_the_key_scan_sees_the_report_keys() -> None:
    """The scan above would pass on nothing: it must find the keys the run page asks for."""
    found = _literal_keys(REPO / "sim" / "report" / "run_page.py")
    assert {"report.run.kpis", "report.run.churn", "word.seed"} <= found
