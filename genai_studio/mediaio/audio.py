"""Audio file reading, writing and resampling (WAV, FLAC, OGG/Vorbis through libsndfile).

Every failure a user can cause (missing, empty, truncated, unsupported or absurdly long files) is raised as
``BadInput`` with one sentence that names the file and says what is wrong. No Qt, no torch.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.mediaio.atomic import atomic_writer

# Extension -> (libsndfile container, subtype we write). 24-bit PCM keeps exports lossless enough for
# mastering without the size of float WAV; Vorbis is the only codec libsndfile writes into OGG for music.
_WRITE_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
}
SUPPORTED_AUDIO_EXTENSIONS: tuple[str, ...] = tuple(_WRITE_FORMATS)
SUPPORTED_FORMATS_TEXT = "WAV, FLAC and OGG Vorbis"
AUDIO_FILE_FILTER = (
    "Audio files (*.wav *.flac *.ogg *.oga);;WAV (*.wav);;FLAC (*.flac);;OGG Vorbis (*.ogg *.oga);;All files (*)"
)

MAX_DURATION_S = 2 * 60 * 60
# Decoded float32 size cap: 2 h of 48 kHz stereo is ~2.8 GB; beyond ~3 GiB the app would thrash instead.
MAX_DECODED_BYTES = 3 * 1024**3
_READ_BLOCK_FRAMES = 1 << 16
_WAV_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # what streaming writers put in the data chunk size when the length is not yet known
# Some writers overstate the data size by a few bytes; only a real cut-off (more than this) is refused.
_WAV_SLACK_BYTES = 4096


def is_supported_audio_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_AUDIO_EXTENSIONS


def format_duration(seconds: float) -> str:
    """'1 h 05 min', '3 min 07 s' or '12.5 s' for messages."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def load_audio(path: str | os.PathLike[str]) -> AudioBuffer:
    """Decode a WAV/FLAC/OGG file to float32 (frames, channels) at the file's own sample rate."""
    p = Path(path)
    name = p.name or str(p)
    _check_path(p, name)
    try:
        info = sf.info(str(p))
    except (sf.SoundFileError, RuntimeError) as exc:
        raise BadInput(f"'{name}' cannot be read as audio: the file is corrupt, truncated or not really "
                       f"{p.suffix.lstrip('.').upper()} ({_short(exc)}).") from exc
    if info.samplerate <= 0 or info.channels <= 0:
        raise BadInput(f"'{name}' has an invalid header (sample rate {info.samplerate} Hz, "
                       f"{info.channels} channels).")
    if info.frames <= 0:
        raise BadInput(f"'{name}' contains no decodable audio; the file is probably truncated or corrupt.")
    duration = info.frames / info.samplerate
    if duration > MAX_DURATION_S:
        raise BadInput(f"'{name}' is {format_duration(duration)} long; the timeline accepts audio up to "
                       f"{format_duration(MAX_DURATION_S)}. Split it into shorter files first.")
    if info.frames * info.channels * 4 > MAX_DECODED_BYTES:
        gib = info.frames * info.channels * 4 / 1024**3
        raise BadInput(f"'{name}' would need {gib:.1f} GiB of memory once decoded ({info.channels} channels at "
                       f"{info.samplerate} Hz); the limit is {MAX_DECODED_BYTES / 1024**3:.0f} GiB.")
    if info.format == "WAV":
        _check_wav_not_truncated(p, name, info)
    samples = _decode(p, name, info)
    if not np.isfinite(samples).all():
        # Float WAVs can carry NaN/inf from buggy writers; they would poison every later mix.
        samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    return AudioBuffer(samples, int(info.samplerate), name=p.stem or name)


def _check_path(p: Path, name: str) -> None:
    if not p.exists():
        raise BadInput(f"'{name}' does not exist (looked for {p}).")
    if p.is_dir():
        raise BadInput(f"'{name}' is a folder, not an audio file.")
    ext = p.suffix.lower()
    if ext not in SUPPORTED_AUDIO_EXTENSIONS:
        kind = f"{ext} files are" if ext else "files without an extension are"
        raise BadInput(f"'{name}' cannot be imported: {kind} not supported; supported audio formats are "
                       f"{SUPPORTED_FORMATS_TEXT} (.wav, .flac, .ogg).")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise BadInput(f"'{name}' cannot be opened: {exc.strerror or exc}.") from exc
    if size == 0:
        raise BadInput(f"'{name}' is empty (0 bytes).")
    if not os.access(p, os.R_OK):
        raise BadInput(f"'{name}' cannot be opened: permission denied.")


