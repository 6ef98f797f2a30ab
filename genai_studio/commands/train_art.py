"""`genai-studio train art`: train a GAN, VAE or diffusion generator on a folder of images (or a built-in set).

``--data DIR`` (a folder of images; subfolder names become prompt words) trains with the family trainer
(``training/art_trainer``), printing one progress line per sample grid; Ctrl+C writes a checkpoint and exits 130,
``--resume`` continues it. ``--data emoji|icons`` (a built-in set) with ``--family vae`` — or ``--data`` naming an
art-data cache folder, or no ``--data`` at all — reproduces the shipped VAE with ``training/art_vae`` and its
options (--minutes, --batch-size, --lr, --kl-weight, --threads, --no-eval); with gan/diffusion it trains that family
on the built-in set, conditioned on the words of its names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genai_studio.commands.reporting import check_output_writable, run_training
from genai_studio.core.errors import BadInput
from genai_studio.core.art_train_jobs import FAMILIES, PRESETS

EXIT_INTERRUPTED = 130


def register_art(actions: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``art`` to the ``genai-studio train`` subcommands (``actions`` is their sub-parser group)."""
    a = actions.add_parser("art", help="train an image generator (GAN, VAE or diffusion) on a folder of images",
                           description="Train an image generator on your own folder of images (at least 50; "
                           "subfolder names become prompt words), or reproduce the shipped model with a "
                           "built-in set (--data emoji).")
    a.add_argument("--data", default=None, help="folder of training images, or a built-in set name (emoji, "
                   "icons); default: the emoji set (art data cache, built from its Debian package on first use)")
    a.add_argument("--family", default="vae", choices=FAMILIES, help="model family (default vae)")
    a.add_argument("-o", "--out", default="art-model", help="model folder (default ./art-model)")
    a.add_argument("--preset", default=None, choices=tuple(PRESETS), help="model size for folders and "
                   "gan/diffusion: tiny (32 px, CPU minutes), small (64 px), medium (64 px, wide; GPU). "
                   "Default: tiny for folders, small for built-in sets")
    a.add_argument("--steps", type=int, default=None, help="training steps (default: the preset's; 6000 for "
                   "the built-in VAE)")
    a.add_argument("--name", default="", help="name of the trained model (default: the folder's name)")
    a.add_argument("--resume", action="store_true", help="continue from the checkpoint in the model folder")
    a.add_argument("--overwrite", action="store_true", help="train afresh into a model folder that already holds "
                   "a model (it is replaced)")
    a.add_argument("--sample-every", type=int, default=100, help="steps between sample grids / progress lines")
    a.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--device", default=None, choices=("auto", "cpu", "cuda"),
                   help="default: auto (cpu for the built-in VAE)")
    vae = a.add_argument_group("built-in VAE (--data emoji|icons --family vae)")
    vae.add_argument("--minutes", type=float, default=18.0, help="wall-clock budget for training (default 18)")
    a.add_argument("--batch-size", type=int, default=None, help="images per step (default: 32 for the built-in "
                   "VAE; 16 for tiny on a CPU, 32 for larger presets, 64 on a GPU)")
    vae.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (warm-up, then cosine)")
    vae.add_argument("--kl-weight", type=float, default=0.02, help="weight of the KL term against summed "
                     "squared pixel error (default 0.02)")
    vae.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    vae.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation (smoke tests)")
    a.set_defaults(func=cmd_train_art)
    return a


def _builtin_source(data: str | None) -> tuple[str, Path | None] | None:
    """(set name, cache folder or None) when ``--data`` means a built-in set, else None (a folder of images)."""
    from genai_studio.training import art_data as ad

    if data is None:
        return "emoji", None
    path = Path(data)
    if data in ad.BUILTIN_SETS and not path.is_dir():
        return data, None
    if path.is_dir():
        for name in ad.BUILTIN_SETS:
            if any(path.glob(f"{name}-v*.npz")):
                return name, path  # an art-data cache folder
    return None


MAX_BATCH = 1024  # images per step; far beyond any preset's need, and a typo of 100000 would exhaust memory


