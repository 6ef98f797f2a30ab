"""The .gstudio project file: exact round trips, schema migration, and every kind of bad file or failed save."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genai_studio.core.errors import BadInput, DiskFull
from genai_studio.core.media import AudioBuffer, ImageBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.core.project import (
    LAYER_KINDS, SCHEMA_VERSION, ClipDoc, LayerDoc, MidiClipDoc, ProjectDoc, TimelineDoc, TrackDoc,
)
from genai_studio.mediaio import atomic as atomic_module
from genai_studio.mediaio import project_file
from genai_studio.mediaio.images import encode_image
from genai_studio.mediaio.project_file import load_project, read_project_info, save_project

# ------------------------------------------------------------------------------------------------ helpers


def image(h: int, w: int, channels: int = 4, dtype=np.uint8, seed: int = 0, gray: bool = False) -> ImageBuffer:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, np.iinfo(dtype).max + 1, (h, w, channels), dtype=dtype)
    if gray:  # equal R, G and B: stored as a gray PNG, must still come back as RGB(A)
        pixels[..., 1] = pixels[..., 0]
        pixels[..., 2] = pixels[..., 0]
    return ImageBuffer(pixels, name=f"img-{seed}")


def audio(frames: int, channels: int = 2, rate: int = 48000, seed: int = 0) -> AudioBuffer:
    rng = np.random.default_rng(seed)
    return AudioBuffer((rng.standard_normal((frames, channels)) * 0.7).astype(np.float32), rate, name=f"snd-{seed}")


def small_doc() -> ProjectDoc:
    layers = (
        LayerDoc(1, "Background", image(6, 5, 3, seed=1)),
        LayerDoc(2, "Upscaled ×4", image(12, 10, 4, np.uint16, seed=2), "result", False, 1,
                 {"type": "UpscaleSpec", "scale": 4, "model_id": "realesrgan-x4plus"}),
        LayerDoc(3, "Mask", image(6, 5, 4, seed=3, gray=True), "mask"),
    )
    tracks = (
        TrackDoc("track-a", "Drums", (ClipDoc("clip-1", "Kick", audio(800, 2, 48000, 1), 0.5),
                                      ClipDoc("clip-2", "Snare", audio(300, 1, 22050, 2), 2.25)), False, 0.8),
        TrackDoc("track-b", "Voix", (ClipDoc("clip-3", "Chant", audio(1000, 1, 44100, 3), 0.0),), True, 1.0),
    )
    timeline = TimelineDoc(tracks, 44100, 96.5, "A minor", "3/4", 1.25)
    return ProjectDoc(layers, 2, timeline, {"app_version": "0.1.0", "title": "Mon été"})


def assert_same_doc(a: ProjectDoc, b: ProjectDoc) -> None:
    assert len(a.layers) == len(b.layers)
    for x, y in zip(a.layers, b.layers):
        assert (x.id, x.name, x.kind, x.visible, x.source_id, x.spec) == (y.id, y.name, y.kind, y.visible,
                                                                          y.source_id, y.spec)
        assert x.image.name == y.image.name
        assert x.image.pixels.dtype == y.image.pixels.dtype
        assert x.image.pixels.shape == y.image.pixels.shape
        assert np.array_equal(x.image.pixels, y.image.pixels)
    assert a.active_layer_id == b.active_layer_id
    assert a.metadata == b.metadata
    ta, tb = a.timeline, b.timeline
    assert (ta.sample_rate, ta.tempo_bpm, ta.key, ta.time_signature, ta.playhead_s) == (
        tb.sample_rate, tb.tempo_bpm, tb.key, tb.time_signature, tb.playhead_s)
    assert len(ta.tracks) == len(tb.tracks)
    for s, t in zip(ta.tracks, tb.tracks):
        assert (s.id, s.name, s.muted, s.gain, len(s.clips)) == (t.id, t.name, t.muted, t.gain, len(t.clips))
        for c, d in zip(s.clips, t.clips):
            assert type(c) is type(d)
            if isinstance(c, MidiClipDoc):
                assert_same_midi_clip(c, d)
                continue
            assert (c.id, c.name, c.start_s, c.audio.name) == (d.id, d.name, d.start_s, d.audio.name)
            assert c.audio.sample_rate == d.audio.sample_rate
            assert c.audio.samples.dtype == d.audio.samples.dtype == np.float32
            assert c.audio.samples.shape == d.audio.samples.shape
            assert np.array_equal(c.audio.samples, d.audio.samples)


def assert_same_midi_clip(c: MidiClipDoc, d: MidiClipDoc) -> None:
    """Names, key, meter, program and tempo exactly; notes with exact pitch and velocity and times to the
    MIDI tick (RESOLUTION per beat: a start moves by at most half a tick, a length by one tick), in any
    order (MIDI sorts them by time)."""
    from genai_studio.mediaio.midi import RESOLUTION

    a, b = c.melody, d.melody
    assert (c.id, c.name, c.start_s) == (d.id, d.name, d.start_s)
    assert (a.name, a.key, a.time_signature, a.program, a.tempo_bpm) == (
        b.name, b.key, b.time_signature, b.program, b.tempo_bpm)
    assert len(a.notes) == len(b.notes)
    by_pitch = lambda n: (n.pitch, n.start)  # noqa: E731 — notes of one pitch never overlap in these tests
    for x, y in zip(sorted(a.notes, key=by_pitch), sorted(b.notes, key=by_pitch)):
        assert (x.pitch, x.velocity) == (y.pitch, y.velocity)
        assert abs(x.start - y.start) <= 0.5 / RESOLUTION + 1e-9
        assert abs(x.duration - y.duration) <= 1.0 / RESOLUTION + 1e-9
        if x.start * RESOLUTION == round(x.start * RESOLUTION):  # times on the tick grid come back exactly
            assert x.start == y.start


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def wav_bytes(buf: AudioBuffer) -> bytes:
    out = io.BytesIO()
    sf.write(out, buf.samples, buf.sample_rate, format="WAV", subtype="FLOAT")
    return out.getvalue()


def v2_json(**changes) -> dict:
    data = {
        "schema_version": SCHEMA_VERSION, "app_version": "0.1.0", "metadata": {},
        "layers": [{"id": 3, "name": "L", "kind": "image", "visible": True, "source_id": None, "spec": None,
                    "asset": "layers/3.png"}],
        "active_layer_id": 3,
        "timeline": {"sample_rate": 48000, "tempo_bpm": 120.0, "key": "C major", "time_signature": "4/4",
                     "playhead_s": 0.0,
                     "tracks": [{"id": "t1", "name": "T", "muted": False, "gain": 1.0,
                                 "clips": [{"id": "c1", "name": "C", "start_s": 0.0, "asset": "audio/c1.wav"}]}]},
    }
    data.update(changes)
    return data


def hand_made(path: Path, data: dict, assets: dict[str, bytes | None] | None = None) -> Path:
    """A project zip with the given project.json and good assets for v2_json(); ``assets`` replaces
    (or, with None, drops) some of them."""
    entries: dict[str, bytes | None] = {"project.json": json.dumps(data).encode(),
                                        "layers/3.png": encode_image(image(4, 4, seed=9), "PNG"),
                                        "audio/c1.wav": wav_bytes(audio(100, 1, 8000))}
    entries.update(assets or {})
    return write_zip(path, {k: v for k, v in entries.items() if v is not None})


def raw_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def untouched(path: Path):
    """The file's bytes and its folder's listing are identical after the block."""
    before = path.read_bytes() if path.exists() else None
    listing = sorted(os.listdir(path.parent))
    yield
    assert (path.read_bytes() if path.exists() else None) == before
    assert sorted(os.listdir(path.parent)) == listing  # no temp files left beside it


# ----------------------------------------------------------------------------------- property round trip

_json_leaf = (st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
              | st.floats(allow_nan=False, allow_infinity=False))
_json = st.recursive(_json_leaf, lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=8)
_json_dict = st.dictionaries(st.text(max_size=10), _json, max_size=4)
_ids = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,11}", fullmatch=True)


@st.composite
def _images(draw) -> ImageBuffer:
    return image(draw(st.integers(1, 24)), draw(st.integers(1, 24)), draw(st.sampled_from([3, 4])),
                 draw(st.sampled_from([np.uint8, np.uint16])), draw(st.integers(0, 2**32 - 1)), draw(st.booleans()))


@st.composite
def _layers(draw) -> tuple[LayerDoc, ...]:
    ids = draw(st.lists(st.integers(0, 10**6), unique=True, max_size=4))
    return tuple(
        LayerDoc(i, draw(st.text(max_size=16)), draw(_images()), draw(st.sampled_from(LAYER_KINDS)),
                 draw(st.booleans()),
                 draw(st.none() | st.integers(0, 10**6)), draw(st.none() | _json_dict))
        for i in ids
    )


@st.composite
def _melodies(draw, tempo: float) -> Melody:
    """Notes on a 1/960-beat tick grid (what MIDI stores) or anywhere, never two of one pitch overlapping
    (MIDI could not tell which note-off ends which)."""
    notes: list[Note] = []
    for _ in range(draw(st.integers(0, 12))):
        start = draw(st.integers(0, 64 * 480)) / 480 if draw(st.booleans()) else draw(st.floats(0, 64))
        duration = draw(st.integers(4, 8 * 480)) / 480
        note = Note(draw(st.integers(0, 127)), start, duration, draw(st.integers(1, 127)))
        if all(n.pitch != note.pitch or n.end + 0.01 < note.start or note.end + 0.01 < n.start for n in notes):
            notes.append(note)
    return Melody(tuple(notes), tempo, draw(st.sampled_from(["C major", "E minor", "D dorian", "Bb mixolydian"])),
                  draw(st.sampled_from(["4/4", "3/4", "6/8"])), draw(st.text(max_size=12)), draw(st.integers(0, 127)))


@st.composite
def _tracks(draw, tempo: float) -> tuple[TrackDoc, ...]:
    # A counter suffix keeps ids unique (clip ids across all tracks) without hypothesis retrying draws.
    track_ids = [f"{draw(_ids)}-{n}" for n in range(draw(st.integers(0, 3)))]
    clip_ids = iter(f"{draw(_ids)}.{n}" for n in range(9))
    finite = dict(allow_nan=False, allow_infinity=False)
    tracks = []
    for tid in track_ids:
        clips = tuple(
            MidiClipDoc(next(clip_ids), draw(st.text(max_size=12)), draw(_melodies(tempo)),
                        draw(st.floats(0, 1e6, **finite)))
            if 10 <= tempo <= 400 and draw(st.booleans()) else
            ClipDoc(next(clip_ids), draw(st.text(max_size=12)),
                    audio(draw(st.integers(1, 4000)), draw(st.integers(1, 2)),
                          draw(st.sampled_from([8000, 22050, 44100, 48000])), draw(st.integers(0, 2**32 - 1))),
                    draw(st.floats(0, 1e6, **finite)))
            for _ in range(draw(st.integers(0, 3)))
        )
        tracks.append(TrackDoc(tid, draw(st.text(max_size=12)), clips, draw(st.booleans()),
                               draw(st.floats(0, 16, **finite))))
    return tuple(tracks)


@st.composite
def _docs(draw) -> ProjectDoc:
    layers = draw(_layers())
    active = draw(st.none() | st.sampled_from([l.id for l in layers])) if layers else None
    finite = dict(allow_nan=False, allow_infinity=False)
    tempo = draw(st.floats(1, 1000, **finite))  # MIDI clips only at 10..400 BPM (core.project.MIDI_TEMPO_RANGE)
    timeline = TimelineDoc(draw(_tracks(tempo)), draw(st.sampled_from([8000, 22050, 44100, 48000, 96000])),
                           tempo, draw(st.text(max_size=12)),
                           draw(st.sampled_from(["4/4", "3/4", "6/8", "7/8"])), draw(st.floats(0, 1e5, **finite)))
    return ProjectDoc(layers, active, timeline, draw(_json_dict))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=_docs())
def test_round_trip_preserves_every_field_pixel_and_sample(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.gstudio"
        save_project(doc, path)
        assert_same_doc(doc, load_project(path))
        info = read_project_info(path)
        assert info["layer_count"] == len(doc.layers)
        assert info["clip_count"] == sum(len(t.clips) for t in doc.timeline.tracks)
        midi = [c for t in doc.timeline.tracks for c in t.clips if isinstance(c, MidiClipDoc)]
        assert info["midi_clip_count"] == len(midi)
        assert [c["notes"] for t in info["tracks"] for c in t["clips"] if c["type"] == "midi"] == [
            len(c.melody.notes) for c in midi]
        assert os.listdir(folder) == ["p.gstudio"]


def test_zip_layout_and_compression(tmp_path):
    path = tmp_path / "p.gstudio"
    save_project(small_doc(), path)
    with zipfile.ZipFile(path) as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
        data = json.loads(zf.read("project.json").decode("utf-8"))
    assert kinds["project.json"] == zipfile.ZIP_DEFLATED
    assert kinds["layers/1.png"] == kinds["layers/2.png"] == zipfile.ZIP_STORED
    assert set(kinds) == {"project.json", "layers/1.png", "layers/2.png", "layers/3.png",
                          "audio/clip-1.wav", "audio/clip-2.wav", "audio/clip-3.wav"}
    assert data["schema_version"] == SCHEMA_VERSION and data["app_version"]
    assert data["layers"][1]["asset"] == "layers/2.png"
    assert data["timeline"]["tracks"][0]["clips"][0]["asset"] == "audio/clip-1.wav"
    with zipfile.ZipFile(path) as zf:
        assert sf.info(io.BytesIO(zf.read("audio/clip-1.wav"))).subtype == "FLOAT"


def test_unicode_and_spaces_in_path(tmp_path):
    folder = tmp_path / "Mes projets été"
    folder.mkdir()
    path = folder / "ma chanson 🎵.gstudio"
    doc = small_doc()
    save_project(doc, path)
    assert_same_doc(doc, load_project(path))
    assert read_project_info(path)["file"] == str(path)
    save_project(doc, path)  # overwriting works too
    assert os.listdir(folder) == ["ma chanson 🎵.gstudio"]


def test_info_reads_headers_without_decoding(tmp_path, monkeypatch):
    path = tmp_path / "p.gstudio"
    save_project(small_doc(), path)

    def forbidden(*args, **kwargs):
        raise AssertionError("info must not decode pixels or samples")

    monkeypatch.setattr(project_file, "decode_image_bytes", forbidden)
    monkeypatch.setattr(project_file.sf, "read", forbidden)
    info = read_project_info(path)
    assert info["schema_version"] == SCHEMA_VERSION and not info["needs_migration"]
    assert [(l["width"], l["height"], l["channels"], l["bit_depth"]) for l in info["layers"]] == [
        (5, 6, 3, 8), (10, 12, 4, 16), (5, 6, 4, 8)]
    assert (info["track_count"], info["clip_count"]) == (2, 3)
    assert info["audio_duration_s"] == pytest.approx(800 / 48000 + 300 / 22050 + 1000 / 44100)
    assert [c["frames"] for t in info["tracks"] for c in t["clips"]] == [800, 300, 1000]
    assert {a["name"] for a in info["assets"]} >= {"project.json", "layers/2.png", "audio/clip-3.wav"}
    json.dumps(info)  # JSON-ready


# ---------------------------------------------------------------------------------------------- migration


def test_v1_project_is_migrated_on_load(tmp_path):
    pixels = image(7, 9, 4, np.uint16, seed=5)
    voice = audio(500, 2, 44100, seed=6)
    v1 = {
        "schema_version": 1, "app_version": "0.0.9", "metadata": {"title": "old"},
        "layers": [{"id": 1, "name": "bg", "kind": "image", "visible": True, "source_id": None, "spec": None,
                    "asset": "layers/1.png"}],
        "active_layer_id": 1,
        "sample_rate": 44100,
        "tracks": [{"id": "t1", "name": "Voice", "muted": True, "gain": 0.5,
                    "clips": [{"id": "c1", "name": "take 1", "start_s": 2.0, "asset": "audio/c1.wav"}]}],
    }
    path = write_zip(tmp_path / "old.gstudio", {"project.json": json.dumps(v1).encode(),
                                                "layers/1.png": encode_image(pixels, "PNG"),
                                                "audio/c1.wav": wav_bytes(voice)})
    with untouched(path):  # loading an old file migrates in memory only
        doc = load_project(path)
        info = read_project_info(path)
    t = doc.timeline
    assert (t.sample_rate, t.tempo_bpm, t.key, t.time_signature, t.playhead_s) == (44100, 120.0, "C major", "4/4", 0.0)
    assert np.array_equal(doc.layers[0].image.pixels, pixels.pixels)
    clip = t.tracks[0].clips[0]
    assert (t.tracks[0].muted, t.tracks[0].gain, clip.start_s, clip.name) == (True, 0.5, 2.0, "take 1")
    assert np.array_equal(clip.audio.samples, voice.samples) and clip.audio.sample_rate == 44100
    assert doc.metadata == {"title": "old"}
    assert (info["schema_version"], info["needs_migration"]) == (1, True)
    assert info["current_schema_version"] == SCHEMA_VERSION


def test_v2_project_is_migrated_on_load(tmp_path):
    v2 = v2_json(schema_version=2)
    v2["timeline"]["tracks"][0]["clips"].append({"id": "c2", "name": "D", "start_s": 1.5, "asset": "audio/c2.wav"})
    voice = audio(300, 1, 8000, seed=4)
    path = hand_made(tmp_path / "v2.gstudio", v2, {"audio/c2.wav": wav_bytes(voice)})
    with untouched(path):
        doc = load_project(path)
        info = read_project_info(path)
    clips = doc.timeline.tracks[0].clips
    assert [type(c) for c in clips] == [ClipDoc, ClipDoc] and [c.start_s for c in clips] == [0.0, 1.5]
    assert np.array_equal(clips[1].audio.samples, voice.samples)
    assert (info["schema_version"], info["needs_migration"], info["current_schema_version"]) == (2, True, SCHEMA_VERSION)
    assert [c["type"] for c in info["tracks"][0]["clips"]] == ["audio", "audio"]
    # the step itself: every clip gets a type, nothing else changes, malformed parts are left for the checks
    from genai_studio.core.project import MIGRATIONS

    migrated = MIGRATIONS[2](v2)
    assert migrated["schema_version"] == 3 and migrated["layers"] == v2["layers"]
    assert [c["type"] for c in migrated["timeline"]["tracks"][0]["clips"]] == ["audio", "audio"]
    assert "type" not in v2["timeline"]["tracks"][0]["clips"][0]  # the input is not modified
    odd = MIGRATIONS[2]({"schema_version": 2, "timeline": {"tracks": [{"clips": "x"}, 7]}})
    assert odd["timeline"]["tracks"] == [{"clips": "x"}, 7]


# -------------------------------------------------------------------------------------------- bad files


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "cut.gstudio"
    save_project(small_doc(), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _bad_crc(tmp_path: Path) -> Path:
    path = write_zip(tmp_path / "crc.gstudio", {})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps(v2_json()))
        zf.writestr("layers/3.png", encode_image(image(8, 8, seed=1), "PNG"), compress_type=zipfile.ZIP_STORED)
        zf.writestr("audio/c1.wav", wav_bytes(audio(100, 1, 8000)))
    raw = bytearray(path.read_bytes())
    at = raw.index(b"IDAT") + 12  # inside the stored PNG's pixel data
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def _huge_declared(tmp_path: Path) -> Path:
    """A layer whose central-directory entry claims ~4 GiB uncompressed: refused before any byte is read."""
    path = hand_made(tmp_path / "bomb.gstudio", v2_json())
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # central directory entries: name at +46, uncompressed size at +24
    while raw[entry + 46: entry + 46 + 12] != b"layers/3.png":
        entry = raw.index(b"PK\x01\x02", entry + 4)
    raw[entry + 24: entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")  # uncompressed size field
    path.write_bytes(bytes(raw))
    return path


BAD_FILES = {
    "not a zip": (lambda p: raw_file(p / "x.gstudio", b"just some text, not a project"),
                  "'x.gstudio' is not a GenAI Studio project (it is not a zip archive)"),
    "truncated": (_truncated, "'cut.gstudio' is damaged or incomplete (truncated zip)"),
    "empty": (lambda p: raw_file(p / "e.gstudio", b""), "'e.gstudio' is empty (0 bytes)"),
    "no project.json": (lambda p: write_zip(p / "n.gstudio", {"readme.txt": b"hi"}),
                        "'n.gstudio' is not a GenAI Studio project: it has no project.json"),
    "invalid json": (lambda p: write_zip(p / "j.gstudio", {"project.json": b"{\"schema_version\": 2,"}),
                     "'j.gstudio' is damaged: project.json is not valid JSON (line 1"),
    "absurd number": (lambda p: write_zip(p / "n.gstudio", {"project.json": b"{\"schema_version\": " + b"9" * 5000
                                                             + b"}"}),
                      "'n.gstudio' is damaged: project.json holds a number too long to read"),
    "json not an object": (lambda p: write_zip(p / "a.gstudio", {"project.json": b"[1, 2]"}),
                           "project.json does not hold a project (expected a JSON object)"),
    "not utf-8": (lambda p: write_zip(p / "u.gstudio", {"project.json": b"{\"a\": \"\xff\xfe\"}"}),
                  "project.json is not UTF-8 text"),
    "newer schema": (lambda p: hand_made(p / "new.gstudio", v2_json(schema_version=SCHEMA_VERSION + 7)),
                     f"'new.gstudio' was saved by a newer GenAI Studio (project format {SCHEMA_VERSION + 7}"),
    "no schema version": (lambda p: hand_made(p / "v.gstudio", v2_json(schema_version="2")),
                          "'v.gstudio' has no valid schema version"),
    "missing asset": (lambda p: hand_made(p / "m.gstudio", v2_json(), {"layers/3.png": None}),
                      "'m.gstudio' refers to layers/3.png, which is missing from the file"),
    "missing audio": (lambda p: hand_made(p / "m.gstudio", v2_json(), {"audio/c1.wav": None}),
                      "'m.gstudio' refers to audio/c1.wav, which is missing from the file"),
    "wav instead of png": (lambda p: hand_made(p / "w.gstudio", v2_json(), {"layers/3.png": wav_bytes(audio(10, 1))}),
                           "'w.gstudio' is damaged: layers/3.png should be a PNG image but holds WAV audio"),
    "png instead of wav": (lambda p: hand_made(p / "w.gstudio", v2_json(),
                                               {"audio/c1.wav": encode_image(image(2, 2), "PNG")}),
                           "audio/c1.wav should be WAV audio but holds a PNG image"),
    "damaged png": (lambda p: hand_made(p / "d.gstudio", v2_json(),
                                        {"layers/3.png": encode_image(image(30, 30), "PNG")[:60]}),
                    "'d.gstudio' is damaged: layers/3.png is damaged or incomplete"),
    "bad crc": (_bad_crc, "'crc.gstudio' is damaged: layers/3.png cannot be read (Bad CRC-32"),
    "huge asset": (_huge_declared, "'bomb.gstudio' is not safe to open: layers/3.png claims to unpack to 4.0 GiB"),
    "path traversal": (lambda p: write_zip(p / "t.gstudio", {"project.json": json.dumps(v2_json()).encode(),
                                                           "../../evil.sh": b"rm -rf ~"}),
                       "'t.gstudio' contains an unsafe entry name '../../evil.sh'"),
    "absolute name": (lambda p: write_zip(p / "t.gstudio", {"/etc/passwd": b"x"}), "unsafe entry name '/etc/passwd'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("reader", [load_project, read_project_info], ids=["load", "info"])
def test_bad_file_gives_specific_message_and_is_untouched(tmp_path, case, reader):
    make, message = BAD_FILES[case]
    path = make(tmp_path)
    if reader is read_project_info and case == "damaged png":
        reader(path)  # info reads headers only (intact here); the pixel data is checked when loading
        return
    with untouched(path), pytest.raises(BadInput) as err:
        reader(path)
    assert message in err.value.message
    assert "\n" not in err.value.message


BAD_FIELDS = {
    "unknown layer kind": ({"layers": [{"id": 3, "kind": "sticker", "asset": "layers/3.png"}]},
                           "layer 3 has unknown kind 'sticker' (expected one of image, result, mask)"),
    "negative start": ({"timeline": {"tracks": [{"id": "t1", "clips": [{"id": "c1", "start_s": -1.5}]}]}},
                       "clip 'c1' has a negative start_s (-1.5)"),
    "text layer id": ({"layers": [{"id": "3", "asset": "layers/3.png"}], "active_layer_id": None},
                      "layer #1 has id '3'; layer ids are whole numbers"),
    "bool visible": ({"layers": [{"id": 3, "visible": "yes"}]}, "layer 3 has visible 'yes'; expected true or false"),
    "nan gain": ({"timeline": {"tracks": [{"id": "t1", "gain": float("nan"), "clips": []}]}},
                 "track 't1' has gain nan; expected a finite number"),
    "zero tempo": ({"timeline": {"tempo_bpm": 0}}, "the timeline tempo 0.0 BPM is out of range"),
    "text sample rate": ({"timeline": {"sample_rate": "fast"}}, "the timeline sample rate 'fast' is not a valid rate"),
    "dangling active layer": ({"active_layer_id": 42}, "'active_layer_id' is 42, which is not the id of any layer"),
    "duplicate layer ids": ({"layers": [{"id": 3}, {"id": 3}]}, "two layers have the same id 3"),
    "unsafe clip id": ({"timeline": {"tracks": [{"id": "t1", "clips": [{"id": "../c1"}]}]}},
                       "clip #1 of track 't1' has id '../c1'"),
    "foreign asset path": ({"layers": [{"id": 3, "asset": "../../secret.png"}]},
                           "layer 3 stores its data at '../../secret.png'; expected 'layers/3.png'"),
    "layers not a list": ({"layers": {"id": 3}}, "'layers' must be a list, not dict"),
    "metadata not an object": ({"metadata": "x"}, "'metadata' must be a JSON object, not str"),
}


@pytest.mark.parametrize("case", list(BAD_FIELDS))
def test_bad_field_names_the_field(tmp_path, case):
    changes, message = BAD_FIELDS[case]
    path = hand_made(tmp_path / "f.gstudio", v2_json(**changes))
    for reader in (load_project, read_project_info):
        with untouched(path), pytest.raises(BadInput) as err:
            reader(path)
        assert err.value.message.startswith("'f.gstudio' is not a valid project: ")
        assert message in err.value.message


def test_missing_folder_and_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(BadInput, match="the file does not exist"):
        load_project(tmp_path / "nope.gstudio")
    with pytest.raises(BadInput, match="it is a folder, not a project file"):
        read_project_info(tmp_path)
    path = tmp_path / "locked.gstudio"
    save_project(small_doc(), path)
    real_open = open

    def deny(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(project_file, "open", deny, raising=False)
    with untouched(path), pytest.raises(BadInput, match="Cannot open 'locked.gstudio': permission denied"):
        load_project(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_file_really_denied(tmp_path):
    path = tmp_path / "p.gstudio"
    save_project(small_doc(), path)
    path.chmod(0)
    try:
        with pytest.raises(BadInput, match="permission denied"):
            load_project(path)
    finally:
        path.chmod(0o644)


# ------------------------------------------------------------------------------------------ failed saves


def _previous(tmp_path: Path) -> Path:
    path = tmp_path / "song.gstudio"
    save_project(small_doc(), path)
    return path


def test_full_disk_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = _previous(tmp_path)
    real_writer = project_file.atomic_writer

    class FillsUp:
        """A file object that runs out of space after 2 kB, like a nearly full disk."""

        def __init__(self, fh):
            self._fh, self._written = fh, 0

        def write(self, data):
            if self._written + len(data) > 2048:
                raise OSError(errno.ENOSPC, "No space left on device")
            self._written += len(data)
            return self._fh.write(data)

        def __getattr__(self, attr):
            return getattr(self._fh, attr)

    @contextlib.contextmanager
    def nearly_full(target):
        with real_writer(target) as fh:
            yield FillsUp(fh)

    monkeypatch.setattr(project_file, "atomic_writer", nearly_full)
    bigger = ProjectDoc((LayerDoc(1, "big", image(64, 64, seed=8)),))
    with untouched(path), pytest.raises(DiskFull, match="Not enough disk space to save song.gstudio"):
        save_project(bigger, path)
    assert_same_doc(small_doc(), load_project(path))


def test_failure_while_encoding_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = _previous(tmp_path)
    calls = []

    def flaky(img, fmt="PNG", *args, **kwargs):
        calls.append(fmt)
        if len(calls) == 2:
            raise MemoryError("simulated")
        return encode_image(img, fmt, *args, **kwargs)

    monkeypatch.setattr(project_file, "encode_image", flaky)
    with untouched(path), pytest.raises(MemoryError):
        save_project(small_doc(), path)


def test_read_only_folder_gives_disk_full(tmp_path, monkeypatch):
    path = _previous(tmp_path)
    real_open = os.open

    def read_only(file, flags, *args, **kwargs):
        if str(file).endswith(".part"):
            raise PermissionError(errno.EROFS, "Read-only file system")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(atomic_module.os, "open", read_only)
    with untouched(path), pytest.raises(DiskFull, match="is not writable; choose another folder"):
        save_project(small_doc(), path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_really_denied(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "p.gstudio"
    save_project(small_doc(), path)
    folder.chmod(0o555)
    try:
        with untouched(path), pytest.raises(DiskFull, match="not writable"):
            save_project(small_doc(), path)
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("doc,message", [
    (ProjectDoc((LayerDoc(1, "x", image(2, 2), kind="sticker"),)), "layer 1 has unknown kind 'sticker'"),
    (ProjectDoc((LayerDoc(1, "x", image(2, 2), spec={"path": Path("/tmp")}),)),
     "the job spec of layer 1 holds a PosixPath" if os.name != "nt" else "holds a WindowsPath"),
    (ProjectDoc((LayerDoc(1, "x", image(2, 2)), LayerDoc(1, "y", image(2, 2)))), "two layers have the same id 1"),
    (ProjectDoc(timeline=TimelineDoc((TrackDoc("t", "T", (ClipDoc("a/b", "c", audio(10)),)),))), "has id 'a/b'"),
    (ProjectDoc(timeline=TimelineDoc((TrackDoc("t", "T", (ClipDoc("c", "c", audio(10), -2.0),)),))),
     "clip 'c' has a negative start_s"),
    (ProjectDoc((LayerDoc(1, "empty", ImageBuffer(np.zeros((0, 3, 3), np.uint8))),)),
     "layer 1 ('empty') has no pixels"),
    (ProjectDoc(metadata={1: "int key"}), "'metadata' has the key 1; JSON keys must be text"),
])
def test_invalid_document_is_refused_before_writing(tmp_path, doc, message):
    path = _previous(tmp_path)
    with untouched(path), pytest.raises(BadInput) as err:
        save_project(doc, path)
    assert err.value.message.startswith("Cannot save 'song.gstudio': ")
    assert message in err.value.message


def test_save_into_missing_folder_or_onto_folder(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        save_project(small_doc(), tmp_path / "no such folder" / "p.gstudio")
    with pytest.raises(BadInput, match="it is a folder"):
        save_project(small_doc(), tmp_path)
    assert os.listdir(tmp_path) == []


def test_audio_is_deflated_only_when_it_shrinks(tmp_path):
    frames = 120_000  # > 768 KiB of stereo float32, so the probe decides
    silence = AudioBuffer(np.zeros((frames, 2), np.float32), 48000)
    doc = ProjectDoc(timeline=TimelineDoc((TrackDoc("t", "T", (ClipDoc("quiet", "q", silence),
                                                                 ClipDoc("noisy", "n", audio(frames, 2)))),)))
    path = tmp_path / "p.gstudio"
    save_project(doc, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("audio/quiet.wav").compress_type == zipfile.ZIP_DEFLATED
        assert zf.getinfo("audio/noisy.wav").compress_type == zipfile.ZIP_STORED
    assert_same_doc(doc, load_project(path))
