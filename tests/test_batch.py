"""Batch: one instruction over a directory, on local processes or a Dask cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

import retouch
from retouch.batch import run_batch
from retouch.cli import main


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    samples = (("cat.png", data.chelsea()), ("coffee.jpg", data.coffee()), ("camera.png", data.camera()))
    for name, photo in samples:
        retouch.save_image(retouch.load_image(photo[::4, ::4]), folder / name)
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return folder


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_batch_edits_every_image_reports_broken_ones_and_keeps_inputs(photos, tmp_path):
    before = _snapshot(photos)
    out = tmp_path / "out"
    items = run_batch(photos, "make it brighter", out, workers=2)
    names = [i.source.rsplit("/", 1)[-1] for i in items]
    assert names == ["broken.png", "camera.png", "cat.png", "coffee.jpg"]
    assert items[0].error and items[0].output is None
    for item in items[1:]:
        assert item.error is None
        edited = retouch.load_image(item.output).pixels
        original = retouch.load_image(item.source).pixels
        assert edited.shape == original.shape and edited.mean() > original.mean()
    assert _snapshot(photos) == before


def test_batch_never_replaces_outputs_or_writes_into_the_inputs(photos, tmp_path):
    out = tmp_path / "out"
    run_batch(photos, "make it warmer", out, workers=1)
    again = run_batch(photos, "make it warmer", out, workers=1)
    assert all("exists" in (i.error or "") for i in again if not i.source.endswith("broken.png"))
    with pytest.raises(retouch.InputError, match="where the inputs are"):
        run_batch(photos, "make it warmer", photos)


def test_batch_refusal_stops_before_any_work(photos, tmp_path):
    with pytest.raises(retouch.PlanError):
        run_batch(photos, "order me a pizza", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_batch_on_a_dask_cluster(photos, tmp_path):
    distributed = pytest.importorskip("distributed", reason="needs retouch[batch] (dask distributed)")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False)
    with cluster, distributed.Client(cluster) as client:
        items = run_batch(photos, "black and white", tmp_path / "out", scheduler=client)
    written = [i for i in items if i.error is None]
    assert len(written) == 3
    grey = retouch.load_image(written[1].output).pixels
    assert grey.shape[2] == 1 or np.ptp(grey.astype(int), axis=2).max() <= 1


def test_batch_cli(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(photos), "sharpen a bit", "-o", str(out), "--workers", "1", "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert sum(r["error"] is None for r in report) == 3
    assert main(["batch", str(tmp_path / "missing"), "sharpen", "-o", str(out)]) == 2
    unreachable = [
        "batch",
        str(photos),
        "sharpen",
        "-o",
        str(tmp_path / "o2"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    ]
    if pytest.importorskip("distributed"):
        assert main(unreachable) == 2
