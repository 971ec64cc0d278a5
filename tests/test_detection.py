import cv2
import numpy as np
import pytest

from recognizer.detection import Face, create_detector, crop_face, merge_overlapping
from tests_support import shared_image


@pytest.fixture(scope="module")
def blazeface():
    return create_detector("mediapipe", 0.5, "both")


def test_one_face(blazeface) -> None:
    faces = blazeface.detect(shared_image("one_face.jpg"))
    assert len(faces) == 1 and faces[0].score > 0.8


def test_group_photo_finds_every_face(blazeface) -> None:
    # shared/README calls it three_faces.jpg; the photo shows five people, all five frontal.
    faces = blazeface.detect(shared_image("three_faces.jpg"))
    assert len(faces) >= 3
    assert len(merge_overlapping(faces)) == len(faces)


def test_no_face(blazeface) -> None:
    assert blazeface.detect(shared_image("no_face.jpg")) == []


def test_short_range_model_sees_the_webcam_sized_face() -> None:
    assert len(create_detector("mediapipe", 0.5, "short").detect(shared_image("happy_1.jpg"))) == 1


def test_haar_fallback_finds_the_frontal_face() -> None:
    haar = create_detector("haar", 0.5)
    assert len(haar.detect(shared_image("one_face.jpg"))) == 1
    assert haar.detect(shared_image("no_face.jpg")) == []


def test_crop_is_square_even_at_the_edge_of_the_frame() -> None:
    image = np.arange(100 * 80 * 3, dtype=np.uint8).reshape(100, 80, 3)
    crop = crop_face(image, Face(x=60, y=-5, width=30, height=40, score=1.0), margin=0.1)
    assert crop.shape == (48, 48, 3)


def test_overlapping_boxes_merge_to_the_best() -> None:
    a, b, c = Face(0, 0, 10, 10, 0.9), Face(1, 1, 10, 10, 0.8), Face(50, 50, 10, 10, 0.7)
    assert merge_overlapping([b, c, a]) == [a, c]


def test_gray_images_are_accepted(blazeface) -> None:
    gray = cv2.cvtColor(shared_image("one_face.jpg"), cv2.COLOR_BGR2GRAY)
    assert len(blazeface.detect(gray)) == 1
