"""The window's voice features: the Voice panel's jobs, where their clips land, streaming, preview and A/B.

* Speak → a clip on a "Voice" track at the playhead. With "play while it is made", every preview (all
  audio so far) extends what the player is playing, so the first sentence is heard while the rest is made.
* Transform / denoise → Apply puts the result on a new track under the source clip's track, at the same
  time; Preview plays it instead, and A/B switches between original and preview at the same moment.
* Sing → a vocal clip on a new track under the melody's track, starting with the melody clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genai_studio.core.jobs import JobEvent, JobState
from genai_studio.core.media import AudioBuffer
from genai_studio.core.voice_jobs import AudioResult, SingSpec, SpeakSpec
from genai_studio.ui.panels.voice_panel import VoiceChoice, VoicePanel

VOICE_TASK = "tts"


@dataclass
class _VoiceJob:
    purpose: str  # "add" | "preview" | "stream"
    source_clip_id: str | None  # the selected clip when the job was submitted
    streamed_frames: int = 0  # stream: frames already handed to the player
    sample_rate: int = 0


@dataclass
class _AB:
    original: AudioBuffer
    processed: AudioBuffer
    playing_processed: bool = True


def voice_choices(store) -> list[VoiceChoice]:
    """Installed voices, the bundled one first."""
    entries = sorted(store.by_task(VOICE_TASK), key=lambda e: (not e.builtin, e.name.lower()))
    return [VoiceChoice(e.id, e.name, e.manifest.license) for e in entries]


class VoiceToolsMixin:
    """Mixed into MainWindow; uses its controller, store, timeline state/pane, player and status bar."""

    def _new_voice_panel(self) -> VoicePanel:
        self._voice_jobs: dict[int, _VoiceJob] = {}
        self._ab: _AB | None = None
        panel = VoicePanel(voice_choices(self.store))
        panel.selected_audio = self._selected_audio
        panel.selected_melody = self._selected_melody
        panel.submit_requested.connect(self.submit_voice_job)
        panel.error.connect(self.show_error)
        panel.record_requested.connect(self.record_into_track)
        panel.ab_requested.connect(self.toggle_ab)
        return panel

    def refresh_voices(self) -> None:
        self.voice_panel.set_voices(voice_choices(self.store))

    def submit_voice_job(self, spec, purpose: str = "add") -> int:
        job_id = self.submit_job(spec)
        self._voice_jobs[job_id] = _VoiceJob(purpose, self.timeline.view.selected_clip)
        if purpose == "stream":
            self.player.stop()
        return job_id

    # ----- results -------------------------------------------------------------------------------
    def _on_voice_event(self, event: JobEvent) -> bool:
        """Handle a voice job's event; False when the event is not about a voice job."""
        job = self._voice_jobs.get(event.job_id)
        if job is None:
            return False
        if event.state is JobState.RUNNING and job.purpose == "stream" and event.preview is not None:
            self._stream_preview(job, np.asarray(event.preview, dtype=np.float32))
        elif event.state is JobState.DONE and isinstance(event.result, AudioResult):
            del self._voice_jobs[event.job_id]
            self._land_voice_result(event.job_id, job, event.result)
        elif event.state.finished:
            del self._voice_jobs[event.job_id]
        return True

    def _stream_preview(self, job: _VoiceJob, so_far: np.ndarray) -> None:
        rate = self._voice_rate(job)
        new = so_far[job.streamed_frames:]
        if not len(new):
            return
        if job.streamed_frames == 0:
            self.player.play_stream(new[:, None], rate)
        else:
            self.player.extend(new[:, None])
        job.streamed_frames = len(so_far)
        job.sample_rate = rate

    def _voice_rate(self, job: _VoiceJob) -> int:
        if job.sample_rate:
            return job.sample_rate
        voice = self.store.find(self.voice_panel.voice.currentData() or "")
        return int(voice.manifest.defaults.get("sample_rate", 22050)) if voice else 22050

    def _land_voice_result(self, job_id: int, job: _VoiceJob, result: AudioResult) -> None:
        notes = f" ({'; '.join(result.notes)})" if result.notes else ""
        if job.purpose == "stream":
            self.player.finish_stream()
        if job.purpose == "preview":
            original = getattr(result.spec, "audio", None)
            self._ab = _AB(original, result.audio) if original is not None else None
            self.voice_panel.set_ab_available(self._ab is not None)
            self.player.play(result.audio.samples, result.audio.sample_rate)
            self.statusBar().showMessage(f"Previewing {result.audio.name}; A/B compares with the original{notes}",
                                         10000)
            return
        if not self.still_same_timeline(job_id, result.spec.title):
            return
        state = self.timeline_state
        source = job.source_clip_id if job.source_clip_id and self._clip_exists(job.source_clip_id) else None
        self.undo_stack.beginMacro(result.spec.title)
        if isinstance(result.spec, SpeakSpec):
            track = self._track_named("Voice")
            state.add_audio_clip(result.audio, track_id=track, start_s=state.playhead_s, name=result.audio.name)
        elif source is not None:
            source_track = state.track_of_clip(source)
            name = "Vocal" if isinstance(result.spec, SingSpec) else f"{source_track.name} (processed)"
            track = state.add_track(name, after_track_id=source_track.id)
            state.add_audio_clip(result.audio, track_id=track, start_s=state.clip(source).start_s,
                                 name=result.audio.name)
        else:  # the source clip was deleted while the job ran: still keep the result
            state.add_audio_clip(result.audio, start_s=state.playhead_s, name=result.audio.name)
        self.undo_stack.endMacro()
        self.statusBar().showMessage(f"{result.audio.name}: {result.audio.duration_s:.1f} s made in "
                                     f"{result.seconds:.1f} s{notes}", 10000)

    def _clip_exists(self, clip_id: str) -> bool:
        return any(c.id == clip_id for c in self.timeline_state.clips())

    def _track_named(self, name: str) -> str:
        for track in self.timeline_state.tracks:
            if track.name == name:
                return track.id
        return self.timeline_state.add_track(name)

    # ----- A/B and recording ---------------------------------------------------------------------
    def toggle_ab(self) -> None:
        ab = self._ab
        if ab is None:
            return
        position = self.player.position_s if self.player.is_playing else 0.0
        if not ab.playing_processed and ab.processed.duration_s and ab.original.duration_s:
            # tempo changes make the two different lengths: keep the same place in the phrase
            position *= ab.processed.duration_s / ab.original.duration_s
        elif ab.original.duration_s and ab.processed.duration_s:
            position *= ab.original.duration_s / ab.processed.duration_s
        ab.playing_processed = not ab.playing_processed
        audio = ab.processed if ab.playing_processed else ab.original
        self.player.play(audio.samples, audio.sample_rate, start_s=position)
        self.statusBar().showMessage("Playing the " + ("processed" if ab.playing_processed else "original")
                                     + " audio", 3000)

    def record_into_track(self) -> None:
        from genai_studio.runtime.recorder import AudioRecorder
        from genai_studio.ui.dialogs.record import RecordDialog

        dialog = RecordDialog(AudioRecorder(parent=self), self,
                              hint="Speak, sing or play, then press Stop. The take lands on a “Recording” track "
                                   "at the playhead.")
        if dialog.exec() and dialog.audio is not None:
            track = self._track_named("Recording")
            self.timeline_state.add_audio_clip(dialog.audio, track_id=track, start_s=self.timeline_state.playhead_s,
                                               name="Recording")
