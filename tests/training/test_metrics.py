import numpy as np
import pytest

from training.metrics import classification_report, confusion_matrix, roc_auc


def test_confusion_matrix_rows_are_true_classes() -> None:
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_roc_auc_matches_hand_computed_values() -> None:
    positives = np.array([True, False, True, False])
    assert roc_auc(np.array([0.9, 0.1, 0.8, 0.2]), positives) == 1.0
    assert roc_auc(np.array([0.1, 0.9, 0.2, 0.8]), positives) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), positives) == 0.5
    assert roc_auc(np.array([0.9, 0.8, 0.3, 0.5]), positives) == pytest.approx(0.5)
    assert roc_auc(np.array([0.1, 0.2]), np.array([False, False])) is None


def test_report_counts_missing_faces_as_wrong() -> None:
    labels = np.array([3, 3, 4, 4])
    probabilities = np.eye(7)[[3, 3, 4, 4]]
    report = classification_report(labels, probabilities, valid=np.array([True, False, True, True]))
    assert report["accuracy"] == 0.75
    assert report["per_class"]["happy"]["recall"] == 0.5
    assert report["per_class"]["happy"]["precision"] == 1.0
    assert report["per_class"]["neutral"]["f1"] == 1.0
    assert report["macro_f1"] == pytest.approx((2 * 0.5 / 1.5 + 1.0) / 2)
    assert sum(map(sum, report["confusion_matrix"])) == 3
