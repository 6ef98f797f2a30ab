"""One tiny real job per engine family, through the same JobRunner the app's workers use.

Families that a version of the app may not have yet are found through the engine registry: when their
registry name (or a module they need) is absent the check is skipped as "not installed in this version",
so the self-test grows with the app without edits here beyond adding a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from genai_studio.selftest.context import Check, SelfTestContext, module_present
from genai_studio.selftest.result import Outcome, failed, passed, skipped, warned

FAST_UPSCALER = "realesr-animevideov3-x2"
SENTENCE = "GenAI Studio is installed and working."
HUM_RATE = 22050  # Hz
HUM_PITCHES = (57, 59)  # A3 then B3, 0.75 s each


def _test_image() -> np.ndarray:
    """(24, 32, 3) uint8: smooth gradients plus a hard-edged square, so a broken network shows."""
    yy, xx = np.mgrid[0:24, 0:32]
    rgb = np.stack([xx * 8, yy * 10, (xx + yy) * 4], axis=2).astype(np.float32)
    rgb[6:14, 10:20] = (230, 40, 40)
    return rgb.astype(np.uint8)


def job_upscale(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.jobs import UpscaleSpec
    from genai_studio.core.media import ImageBuffer

    src = _test_image()
    result = ctx.run_job(UpscaleSpec(image=ImageBuffer(src, "selftest"), model_id=FAST_UPSCALER, scale=2, tile=0))
    out = result.image.pixels
    if out.shape[:2] != (48, 64):
        return failed(f"{FAST_UPSCALER} made a {out.shape[1]}x{out.shape[0]} image from 32x24, expected 64x48")
    # Averaging each 2x2 block of the output must give back roughly the input (mean error in 0..255 levels).
    # The anime model flattens gradients into bands (~10 levels here); broken weights give 50 or more.
    back = out[..., :3].astype(np.float32).reshape(24, 2, 32, 2, 3).mean(axis=(1, 3))
    error = float(np.abs(back - src).mean())
    if not error < 25.0:
        return failed(f"{FAST_UPSCALER} output does not resemble its input (mean error {error:.1f} levels)")
    return passed(f"{FAST_UPSCALER}: 32x24 → 64x48 on {result.device} in {result.seconds:.2f} s "
                  f"(round-trip error {error:.1f} levels)")


def job_melody(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.jobs import MelodyGenerateSpec
    from genai_studio.dsp.synth import render_melody

    spec = MelodyGenerateSpec(bars=2, key="D major", meter="4/4", seed=7)
    melody = ctx.run_job(spec).melodies[0]
    if not melody.notes:
        return failed("the melody model generated no notes")
    outside = [n.pitch for n in melody.notes if not spec.low <= n.pitch <= spec.high]
    if outside or melody.duration_beats > 2 * 4 + 1e-6:
        return failed(f"generated notes break the constraints (pitches {outside}, {melody.duration_beats:g} beats "
                      "for 2 bars of 4/4)")
    audio = render_melody(melody, sample_rate=48000)
    rms = float(np.sqrt(np.mean(np.square(audio.samples))))
    if not rms > 1e-3:
        return failed(f"{len(melody.notes)} notes generated, but rendering them gave silence")
    return passed(f"{len(melody.notes)} notes in 2 bars of D major; rendered {audio.duration_s:.1f} s of audio")


def _hum_audio() -> np.ndarray:
    """(frames, 1) float32: two sung-like harmonic tones, HUM_PITCHES, with a short fade at each edge."""
    t = np.arange(int(HUM_RATE * 1.5)) / HUM_RATE
    hz = np.where(t < 0.75, 440.0 * 2 ** ((HUM_PITCHES[0] - 69) / 12), 440.0 * 2 ** ((HUM_PITCHES[1] - 69) / 12))
    phase = 2 * np.pi * np.cumsum(hz) / HUM_RATE
    wave = 0.3 * np.sin(phase) + 0.1 * np.sin(2 * phase)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    return (wave * fade).astype(np.float32)[:, None]


def job_hum(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.jobs import HumSpec
    from genai_studio.core.media import AudioBuffer

    result = ctx.run_job(HumSpec(audio=AudioBuffer(_hum_audio(), HUM_RATE, "selftest hum"), tempo_bpm=120))
    pitches = [n.pitch for n in sorted(result.melodies[0].notes, key=lambda n: n.start)]
    if pitches != list(HUM_PITCHES):
        return failed(f"two hummed notes {list(HUM_PITCHES)} came back as {pitches}")
    return passed(f"two hummed notes transcribed exactly ({pitches}) in {result.seconds:.2f} s")


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def job_speak(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.voice_jobs import SpeakSpec

    result = ctx.run_job(SpeakSpec(text=SENTENCE))
    audio = result.audio
    if not 0.8 <= audio.duration_s <= 15 or not np.isfinite(audio.samples).all() or _rms(audio.samples) < 0.01:
        return failed(f"speaking one sentence gave {audio.duration_s:.2f} s of audio at RMS {_rms(audio.samples):.4f}")
    ctx.artifacts["speech"] = audio
    return passed(f"one sentence → {audio.duration_s:.1f} s at {audio.sample_rate} Hz in {result.seconds:.2f} s")


def _voice_source(ctx: SelfTestContext):
    """The speech the speak check made, else a 1 s harmonic tone at 150 Hz (mono, 22.05 kHz)."""
    from genai_studio.core.media import AudioBuffer

    speech = ctx.artifacts.get("speech")
    if speech is not None:
        return speech
    t = np.arange(22050) / 22050
    tone = sum(0.2 / k * np.sin(2 * np.pi * 150 * k * t) for k in range(1, 6))
    return AudioBuffer(tone.astype(np.float32)[:, None], 22050, "selftest tone")


def job_transform(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.voice_jobs import VoiceTransformSpec

    source = _voice_source(ctx)
    out = ctx.run_job(VoiceTransformSpec(audio=source, pitch_semitones=12.0)).audio
    if abs(out.frames - source.frames) > 0.05 * source.frames or not np.isfinite(out.samples).all():
        return failed(f"an octave up changed the length from {source.frames} to {out.frames} frames")
    if _rms(out.samples) < 0.1 * _rms(source.samples):
        return failed("an octave up came back (almost) silent")
    return passed(f"{source.name}: one octave up, {out.duration_s:.1f} s")


def job_denoise(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.media import AudioBuffer
    from genai_studio.core.voice_jobs import DENOISE_METHODS, VoiceDenoiseSpec

    source = _voice_source(ctx)
    noise = np.random.default_rng(0).normal(0.0, 0.5 * _rms(source.samples), source.samples.shape)
    noisy = AudioBuffer((source.samples + noise).astype(np.float32), source.sample_rate, "selftest noisy")
    done = []
    for method in DENOISE_METHODS:
        out = ctx.run_job(VoiceDenoiseSpec(audio=noisy, method=method)).audio
        if not np.isfinite(out.samples).all() or abs(out.duration_s - noisy.duration_s) > 0.05 * noisy.duration_s:
            return failed(f"{method}: {noisy.duration_s:.2f} s in, {out.duration_s:.2f} s out")
        if not _rms(out.samples) < _rms(noisy.samples):
            return failed(f"{method} removed nothing from speech with white noise at 6 dB SNR")
        done.append(f"{method} {20 * np.log10(_rms(noisy.samples) / _rms(out.samples)):.1f} dB quieter")
    return passed(f"{source.name} + white noise: {', '.join(done)}")


def job_sing(ctx: SelfTestContext) -> Outcome:
    from genai_studio.core.music import Melody, Note
    from genai_studio.core.voice_jobs import SingSpec

    melody = Melody(notes=(Note(60, 0.0, 1.0), Note(62, 1.0, 1.0)), tempo_bpm=120, name="selftest")
    out = ctx.run_job(SingSpec(melody=melody, lyrics="la la")).audio
    if not 0.5 <= out.duration_s <= 3.0 or _rms(out.samples) < 0.005 or not np.isfinite(out.samples).all():
        return failed(f"singing two notes (1 s) gave {out.duration_s:.2f} s at RMS {_rms(out.samples):.4f}")
    return passed(f"two notes sung, {out.duration_s:.1f} s")


def job_restore(ctx: SelfTestContext) -> Outcome:
    """Denoise a noisy test image with the default denoiser (the trained model, or non-local means) and fill
    a hole with the default inpainting; both must move the image towards the clean original."""
    from genai_studio.core.media import ImageBuffer
    from genai_studio.core.restore_jobs import RestoreSpec

    clean = _test_image().astype(np.float32) / 255.0
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.1, clean.shape), 0, 1)
    result = ctx.run_job(RestoreSpec(image=ImageBuffer.from_float(noisy, name="selftest"), task="denoise", tile=0))
    before = float(np.abs(noisy - clean).mean())
    after = float(np.abs(result.image.to_float() - clean).mean())
    if not after < before:
        return failed(f"denoise made the test image worse (mean error {before:.3f} → {after:.3f})")
    holed, mask = clean.copy(), np.zeros(clean.shape[:2], dtype=np.uint8)
    holed[2:5, 2:8], mask[2:5, 2:8] = 0.0, 255  # a hole in the smooth gradient area
    filled = ctx.run_job(RestoreSpec(image=ImageBuffer.from_float(holed), task="inpaint", mask=mask, tile=0))
    gap = float(np.abs(filled.image.to_float()[2:5, 2:8] - clean[2:5, 2:8]).mean())
    if not gap < 0.1:
        return failed(f"inpainting left the hole far from its surroundings (mean error {gap:.3f})")
    how = "; ".join(result.notes) or "model"
    return passed(f"denoise error {before:.3f} → {after:.3f} ({how}); hole filled to within {gap:.3f}")


def job_style(ctx: SelfTestContext) -> Outcome:
    """A named style and a style image on the test image: both must change it, and differently."""
    from genai_studio.core.art_jobs import StyleSpec
    from genai_studio.core.media import ImageBuffer

    src = ImageBuffer(_test_image(), "selftest")
    named = ctx.run_job(StyleSpec(image=src, style="starry-swirls"))
    styled = ctx.run_job(StyleSpec(image=src, style_image=ImageBuffer(255 - _test_image(), "selftest style")))
    outs = [r.image.pixels.astype(np.float32) for r in (named, styled)]
    moved = [float(np.abs(o - src.pixels).mean()) for o in outs]
    if any(o.shape != src.pixels.shape for o in outs):
        return failed(f"style transfer changed the image size from 32x24 to {outs[0].shape[1]}x{outs[0].shape[0]}")
    if not min(moved) > 3.0 or not float(np.abs(outs[0] - outs[1]).mean()) > 1.0:
        return failed(f"style transfer barely changed the test image (mean change {moved[0]:.1f} and {moved[1]:.1f} "
                      "levels) or both styles gave the same picture")
    return passed(f"named style and style image on {named.device} in {named.seconds + styled.seconds:.2f} s "
                  f"(mean change {moved[0]:.0f} and {moved[1]:.0f} levels)")


def job_generate(ctx: SelfTestContext) -> Outcome:
    """Two prompts, one seed, through the shipped emoji generator: 64x64 images that differ by prompt."""
    from genai_studio.core.art_generate_jobs import GenerateSpec

    cat = ctx.run_job(GenerateSpec(prompt="cat", count=2, seed=3))
    rocket = ctx.run_job(GenerateSpec(prompt="rocket zzqx", count=2, seed=3))
    shapes = {im.pixels.shape for r in (cat, rocket) for im in r.images}
    if shapes != {(64, 64, 3)} or len(cat.images) != 2:
        return failed(f"the generator made {len(cat.images)} images of shapes {sorted(shapes)}, expected 2 of 64x64")
    a, b = (np.stack([im.pixels for im in r.images]).astype(np.float32) for r in (cat, rocket))
    differ = float(np.abs(a - b).mean())
    if not differ > 1.0:
        return failed(f"the prompt does not change the generated images (mean difference {differ:.2f} levels)")
    if rocket.unknown_words != ("zzqx",):
        return failed(f"the unknown prompt word was not reported (got {rocket.unknown_words})")
    return passed(f"2+2 images on {cat.device} in {cat.seconds + rocket.seconds:.2f} s "
                  f"(prompts differ by {differ:.0f} levels)")


@dataclass(frozen=True)
class EngineFamily:
    key: str  # check name "engine.<key>"
    title: str
    registry_name: str  # the engine registry entry the family needs
    job: Callable[[SelfTestContext], Outcome] | None  # None: known family without a self-test job yet
    modules: tuple[str, ...] = ()  # modules the job imports besides the registry target
    always_present: bool = False  # the core families: absent means a broken install, not an older version


FAMILIES: tuple[EngineFamily, ...] = (
    EngineFamily("upscale", "upscale (Real-ESRGAN)", "upscale.run", job_upscale, always_present=True),
    EngineFamily("melody", "melody generate + render", "melody.generate", job_melody, always_present=True),
    EngineFamily("hum", "hum to MIDI (basic-pitch)", "melody.hum", job_hum, always_present=True),
    EngineFamily("speak", "speak (Piper TTS)", "voice.speak", job_speak,
                 ("genai_studio.core.voice_jobs", "genai_studio.engines.voice.tts")),
    EngineFamily("voice_transform", "voice transform (WORLD)", "voice.transform", job_transform,
                 ("genai_studio.core.voice_jobs", "genai_studio.engines.voice.transform")),
    EngineFamily("denoise", "speech denoise (DeepFilterNet, RNNoise)", "voice.denoise", job_denoise,
                 ("genai_studio.core.voice_jobs", "genai_studio.engines.voice.denoise")),
    EngineFamily("sing", "sing (Piper + WORLD)", "voice.sing", job_sing,
                 ("genai_studio.core.voice_jobs", "genai_studio.engines.voice.sing")),
    EngineFamily("restore", "restore (denoise, inpaint)", "restore.run", job_restore,
                 ("genai_studio.core.restore_jobs", "genai_studio.engines.restore.restore_run")),
    EngineFamily("style", "style transfer (26 styles)", "art.style", job_style,
                 ("genai_studio.core.art_jobs", "genai_studio.engines.art.style_models")),
    EngineFamily("generate", "generate (art)", "art.generate", job_generate,
                 ("genai_studio.core.art_generate_jobs", "genai_studio.engines.art.vae_model")),
)


def run_family(ctx: SelfTestContext, family: EngineFamily) -> Outcome:
    from genai_studio.engines import registry

    if family.registry_name not in registry.ENGINES:
        if family.always_present:
            return failed(f"the engine registry has no '{family.registry_name}'; reinstall the app")
        return skipped("not installed in this version")
    target_module = registry.target(family.registry_name).partition(":")[0]
    missing = [m for m in (target_module, *family.modules) if not module_present(m)]
    if missing:
        if family.always_present:
            return failed(f"{', '.join(missing)} missing from the installation; reinstall the app")
        return skipped(f"not installed in this version ({', '.join(missing)} absent)")
    if family.job is None:
        return warned(f"engine '{family.registry_name}' is installed but this self-test has no job for it yet")
    return family.job(ctx)


ENGINE_CHECKS = tuple(
    Check(f"engine.{f.key}", f.title, lambda ctx, family=f: run_family(ctx, family)) for f in FAMILIES
)
