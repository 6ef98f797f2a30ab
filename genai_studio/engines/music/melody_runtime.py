"""MelodyGRU inference in numpy, straight from the safetensors file: no torch import, millisecond loading.

The maths mirrors :class:`melody_model.MelodyGRU` exactly (a test compares the two). Two things make a
step cheap: the input projection is folded into the embedding tables (``x = W·Σe + b = Σ(W·e) + b``),
and when a whole sequence is known (scoring, priming with a prefix) each layer's input projection runs
as one matrix product over all steps, leaving only ``W_hh·h`` inside the time loop.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_studio.core.errors import ModelError
from genai_studio.engines.music import tokens as tk

ARCHITECTURE = "MelodyGRU"
METADATA_KEY = "genai_studio.melody_model"  # the one safetensors metadata entry (JSON), see melody_model
_LN2 = float(np.log(2.0))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free logistic


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    m = logits.max(-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))


@dataclass
class _Layer:
    w_ih: np.ndarray  # (in, 3H) transposed for row-vector products; gate order r, z, n as in torch
    b_ih: np.ndarray  # (3H,)
    w_hh: np.ndarray  # (H, 3H)
    b_hh: np.ndarray  # (3H,)


class MelodyRuntime:
    """A loaded MelodyGRU. Thread-safe: it holds only read-only arrays; state lives with the caller."""

    def __init__(self, tensors: dict[str, np.ndarray], config: dict, path: Path | None = None) -> None:
        t = {k: v.astype(np.float32) for k, v in tensors.items()}
        self.config = config
        self.path = path
        self.hidden = int(config["hidden"])
        w_in, self._b_in = t["in_proj.weight"], t["in_proj.bias"]
        # every input table pre-multiplied by the input projection: (V, E)
        self._tables = {name[len("inputs."):-len(".weight")]: v @ w_in.T
                        for name, v in t.items() if name.startswith("inputs.")}
        self._layers = [_Layer(t[f"gru.weight_ih_l{i}"].T.copy(), t[f"gru.bias_ih_l{i}"],
                               t[f"gru.weight_hh_l{i}"].T.copy(), t[f"gru.bias_hh_l{i}"])
                        for i in range(int(config["layers"]))]
        self._pos_w, self._pos_b = t["pos_head.weight"].T.copy(), t["pos_head.bias"]
        self._ph_w, self._ph_b, self._ph_pos = t["pitch_hidden.weight"].T.copy(), t["pitch_hidden.bias"], t["pitch_pos.weight"]
        self._po_w, self._po_b = t["pitch_out.weight"].T.copy(), t["pitch_out.bias"]
        self._dh_w, self._dh_b = t["dur_hidden.weight"].T.copy(), t["dur_hidden.bias"]
        self._dh_pos, self._dh_pitch, self._dh_meter = t["dur_pos.weight"], t["dur_pitch.weight"], t["dur_meter.weight"]
        self._do_w, self._do_b = t["dur_out.weight"].T.copy(), t["dur_out.bias"]

    # ----- loading -----
    @staticmethod
    def load(path: str | Path) -> "MelodyRuntime":
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise ModelError(f"melody model file {path} is missing")
        try:
            with safe_open(str(path), framework="numpy") as fh:
                meta = fh.metadata() or {}
                tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelError(f"{path.name} is not a readable safetensors file ({exc})") from None
        config = _check_metadata(meta, path.name)
        try:
            return MelodyRuntime(tensors, config, path)
        except KeyError as exc:
            raise ModelError(f"{path.name} lacks the tensor {exc} of a {ARCHITECTURE}") from None

    # ----- the step input -----
    def cond_vector(self, cond: np.ndarray) -> np.ndarray:
        """(E,) contribution of the conditioning (style, meter, mode) plus the projection bias."""
        return self._tables["style"][cond[0]] + self._tables["meter"][cond[1]] + self._tables["mode"][cond[2]] + self._b_in

    def step_inputs(self, feats: dict[str, np.ndarray], cond_vec: np.ndarray) -> np.ndarray:
        """(T, E) GRU inputs for (T,) features and (T, K) lookbacks (as from tokens.step_inputs)."""
        x = cond_vec + self._tables["prev_pitch"][feats["prev_pitch"]] + self._tables["prev_dur"][feats["prev_dur"]]
        x = x + self._tables["exp_pos"][feats["exp_pos"]] + self._tables["bar"][feats["bar"]]
        for k in range(len(tk.LOOKBACK_BARS)):
            x = x + self._tables[f"lb_pitch{k}"][feats["lb_pitch"][..., k]] + self._tables[f"lb_dur{k}"][feats["lb_dur"][..., k]]
        return np.maximum(x, 0.0)

    # ----- the recurrence -----
    def initial_state(self) -> list[np.ndarray]:
        return [np.zeros(self.hidden, np.float32) for _ in self._layers]

    def _cell(self, layer: _Layer, gi: np.ndarray, h: np.ndarray) -> np.ndarray:
        """One GRU step for (…, 3H) input gates and (…, H) state (one tune or a batch)."""
        hsize = self.hidden
        gh = h @ layer.w_hh + layer.b_hh
        rz = _sigmoid(gi[..., : 2 * hsize] + gh[..., : 2 * hsize])
        n = np.tanh(gi[..., 2 * hsize:] + rz[..., :hsize] * gh[..., 2 * hsize:])
        z = rz[..., hsize:]
        return (1.0 - z) * n + z * h

    def step(self, state: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
        """One event: (E,) input → new per-layer states; the top one is ``new[-1]``."""
        new = []
        inp = x
        for layer, h in zip(self._layers, state):
            inp = self._cell(layer, inp @ layer.w_ih + layer.b_ih, h)
            new.append(inp)
        return new

    def run(self, x: np.ndarray, state: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Whole sequence (T, E) → top-layer states (T, H) and the final per-layer states."""
        state = state or self.initial_state()
        final = []
        seq = x
        for layer, h in zip(self._layers, state):
            gi_all = seq @ layer.w_ih + layer.b_ih  # (T, 3H) in one product
            out = np.empty((len(seq), self.hidden), np.float32)
            for t in range(len(seq)):
                h = self._cell(layer, gi_all[t], h)
                out[t] = h
            final.append(h)
            seq = out
        return seq, final

    # ----- the three heads (any leading shape) -----
    def pos_logits(self, h: np.ndarray) -> np.ndarray:
        return h @ self._pos_w + self._pos_b

    def pitch_logits(self, h: np.ndarray, pos: np.ndarray | int) -> np.ndarray:
        z = np.maximum(h @ self._ph_w + self._ph_b + self._ph_pos[pos], 0.0)
        return z @ self._po_w + self._po_b

    def dur_logits(self, h: np.ndarray, pos: np.ndarray | int, pitch: np.ndarray | int, meter: int) -> np.ndarray:
        z = h @ self._dh_w + self._dh_b + self._dh_pos[pos] + self._dh_pitch[pitch] + self._dh_meter[meter]
        return np.maximum(z, 0.0) @ self._do_w + self._do_b

    # ----- scoring -----
    def score(self, enc: tk.EncodedTune, transpose: int = 0) -> tuple[float, int]:
        """Total bits of a tune's events (every factor, plus END) and its number of events."""
        feats = tk.step_inputs(enc, transpose)
        h, _ = self.run(self.step_inputs(feats, self.cond_vector(enc.cond)))  # (T, H)
        steps = np.arange(len(h))
        nll = -_log_softmax(self.pos_logits(h))[steps, feats["pos"]].sum()
        n = enc.n_events
        if n:
            pos, pitch = feats["pos"][:n], feats["pitch"][:n]
            nll -= _log_softmax(self.pitch_logits(h[:n], pos))[steps[:n], pitch].sum()
            nll -= _log_softmax(self.dur_logits(h[:n], pos, pitch, int(enc.cond[1])))[steps[:n], feats["dur"][:n]].sum()
        return float(nll) / _LN2, n

    def bits_per_event(self, encoded: list[tk.EncodedTune], batch: int = 64) -> float:
        """Mean bits per event over many tunes. Tunes of similar length run side by side, so the
        time loop does (B, H) @ (H, 3H) products instead of B separate matrix-vector ones."""
        total, events = 0.0, 0
        order = sorted(range(len(encoded)), key=lambda i: encoded[i].n_events)
        for start in range(0, len(order), batch):
            group = [encoded[i] for i in order[start: start + batch]]
            total += self._batch_bits(group)
            events += sum(e.n_events for e in group)
        return total / max(events, 1)

    def _batch_bits(self, group: list[tk.EncodedTune]) -> float:
        feats = [tk.step_inputs(e) for e in group]
        lengths = [len(f["pos"]) for f in feats]
        x = np.zeros((len(group), max(lengths), self._b_in.shape[0]), np.float32)  # (B, T, E)
        for i, (f, e) in enumerate(zip(feats, group)):
            x[i, : lengths[i]] = self.step_inputs(f, self.cond_vector(e.cond))
        seq = x
        for layer in self._layers:
            gi_all = seq @ layer.w_ih + layer.b_ih  # (B, T, 3H)
            h = np.zeros((len(group), self.hidden), np.float32)
            out = np.empty((len(group), x.shape[1], self.hidden), np.float32)
            for t in range(x.shape[1]):  # padded steps compute garbage that is never read
                h = self._cell(layer, gi_all[:, t], h)
                out[:, t] = h
            seq = out
        nll = 0.0
        for i, (f, e) in enumerate(zip(feats, group)):
            h = seq[i, : lengths[i]]
            steps = np.arange(lengths[i])
            nll -= _log_softmax(self.pos_logits(h))[steps, f["pos"]].sum()
            n = e.n_events
            pos, pitch = f["pos"][:n], f["pitch"][:n]
            nll -= _log_softmax(self.pitch_logits(h[:n], pos))[steps[:n], pitch].sum()
            nll -= _log_softmax(self.dur_logits(h[:n], pos, pitch, int(e.cond[1])))[steps[:n], f["dur"][:n]].sum()
        return float(nll) / _LN2


