import os
import subprocess
import sys
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
    # The CSV numbers neutral 6 and sad 4; the striped images encode the true class
    # (equalised, the dark half of each face lies below 128 and the bright half above).
    faces = load_split(csv_dataset, "train")
    neutral = faces.images[faces.labels == EMOTIONS.index("neutral")]
    stripes = (np.diff((neutral[:, :, 24] > 127).astype(int), axis=1) == 1).sum(axis=1)
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


def test_ferplus_folders_give_majority_labels_and_vote_distributions(ferplus_dataset: Path) -> None:
    faces = load_split(ferplus_dataset, "train")
    assert faces.class_counts().tolist() == [40] * 7  # the stripes' class is the majority
    assert faces.left_out == 4 * 7  # a tie, and an unknown, not-a-face or contempt lead, per class
    assert np.allclose(faces.votes.sum(axis=1), 1.0)
    assert np.sort(faces.votes[0])[-2:] == pytest.approx([0.3, 0.7])
    assert faces.votes[np.arange(len(faces)), faces.labels].min() == pytest.approx(0.7)


def test_ferplus_splits_map_to_the_fer2013_benchmark_splits(ferplus_dataset: Path) -> None:
    assert len(load_split(ferplus_dataset, "PublicTest")) == 70  # FER2013Valid
    assert len(load_split(ferplus_dataset, "PrivateTest")) == 70  # FER2013Test
    assert len(load_split(ferplus_dataset, "test")) == 140


def test_fer2013new_csv_reads_votes_beside_the_pixels_of_fer2013_csv(ferplus_csv: Path, ferplus_dataset: Path) -> None:
    from_csv, from_folders = load_split(ferplus_csv, "train"), load_split(ferplus_dataset, "train")
    assert from_csv.class_counts().tolist() == from_folders.class_counts().tolist()
    assert from_csv.left_out == from_folders.left_out
    assert np.allclose(np.sort(from_csv.votes, axis=0), np.sort(from_folders.votes, axis=0))
    original = load_split(ferplus_csv.with_name("fer2013.csv"), "train")  # the same faces, FER-2013's labels
    assert len(original) == len(from_csv) + from_csv.left_out


def test_fer2013new_csv_without_its_pixels_is_one_line(tmp_path: Path, ferplus_csv: Path) -> None:
    lonely = tmp_path / "fer2013new.csv"
    lonely.write_bytes(ferplus_csv.read_bytes())
    with pytest.raises(DatasetError, match="fer2013.csv must be beside it"):
        load_split(lonely, "train")


def test_ferplus_folder_without_label_csv_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "FER2013Train").mkdir()
    with pytest.raises(DatasetError, match="label.csv is missing"):
        load_split(tmp_path, "train")


def test_single_label_sets_carry_one_hot_votes(folder_dataset: Path) -> None:
    faces = load_split(folder_dataset, "train")
    assert np.array_equal(faces.votes.argmax(axis=1), faces.labels) and np.all(faces.votes.max(axis=1) == 1.0)


def test_a_damaged_cache_is_rebuilt_with_a_note(folder_dataset: Path, isolated_dirs: Path, capsys) -> None:
    first = load_split(folder_dataset, "PrivateTest")
    (cached,) = (isolated_dirs / "xdg_cache_home" / "assistant" / "datasets").glob("*.npz")
    cached.write_bytes(cached.read_bytes()[:500])
    again = load_split(folder_dataset, "PrivateTest")
    assert "damaged" in capsys.readouterr().err
    assert np.array_equal(first.images, again.images)
    assert np.array_equal(load_split(folder_dataset, "PrivateTest").images, first.images)  # and cached again


def test_processes_decoding_the_same_split_at_once_all_succeed(ferplus_dataset: Path, isolated_dirs: Path) -> None:
    code = ("import sys; from training.datasets import load_split; "
            f"f = load_split({str(ferplus_dataset)!r}, 'train'); print(len(f))")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env) for _ in range(4)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["280"] * 4
    cache = isolated_dirs / "xdg_cache_home" / "assistant" / "datasets"
    assert len(list(cache.glob("*.npz"))) == 1 and not list(cache.glob("*.tmp*"))
    assert len(load_split(ferplus_dataset, "train")) == 280
