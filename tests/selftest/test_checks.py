"""The real self-test checks: the full run passes offline, and real faults (a tampered model file, a missing
engine, no sound system) show up as the right row."""

from __future__ import annotations

import io
import shutil

import pytest
import torch
from spandrel.architectures.Compact import Compact

from genai_studio import paths
from genai_studio.engines import registry
from genai_studio.runtime import playback
from genai_studio.runtime.model_store import ModelStore
from genai_studio.selftest import checks_app, checks_engines, checks_models, runner
from genai_studio.selftest.context import SelfTestContext
from genai_studio.selftest.result import FAIL, PASS, SKIP, WARN, CheckResult, parse_line


@pytest.fixture
def ctx(tmp_path):
    context = SelfTestContext(workdir=tmp_path / "work")
    yield context
    context.close()


def _store_ctx(tmp_path, builtin_models=()):
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    for model_id in builtin_models:
        shutil.copy(paths.BUILTIN_MODELS_DIR / f"{model_id}.json", builtin)
        shutil.copy(paths.BUILTIN_MODELS_DIR / f"{model_id}.safetensors", builtin)
    store = ModelStore(builtin_dir=builtin, user_dir=tmp_path / "user", hash_cache=tmp_path / "hashes.json")
    return SelfTestContext(workdir=tmp_path, store_factory=lambda: store), builtin


def test_full_self_test_passes_offline():
    """Every check, in process, with sockets blocked (pytest-socket): exit 0, each row as expected."""
    out = io.StringIO()
    code = runner.main(["--json"], out=out)
    events = [parse_line(line) for line in out.getvalue().splitlines()]
    results = {e["name"]: CheckResult.from_event(e) for e in events if e and e["event"] == "result"}
    planned = [c["name"] for c in events[0]["checks"]]
    assert list(results) == planned
    problems = {n: (r.status, r.detail) for n, r in results.items() if r.status == FAIL}
    assert code == 0, problems
    for name in ("app.environment", "app.qt", "engine.upscale", "engine.melody", "engine.hum"):
        assert results[name].status == PASS, results[name]
    builtin_models = [n for n in planned if n.startswith("model.")]
    assert "model.melody-folk" in builtin_models and "model.realesr-animevideov3-x2" in builtin_models
    assert all(results[n].status == PASS and "sha256 ok" in results[n].detail for n in builtin_models)
    assert all(results[n].status in (PASS, WARN) for n in planned if n.startswith("sound."))
    assert all(results[n].status in (PASS, SKIP, WARN) for n in planned if n.startswith("engine."))


def test_tampered_builtin_model_fails(tmp_path):
    ctx, builtin = _store_ctx(tmp_path, ["melody-folk"])
    weights = builtin / "melody-folk.safetensors"
    assert checks_models.check_model(ctx, "melody-folk").status == PASS
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    outcome = checks_models.check_model(ctx, "melody-folk")
    assert outcome.status == FAIL and outcome.detail.startswith("sha256 mismatch")


def test_missing_builtin_file_fails_the_run(tmp_path):
    ctx, builtin = _store_ctx(tmp_path, ["melody-folk"])
    (builtin / "melody-folk.safetensors").unlink()
    [check] = checks_models.model_checks(ctx)
    result = runner.run_check(check, ctx)
    assert check.required and result.status == FAIL and result.detail.startswith("missing")


def test_broken_imported_model_is_a_warning(tmp_path):
    ctx, _ = _store_ctx(tmp_path)
    torch.manual_seed(0)
    pth = tmp_path / "mine.pth"
    torch.save(Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=2).state_dict(), pth)
    entry = ctx.store.import_file(pth)
    [check] = checks_models.model_checks(ctx)
    ok = runner.run_check(check, ctx)
    assert ok.status == PASS and "loads as RealESRGAN Compact x2" in ok.detail
    entry.weight_path.write_bytes(b"not a model")
    broken = runner.run_check(check, ctx)
    assert not check.required and broken.status == WARN and "Model Manager" in broken.detail


def _family(key):
    return next(f for f in checks_engines.FAMILIES if f.key == key)


def test_engine_families_follow_the_registry(ctx, monkeypatch):
    monkeypatch.delitem(registry.ENGINES, "voice.speak", raising=False)
    assert checks_engines.run_family(ctx, _family("speak")).detail == "not installed in this version"
    monkeypatch.delitem(registry.ENGINES, "upscale.run")
    core = checks_engines.run_family(ctx, _family("upscale"))
    assert core.status == FAIL and "upscale.run" in core.detail
    # an engine that is installed but has no self-test job yet is a warning, not a pass
    jobless = checks_engines.EngineFamily("new", "a newer engine", "models.sha256", None)
    assert checks_engines.run_family(ctx, jobless).status == WARN
    monkeypatch.setitem(registry.ENGINES, "voice.speak", "genai_studio.engines.not_a_module:speak")
    absent = checks_engines.run_family(ctx, _family("speak"))
    assert absent.status == SKIP and "genai_studio.engines.not_a_module" in absent.detail


def test_no_portaudio_is_an_explained_warning(ctx, monkeypatch):
    def no_portaudio():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(playback, "_import_sounddevice", no_portaudio)
    outcome = checks_app.check_audio_output(ctx)
    assert outcome.status == WARN and outcome.detail == playback.NO_PORTAUDIO_MESSAGE
