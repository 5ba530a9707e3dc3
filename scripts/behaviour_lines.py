"""Count the lines of behaviour that exist once per engine, at a git revision or in the tree.

Behaviour is what a customer feels or the firm decides; an engine's scheduling, storage and
bookkeeping are not. The script measures, by code lines (no blank lines, comments or
docstrings), each group of functions that implements one behaviour in the agent engine and
again in the vector engine, and the firm's period plan where it is written once::

    .venv/bin/python scripts/behaviour_lines.py            # the working tree
    .venv/bin/python scripts/behaviour_lines.py 7d9a1eb    # a revision
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: behaviour → side ("agent", "vector", or "once" for both) → [(file, functions)]. A class
#: name before a dot selects its methods; "*" every function of the file.
GROUPS: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = {
    "customer reactions, money booking, CLV": {
        "agent": [
            ("agents/customer.py", ("Customer.*",)),
            ("sim/agent_engine/model.py", ("CRMModel.book", "CRMModel.earn")),
        ],
        "vector": [
            ("sim/vector_engine/reactions.py", ("*",)),
            ("sim/vector_engine/money.py", ("*",)),
        ],
    },
    "the firm's period plan": {
        "agent": [
            (
                "sim/agent_engine/operations.py",
                (
                    "_select",
                    "_care_tiers",
                    "_key_accounts",
                    "_early_warning",
                    "_referrals",
                    "_paid_acquisition",
                ),
            ),
        ],
        "vector": [
            (
                "sim/vector_engine/policies.py",
                (
                    "value_score",
                    "_select",
                    "_care_tiers",
                    "_key_accounts",
                    "_early_warning",
                    "_referrals",
                    "_paid_acquisition",
                ),
            ),
        ],
        "once": [("agents/plan.py", ("*",)), ("agents/roster.py", ("*", "Roster.*", "Records.*"))],
    },
}


def source(path: str, rev: str | None) -> str | None:
    """The file at ``rev`` (the working tree if None); None when it does not exist there."""
    if rev is None:
        file = ROOT / path
        return file.read_text(encoding="utf-8") if file.is_file() else None
    done = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def code_lines(node: ast.AST, text: list[str]) -> int:
    """Lines of ``node`` holding code: no blank lines, comments or docstrings."""
    doc: set[int] = set()
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                doc.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    start, end = node.lineno, node.end_lineno or node.lineno
    return sum(
        1
        for i in range(start, end + 1)
        if i not in doc and text[i - 1].strip() and not text[i - 1].strip().startswith("#")
    )


def measure(path: str, names: tuple[str, ...], rev: str | None) -> int:
    """Code lines of the named functions of ``path``."""
    src = source(path, rev)
    if src is None or not names:
        return 0
    tree = ast.parse(src)
    text = src.splitlines()
    total = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and ("*" in names or node.name in names):
            total += code_lines(node, text)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef)
                    and item.name != "__init__"
                    and (f"{node.name}.*" in names or f"{node.name}.{item.name}" in names)
                ):
                    total += code_lines(item, text)
    return total


def main(argv: list[str]) -> int:
    """Print one row per behaviour: lines in each engine, lines written once."""
    rev = argv[0] if argv else None
    sys.stdout.write(
        f"{'behaviour':40} {'agent':>6} {'vector':>6} {'once':>6}  (at {rev or 'working tree'})"
        + "\n"
    )
    twice = once = 0
    for name, parts in GROUPS.items():
        n = {k: sum(measure(path, fns, rev) for path, fns in files) for k, files in parts.items()}
        a, v, o = n.get("agent", 0), n.get("vector", 0), n.get("once", 0)
        sys.stdout.write(f"{name:40} {a:6d} {v:6d} {o:6d}" + "\n")
        twice += a + v if a and v else 0
        once += o
    sys.stdout.write(f"{'lines written once per engine':40} {twice:20d}" + "\n")
    sys.stdout.write(f"{'lines written once for both':40} {once:20d}" + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