def _check_arguments(args: argparse.Namespace) -> str:
    """The first problem with the arguments (before any image is read), or ""."""
    if (args.steps is not None and args.steps < 1) or not 1 <= (args.batch_size or 1) <= MAX_BATCH \
            or args.lr <= 0 or args.minutes <= 0 or args.sample_every < 1 or args.checkpoint_every < 1:
        return (f"--steps, --sample-every, --checkpoint-every must be at least 1, --batch-size 1 to {MAX_BATCH}; "
                "--lr and --minutes positive")
    if args.seed < 0 or args.threads < 1:
        return "--seed must be 0 or more and --threads at least 1"
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        return f"{out} is a file; -o names the model folder"
    if args.data and Path(args.data).is_dir():
        data = Path(args.data).expanduser().resolve()
        if out.resolve() == data or data in out.resolve().parents:
            return f"-o {args.out} is inside the training folder; its samples would become training images"
    if (out / "checkpoint.json").exists() or any(out.glob("*.safetensors")):
        if not (args.resume or args.overwrite):
            return (f"{out} already holds a trained model; --resume continues it, --overwrite replaces it, or "
                    "choose another -o")
    try:
        check_output_writable(out / "manifest.json")  # creates the folder and proves it can be written
    except BadInput as exc:
        return exc.message
    return ""


def cmd_train_art(args: argparse.Namespace) -> int:
    problem = _check_arguments(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    builtin = _builtin_source(args.data)
    if builtin is not None and args.family == "vae":
        return _train_builtin_vae(args, *builtin)
    return _train_family(args, builtin)


def _train_builtin_vae(args: argparse.Namespace, set_name: str, cache_dir: Path | None) -> int:
    from genai_studio.training import art_vae

    steps = args.steps or 6000
    options = art_vae.ArtTrainOptions(steps=steps, minutes=args.minutes, seed=args.seed,
                                      batch_size=args.batch_size or 32,
                                      lr=args.lr, kl_weight=args.kl_weight, device=args.device or "cpu",
                                      threads=args.threads, data_dir=cache_dir, evaluate=not args.no_eval,
                                      command=_reconstruct_vae(args, steps))
    model_ids = getattr(art_vae, "MODEL_IDS", {"emoji": art_vae.MODEL_ID})
    options.model_id = model_ids.get(set_name, f"art-{set_name}-vae")
    if hasattr(options, "dataset"):
        options.dataset = set_name
    return run_training(art_vae.train_art_vae, args.out, options)


def _train_family(args: argparse.Namespace, builtin: tuple[str, Path | None] | None) -> int:
    from genai_studio.core.errors import Cancelled, StudioError
    from genai_studio.core.progress import CancelToken
    from genai_studio.training.art_folder import from_builtin, scan_folder
    from genai_studio.training.art_trainer import command_line, train_generator

    preset = args.preset or ("small" if builtin else "tiny")
    device = args.device or "auto"
    steps = args.steps or PRESETS[preset].steps
    data = builtin[0] if builtin else args.data
    name = args.name or (f"{data}-{args.family}" if builtin else Path(args.data).expanduser().resolve().name)
    say = lambda line: print(line, flush=True)  # noqa: E731
    token = CancelToken()
    try:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        if builtin:
            dataset = from_builtin(builtin[0], PRESETS[preset].px, log=say)
        else:
            dataset = scan_folder(args.data, PRESETS[preset].px, log=say)
        result = train_generator(dataset, Path(args.out), args.family, preset, steps, seed=args.seed,
                                 resume=args.resume, sample_every=args.sample_every,
                                 checkpoint_every=args.checkpoint_every, device=device, name=name, token=token,
                                 log=say, batch_size=args.batch_size,
                                 command=command_line(data, args.family, args.out, preset, steps, args.seed, device,
                                                      args.name, args.batch_size))
    except KeyboardInterrupt:
        return _interrupted(args)
    except Cancelled:
        return EXIT_INTERRUPTED
    except StudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"note: {note}")
    print(f"wrote {result.weights} and {result.manifest} after {result.steps_done} steps "
          f"(samples: {Path(args.out) / 'samples.png'})")
    return 0


def _interrupted(args: argparse.Namespace) -> int:
    """Ctrl+C: the trainer has written a checkpoint (it treats KeyboardInterrupt like a cancel); say how to go on."""
    print(f"\ninterrupted: the last checkpoint is in {args.out}; resume with --resume (same --data, --family and "
          f"--preset)", file=sys.stderr)
    return EXIT_INTERRUPTED


def _reconstruct_vae(args: argparse.Namespace, steps: int) -> str:
    """The canonical command line (recorded in the manifest): options that change the result, fixed order."""
    parts = ["genai-studio", "train", "art", "--family", args.family, "-o", str(args.out), "--steps",
             str(steps), "--minutes", f"{args.minutes:g}", "--seed", str(args.seed)]
    for flag, value, default in (("--data", args.data, None), ("--batch-size", args.batch_size or 32, 32),
                                 ("--lr", args.lr, 2e-3), ("--kl-weight", args.kl_weight, 0.02),
                                 ("--threads", args.threads, 2), ("--device", args.device or "cpu", "cpu")):
        if value != default:
            parts += [flag, str(value)]
    return " ".join(parts)
