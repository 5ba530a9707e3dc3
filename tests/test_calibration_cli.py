"""``crmsim calibrate`` and ``crmsim check-model`` end to end, and every bad input they refuse.

Recovery: a pure-mode BG/NBD world is simulated at parameters chosen here, its purchases
written as a transaction log, and the calibration must (a) hold the truth inside the fitted
confidence region (likelihood ratio at 1e-3) and (b) write a scenario whose simulated
repeat-purchase distribution matches the data's (χ² homogeneity test at 1e-3). The
behavioural fit: a subscription world with a known ``tolerance``, calibrated from its
retention curve alone, recovers it inside its 99.9 % interval. Each assertion that depends
on chance has a false-alarm rate of at most 1e-3 for any seed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

import sim
from sim.calibration import bgnbd_loglik, fit_log, read_log, summarise
from sim.calibration.moments import simulated_tenure
from sim.calibration.tracking import repeat_fit_test
from sim.cli import app

ALPHA = 1e-3
BG_TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}
N = 2000
START = pd.Timestamp("2020-01-01")
YEAR = 365.25


def _pure_base() -> dict:
    seg = {
        "name": "only",
        "share": 1.0,
        "purchase": {"r": 1.0, "alpha": 30.0},  # the base's guess, to be replaced
        "spend": {"p": 6.0, "q": 4.0, "gamma": 20.0},
        "dropout": {"model": "bg", "a": 1.0, "b": 3.0},
        "service_interval": 1e7,
    }
    return {
        "name": "pure",
        "setting": "noncontractual",
        "horizon": "1y",
        "period": "3mo",
        "behaviour": {"enabled": False},
        "population": {"initial": N, "segments": [seg]},
        "strategy": {
            "service": {"staff": None, "cost_per_ticket": 0.0},
            "acquisition": {"referral_conversion": 0.0},
        },
        "output": {"ledger": "aggregate"},
    }


@cache
def _truth_log(folder: str) -> tuple[Path, pd.DataFrame]:
    """The true world's purchases as a log (timestamps to the microsecond), and its customers."""
    spec = _pure_base()
    spec["population"]["segments"][0].update(
        purchase={"r": BG_TRUE["r"], "alpha": BG_TRUE["alpha"]},
        dropout={"model": "bg", "a": BG_TRUE["a"], "b": BG_TRUE["b"]},
    )
    spec["output"]["events"] = True
    result = sim.run(sim.load_scenario(spec), seed=11, engine="agent")
    ev = result.events[result.events["event"].isin(["first_purchase", "purchase"])]
    c = result.customers.set_index("customer_id")
    first_amount = c["revenue"] - c["frequency"] * c["monetary_value"]
    amount = np.where(
        ev["event"] == "first_purchase",
        first_amount.reindex(ev["customer_id"]).to_numpy(),
        c["monetary_value"].reindex(ev["customer_id"]).to_numpy(),
    )
    log = pd.DataFrame(
        {
            "customer_id": ev["customer_id"].to_numpy(),
            "date": (START + pd.to_timedelta(ev["time"].to_numpy(), unit="D")).strftime(
                "%Y-%m-%dT%H:%M:%S.%f"
            ),
            "amount": np.round(amount, 6),
        }
    )
    path = Path(folder) / "orders.csv"
    log.to_csv(path, index=False)
    return path, result.customers


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    return _truth_log(str(tmp_path_factory.mktemp("truth")))


def _invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_log_recovery_holds_the_truth_in_the_confidence_region(truth) -> None:
    log_path, _ = truth
    log = read_log(log_path)
    end = START + pd.Timedelta(days=YEAR)
    s = summarise(log, end)
    assert len(s) == N and np.allclose(s["T"], YEAR)
    fit = fit_log(log, s, end).fits["bg"]
    stat = 2.0 * (fit.loglik - bgnbd_loglik(BG_TRUE, s["frequency"], s["recency"], s["T"]))
    # The LR statistic is χ²(4) under the truth: the truth lies outside the 1 − 1e-3 region
    # with probability 1e-3.
    assert stats.chi2.sf(stat, 4) > ALPHA, (stat, fit.params)
    wrong = {**BG_TRUE, "alpha": 1.5 * BG_TRUE["alpha"]}
    stat_w = 2.0 * (fit.loglik - bgnbd_loglik(wrong, s["frequency"], s["recency"], s["T"]))
    assert stats.chi2.sf(stat_w, 4) < ALPHA  # and a rate a third lower is outside it


