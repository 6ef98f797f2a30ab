"""Icon training set (Papirus): SVG rendering, names, alias words, dedupe, split, cache; the shipped icon model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genai_studio.core.errors import BadInput
from genai_studio.training import art_data as ad
from genai_studio.training import art_icons as ai
from genai_studio.training.svg_render import coverage, parse_transform, path_subpaths, render_svg

MODELS = Path(__file__).resolve().parents[2] / "genai_studio" / "models"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">{}</svg>'


def _svg(body: str) -> bytes:
    return SVG.format(body).encode()


# ------------------------------------------------------------------------------------------------ renderer
def test_rect_fill_colour_and_white_background():
    img = render_svg(_svg('<rect x="0" y="0" width="32" height="64" style="fill:#ff0000"/>'))
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert img[10, 5].tolist() == [255, 0, 0] and img[10, 50].tolist() == [255, 255, 255]


def test_opacity_and_default_black_fill():
    img = render_svg(_svg('<rect width="64" height="64" style="opacity:0.2"/>'))
    assert abs(int(img[30, 30, 0]) - round(255 * 0.8)) <= 1


def test_circle_area_is_antialiased_and_right():
    img = render_svg(_svg('<circle cx="32" cy="32" r="20" fill="#000000"/>'))
    ink = 1 - img[..., 0].astype(float) / 255
    assert abs(ink.sum() - np.pi * 20 ** 2) < 15
    assert ((ink > 0.05) & (ink < 0.95)).any()  # soft edges


def test_evenodd_hole_and_nonzero_fill():
    ring = 'M 8 8 H 56 V 56 H 8 Z M 24 24 H 40 V 40 H 24 Z'  # both squares wound the same way
    evenodd = render_svg(_svg(f'<path style="fill:#000;fill-rule:evenodd" d="{ring}"/>'))
    nonzero = render_svg(_svg(f'<path style="fill:#000" d="{ring}"/>'))
    assert evenodd[32, 32].tolist() == [255, 255, 255] and nonzero[32, 32].tolist() == [0, 0, 0]
    assert evenodd[12, 12].tolist() == [0, 0, 0]


def test_relative_commands_arcs_and_transforms():
    subs = path_subpaths("m 10,10 h 10 v 10 h -10 z")
    pts, closed = subs[0]
    assert closed and np.allclose(pts.min(0), [10, 10]) and np.allclose(pts.max(0), [20, 20])
    arc = path_subpaths("M 0,10 A 10,10 0 0 1 20,10")[0][0]
    assert np.allclose(arc[-1], [20, 10]) and arc[:, 1].min() < 0.5  # the upper half circle through (10, 0)
    m = parse_transform("translate(5,0) scale(2)")
    assert np.allclose(m @ [1, 1, 1], [7, 2, 1])
    img = render_svg(_svg('<g transform="translate(32,0)"><rect width="32" height="64" fill="#00ff00"/></g>'))
    assert img[5, 5].tolist() == [255, 255, 255] and img[5, 60].tolist() == [0, 255, 0]


def test_stroke_current_color_use_and_gradient():
    style = '<style>.ColorScheme-Text { color:#0000ff; }</style>'
    line = render_svg(_svg(style + '<path class="ColorScheme-Text" style="fill:none;stroke:currentColor;'
                           'stroke-width:4" d="M 4 32 H 60"/>'))
    assert line[32, 32].tolist() == [0, 0, 255] and line[10, 32].tolist() == [255, 255, 255]
    used = render_svg(_svg('<defs><rect id="r" width="10" height="10" fill="#ff0000"/></defs>'
                           '<use xlink:href="#r" x="40" y="40"/>'))
    assert used[45, 45].tolist() == [255, 0, 0] and used[5, 5].tolist() == [255, 255, 255]
    grad = render_svg(_svg('<defs><linearGradient id="g"><stop offset="0" style="stop-color:#ff0000"/>'
                           '<stop offset="1" style="stop-color:#0000ff"/></linearGradient></defs>'
                           '<rect width="64" height="64" style="fill:url(#g)"/>'))
    assert abs(int(grad[30, 30, 0]) - 128) <= 1 and abs(int(grad[30, 30, 2]) - 128) <= 1


def test_viewbox_scales_to_the_output_size():
    doc = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="8" height="16" fill="#f00"/></svg>'
    img = render_svg(doc, 64)
    assert img[5, 20].tolist() == [255, 0, 0] and img[5, 40].tolist() == [255, 255, 255]
    assert coverage([], 8).shape == (8, 8)


# ------------------------------------------------------------------------------------------------ names
def test_words_from_file_names():
    assert ai.name_tokens("folder-blue-music") == ["folder", "blue", "music"]
    assert ai.name_tokens("text-x-python") == ["text", "python"]
    assert ai.name_tokens("org.gnome.Nautilus") == ["nautilus"]
    assert ai.name_tokens("com.github.someone.SoundRecorder") == ["sound", "recorder"]
    assert ai.name_tokens("AdobePhotoshop") == ["adobe", "photoshop"]
    assert ai.name_tokens("media-tv-symbolic") == ["media", "tv"]
    words = ai.icon_words("utilities-terminal", ["org.gnome.Terminal", "xterm-color", "konsole"], context="apps")
    assert words[:3] == ["app", "utilities", "terminal"] and "konsole" in words
    many = ai.icon_words("ark", [f"application-x-thing{i}-archive" for i in range(40)], context="apps")
    assert many[:3] == ["app", "ark", "archive"] and len(many) <= ai.MAX_WORDS


def test_folder_colours_and_split_key():
    assert ai.folder_color("folder-red-music") == "red" and ai.folder_color("folder-music") is None
    assert ai.base_name("folder-red-music") == ai.base_name("folder-blue-music") == "folder-music"
    stems = [f"folder-{c}-kind{i}" for i in range(60) for c in ai.FOLDER_COLORS]
    mask = ai.heldout_mask(stems).reshape(60, len(ai.FOLDER_COLORS))
    assert (mask.all(1) | ~mask.any(1)).all() and 0 < mask.sum() < mask.size
    assert ai.heldout_mask(stems).tolist() == ai.heldout_mask(stems).tolist()


# ------------------------------------------------------------------------------------------------ fake theme
FOLDER = ('<rect width="56" height="40" x="4" y="14" rx="3" style="fill:{}"/>'
          '<circle cx="32" cy="34" r="8" style="fill:#1d344f"/>')
TERMINAL = ('<rect width="56" height="48" x="4" y="8" rx="4" style="fill:#333333"/>'
            '<path style="fill:none;stroke:#7af26e;stroke-width:3" d="M 14,22 22,30 14,38 M 26,40 H 40"/>')
PYTHON = ('<path style="fill:#e4e4e4" d="M 12,4 H 40 L 54,18 V 60 H 12 Z"/>'
          '<path style="fill:#3084e0;fill-rule:evenodd" d="M 24,30 A 8,8 0 1 1 40,30 A 8,8 0 1 1 24,30 Z '
          'M 30,30 A 2,2 0 1 1 34,30 A 2,2 0 1 1 30,30 Z"/>')


def fake_theme(root: Path) -> Path:
    theme = root / "Papirus" / "64x64"
    for ctx in ("apps", "places", "mimetypes"):
        (theme / ctx).mkdir(parents=True)
    (theme / "apps" / "utilities-terminal.svg").write_bytes(_svg(TERMINAL))
    (theme / "apps" / "org.gnome.Terminal.svg").symlink_to("utilities-terminal.svg")
    (theme / "places" / "folder-blue-music.svg").write_bytes(_svg(FOLDER.format("#5294e2")))
    (theme / "places" / "folder-red-music.svg").write_bytes(_svg(FOLDER.format("#e25252")))
    (theme / "places" / "folder-adwaita-music.svg").write_bytes(_svg(FOLDER.format("#438de6")))
    (theme / "places" / "folder-music.svg").symlink_to("folder-blue-music.svg")
    (theme / "mimetypes" / "text-x-python.svg").write_bytes(_svg(PYTHON))
    (theme / "mimetypes" / "text-x-python3.svg").write_bytes(_svg(PYTHON))  # a copy: one image, both names
    (theme / "categories").symlink_to("apps", target_is_directory=True)  # as in Papirus: not scanned twice
    return theme


def test_scan_keeps_chosen_colours_and_collects_aliases(tmp_path):
    theme = fake_theme(tmp_path)
    files = ai.scan_theme(theme, ai.CONTEXTS + ("categories",))
    assert sorted(p.as_posix() for p in files) == [
        "apps/utilities-terminal.svg", "mimetypes/text-x-python.svg", "mimetypes/text-x-python3.svg",
        "places/folder-blue-music.svg", "places/folder-red-music.svg"]
    assert files[Path("apps/utilities-terminal.svg")] == ["org.gnome.Terminal"]
    assert files[Path("places/folder-blue-music.svg")] == ["folder-music"]


def test_build_renders_dedupes_splits_and_caches(tmp_path):
    theme = fake_theme(tmp_path)
    cache = tmp_path / "cache"
    logs: list[str] = []
    data = ai.build_icon_data(cache, theme_dir=theme, log=logs.append)
    assert data.images.shape == (4, 64, 64, 3) and data.images.dtype == np.uint8
    assert data.sequences == ("apps/utilities-terminal.svg", "mimetypes/text-x-python.svg",
                              "places/folder-blue-music.svg", "places/folder-red-music.svg")
    assert data.names[1] == "file text python"  # the copy added no new words and no second image
    assert data.names[2] == "folder blue music" and data.names[0] == "app utilities terminal"
    folder = data.images[2]
    assert folder[34, 32].tolist() == [0x1d, 0x34, 0x4f] and folder[20, 10].tolist() == [0x52, 0x94, 0xe2]
    assert data.heldout[2] == data.heldout[3]  # both colours of one folder kind on the same side
    assert data.source["package"] == ai.PACKAGE and "GPL-3" in data.source["license"]
    assert (cache / "icons-v1.npz").exists() and (cache / "icons-vocabulary.json").exists()
    assert not (cache / "vocabulary.json").exists()  # the emoji cache files are not touched
    back = ad.load_builtin("icons", cache_dir=cache, build_if_missing=False)
    assert back.names == data.names and back.vocabulary == data.vocabulary
    assert np.array_equal(back.images, data.images) and np.array_equal(back.heldout, data.heldout)
    assert any("4 distinct icons" in line for line in logs)


def test_icons_and_emoji_caches_coexist(tmp_path):
    from tests.training.test_art_vae import synthetic_data

    emoji = synthetic_data()
    ad.save_art_data(emoji, tmp_path)
    ai.build_icon_data(tmp_path, theme_dir=fake_theme(tmp_path / "theme"), log=lambda line: None)
    assert ad.load_builtin("emoji", tmp_path, build_if_missing=False).names == emoji.names
    assert len(ad.load_builtin("icons", tmp_path, build_if_missing=False).names) == 4


def test_missing_icon_cache_is_a_clear_error(tmp_path):
    assert "icons" in ad.BUILTIN_SETS
    with pytest.raises(BadInput, match="train art --data icons"):
        ad.load_builtin("icons", cache_dir=tmp_path / "none", build_if_missing=False)
    with pytest.raises(BadInput, match="unknown built-in art set"):
        ad.load_builtin("sprites", cache_dir=tmp_path)


# ------------------------------------------------------------------------------------------------ shipped model
def test_shipped_icon_model_manifest():
    from genai_studio.core.manifest import read_manifest

    manifest = read_manifest(MODELS / "art-icons-vae.json")
    assert manifest.id == "art-icons-vae" and (manifest.family, manifest.task) == ("art", "generate")
    assert set(manifest.tags) == {"art", "generate", "icons", "trained-here"}
    assert manifest.source.command.startswith("genai-studio train art --data icons --family vae")
    assert "papirus-icon-theme" in manifest.training_data and "GPL-3" in manifest.training_data
    assert {"folder", "music", "app", "file"} <= set(manifest.defaults["vocabulary"])
    assert manifest.quality["heldout_images"] > 300 and manifest.files[0].name == "art-icons-vae.safetensors"
    emoji = read_manifest(MODELS / "art-emoji-vae.json")
    assert emoji.id == "art-emoji-vae" and "emoji" in emoji.tags and "icons" not in emoji.tags


def test_shipped_icon_model_generates_prompted_images():
    from genai_studio.core.art_generate_jobs import GenerateSpec
    from genai_studio.core.manifest import read_manifest
    from genai_studio.core.progress import CancelToken
    from genai_studio.engines.art.generate import run_generate

    manifest = read_manifest(MODELS / "art-icons-vae.json")
    weights = MODELS / "art-icons-vae.safetensors"

    def run(prompt: str) -> np.ndarray:
        spec = GenerateSpec(model_id="art-icons-vae", prompt=prompt, count=2, seed=3, device="cpu")
        result = run_generate(spec, CancelToken(), manifest=manifest, weights=weights)
        assert not result.unknown_words
        return np.stack([im.pixels for im in result.images]).astype(np.float32)

    folder, music = run("folder"), run("music")
    assert folder.shape == (2, 64, 64, 3)
    assert np.abs(folder - music).mean() > 5  # same seed, different prompt: different pictures
    assert np.array_equal(folder, run("folder"))  # and reproducible


# ------------------------------------------------------------------------------------------------ training
def test_tiny_icon_training_run_names_its_model_after_the_set(tmp_path):
    import torch

    from genai_studio.core.manifest import read_manifest
    from genai_studio.engines.art.generate import load_generator
    from genai_studio.training.art_vae import ArtTrainOptions, train_art_vae

    ai.build_icon_data(tmp_path / "cache", theme_dir=fake_theme(tmp_path), log=lambda line: None)
    command = "genai-studio train art --data icons --family vae -o X --steps 2"
    opts = ArtTrainOptions(steps=2, minutes=5, batch_size=2, width=8, latent=8, threads=1, model_id="art-icons-vae",
                           dataset="icons", data_dir=tmp_path / "cache", command=command)
    result = train_art_vae(tmp_path / "out", opts, log=lambda line: None)  # data loaded by opts.dataset
    assert result.weights.name == "art-icons-vae.safetensors" and result.manifest.name == "art-icons-vae.json"
    manifest = read_manifest(result.manifest)
    assert manifest.id == "art-icons-vae" and manifest.name.startswith("Icon-style")
    assert manifest.tags == ("art", "generate", "icons", "trained-here") and manifest.source.command == command
    assert "papirus-icon-theme" in manifest.training_data and "(4 images" in manifest.training_data
    assert manifest.license == "GPL-3.0-only" and "held-out icons" in manifest.quality["metric"]
    assert load_generator(result.weights, torch.device("cpu")).vocabulary == manifest.defaults["vocabulary"]


def test_emoji_runs_keep_the_emoji_manifest():
    from genai_studio.training import art_vae
    from tests.training.test_art_vae import synthetic_data

    opts = art_vae.ArtTrainOptions()
    assert (opts.dataset, opts.model_id) == ("emoji", "art-emoji-vae")
    assert art_vae.dataset_of(synthetic_data(), opts) == "emoji"
    icons_like = ad.ArtData(np.zeros((1, 64, 64, 3), np.uint8), ("folder",), ("places/folder.svg",),
                            np.zeros(1, bool), ("folder",), {"package": ai.PACKAGE})
    assert art_vae.dataset_of(icons_like, opts) == "icons"
    assert art_vae.SET_TEXTS["emoji"].tag == "emoji" and art_vae.MODEL_IDS["icons"] == "art-icons-vae"
