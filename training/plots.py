"""PNG figures for evaluation reports: confusion matrix and training curves."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here, and none needed to write a PNG
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from config.errors import UserError  # noqa: E402


def plot_confusion_matrix(matrix: list[list[int]], classes: list[str], path: Path, title: str) -> None:
    counts = np.asarray(matrix, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(normalized, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{normalized[i, j]:.2f}\n({int(counts[i, j])})", ha="center", va="center", fontsize=7,
                    color="white" if normalized[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_training_curves(metrics_csv: Path, path: Path) -> None:
    try:
        with metrics_csv.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise UserError(f"cannot read metrics log {metrics_csv}: {error}") from None
    if not rows or "epoch" not in rows[0]:
        raise UserError(f"{metrics_csv} is not a training metrics log (no epoch column)")
    epochs = [int(row["epoch"]) for row in rows]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    loss_ax.plot(epochs, [float(row["train_loss"]) for row in rows], label="train loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.legend()
    for key in ("train_acc", "val_acc", "val_macro_f1"):
        if rows[0].get(key):
            acc_ax.plot(epochs, [float(row[key]) for row in rows], label=key.replace("_", " "))
    acc_ax.set_xlabel("epoch")
    acc_ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
