"""The family trainer on a real (synthetic) folder: learning, updates, pause/resume/stop, cancel + resume, output."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import torch

from genai_studio.core.art_generate_jobs import GenerateSpec
from genai_studio.core.art_train_jobs import TrainArtSpec, TrainControl
from genai_studio.core.errors import BadInput, Cancelled
from genai_studio.core.manifest import read_manifest
from genai_studio.core.progress import CancelToken
from genai_studio.engines import registry
from genai_studio.engines.art.generate import run_generate
from genai_studio.engines.art.generators import load_generator
from genai_studio.engines.loading import sniff_format
from genai_studio.training import art_checkpoint as ckpt
from genai_studio.training.art_folder import scan_folder
from genai_studio.training.art_trainer import train_generator
from tests.training.test_art_folder import make_shapes


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    folder = make_shapes(tmp_path_factory.mktemp("shapes"), 60, labelled=True)
    return folder, scan_folder(folder, 32)


def _train(dataset, out, family, steps, **kw):
    kw.setdefault("batch_size", 8)
    kw.setdefault("log", None)
    kw.setdefault("device", "cpu")
    return train_generator(dataset, out, family, "tiny", steps, **kw)


def test_vae_learns_writes_a_model_and_it_generates(tmp_path, shapes):
    _, ds = shapes
    control = TrainControl()
    result = _train(ds, tmp_path / "m", "vae", 40, sample_every=10, checkpoint_every=20, control=control,
                    name="My Shapes", command="genai-studio train art …")
    losses = [u.losses["recon"] for u in control.history if u.losses]
    assert len(losses) >= 4 and losses[-1] < 0.7 * losses[0]
    grids = [u.samples for u in control.history if u.samples is not None]
    assert grids and grids[-1].shape == (131, 131, 3) and grids[-1].dtype == np.uint8
    assert control.history[-1].step == 40 and control.history[-1].eta_s is not None
    assert "step 40/40" in control.history[-1].message

    assert result.model_id == "my-shapes" and result.steps_done == 40 and not result.stopped_early
    assert result.weights == tmp_path / "m" / "my-shapes.safetensors"
    assert (tmp_path / "m" / "samples.png").exists()
    manifest = read_manifest(result.manifest)
    assert result.manifest.name == "manifest.json"
    assert (manifest.family, manifest.task, manifest.source.kind) == ("art", "generate", "trained")
    assert manifest.tags == ("art", "generate", "vae", "user") and "license of your images" in manifest.license
    assert manifest.quality["steps"] == 40 and "nearest_training_rms_mean" in manifest.quality
    assert manifest.defaults["vocabulary"] == list(ds.vocabulary)

    # checkpoints are safetensors + JSON, never pickle
    assert sniff_format(tmp_path / "m" / ckpt.WEIGHTS_NAME) == "safetensors"
    assert json.loads((tmp_path / "m" / ckpt.INDEX_NAME).read_text())["step"] == 40

    gen = load_generator(result.weights, torch.device("cpu"))
    assert gen.family == "vae" and gen.px == 32
    out = run_generate(GenerateSpec(prompt="red circles", count=2, seed=1, device="cpu"), CancelToken(), manifest,
                       result.weights)
    assert out.used_words == ("red", "circle") and out.images[0].pixels.shape == (64, 64, 3)


def test_gan_pauses_resumes_and_stops_with_a_usable_model(tmp_path, shapes):
    _, ds = shapes
    control, steps_seen = TrainControl(), []
    token = CancelToken(lambda fraction, _msg, _prev: steps_seen.append(fraction))
    box = {}
    worker = threading.Thread(target=lambda: box.update(result=_train(
        ds, tmp_path / "g", "gan", 500, sample_every=5, control=control, token=token, batch_size=4)))
    worker.start()
    deadline = time.monotonic() + 60
    while len(steps_seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    control.pause()
    time.sleep(0.6)  # let the step in flight finish
    frozen = len(steps_seen)
    time.sleep(0.6)
    assert control.paused and len(steps_seen) == frozen
    control.resume()
    while len(steps_seen) < frozen + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    control.stop()
    worker.join(60)
    result = box["result"]
    assert result.stopped_early and frozen + 2 <= result.steps_done < 500
    assert load_generator(result.weights, torch.device("cpu")).family == "gan"


def test_cancel_keeps_a_checkpoint_and_resume_continues_there(tmp_path, shapes):
    _, ds = shapes
    token = CancelToken()
    token.set_listener(lambda fraction, _m, _p: token.cancel() if fraction >= 6 / 20 else None)
    with pytest.raises(Cancelled):
        _train(ds, tmp_path / "c", "gan", 20, token=token, batch_size=4)
    info = ckpt.read_checkpoint_info(tmp_path / "c")
    assert info["step"] == 6 and info["family"] == "gan"
    with pytest.raises(BadInput, match="vae"):
        _train(ds, tmp_path / "c", "vae", 20, resume=True)
    control = TrainControl()
    result = _train(ds, tmp_path / "c", "gan", 8, resume=True, control=control, sample_every=1, batch_size=4)
    assert result.steps_done == 8 and [u.step for u in control.history if u.samples is not None][0] == 7
    with pytest.raises(BadInput, match="no checkpoint"):
        _train(ds, tmp_path / "empty", "gan", 4, resume=True)


def test_diffusion_job_through_the_registry_on_a_flat_folder(tmp_path):
    folder = make_shapes(tmp_path / "flat", 50, labelled=False)
    spec = TrainArtSpec(data_dir=str(folder), out_dir=str(tmp_path / "d"), family="diffusion", preset="tiny",
                        steps=3, sample_every=50, device="cpu")
    result = registry.call("art.train", spec, CancelToken())
    assert result.model_id == "flat" and result.steps_done == 3
    manifest = read_manifest(result.manifest)
    assert "--family diffusion" in manifest.source.command and manifest.defaults["vocabulary"] == []
    out = run_generate(GenerateSpec(prompt="anything", count=1, device="cpu"), CancelToken(), manifest,
                       result.weights)
    assert out.unknown_words == ("anything",) and out.images[0].pixels.shape == (64, 64, 3)


def test_too_small_folder_is_bad_input_before_training(tmp_path):
    folder = make_shapes(tmp_path / "few", 10, labelled=False)
    spec = TrainArtSpec(data_dir=str(folder), out_dir=str(tmp_path / "x"), family="gan", preset="tiny")
    with pytest.raises(BadInput, match="found 10 usable images"):
        registry.call("art.train", spec, CancelToken())
    assert not (tmp_path / "x").exists()
