"""Projects keep the mixer: pan, solo, effects chains and clip fades survive save → load, schema-3 projects
load with neutral settings, and bad mixer values in a file are refused with the field named."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import numpy as np
import pytest
import soundfile as sf

from genai_studio.core.errors import BadInput
from genai_studio.core.media import AudioBuffer
from genai_studio.core.music import Melody, Note
from genai_studio.core.project import (
    MIGRATIONS, SCHEMA_VERSION, ClipDoc, MidiClipDoc, ProjectDoc, TimelineDoc, TrackDoc,
)
from genai_studio.dsp.effects import EffectSpec
from genai_studio.mediaio.project_file import load_project, read_project_info, save_project
from genai_studio.state.timeline_clips import track_from_doc, track_to_doc
from genai_studio.state.timeline_state import TimelineState

CHAIN = (EffectSpec("eq", {"low_db": 4.5, "high_hz": 8000}), EffectSpec("compressor", {"ratio": 3}, enabled=False),
         EffectSpec("reverb", {"room_size": 0.35, "wet": 0.2}))


def voice(frames: int = 1200, rate: int = 16000) -> AudioBuffer:
    t = np.arange(frames) / rate
    return AudioBuffer((0.4 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[:, None], rate, name="voice")


def mixer_doc() -> ProjectDoc:
    tracks = (
        TrackDoc("t-voice", "Voice", (ClipDoc("c1", "take", voice(), 0.25, 0.02, 0.03, "linear"),),
                 False, 0.7, -0.4, True, CHAIN),
        TrackDoc("t-keys", "Keys", (MidiClipDoc("m1", "chords", Melody((Note(60, 0, 1), Note(64, 0, 1)), 100.0),
                                                1.0, 0.1, 0.2),), True, 1.0, 0.6, False, ()),
    )
    return ProjectDoc(timeline=TimelineDoc(tracks, 16000, 100.0))


def test_pan_solo_effects_and_fades_round_trip(tmp_path):
    path = tmp_path / "mix.gstudio"
    save_project(mixer_doc(), path)
    loaded = load_project(path).timeline.tracks
    for saved, back in zip(mixer_doc().timeline.tracks, loaded):
        assert (back.pan, back.solo, back.muted, back.gain, back.effects) == (
            saved.pan, saved.solo, saved.muted, saved.gain, saved.effects)
        for a, b in zip(saved.clips, back.clips):
            assert (b.fade_in_s, b.fade_out_s, b.fade_curve) == (a.fade_in_s, a.fade_out_s, a.fade_curve)
    with zipfile.ZipFile(path) as zf:
        track = json.loads(zf.read("project.json"))["timeline"]["tracks"][0]
    assert track["effects"][1] == {"kind": "compressor", "enabled": False,
                                   "params": {"attack_ms": 10.0, "ratio": 3.0, "release_ms": 150.0,
                                              "threshold_db": -18.0}}
    info = read_project_info(path)
    assert (info["tracks"][0]["pan"], info["tracks"][0]["solo"], len(info["tracks"][0]["effects"])) == (-0.4, True, 3)
    assert info["tracks"][1]["clips"][0]["fade_out_s"] == 0.2


def test_timeline_state_round_trips_through_a_project_file(tmp_path):
    st = TimelineState(sample_rate=16000)
    clip = st.add_audio_clip(voice(8000))
    track = st.track_of_clip(clip).id
    st.set_track_pan(track, 0.5)
    st.set_track_solo(track, True)
    st.set_clip_fades(clip, 0.1, 0.2, "linear")
    st.set_track_effects(track, CHAIN)
    st.add_audio_clip(voice(4000), start_s=0.1)  # not soloed: not heard
    doc = ProjectDoc(timeline=TimelineDoc(tuple(track_to_doc(t) for t in st.tracks), st.sample_rate))
    save_project(doc, tmp_path / "s.gstudio")
    t = load_project(tmp_path / "s.gstudio").timeline
    other = TimelineState()
    other.replace_all(tuple(track_from_doc(tr) for tr in t.tracks), t.sample_rate, t.tempo_bpm, t.key,
                      t.time_signature, t.playhead_s)
    assert other.tracks[0].effects == CHAIN and other.clip(clip).fade_curve == "linear"
    np.testing.assert_allclose(other.mix(), st.mix(), atol=1e-6)  # sounds the same after reopening


def _v3_project(tmp_path) -> tuple:
    audio = voice(800)
    wav = io.BytesIO()
    sf.write(wav, audio.samples, audio.sample_rate, format="WAV", subtype="FLOAT")
    v3 = {
        "schema_version": 3, "app_version": "0.1.0", "metadata": {}, "layers": [], "active_layer_id": None,
        "timeline": {"sample_rate": 48000, "tempo_bpm": 120.0, "key": "C major", "time_signature": "4/4",
                     "playhead_s": 0.0,
                     "tracks": [{"id": "t1", "name": "Old", "muted": True, "gain": 0.5,
                                 "clips": [{"type": "audio", "id": "c1", "name": "C", "start_s": 1.0,
                                            "asset": "audio/c1.wav"}]}]},
    }
    path = tmp_path / "v3.gstudio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps(v3))
        zf.writestr("audio/c1.wav", wav.getvalue())
    return path, v3


def test_schema_3_project_loads_centred_unsoloed_without_fades_or_effects(tmp_path):
    path, v3 = _v3_project(tmp_path)
    track = load_project(path).timeline.tracks[0]
    assert (track.muted, track.gain, track.pan, track.solo, track.effects) == (True, 0.5, 0.0, False, ())
    clip = track.clips[0]
    assert (clip.start_s, clip.fade_in_s, clip.fade_out_s, clip.fade_curve) == (1.0, 0.0, 0.0, "equal_power")
    info = read_project_info(path)
    assert (info["schema_version"], info["needs_migration"], info["current_schema_version"]) == (3, True, 4)
    original = copy.deepcopy(v3)
    step = MIGRATIONS[3](v3)
    assert v3 == original and step["schema_version"] == 4 == SCHEMA_VERSION  # the input is left alone
    migrated = step["timeline"]["tracks"][0]
    assert migrated["effects"] == [] and migrated["clips"][0]["fade_in_s"] == 0.0
    odd = MIGRATIONS[3]({"schema_version": 3, "timeline": {"tracks": [7, {"clips": "x"}]}})
    assert odd["timeline"]["tracks"] == [7, {"clips": "x", "pan": 0.0, "solo": False, "effects": []}]


@pytest.mark.parametrize("change, message", [
    (lambda tr: tr.update(pan=1.5), "track 't1' has pan 1.5; pan goes from -1 (left) to 1 (right)"),
    (lambda tr: tr.update(solo="yes"), "track 't1' has solo 'yes'; expected true or false"),
    (lambda tr: tr.update(effects=[{"kind": "reverb", "params": {"room_size": 9}}]),
     "effect #1 of track 't1': Reverb effect: room size (room_size) must be between 0 and 1, got 9"),
    (lambda tr: tr.update(effects=[{"kind": "flanger"}]), "effect #1 of track 't1': Unknown effect 'flanger'"),
    (lambda tr: tr["clips"][0].update(fade_in_s=-1), "clip 'c1' has a negative fade_in_s (-1)"),
    (lambda tr: tr["clips"][0].update(fade_curve="s-curve"), "clip 'c1' has unknown fade_curve 's-curve'"),
])
def test_bad_mixer_values_in_a_file_are_refused_by_name(tmp_path, change, message):
    path, v3 = _v3_project(tmp_path)
    data = MIGRATIONS[3](v3)
    change(data["timeline"]["tracks"][0])
    with zipfile.ZipFile(path) as zf:
        wav = zf.read("audio/c1.wav")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps(data))
        zf.writestr("audio/c1.wav", wav)
    with pytest.raises(BadInput) as info:
        load_project(path)
    assert message in info.value.message


def test_window_binding_keeps_the_mixer(qapp):
    from genai_studio.state.canvas_state import CanvasState
    from genai_studio.state.project_binding import apply_document, document_from_state

    st = TimelineState(sample_rate=16000)
    clip = st.add_audio_clip(voice(4000))
    track = st.track_of_clip(clip).id
    st.set_track_pan(track, -0.3)
    st.set_clip_fades(clip, 0.05, 0.05)
    st.set_track_effects(track, CHAIN)
    other = TimelineState()
    apply_document(document_from_state(CanvasState(), st), CanvasState(), other)
    assert other.tracks[0].pan == -0.3 and other.tracks[0].effects == CHAIN and other.clip(clip).fade_in_s == 0.05
