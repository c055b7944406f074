"""Checkpoints: save -> load predicts identically; anything else is refused with a clear error."""

import io
import os
import zipfile

import pytest
import torch

from gdpipe.checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint
from gdpipe.errors import CheckpointError
from gdpipe.evaluation import predict
from gdpipe.models import build_model


@pytest.fixture
def saved(tmp_path):
    model = build_model("linear", seed=5)
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(
        path,
        "linear",
        model,
        status="ok",
        diverged_step=None,
        config={"lr": 0.001, "optimizer": "sgd"},
    )
    return path, model


@pytest.mark.parametrize("name", ["linear", "quadratic"])
def test_save_load_gives_identical_predictions(tmp_path, name):
    model = build_model(name, seed=9)
    path = tmp_path / f"{name}.pt"
    save_checkpoint(path, name, model, status="ok")
    loaded, info = load_checkpoint(path, expected_model=name)
    x = torch.linspace(-2, 20, 37)
    assert torch.equal(predict(model, x), predict(loaded, x))
    assert info["status"] == "ok"
    assert info["format_version"] == FORMAT_VERSION


def test_checkpoint_reads_with_weights_only(saved):
    path, model = saved
    payload = torch.load(path, weights_only=True)
    assert payload["model"] == "linear"
    assert torch.equal(payload["state_dict"]["weight"], model.weight.detach())
    assert payload["config"] == {"lr": 0.001, "optimizer": "sgd"}


def test_same_model_same_bytes(tmp_path):
    # The archive is named in memory, so neither the file name nor the temp name leaks in.
    a, b = tmp_path / "a.pt", tmp_path / "sub" / "other.pt"
    for path in (a, b):
        save_checkpoint(path, "quadratic", build_model("quadratic", seed=1), status="ok")
    assert a.read_bytes() == b.read_bytes()


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"missing\.pt: checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt", "linear")


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("this is not a checkpoint\n")
    with pytest.raises(CheckpointError, match=r"notes\.pt: not a readable torch checkpoint"):
        load_checkpoint(path, "linear")


def test_truncated_checkpoint(saved):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt: not a readable torch checkpoint"):
        load_checkpoint(path, "linear")


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"weight": torch.ones(3)}, path)
    with pytest.raises(
        CheckpointError, match=r"foreign\.pt: a torch file but not a gdpipe checkpoint"
    ):
        load_checkpoint(path, "linear")


def test_checkpoint_of_another_model(saved):
    path, _ = saved
    with pytest.raises(CheckpointError, match="checkpoint of model 'linear', expected 'quadratic'"):
        load_checkpoint(path, "quadratic")


def test_future_format_version(tmp_path, saved):
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=f"format version {FORMAT_VERSION + 1}"):
        load_checkpoint(path, "linear")


def test_weights_that_do_not_fit(saved):
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    payload["state_dict"] = {"weight": torch.ones(4)}
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="weights do not fit model 'linear'"):
        load_checkpoint(path, "linear")


class _Exploit:
    """Unpickling this would create a marker directory: proof that code ran."""

    marker = ""

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickled_callable_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    exploit = _Exploit()
    exploit.marker = str(marker)
    path = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save(
        {
            "format": "gdpipe-checkpoint",
            "format_version": 1,
            "model": "linear",
            "model_args": {},
            "state_dict": {},
            "payload": exploit,
        },
        buffer,
    )
    path.write_bytes(buffer.getvalue())
    assert zipfile.is_zipfile(path)
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused: .* never unpickles"):
        load_checkpoint(path, "linear")
    assert not marker.exists()
    # Sanity: the same file does run code when fully unpickled.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_trained_checkpoint_carries_optimizer_state_and_config(tmp_path, unit_params):
    # nanoGPT-style: weights, optimizer state, progress and config, all weights_only-readable.
    import dataclasses

    from gdpipe import data
    from gdpipe.checkpoint import checkpoint_info
    from gdpipe.experiments import linear
    from gdpipe.params import validate_params
    from gdpipe.pipeline import step_keys, step_settings

    params = validate_params(unit_params)
    params = dataclasses.replace(
        params, linear=dataclasses.replace(params.linear, optimizer="adam", epochs=2)
    )
    p = params.linear
    train, test = data.split(linear.generate(p), p.test_size, p.split_seed)
    model, result = linear.train(p, train, test, torch.device("cpu"), iter)
    path = tmp_path / "linear.pt"
    config = step_settings(params, "train", "linear")
    save_checkpoint(path, "linear", model, **checkpoint_info(config, result))
    payload = torch.load(path, weights_only=True)
    assert payload["optimizer"]["param_groups"][0]["lr"] == p.lr
    assert int(payload["optimizer"]["state"][0]["step"]) == 2 * len(train)  # one step per sample
    assert payload["epochs_completed"] == 2
    # Exactly the keys training declares: not linear.end, which only shapes the data.
    assert list(payload["config"]) == step_keys("train", "linear")
    assert payload["config"]["linear.optimizer"] == "adam"
    resumed = torch.optim.Adam(build_model("linear").parameters(), lr=p.lr)
    resumed.load_state_dict(payload["optimizer"])  # what a resume would do