def test_written_scenario_reproduces_the_repeat_purchases(truth, tmp_path: Path) -> None:
    log_path, customers = truth
    base = tmp_path / "pure.yaml"
    base.write_text(yaml.safe_dump(_pure_base()))
    out = tmp_path / "mine.yaml"
    end = (START + pd.Timedelta(days=YEAR)).isoformat()
    code, text = _invoke(
        "calibrate", str(log_path), "--base", str(base), "--out", str(out), "--end", end
    )
    assert code == 0, text
    written = out.read_text()
    assert "extends: pure.yaml" in written
    assert re.search(r"r: [0-9.]+  # ± [0-9.e-]+ \(s\.e\.\), BG/NBD, 2,000 customers", written)
    assert (tmp_path / "mine_calibration" / "calibration.html").is_file()
    scenario = sim.load_scenario(out)
    simulated = sim.run(scenario, seed=99, engine="vector").customers["frequency"]
    # χ² homogeneity of the two repeat-purchase distributions: false alarm 1e-3 under H0.
    _, _, p = repeat_fit_test(customers["frequency"], simulated)
    assert p > ALPHA, p


def test_check_model_accepts_a_pure_world(tmp_path: Path) -> None:
    spec = _pure_base()
    spec["population"]["initial"] = 1500
    path = tmp_path / "pure.yaml"
    path.write_text(yaml.safe_dump(spec))
    code, text = _invoke("check-model", str(path), "--seed", "5")
    assert code == 0, text
    assert "recovered against true parameters" in text
    assert "every likelihood-ratio test accepts the truth at 0.001" in " ".join(text.split())


def _subscription(tolerance: float) -> dict:
    overrides = {
        "horizon": "12.5mo",
        "output.ledger": "aggregate",
        "strategy.service.quality": 0.45,
        "strategy.service.staff": None,
        "population.initial": 1500,
        "behaviour.tolerance": tolerance,
    }
    sc = sim.load_scenario("subscription", overrides)
    data = sim.scenario.scenario_to_dict(sc)
    for seg in data["population"]["segments"]:
        seg["service_interval"] = 20.0
    return data


def test_behavioural_fit_recovers_tolerance(tmp_path: Path) -> None:
    world = sim.load_scenario(_subscription(0.2))
    table = simulated_tenure(sim.run(world, seed=101, engine="vector"), world.contract.every, 12)
    shares = table.survival()
    cohort = pd.DataFrame(
        [["2024-01", 1500, *shares]], columns=["cohort", "size", *map(str, range(1, 13))]
    )
    cohort.to_csv(tmp_path / "cohorts.csv", index=False)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(_subscription(0.05)))
    out = tmp_path / "fitted.yaml"
    args = ["calibrate", str(tmp_path / "cohorts.csv"), "--base", str(tmp_path / "base.yaml")]
    code, text = _invoke(
        *args, "--out", str(out), "--fit", "behaviour.tolerance=0:0.6", "--seed", "7"
    )
    assert code == 0, text
    line = next(x for x in out.read_text().splitlines() if "tolerance:" in x)
    value, se = (float(v) for v in re.findall(r"tolerance: ([0-9.e-]+)  # ± ([0-9.e-]+)", line)[0])
    # The sandwich interval at 99.9 %: misses the truth with probability about 1e-3.
    assert abs(value - 0.2) < stats.norm.isf(ALPHA / 2) * se, (value, se)
    assert se < 0.15  # and it says something: the range searched is 0.6 wide
    assert sim.load_scenario(out).behaviour.tolerance == pytest.approx(value, rel=1e-5)


# --------------------------------------------------------------------------- bad input
GOOD = "customer_id,date,amount\na,2024-01-02,10\na,2024-02-03,12\nb,2024-01-05,8\n"

