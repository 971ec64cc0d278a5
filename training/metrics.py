"""Classification metrics from labels and probabilities, in plain numpy.

Small enough to own rather than pull scikit-learn (≈40 MB) into the package for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recognizer.classes import EMOTIONS


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int = len(EMOTIONS)) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    return np.bincount(labels * n_classes + predictions, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def roc_auc(scores: np.ndarray, positives: np.ndarray) -> float | None:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    n_pos = int(positives.sum())
    n_neg = len(positives) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # Average the ranks of tied scores.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        if count > 1:
            ranks[order[start:start + count]] = start + (count + 1) / 2
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_report(labels: np.ndarray, probabilities: np.ndarray,
                          valid: np.ndarray | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support/AUC and the confusion matrix.

    ``valid`` marks samples that produced a prediction at all (a face was found); the
    others count as wrong for every class-level figure.
    """
    n_classes = len(EMOTIONS)
    valid = np.ones(len(labels), dtype=bool) if valid is None else valid
    predictions = np.where(valid, probabilities.argmax(axis=1), -1)
    matrix = confusion_matrix(labels[valid], predictions[valid], n_classes)
    support = np.bincount(labels, minlength=n_classes)
    true_positive = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    precision = np.divide(true_positive, predicted, out=np.zeros(n_classes), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros(n_classes), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n_classes), where=(precision + recall) > 0)
    present = support > 0
    per_class = {}
    for index, name in enumerate(EMOTIONS):
        positives = labels == index
        auc = roc_auc(np.where(valid, probabilities[:, index], -1.0), positives)
        per_class[name] = {"precision": float(precision[index]), "recall": float(recall[index]),
                           "f1": float(f1[index]), "support": int(support[index]), "roc_auc": auc}
    return {
        "accuracy": float((predictions == labels).mean()) if len(labels) else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        # Mean recall over the classes present: accuracy as if every class were equally common.
        "balanced_accuracy": float(recall[present].mean()) if present.any() else 0.0,
        "n": int(len(labels)),
        "classes": list(EMOTIONS),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }
