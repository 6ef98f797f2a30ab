"""`models` CLI subcommands, run through a tiny parser built with register()."""

from __future__ import annotations

import argparse
import json
import os

import pytest
import torch
from spandrel.architectures.Compact import Compact

from genai_studio.commands import models as models_cmd
from genai_studio.runtime.model_store import ModelStore


@pytest.fixture
def run(studio_home, tmp_path, capsys):
    builtin = tmp_path / "builtin"
    builtin.mkdir()

    parser = argparse.ArgumentParser(prog="genai-studio")
    sub = parser.add_subparsers(dest="command")
    models_cmd.register(sub, store_factory=lambda: ModelStore(builtin_dir=builtin))

    def invoke(*argv: str) -> tuple[int, str, str]:
        args = parser.parse_args(list(argv))
        code = args.func(args)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _model(path, seed=0):
    torch.manual_seed(seed)
    torch.save(Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=1, upscale=2).state_dict(), path)
    return str(path)


def test_list_empty(run):
    code, out, _ = run("models", "list")
    assert code == 0 and "No models yet" in out
    code, out, _ = run("models", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_import_list_verify_remove(run, tmp_path):
    code, out, err = run("models", "import", _model(tmp_path / "tiny.pth"), "--name", "Tiny x2")
    assert code == 0, err
    assert "imported 'tiny-x2'" in out

    code, out, _ = run("models", "list", "--json")
    [row] = json.loads(out)
    assert row["id"] == "tiny-x2" and row["status"] == "ok" and row["scale"] == 2
    assert row["architecture"] == "RealESRGAN Compact" and row["source"] == "imported"
    assert row["files"][0]["exists"] and row["size_bytes"] > 0

    code, out, _ = run("models", "list")
    header, line = out.splitlines()
    assert header.split()[:3] == ["ID", "TASK", "ARCHITECTURE"]
    assert line.startswith("tiny-x2") and "user-supplied (unknown)" in line and line.endswith("ok")

    code, out, _ = run("models", "verify")
    assert code == 0 and "tiny-x2" in out and "ok" in out

    weight = row["files"][0]["path"]
    data = bytearray(open(weight, "rb").read())
    data[-1] ^= 0x01
    with open(weight, "wb") as fh:
        fh.write(bytes(data))
    code, out, _ = run("models", "verify", "tiny-x2")
    assert code == 1 and "sha256 mismatch" in out

    code, out, _ = run("models", "remove", "tiny-x2")
    assert code == 0 and not os.path.exists(weight)


def test_errors_are_one_line_with_exit_code_2(run, tmp_path):
    evil = tmp_path / "evil.pth"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch '{tmp_path / 'MARKER'}'",))

    torch.save({"x": Payload()}, evil)
    code, out, err = run("models", "import", str(evil))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "none of its code ran" in err
    assert not (tmp_path / "MARKER").exists()

    src = _model(tmp_path / "m.pth")
    assert run("models", "import", src)[0] == 0
    code, _, err = run("models", "import", src)
    assert code == 2 and "already in the model list" in err

    code, _, err = run("models", "verify", "nope")
    assert code == 2 and err.startswith("error: There is no model with id 'nope'")
    code, _, err = run("models", "remove", "nope")
    assert code == 2


def test_models_without_action_prints_help(run):
    code, _, err = run("models")
    assert code == 2 and "list" in err


def test_prepare_converts_builtin_models_and_verify_says_ok(studio_home, capsys):
    from genai_studio.cli import main

    assert main(["models", "prepare", "realesr-animevideov3-x2"]) == 0
    assert "realesr-animevideov3.safetensors" in capsys.readouterr().out
    assert main(["models", "verify", "realesr-animevideov3-x2"]) == 0
    assert "ok" in capsys.readouterr().out