BAD_LOGS = {
    "misnamed column": (
        "customer,date,amount\na,2024-01-02,10\n",
        ":1: customer_id: no column 'customer_id'",
        "did you mean 'customer'",
    ),
    "missing column": ("customer_id,amount\na,10\n", "no column 'date'", "the header has"),
    "unparseable date": (GOOD + "b,2024-13-45,3\n", ":5: date = '2024-13-45': not a date", ""),
    "negative amount": (GOOD + "b,2024-03-01,-5\n", ":5: amount = '-5': a negative amount", ""),
    "non-numeric amount": (GOOD + "b,2024-03-01,abc\n", ":5: amount = 'abc': not a number", ""),
    "duplicate row": (GOOD + "a,2024-02-03,12\n", ":5: customer_id = 'a': duplicate row", "line 3"),
    "empty file": ("", "the file is empty", ""),
    "header only": ("customer_id,date,amount\n", "a header but no rows", ""),
    "one customer": (
        "customer_id,date,amount\na,2024-01-02,10\na,2024-02-01,5\n",
        "one customer",
        "",
    ),
    "future date": (GOOD + "b,2999-01-01,3\n", ":5: date = '2999-01-01': a date in the future", ""),
}


@pytest.mark.parametrize("case", list(BAD_LOGS))
def test_bad_log_is_refused_with_file_line_and_column(case: str, tmp_path: Path) -> None:
    content, message, hint = BAD_LOGS[case]
    data = tmp_path / "orders.csv"
    data.write_text(content)
    out = tmp_path / "mine.yaml"
    code, text = _invoke(
        "calibrate", str(data), "--base", "baseline", "--out", str(out), "--kind", "log"
    )
    assert code == 2, text
    flat = " ".join(text.split())
    assert "orders.csv" in flat and message in flat and hint in flat
    assert "Traceback" not in text and not out.exists()


BAD_TABLES = {
    "retention rises": (
        "cohort,size,1,2,3\n2024-01,100,0.9,0.95,0.8\n",
        ":2: 2 = 0.95: the cohort grows",
    ),
    "blank inside a row": ("cohort,size,1,2,3\n2024-01,100,0.9,,0.8\n", ":2: 2 = '': a blank cell"),
    "churn table rises": (
        "tenure,at_risk,lost\n1,100,10\n2,95,5\n",
        ":3: at_risk = '95': retention rises",
    ),
    "lost above at risk": (
        "tenure,at_risk,lost\n1,100,120\n",
        ":2: lost = '120': more customers lost",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_retention_table_is_refused(case: str, tmp_path: Path) -> None:
    content, message = BAD_TABLES[case]
    data = tmp_path / "table.csv"
    data.write_text(content)
    code, text = _invoke(
        "calibrate", str(data), "--base", "subscription", "--out", str(tmp_path / "s.yaml")
    )
    assert code == 2, text
    assert message in " ".join(text.split())


def test_a_fit_that_does_not_converge_writes_nothing(tmp_path: Path) -> None:
    rows = "".join(f"c{i},2024-01-{1 + i % 28:02d},5\n" for i in range(60))  # nobody repeats
    data = tmp_path / "orders.csv"
    data.write_text("customer_id,date,amount\n" + rows)
    out = tmp_path / "mine.yaml"
    code, text = _invoke("calibrate", str(data), "--out", str(out))
    assert code == 2, text
    assert "did not converge" in text and "nothing was written" in " ".join(text.split())
    assert not out.exists() and not list(tmp_path.glob("*calibration*"))
    table = tmp_path / "table.csv"
    table.write_text("tenure,at_risk,lost\n1,100,0\n2,100,0\n")  # nobody ever cancels
    code, text = _invoke("calibrate", str(table), "--base", "subscription", "--out", str(out))
    assert code == 2 and "did not converge" in text and not out.exists()


def test_wrong_setting_and_fit_on_a_log_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "orders.csv"
    data.write_text(GOOD)
    code, text = _invoke(
        "calibrate", str(data), "--base", "subscription", "--out", str(tmp_path / "x.yaml")
    )
    assert code == 2 and "noncontractual" in text
    code, text = _invoke(
        "calibrate", str(data), "--fit", "behaviour.tolerance", "--out", str(tmp_path / "x.yaml")
    )
    assert code == 2 and "retention curve" in text
