"""Waveform peaks (min/max per pixel column) and their drawing.

A clip is summarised once into bins of ``BASE_BIN`` frames; zoomed-out views reduce those bins, zoomed-in
views read the samples of the visible columns only, so memory stays bounded for hour-long clips.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPolygonF

from genai_studio.core.media import AudioBuffer

BASE_BIN = 256  # frames per base bin (~5 ms at 48 kHz)
_FULL_CACHE_MAX_COLUMNS = 1 << 20  # beyond this a zoom level is computed per visible range instead


class WaveformCache:
    """Per-clip, per-zoom peak columns with an LRU bound on memory."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        # key -> (mins, maxs); keys are (id(audio), spp) for zoom levels and (id(audio), 0) for base bins.
        self._lru: OrderedDict[tuple[int, float], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._alive: dict[int, AudioBuffer] = {}  # keeps id()s valid: a freed buffer's id could be reused

    def peaks(self, audio: AudioBuffer, samples_per_px: float, col0: int, col1: int) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs), each (col1 - col0,) float32 in [-1, 1], of columns [col0, col1) of the clip.

        Column c covers clip frames [c * samples_per_px, (c + 1) * samples_per_px); channels are merged by
        taking the extreme of all of them.
        """
        spp = max(1.0, float(samples_per_px))
        n_cols = math.ceil(audio.frames / spp)
        col0, col1 = max(0, col0), min(n_cols, col1)
        if col1 <= col0:
            empty = np.zeros(0, dtype=np.float32)
            return empty, empty
        if n_cols <= _FULL_CACHE_MAX_COLUMNS:
            key = (id(audio), round(spp, 6))
            hit = self._get(key)
            if hit is None:
                hit = self._compute(audio, spp, 0, n_cols)
                self._put(key, audio, hit)
            return hit[0][col0:col1], hit[1][col0:col1]
        return self._compute(audio, spp, col0, col1)

    def forget(self, keep: set[int] | None = None) -> None:
        """Drop entries of buffers not in ``keep`` (ids of live buffers); all entries when None."""
        for key in [k for k in self._lru if keep is None or k[0] not in keep]:
            self._drop(key)
        self._alive = {i: a for i, a in self._alive.items() if any(k[0] == i for k in self._lru)}

    def _compute(self, audio: AudioBuffer, spp: float, col0: int, col1: int) -> tuple[np.ndarray, np.ndarray]:
        edges = np.floor(np.arange(col0, col1 + 1, dtype=np.float64) * spp).astype(np.int64)  # frame edges
        edges[-1] = min(edges[-1], audio.frames)
        if spp >= BASE_BIN:
            lo, hi = self._base(audio)
            bins = np.minimum(edges // BASE_BIN, len(lo) - 1)
            starts = bins[:-1]
            return np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)
        frames = audio.samples[edges[0]:edges[-1]]  # (n, C) only the visible part
        starts = edges[:-1] - edges[0]
        return (np.minimum.reduceat(frames.min(axis=1), starts),
                np.maximum.reduceat(frames.max(axis=1), starts))

    def _base(self, audio: AudioBuffer) -> tuple[np.ndarray, np.ndarray]:
        key = (id(audio), 0.0)
        hit = self._get(key)
        if hit is None:
            n = audio.frames
            pad = (-n) % BASE_BIN
            s = audio.samples
            lo = s.min(axis=1)
            hi = s.max(axis=1)
            if pad:  # repeat the last frame so padding never widens the envelope
                lo = np.concatenate([lo, np.full(pad, lo[-1], dtype=np.float32)])
                hi = np.concatenate([hi, np.full(pad, hi[-1], dtype=np.float32)])
            hit = (lo.reshape(-1, BASE_BIN).min(axis=1), hi.reshape(-1, BASE_BIN).max(axis=1))
            self._put(key, audio, hit)
        return hit

    def _get(self, key: tuple[int, float]) -> tuple[np.ndarray, np.ndarray] | None:
        hit = self._lru.get(key)
        if hit is not None:
            self._lru.move_to_end(key)
        return hit

    def _put(self, key: tuple[int, float], audio: AudioBuffer, value: tuple[np.ndarray, np.ndarray]) -> None:
        self._lru[key] = value
        self._alive[id(audio)] = audio
        self._bytes += value[0].nbytes + value[1].nbytes
        while self._bytes > self._max_bytes and len(self._lru) > 1:
            self._drop(next(iter(self._lru)))

    def _drop(self, key: tuple[int, float]) -> None:
        mins, maxs = self._lru.pop(key)
        self._bytes -= mins.nbytes + maxs.nbytes


def draw_waveform(painter: QPainter, rect: QRectF, mins: np.ndarray, maxs: np.ndarray, x0: float,
                  color: QColor) -> None:
    """Fill the envelope of columns starting at pixel ``x0`` inside ``rect`` (vertical centre = 0 level)."""
    if len(mins) == 0:
        return
    mid = rect.center().y()
    half = rect.height() / 2.0
    xs = x0 + 0.5 + np.arange(len(mins), dtype=np.float64)  # column centres
    top = mid - np.clip(maxs, -1.0, 1.0) * half
    bottom = mid - np.clip(mins, -1.0, 1.0) * half
    # Make silent stretches at least one pixel tall so the clip still reads as audio.
    thin = bottom - top < 1.0
    top = np.where(thin, mid - 0.5, top)
    bottom = np.where(thin, mid + 0.5, bottom)
    # Envelope polygon: along the top left to right, then back along the bottom.
    px = np.concatenate([xs, xs[::-1]])
    py = np.concatenate([top, bottom[::-1]])
    polygon = QPolygonF([QPointF(x, y) for x, y in zip(px.tolist(), py.tolist())])
    painter.save()
    painter.setClipRect(rect)
    painter.setPen(color)
    painter.setBrush(color)
    painter.drawPolygon(polygon)
    painter.restore()
