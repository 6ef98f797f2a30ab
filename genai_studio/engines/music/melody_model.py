"""MelodyGRU: a small autoregressive GRU over note events (PyTorch; used for training and export).

One recurrent step per event. The step's input is the sum of embeddings of the previous event
(pitch, duration), the expected position, the bar-in-phrase, the four lookbacks and the tune's
conditioning (style, meter, mode), passed through Linear+ReLU. From the GRU state ``h`` three heads
predict the event factor by factor, each seeing the factors already chosen:

    p(pos | h) · p(pitch | h, pos) · p(dur | h, pos, pitch, meter)

so a sampler can mask each factor (bar filling, key and range) before choosing the next.
Inference at run time does not use this module: :mod:`melody_runtime` runs the same maths in numpy
from the saved safetensors, so generation needs no torch import.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from genai_studio.engines.music import tokens as tk

ARCHITECTURE = "MelodyGRU"
FORMAT_VERSION = 1
METADATA_KEY = "genai_studio.melody_model"


@dataclass(frozen=True)
class MelodyModelConfig:
    embed: int = 192  # width of every input embedding (they are summed)
    hidden: int = 256  # GRU state size
    layers: int = 2
    head: int = 192  # width of the pitch and duration heads' hidden layer
    dropout: float = 0.15


# (name, vocabulary size) of every summed input embedding; lookbacks are expanded per lag below.
INPUT_TABLES = [("prev_pitch", tk.PITCH_SIZE + 1), ("prev_dur", tk.DUR_SIZE + 2), ("exp_pos", tk.POS_SIZE + 1),
                ("bar", tk.PHRASE_BARS + 1), ("style", len(tk.STYLES)), ("meter", len(tk.METERS) + 1),
                ("mode", len(tk.MODE_LIST))]
LOOKBACK_TABLES = [(f"lb_pitch{k}", tk.PITCH_SIZE + 1) for k in range(len(tk.LOOKBACK_BARS))] + \
                  [(f"lb_dur{k}", tk.DUR_SIZE + 2) for k in range(len(tk.LOOKBACK_BARS))]


class MelodyGRU(nn.Module):
    def __init__(self, config: MelodyModelConfig = MelodyModelConfig()) -> None:
        super().__init__()
        self.config = config
        e, h, a = config.embed, config.hidden, config.head
        self.inputs = nn.ModuleDict({name: nn.Embedding(size, e) for name, size in INPUT_TABLES + LOOKBACK_TABLES})
        self.in_proj = nn.Linear(e, e)
        self.drop = nn.Dropout(config.dropout)
        self.gru = nn.GRU(e, h, config.layers, batch_first=True, dropout=config.dropout if config.layers > 1 else 0)
        self.pos_head = nn.Linear(h, tk.POS_SIZE)
        self.pitch_hidden = nn.Linear(h, a)
        self.pitch_pos = nn.Embedding(tk.POS_SIZE, a)
        self.pitch_out = nn.Linear(a, tk.PITCH_SIZE)
        self.dur_hidden = nn.Linear(h, a)
        self.dur_pos = nn.Embedding(tk.POS_SIZE, a)
        self.dur_pitch = nn.Embedding(tk.PITCH_SIZE, a)
        self.dur_meter = nn.Embedding(len(tk.METERS) + 1, a)
        self.dur_out = nn.Linear(a, tk.DUR_SIZE)
        for emb in self.inputs.values():
            nn.init.normal_(emb.weight, std=1.0 / math.sqrt(len(self.inputs)))

    def step_input(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, T, E) GRU input from (B, T) step features, (B, T, K) lookbacks and (B, 3) conditioning."""
        x = sum(self.inputs[name](batch[name]) for name in ("prev_pitch", "prev_dur", "exp_pos", "bar"))
        for k in range(len(tk.LOOKBACK_BARS)):
            x = x + self.inputs[f"lb_pitch{k}"](batch["lb_pitch"][..., k]) + self.inputs[f"lb_dur{k}"](batch["lb_dur"][..., k])
        cond = batch["cond"]
        x = x + (self.inputs["style"](cond[:, 0]) + self.inputs["meter"](cond[:, 1])
                 + self.inputs["mode"](cond[:, 2]))[:, None, :]
        return self.drop(torch.relu(self.in_proj(x)))

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced logits: pos (B, T, POS_SIZE), pitch (B, T, PITCH_SIZE), dur (B, T, DUR_SIZE).

        The pitch head sees the target position and the duration head the target pitch (END and
        padding steps are clamped to class 0; their losses are ignored)."""
        h, _ = self.gru(self.step_input(batch))  # (B, T, H)
        h = self.drop(h)
        pos = batch["pos"].clamp(0, tk.POS_SIZE - 1)
        pitch = batch["pitch"].clamp(0, tk.PITCH_SIZE - 1)
        meter = batch["cond"][:, 1:2].expand_as(pos)
        pitch_logits = self.pitch_out(torch.relu(self.pitch_hidden(h) + self.pitch_pos(pos)))
        dur_z = self.dur_hidden(h) + self.dur_pos(pos) + self.dur_pitch(pitch) + self.dur_meter(meter)
        return self.pos_head(h), pitch_logits, self.dur_out(torch.relu(dur_z))


def event_nll(model: MelodyGRU, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Summed negative log-likelihood in nats over all factors, and the number of events scored."""
    pos_l, pitch_l, dur_l = model(batch)
    ce = nn.functional.cross_entropy
    nll = (ce(pos_l.flatten(0, 1), batch["pos"].flatten(), ignore_index=-100, reduction="sum")
           + ce(pitch_l.flatten(0, 1), batch["pitch"].flatten(), ignore_index=-100, reduction="sum")
           + ce(dur_l.flatten(0, 1), batch["dur"].flatten(), ignore_index=-100, reduction="sum"))
    return nll, int((batch["dur"] >= 0).sum())


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save_safetensors(model: MelodyGRU, path: Path, extra: dict | None = None) -> None:
    """Weights + one metadata entry (JSON: architecture, config, token layout, extras).

    One entry, because safetensors writes several metadata keys in hash order, which would make two
    identical trainings produce files with different sha256s."""
    from safetensors.torch import save_file

    state = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()}
    description = {"architecture": ARCHITECTURE, "format_version": FORMAT_VERSION, "config": asdict(model.config),
                   "vocab": tk.vocab_signature(), **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={METADATA_KEY: json.dumps(description, sort_keys=True)})
    tmp.replace(path)


def load_torch_model(path: Path) -> MelodyGRU:
    """A trainable MelodyGRU from a saved file (e.g. to fine-tune); inference uses melody_runtime."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads((fh.metadata() or {})[METADATA_KEY])
    config = MelodyModelConfig(**meta["config"])
    model = MelodyGRU(config)
    model.load_state_dict(load_file(str(path)))
    return model
