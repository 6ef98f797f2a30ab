"""Restoration data: degradations are seeded and in range, held-out files never become training patches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from genai_studio.core.errors import BadInput
from genai_studio.training import restore_data as rd
from genai_studio.training import restore_degrade as dg


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return np.asarray(skimage.data.coffee())[:128, :128].copy()


def test_noise_is_deterministic_per_seed_and_in_range(coffee):
    a = dg.add_gaussian_noise(coffee, 25, np.random.default_rng(7))
    b = dg.add_gaussian_noise(coffee, 25, np.random.default_rng(7))
    c = dg.add_gaussian_noise(coffee, 25, np.random.default_rng(8))
    assert a.dtype == np.uint8 and a.shape == coffee.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(dg.add_gaussian_noise(coffee, 0, np.random.default_rng(1)), coffee)


def test_noise_has_the_requested_sigma():
    gray = np.full((256, 256, 3), 128, np.uint8)  # far from 0/255: no clipping bias
    noisy = dg.add_gaussian_noise(gray, 20, np.random.default_rng(0)).astype(np.float64)
    assert abs(noisy.std() - 20) < 0.5 and abs(noisy.mean() - 128) < 0.3


def test_jpeg_is_deterministic_and_lower_quality_loses_more(coffee):
    q10 = dg.jpeg_compress(coffee, 10)
    assert np.array_equal(q10, dg.jpeg_compress(coffee, 10))
    assert q10.dtype == np.uint8 and q10.shape == coffee.shape
    err = lambda x: np.abs(x.astype(int) - coffee).mean()  # noqa: E731
    assert err(dg.jpeg_compress(coffee, 60)) < err(q10) < err(dg.jpeg_compress(coffee, 5))


def test_downscale_is_bicubic_by_the_scale(coffee):
    lr = dg.downscale(coffee[:126, :127], 4)  # cropped to a multiple of 4 first
    assert lr.shape == (31, 31, 3) and lr.dtype == np.uint8
    assert np.array_equal(dg.degrade(coffee, "sr4", 0, np.random.default_rng(0)), dg.downscale(coffee, 4))


@pytest.mark.parametrize("call", [lambda img: dg.add_gaussian_noise(img, -1, np.random.default_rng(0)),
                                  lambda img: dg.jpeg_compress(img, 0),
                                  lambda img: dg.jpeg_compress(img, 100),
                                  lambda img: dg.degrade(img, "deblur", 1, np.random.default_rng(0))])
def test_bad_degradation_parameters_are_refused(coffee, call):
    with pytest.raises(BadInput):
        call(coffee)


def test_dep5_license_last_matching_stanza_wins():
    text = ("Format: x\n\nFiles: *\nCopyright: a\nLicense: GPL-2+\n\n"
            "Files: desktop/Ubuntu-*.png\n other/x.png\nCopyright: b\nLicense: CC-BY-SA-4.0\n")
    assert rd.dep5_license(text, "nature/Aqua.jpg") == "GPL-2+"
    assert rd.dep5_license(text, "desktop/Ubuntu-Mate-Cold.png") == "CC-BY-SA-4.0"
    assert rd.dep5_license(text, "other/x.png") == "CC-BY-SA-4.0"
    assert rd.dep5_license("Files: a/*\nLicense: MIT\n", "b/c.jpg") == ""


def _fake_packages(work: Path) -> None:
    """Unpacked-package trees like apt-get download + dpkg -x leave them (so nothing is downloaded)."""
    rng = np.random.default_rng(0)
    photo = lambda: Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))  # noqa: E731
    plasma = work / "x-plasma-workspace-wallpapers"
    for name in ("Autumn", "ColorfulCups", "Flow"):
        (plasma / "usr/share/wallpapers" / name / "contents/images").mkdir(parents=True)
        photo().save(plasma / "usr/share/wallpapers" / name / "contents/images/400x300.png")
    doc = plasma / "usr/share/doc/plasma-workspace-wallpapers"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: *\nCopyright: KDE\nLicense: GPL-2+\n")
    mate = work / "x-mate-backgrounds"
    (mate / "usr/share/backgrounds/mate/nature").mkdir(parents=True)
    for name in ("LadyBird", "Aqua", "Unlicensed"):
        photo().save(mate / f"usr/share/backgrounds/mate/nature/{name}.jpg")
    doc = mate / "usr/share/doc/mate-backgrounds"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: nature/LadyBird.jpg nature/Aqua.jpg\nCopyright: x\nLicense: GPL-2+\n")
    # Lomiri flattens upstream's 16.04/ and 20.04/ folders; its copyright file still names them
    lomiri_copyright = ("Files: 16.04/Bridge_by_Sander_Klootwijk.jpg 16.04/umang_by_Abhishek_Mudgal.jpg\n"
                        "Copyright: x\nLicense: CC-BY-SA-4.0\n\nFiles: 20.04/Kleiber_by_Lukas_Baubkus.jpg\n"
                        "Copyright: y\nLicense: CC-BY-4.0\n")
    for package, names in (("lomiri-wallpapers-16.04", ("Bridge_by_Sander_Klootwijk", "umang_by_Abhishek_Mudgal")),
                           ("lomiri-wallpapers-20.04", ("Kleiber_by_Lukas_Baubkus",))):
        root = work / f"x-{package}"
        (root / "usr/share/backgrounds").mkdir(parents=True)
        for name in names:
            photo().save(root / f"usr/share/backgrounds/{name}.jpg")
        (root / "usr/share/doc" / package).mkdir(parents=True)
        (root / "usr/share/doc" / package / "copyright").write_text(lomiri_copyright)


def test_heldout_split_is_by_file_and_never_trained_on(tmp_path):
    _fake_packages(tmp_path / "work")
    data = rd.build_restore_data(tmp_path / "cache", tmp_path / "work", log=lambda s: None, per_photo=4)
    keys = {s.key: s for s in data.sources}
    assert "plasma-workspace-wallpapers:Flow" not in keys  # rendered art, not a photo
    assert "mate-backgrounds:Unlicensed" not in keys  # no copyright stanza covers it
    train = {k for k, s in keys.items() if s.split == "train"}
    held = {k for k, s in keys.items() if s.split == "heldout"}
    assert held == set(rd.HELDOUT) and not train & held
    assert set(data.heldout) == held
    assert len(data.patches) == 4 * len(train) and data.patches.shape[1:] == (rd.PATCH, rd.PATCH, 3)
    assert keys["mate-backgrounds:Aqua"].license == "GPL-2+"
    assert keys["lomiri-wallpapers-16.04:Bridge_by_Sander_Klootwijk"].license == "CC-BY-SA-4.0"
    assert keys["lomiri-wallpapers-20.04:Kleiber_by_Lukas_Baubkus"].license == "CC-BY-4.0"
    assert "lomiri-wallpapers-16.04:umang_by_Abhishek_Mudgal" not in keys  # a rendered gradient, not a photo
    # held-out pixels appear in no training patch: a held-out crop's top-left 8x8 block matches none of them
    for crop in data.heldout.values():
        block = crop[:8, :8]
        assert not any((p[:8, :8] == block).all() for p in data.patches)
    again = rd.load_restore_data(tmp_path / "cache", build_if_missing=False)
    assert np.array_equal(again.patches, data.patches) and again.sources == data.sources
    assert again.sources_summary() == data.sources_summary()


def test_photo_set_1_is_the_first_models_data(tmp_path):
    _fake_packages(tmp_path / "work")
    data = rd.build_restore_data(tmp_path / "cache", tmp_path / "work", log=lambda s: None, per_photo=2,
                                 photo_set=1)
    assert not [s for s in data.sources if s.key.startswith("lomiri")]
    assert data.build == {"photo_set": 1, "per_photo": 2, "max_flat_db": None, "seed": 0}
    with pytest.raises(BadInput, match="photo set 7"):
        rd.build_restore_data(tmp_path / "cache", tmp_path / "work", log=lambda s: None, photo_set=7)


def test_detail_filter_keeps_only_crops_an_upscaler_can_learn_from(tmp_path):
    assert dg.bicubic_round_trip_db(np.full((64, 64, 3), 90, np.uint8), 4) == float("inf")
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert dg.bicubic_round_trip_db(noise, 4) < 15
    # a photo that is flat sky on the left and detailed on the right
    img = np.concatenate([np.full((256, 256, 3), 120, np.uint8),
                          np.asarray(skimage.data.astronaut())[:256, :256]], axis=1)
    kept = rd.random_patches(img, 30, 64, np.random.default_rng(0), max_flat_db=30.0)
    assert 0 < len(kept) <= 30
    assert all(dg.bicubic_round_trip_db(p, 4) < 30.0 for p in kept)
    assert len(rd.random_patches(np.full((256, 256, 3), 120, np.uint8), 5, 64, np.random.default_rng(0),
                                 max_flat_db=30.0)) == 0
    _fake_packages(tmp_path / "work")
    data = rd.build_restore_data(tmp_path / "cache", tmp_path / "work", log=lambda s: None, per_photo=3,
                                 max_flat_db=60.0)
    assert "with fine detail" in data.sources_summary() and "60 dB" in data.sources_summary()
    assert rd.load_restore_data(tmp_path / "cache", build_if_missing=False).build["max_flat_db"] == 60.0
    two = rd.build_restore_data(tmp_path / "cache2", tmp_path / "work", log=lambda s: None, per_photo=3,
                                scales=(1.0, 0.5))
    assert len(two.patches) == 2 * len(data.patches) and "at scales 1, 0.5" in two.sources_summary()
    with pytest.raises(BadInput, match="scales"):
        rd.build_restore_data(tmp_path / "cache3", tmp_path / "work", log=lambda s: None, scales=(2.0,))


def test_patches_are_deterministic_per_seed():
    img = np.asarray(skimage.data.immunohistochemistry())
    a = rd.random_patches(img, 5, 64, np.random.default_rng(3))
    assert np.array_equal(a, rd.random_patches(img, 5, 64, np.random.default_rng(3)))
    assert a.shape == (5, 64, 64, 3)


def test_missing_cache_without_build_is_a_clear_error(tmp_path):
    with pytest.raises(BadInput, match="restore_data"):
        rd.load_restore_data(tmp_path, build_if_missing=False)
