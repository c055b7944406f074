"""The lab's tables from a tiny real run: exact columns, one row per run, empty cells where a run
diverged or never reached its target, and steps that agree with the engine's first hits."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from gdpipe import io, lab
from gdpipe.descent import descend
from gdpipe.objectives import SURFACES, get_surface
from gdpipe.optimizers import get_optimizer, hyperparameters
from gdpipe.params import LabParams, validate_params
from gdpipe.pipeline import lab_figure_surfaces, step_keys
from tests.conftest import UNIT_PARAMS

BOWL = get_surface("bowl", 1.0)
# On the round bowl plain descent multiplies x by 1 − lr each step: 0.001 is too slow to reach
# the target in 30 steps, 0.5 halves the distance each step and gets there, 5 (×−4) diverges.
LRS = (0.001, 0.5, 5.0)
STEPS, N, TARGET = 30, 4, 1e-6


@pytest.fixture(scope="module")
def params() -> LabParams:
    defaults = validate_params(UNIT_PARAMS).lab
    return dataclasses.replace(
        defaults,
        surfaces=("bowl",),
        optimizers=("sgd", "adam"),
        lrs=LRS,
        n_starts=N,
        steps=STEPS,
        target=TARGET,
        condition=1.0,
        paths=2,
    )


@pytest.fixture(scope="module")
def starts(params) -> pd.DataFrame:
    return lab.generate_starts(BOWL, params.seed, params.n_starts)


@pytest.fixture(scope="module")
def tables(params, starts) -> dict[str, pd.DataFrame]:
    return lab.run_surface(BOWL, starts, params, "cpu", lambda optimizer: iter)


def _reference(starts, optimizer: str, params) -> object:
    x = torch.tensor(starts.to_numpy(), dtype=torch.float64)
    bound = get_optimizer(optimizer, **{k: getattr(params, k) for k in hyperparameters(optimizer)})
    return descend(BOWL, bound, x, params.lrs, params.steps, targets=(params.target,))


def test_starts_are_seeded_per_surface_and_inside_the_domain():
    a = lab.generate_starts(get_surface("sincos"), 0, 50)
    assert list(a.columns) == ["x1", "x2"]
    assert a.to_numpy().min() >= 0.0
    assert a.to_numpy().max() < 10.0
    pd.testing.assert_frame_equal(a, lab.generate_starts(get_surface("sincos"), 0, 50))
    assert not a.equals(lab.generate_starts(get_surface("sincos"), 1, 50))
    # Two surfaces with the same domain still draw different starts.
    himmelblau, bowl = (lab.generate_starts(get_surface(s), 0, 50) for s in ("himmelblau", "bowl"))
    assert get_surface("himmelblau").domain == get_surface("bowl").domain
    assert not np.allclose(himmelblau.to_numpy(), bowl.to_numpy())


def test_runs_table_has_one_row_per_optimizer_lr_and_start(tables, params):
    runs = tables["runs"]
    assert list(runs.columns) == [
        "optimizer",
        "lr",
        "start",
        "x1_start",
        "x2_start",
        "x1",
        "x2",
        "value",
        "steps_to_target",
        "status",
    ]
    assert len(runs) == len(params.optimizers) * len(LRS) * N
    keys = runs[["optimizer", "lr", "start"]].itertuples(index=False, name=None)
    assert sorted(keys) == sorted(
        (o, lr, s) for o in params.optimizers for lr in LRS for s in range(N)
    )


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_runs_agree_with_the_engine(tables, starts, params, optimizer):
    result = _reference(starts, optimizer, params)
    runs = tables["runs"][tables["runs"]["optimizer"] == optimizer]
    first = result.first_hit[..., 0].numpy().ravel()  # (K·N,), lr-major like the table
    steps = runs["steps_to_target"].to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(np.where(first >= 0, first, np.nan), steps)
    diverged = result.diverged_step.numpy().ravel() >= 0
    assert (runs["status"] == "diverged").tolist() == diverged.tolist()
    np.testing.assert_array_equal(runs["value"], result.final_value.numpy().ravel())
    np.testing.assert_array_equal(runs[["x1_start", "x2_start"]], np.tile(starts, (len(LRS), 1)))


def test_the_sweep_has_every_outcome(tables):
    sgd = tables["runs"][tables["runs"]["optimizer"] == "sgd"].set_index("lr")
    assert sgd.loc[0.001, "steps_to_target"].isna().all()  # too slow
    assert (sgd.loc[0.001, "status"] == "ok").all()
    assert sgd.loc[0.5, "steps_to_target"].notna().all()
    assert (sgd.loc[5.0, "status"] == "diverged").all()


def test_empty_cells_round_trip(tables, tmp_path):
    for name, table in tables.items():
        path = tmp_path / f"{name}.csv"
        io.write_table(path, table, na_rep="")
        text = path.read_text()
        assert "nan" not in text
        back = io.read_table(path, **lab.TABLES[name])
        assert len(back) == len(table)
    runs = (tmp_path / "runs.csv").read_text().splitlines()
    sgd = [line.split(",") for line in runs if line.startswith("sgd,")]
    never = [row for row in sgd if row[1] == "0.001"]
    assert all(row[8] == "" and row[9] == "ok" for row in never)
    assert all(row[8].isdigit() for row in sgd if row[1] == "0.5")  # integers, not 12.0
    lost = [row for row in sgd if row[1] == "5.0"]
    assert all(row[5:10] == ["", "", "", "", "diverged"] for row in lost)
    back = io.read_table(tmp_path / "runs.csv", **lab.TABLES["runs"])
    assert back["steps_to_target"].isna().sum() == tables["runs"]["steps_to_target"].isna().sum()


def test_paths_and_hits_are_each_optimizers_best_lr(tables, params):
    # sgd: only 0.5 reaches the target; the paths and hits keep that lr alone.
    paths, hits = tables["paths"], tables["hits"]
    assert set(paths.loc[paths["optimizer"] == "sgd", "lr"]) == {0.5}
    assert set(hits.loc[hits["optimizer"] == "sgd", "lr"]) == {0.5}
    assert sorted(paths["start"].unique()) == [0, 1]  # lab.paths = 2
    assert len(paths[paths["optimizer"] == "sgd"]) == 2 * (STEPS + 1)
    assert len(hits) == len(params.optimizers) * N * len(lab.COCO_TARGETS)
    assert np.isfinite(paths[["x1", "x2", "value"]].to_numpy()).all()


def test_history_has_every_lr_and_step(tables, params):
    history = tables["history"]
    assert len(history) == len(params.optimizers) * len(LRS) * (STEPS + 1)
    # Every start diverged at lr 5: from then on there is no mean to show.
    lost = history[(history["optimizer"] == "sgd") & (history["lr"] == 5.0)]
    assert lost["mean_value"].isna().iloc[-1]


def test_condition_is_read_by_the_bowl_alone():
    assert "lab.condition" in step_keys("lab_run", "lab", "bowl")
    assert "lab.condition" not in step_keys("lab_run", "lab", "sincos")
    assert "lab.condition" not in step_keys("lab_plot", "lab", "rosenbrock")
    assert "lab.momentum" not in step_keys("lab_starts", "lab", "bowl")
    assert "lab.seed" not in step_keys("lab_run", "lab", "bowl")
    assert step_keys("lab_run", "lab", "bowl")[0] == "device"
    assert [s for s in SURFACES if SURFACES[s].condition is not None] == ["bowl"]


def test_surface_specific_figures_follow_lab_surfaces(params):
    every = dataclasses.replace(params, surfaces=tuple(SURFACES))
    assert lab_figure_surfaces(every) == {
        "basins": ["sincos", "styblinski_tang"],
        "gif": ["sincos"],
        "learning_rate": ["bowl"],
    }
    few = dataclasses.replace(params, surfaces=("rosenbrock", "himmelblau"))
    assert lab_figure_surfaces(few) == {"basins": [], "gif": [], "learning_rate": ["rosenbrock"]}
    no_sgd = dataclasses.replace(every, optimizers=("adam",))
    assert lab_figure_surfaces(no_sgd)["learning_rate"] == []


def test_every_default_run_that_ends_still_in_the_domain_is_at_a_listed_minimum(default_params):
    # The lab's default sweep (fewer starts; the time is in the steps) on every surface: a run
    # whose gradient vanished has found a minimum, and the list must hold it (Rastrigin's runs
    # may settle in wells outside the domain, which the list does not cover).
    defaults = validate_params(default_params).lab
    p = dataclasses.replace(defaults, n_starts=30, paths=0)
    stopped = 0
    for name in p.surfaces:
        surface = lab.lab_surface(name, p)
        starts = lab.generate_starts(surface, p.seed, p.n_starts)
        runs = lab.run_surface(surface, starts, p, "cpu", lambda optimizer: iter)["runs"]
        ends = runs.loc[runs["status"] == "ok", ["x1", "x2"]].to_numpy(dtype=float)
        low, high = surface.domain
        ends = ends[((ends >= low) & (ends <= high)).all(axis=1)]
        still = np.linalg.norm(surface.gradient(ends), axis=1) <= 1e-6
        stopped += int(still.sum())
        lost = ends[still & ~surface.at_minima(ends).any(axis=1)]
        assert len(lost) == 0, f"{name}: runs still at no listed minimum, e.g. {lost[:3]}"
    assert stopped > 0.2 * len(p.surfaces) * len(p.optimizers) * len(p.lrs) * p.n_starts
