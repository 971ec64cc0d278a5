"""Weights files: safetensors (no pickle, so loading cannot run code) plus a JSON manifest.

The manifest says which network the tensors belong to, which class order and input
normalisation they expect, the sha256 of the tensor file, the exact command that trained
them and what they measured. Loading checks all of it, so a truncated download or weights
for another class order fail with one line instead of silently wrong predictions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load, save_file
from torch import nn

from config.errors import UserError
from recognizer.classes import EMOTIONS
from recognizer.models import build_model
from recognizer.preprocess import INPUT_SIZE, MEAN, STD

FORMAT_VERSION = 1
BUNDLED_WEIGHTS = Path(__file__).resolve().parent / "bundled" / "vgg48_ferplus.safetensors"


class WeightsError(UserError):
    pass


def manifest_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def peers_path(weights: Path) -> Path:
    """Where FER-2013 peers are kept: beside the weights, in a file of their own, so that the
    product, which never runs them, neither reads nor hashes them."""
    return weights.with_name(weights.stem + ".fer2013_peers.safetensors")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_weights(model: nn.Module, arch: str, config: dict[str, Any], path: Path, **extra: Any) -> dict[str, Any]:
    """Write tensors and manifest side by side; ``extra`` (command, metrics...) goes into the manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    save_file({name: tensor.float() for name, tensor in tensors.items() if not name.startswith("fer2013_peers.")},
              str(path))
    # FER-2013 peers serve only that benchmark: half precision halves their file (three
    # peers: 23 MB → 11 MB), and the benchmark reads the same (docs/results.md).
    peers = {name: tensor.half() for name, tensor in tensors.items() if name.startswith("fer2013_peers.")}
    if peers:
        save_file(peers, str(peers_path(path)))
        extra = {"fer2013_peers_sha256": sha256_of(peers_path(path)), **extra}
    manifest = {
        "format": FORMAT_VERSION,
        "arch": arch,
        "config": config,
        "classes": list(EMOTIONS),
        "input_size": INPUT_SIZE,
        "normalization": {"mean": MEAN, "std": STD},
        "sha256": sha256_of(path),
        **extra,
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    mpath = manifest_path(path)
    try:
        manifest = json.loads(mpath.read_text())
    except FileNotFoundError:
        raise WeightsError(f"{mpath} is missing: weights need their manifest beside them") from None
    except (OSError, ValueError) as error:
        raise WeightsError(f"{mpath} is not a readable manifest: {error}") from None
    if not isinstance(manifest, dict):
        raise WeightsError(f"{mpath} is not a readable manifest")
    return manifest


def record_metrics(path: Path, key: str, figures: dict[str, Any]) -> None:
    """Add measured figures under ``metrics[key]``; the tensors, and so the sha256, are untouched."""
    manifest = read_manifest(path)
    manifest.setdefault("metrics", {})[key] = figures
    _write_manifest(path, manifest)


def record_neutral_reference(path: Path, reference: dict[str, Any]) -> None:
    """Set the typical neutral face calibration aims for (see `recognizer.calibration.correction`)."""
    manifest = read_manifest(path)
    manifest["neutral_reference"] = reference
    _write_manifest(path, manifest)


def _write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    try:
        manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    except OSError as error:
        raise WeightsError(f"cannot update {manifest_path(path)}: {error}") from None


def load_weights(path: Path | None = None, fer2013_peers: bool = True) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model named by the manifest and load verified tensors into it (eval mode).
    ``fer2013_peers=False`` leaves out the networks only the FER-2013 benchmark averages."""
    path = Path(path) if path else BUNDLED_WEIGHTS
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    manifest = read_manifest(path)
    expected = {"format": FORMAT_VERSION, "classes": list(EMOTIONS), "input_size": INPUT_SIZE,
                "normalization": {"mean": MEAN, "std": STD}}
    for key, value in expected.items():
        if manifest.get(key) != value:
            raise WeightsError(f"{path}: manifest {key} is {manifest.get(key)!r}, this version needs {value!r}")
    state = _verified_tensors(path, manifest.get("sha256"))
    config = manifest.get("config")
    if not isinstance(config, dict):
        raise WeightsError(f"{path}: the manifest's config is {config!r}, not a table of settings")
    if config.get("fer2013_peers"):
        if fer2013_peers:
            if not peers_path(path).is_file():
                raise WeightsError(f"{peers_path(path)} is missing: these weights' FER-2013 peers are kept in it")
            state.update(_verified_tensors(peers_path(path), manifest.get("fer2013_peers_sha256")))
        else:
            config = {**config, "fer2013_peers": 0}
    try:
        model, _ = build_model(str(manifest.get("arch")), config)
    except (TypeError, ValueError, RuntimeError, OverflowError, MemoryError) as error:
        # Impossible settings (negative widths, a depth list of strings, a head of 9 stages)
        # fail inside torch's layers with whatever those raise.
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsError(f"{path}: the manifest's {manifest.get('arch')} config is impossible: {first}") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).splitlines()[0] if str(error) else "shape mismatch"
        raise WeightsError(f"{path} does not fit a {manifest.get('arch')} model: {first}") from None
    return model.eval(), manifest


def _verified_tensors(path: Path, sha256: str | None) -> dict[str, Any]:
    try:
        data = path.read_bytes()  # read once: hashed, then parsed from memory
        if hashlib.sha256(data).hexdigest() != sha256:
            raise WeightsError(f"{path} is corrupt: its sha256 does not match the manifest")
        return load(data)
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path} is not a readable safetensors file: {error}") from None