class _RuntimeCache:
    """Loaded models by (path, mtime, size): a changed file is reloaded. At most ``capacity`` kept."""

    def __init__(self, capacity: int = 2) -> None:
        self._items: OrderedDict[tuple, MelodyRuntime] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, path: Path) -> MelodyRuntime:
        stat = path.stat() if path.exists() else None
        key = (str(path.resolve()), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        model = MelodyRuntime.load(path)
        with self._lock:
            self._items[key] = model
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return model

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


MODEL_CACHE = _RuntimeCache()


def default_model_path() -> Path:
    from genai_studio.paths import BUILTIN_MODELS_DIR

    return BUILTIN_MODELS_DIR / "melody-folk.safetensors"


def load_melody_model(path: str | Path | None = None) -> MelodyRuntime:
    """The shipped (or given) melody model, loaded once per process and file version."""
    return MODEL_CACHE.get(Path(path) if path else default_model_path())


def _check_metadata(meta: dict[str, str], name: str) -> dict:
    """The model config, after checking the file is a MelodyGRU with this code's token layout."""
    try:
        description = json.loads(meta[METADATA_KEY])
    except (KeyError, ValueError):
        raise ModelError(f"{name} is not a {ARCHITECTURE} model (it has no melody-model description)") from None
    if description.get("architecture") != ARCHITECTURE:
        raise ModelError(f"{name} is not a {ARCHITECTURE} model (architecture: {description.get('architecture')})")
    if description.get("vocab") != json.loads(json.dumps(tk.vocab_signature())):
        raise ModelError(f"{name} was trained with another token layout; retrain it with `genai-studio train melody`")
    return dict(description["config"])
