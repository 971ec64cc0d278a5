from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer.classes import EMOTIONS
from training.datasets import DatasetError, list_images, load_split


def test_folder_and_csv_layouts_give_the_same_classes(folder_dataset: Path, csv_dataset: Path) -> None:
    folder = load_split(folder_dataset, "train")
    csv = load_split(csv_dataset, "train")
    assert folder.images.shape == csv.images.shape == (7 * 40, 48, 48)
    assert folder.images.dtype == np.uint8
    assert folder.class_counts().tolist() == csv.class_counts().tolist() == [40] * 7


def test_test_split_is_divided_by_file_prefix(folder_dataset: Path, csv_dataset: Path) -> None:
    for data in (folder_dataset, csv_dataset):
        assert len(load_split(data, "PublicTest")) == 70
        assert len(load_split(data, "PrivateTest")) == 70
        assert len(load_split(data, "test")) == 140


def test_csv_class_numbering_is_mapped_to_the_project_order(csv_dataset: Path) -> None:
    # The CSV numbers neutral 6 and sad 4; the striped images encode the true class.
    faces = load_split(csv_dataset, "train")
    neutral = faces.images[faces.labels == EMOTIONS.index("neutral")]
    stripes = (np.diff((neutral[:, :, 24] > 110).astype(int), axis=1) == 1).sum(axis=1)
    assert np.median(stripes) == EMOTIONS.index("neutral")


def test_unreadable_images_are_skipped_and_counted(tmp_path: Path) -> None:
    for name in EMOTIONS:
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "good.png"), np.full((48, 48), 128, np.uint8))
    (tmp_path / "happy" / "broken.jpg").write_bytes(b"not a jpeg")
    faces = load_split(tmp_path, "test")
    assert len(faces) == 7 and faces.skipped == 1


def test_photos_of_any_size_become_48x48_gray(tmp_path: Path) -> None:
    (tmp_path / "happy").mkdir()
    cv2.imwrite(str(tmp_path / "happy" / "big.jpg"), np.zeros((300, 200, 3), np.uint8))
    assert load_split(tmp_path, "test").images.shape == (1, 48, 48)


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "has no class folders"),
    (lambda p: (p / "train" / "cats").mkdir(parents=True) or p, "has no class folders"),
    (lambda p: (p / "x.txt").write_text("hi") and p / "x.txt", "is not a CSV file"),
    (lambda p: (p / "f.csv").write_text("a,b\n1,2\n") and p / "f.csv", "lacks the columns"),
    (lambda p: p / "missing", "does not exist"),
])
def test_wrong_layout_is_one_line_saying_what_was_expected(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(DatasetError) as error:
        load_split(make(tmp_path), "train")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_private_split_needs_fer_file_names(tmp_path: Path) -> None:
    (tmp_path / "test" / "happy").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "test" / "happy" / "a.png"), np.zeros((48, 48), np.uint8))
    with pytest.raises(DatasetError, match="PrivateTest"):
        list_images(tmp_path, "PrivateTest")


def test_decoded_split_is_cached_and_reused(folder_dataset: Path, isolated_dirs: Path) -> None:
    first = load_split(folder_dataset, "PublicTest")
    cached = list((isolated_dirs / "xdg_cache_home" / "assistant" / "datasets").glob("*.npz"))
    assert len(cached) == 1
    again = load_split(folder_dataset, "PublicTest")
    assert np.array_equal(first.images, again.images) and np.array_equal(first.labels, again.labels)
