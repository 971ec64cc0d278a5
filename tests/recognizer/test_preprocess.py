import numpy as np

from recognizer.preprocess import INPUT_SIZE, to_gray48


def test_a_face_taller_than_wide_is_cut_to_its_top_square_not_squashed() -> None:
    # SFEW's aligned faces are 143x181 with the chin at the bottom: squashing them made every face wider
    # than the model ever saw one (52.7 % on held-out films against 54.3 % for the top square).
    rng = np.random.default_rng(0)
    tall = rng.integers(0, 256, (181, 143), dtype=np.uint8)
    assert to_gray48(tall).shape == (INPUT_SIZE, INPUT_SIZE)
    assert np.array_equal(to_gray48(tall), to_gray48(tall[:143]))
    assert not np.array_equal(to_gray48(tall), to_gray48(tall[38:]))


def test_a_face_wider_than_tall_keeps_its_middle() -> None:
    rng = np.random.default_rng(1)
    wide = rng.integers(0, 256, (60, 100, 3), dtype=np.uint8)
    assert np.array_equal(to_gray48(wide), to_gray48(wide[:, 20:80]))
