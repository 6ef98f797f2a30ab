"""Tiled inference: full coverage, and tiled output equal to untiled output within 1/255."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genai_studio.core.errors import Cancelled
from genai_studio.core.progress import CancelToken
from genai_studio.engines.tiling import plan_tiles, run_tiled


@pytest.mark.parametrize("h,w,tile,overlap", [(100, 70, 32, 8), (64, 64, 64, 8), (65, 33, 32, 16), (10, 300, 48, 4)])
def test_tile_cores_cover_the_image_exactly_once(h, w, tile, overlap):
    covered = np.zeros((h, w), dtype=int)
    for t in plan_tiles(h, w, tile, overlap):
        covered[t.y0 + t.pad_top:t.y1 - t.pad_bottom, t.x0 + t.pad_left:t.x1 - t.pad_right] += 1
        assert t.y0 >= 0 and t.x0 >= 0 and t.y1 <= h and t.x1 <= w
    assert (covered == 1).all()


def test_tile_zero_means_one_tile():
    assert len(plan_tiles(500, 400, 0, 16)) == 1


class _LocalNet(nn.Module):
    """Receptive field radius 3 px, then x2 pixel shuffle: tiles with ≥ 3 px of kept context are exact."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(16, 12, 3, padding=1), nn.PixelShuffle(2))

    def forward(self, x):
        return self.body(x)


def test_tiled_equals_untiled_for_a_local_network():
    net = _LocalNet().eval()
    image = torch.rand(1, 3, 53, 71)
    whole = run_tiled(image, net, 2, 0, 0)
    tiled = run_tiled(image, net, 2, 16, 8)
    assert torch.allclose(whole, tiled, atol=1e-5)


def test_progress_is_reported_per_tile_and_cancel_stops():
    net = _LocalNet().eval()
    seen: list[str] = []
    token = CancelToken(lambda f, msg, p: seen.append(msg))
    run_tiled(torch.rand(1, 3, 40, 40), net, 2, 16, 4, token)
    assert seen == [f"tile {i}/9" for i in range(1, 10)]

    def cancel_after_two(fraction, message, preview):
        if message == "tile 2/9":
            token.cancel()

    token = CancelToken(cancel_after_two)
    with pytest.raises(Cancelled):
        run_tiled(torch.rand(1, 3, 40, 40), net, 2, 16, 4, token)
    with pytest.raises(Cancelled):
        token.check()