def _decode(p: Path, name: str, info: sf._SoundFileInfo) -> np.ndarray:
    """Read block by block so a decoder error mid-file is caught and a short read is noticed."""
    out = np.empty((info.frames, info.channels), dtype=np.float32)  # (frames, channels)
    done = 0
    try:
        with sf.SoundFile(str(p)) as f:
            while done < info.frames:
                block = f.read(min(_READ_BLOCK_FRAMES, info.frames - done), dtype="float32", always_2d=True)
                if len(block) == 0:
                    break
                out[done:done + len(block)] = block
                done += len(block)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise BadInput(f"'{name}' is truncated or corrupt: decoding stopped after "
                       f"{format_duration(done / info.samplerate)} ({_short(exc)}).") from exc
    if done < info.frames:
        raise BadInput(f"'{name}' is truncated: its header promises {format_duration(info.frames / info.samplerate)} "
                       f"but only {format_duration(done / info.samplerate)} could be decoded.")
    return out


def _check_wav_not_truncated(p: Path, name: str, info: sf._SoundFileInfo) -> None:
    """libsndfile silently shortens a cut-off WAV; compare the data chunk's declared size with the file."""
    try:
        with open(p, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
                return  # RF64/W64 and other variants: trust libsndfile
            endian = "<" if head[:4] == b"RIFF" else ">"
            file_size = p.stat().st_size
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return
                cid, size = chunk[:4], struct.unpack(endian + "I", chunk[4:])[0]
                if cid == b"data":
                    if size in _WAV_UNKNOWN_SIZES:
                        return
                    available = file_size - f.tell()
                    if size - available > _WAV_SLACK_BYTES:
                        # libsndfile's frame count covers only the bytes present; scale it to the promise.
                        promised_s = info.frames / info.samplerate * size / max(1, available)
                        raise BadInput(
                            f"'{name}' is truncated: its header promises {format_duration(promised_s)} of audio "
                            f"but the file holds only {format_duration(info.frames / info.samplerate)}.")
                    return
                f.seek(size + (size & 1), os.SEEK_CUR)  # chunks are word-aligned
    except OSError:
        return


MAX_VORBIS_RATE = 192_000  # Hz


def save_audio(audio: AudioBuffer, path: str | os.PathLike[str]) -> Path:
    """Write WAV (24-bit), FLAC (24-bit) or OGG Vorbis by extension, atomically (temp file, fsync, rename)."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in _WRITE_FORMATS:
        raise BadInput(f"Cannot save '{p.name}': choose a .wav, .flac or .ogg file name ({SUPPORTED_FORMATS_TEXT}).")
    container, subtype = _WRITE_FORMATS[ext]
    if audio.frames == 0:
        raise BadInput(f"Cannot save '{p.name}': there is no audio to write.")
    if container == "OGG" and audio.sample_rate > MAX_VORBIS_RATE:  # libvorbis crashes the process above ~200k
        raise BadInput(f"Cannot save '{p.name}': OGG Vorbis holds at most {MAX_VORBIS_RATE // 1000} kHz audio, this "
                       f"is {audio.sample_rate / 1000:g} kHz; save it as .wav or .flac.")
    # Integer PCM and Vorbis wrap or distort outside [-1, 1]; clip here, where the loss is deliberate.
    samples = np.clip(audio.samples, -1.0, 1.0)
    try:
        with atomic_writer(p) as raw:
            with sf.SoundFile(raw, "w", samplerate=audio.sample_rate, channels=audio.channels,
                              format=container, subtype=subtype) as f:
                # Blocks keep libsndfile's Vorbis encoder from choking on one huge write.
                for i in range(0, len(samples), _READ_BLOCK_FRAMES):
                    f.write(samples[i:i + _READ_BLOCK_FRAMES])
    except (sf.SoundFileError, RuntimeError) as exc:
        raise BadInput(f"Cannot save '{p.name}': {_short(exc)}.") from exc
    return p


def _short(exc: BaseException) -> str:
    """libsndfile's reason without the repeated path, 'Error : ' prefix or final period."""
    text = str(exc).strip()
    if text.startswith("Error opening") and ": " in text:
        text = text.split(": ", 1)[1]
    if text.startswith("Error : "):
        text = text[len("Error : "):]
    return text.rstrip(".") or type(exc).__name__


def resample(samples: np.ndarray, from_rate: int, to_rate: int, half_taps: int = 16) -> np.ndarray:
    """Band-limited resampling of (frames, channels) float32 by windowed-sinc interpolation.

    Each output frame is a Blackman-windowed sinc over ``2 * half_taps`` input frames (more when
    downsampling); the cutoff drops to the output Nyquist when downsampling, so nothing aliases.
    Common rate pairs (44.1k/48k/22.05k/...) take a polyphase fast path; any other pair works too.
    """
    if from_rate == to_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    g = math.gcd(int(from_rate), int(to_rate))
    up, down = to_rate // g, from_rate // g  # output frame n sits at input position n * down / up
    cutoff = min(1.0, to_rate / from_rate)  # relative to the input Nyquist
    pad = half_taps * max(1, math.ceil(from_rate / to_rate))  # window support in input frames
    offsets = np.arange(-pad + 1, pad + 1)  # (K,) taps relative to floor(position)
    src = np.pad(samples.astype(np.float32, copy=False), ((pad, pad + down + 1), (0, 0)))
    n_out = int(round(len(samples) * to_rate / from_rate))
    if n_out == 0:  # e.g. one frame at 96 kHz → 48 kHz
        return np.zeros((0, samples.shape[1]), dtype=np.float32)
    if up <= _MAX_PHASES:
        return _resample_polyphase(src, n_out, up, down, offsets, pad, cutoff, half_taps)
    return _resample_direct(src, n_out, from_rate / to_rate, offsets, pad, cutoff, half_taps)


_MAX_PHASES = 1024


def _kernel(dist: np.ndarray, cutoff: float, half_taps: int) -> np.ndarray:
    """Blackman-windowed sinc at ``dist`` input frames (..., K), rows normalised to unity DC gain."""
    x = dist * cutoff
    w = np.where(np.abs(x) < half_taps,
                 0.42 + 0.5 * np.cos(np.pi * x / half_taps) + 0.08 * np.cos(2 * np.pi * x / half_taps), 0.0)
    k = np.sinc(x) * w
    return (k / k.sum(axis=-1, keepdims=True)).astype(np.float32)


def _resample_polyphase(src: np.ndarray, n_out: int, up: int, down: int, offsets: np.ndarray, pad: int,
                        cutoff: float, half_taps: int) -> np.ndarray:
    """Block form of polyphase filtering, so BLAS does the work.

    Output block j (``up`` frames) depends only on input frames [j*down, j*down + down + 2*pad) of ``src``
    (already padded by ``pad`` in front): y_block = H @ window, with H (up, down + 2*pad) holding the kernel
    of each phase at its offset.
    """
    width = down + 2 * pad
    H = np.zeros((up, width), dtype=np.float32)
    for r in range(up):
        base, phase = divmod(r * down, up)
        H[r, base + offsets + pad] = _kernel(offsets - phase / up, cutoff, half_taps)
    n_blocks = -(-n_out // up)
    need = (n_blocks - 1) * down + width
    if len(src) < need:
        src = np.pad(src, ((0, need - len(src)), (0, 0)))
    out = np.empty((n_blocks * up, src.shape[1]), dtype=np.float32)
    step = max(1, (1 << 22) // width)  # blocks per chunk: ~16 MB of windows
    for c in range(src.shape[1]):
        x = np.ascontiguousarray(src[:need, c])
        windows = np.lib.stride_tricks.sliding_window_view(x, width)[::down]  # (n_blocks, width) view
        for b in range(0, n_blocks, step):
            block = np.ascontiguousarray(windows[b:b + step])
            out[b * up:(b + len(block)) * up, c] = (block @ H.T).reshape(-1)  # (n, up) -> frames
    return out[:n_out]


def _resample_direct(src: np.ndarray, n_out: int, ratio: float, offsets: np.ndarray, pad: int,
                     cutoff: float, half_taps: int) -> np.ndarray:
    """General path for rate pairs with many phases: a kernel per output frame, in bounded chunks."""
    out = np.empty((n_out, src.shape[1]), dtype=np.float32)
    chunk = max(1, (1 << 21) // len(offsets))  # keeps the (chunk, K) temporaries near 16 MB
    for start in range(0, n_out, chunk):
        t = np.arange(start, min(n_out, start + chunk), dtype=np.float64) * ratio  # (n,) input position
        base = np.floor(t).astype(np.int64)
        idx = base[:, None] + offsets[None, :]  # (n, K)
        kernel = _kernel(idx - t[:, None], cutoff, half_taps)
        out[start:start + len(t)] = np.einsum("nk,nkc->nc", kernel, src[idx + pad])
    return out
