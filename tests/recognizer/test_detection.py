from dataclasses import replace

import cv2
import numpy as np
import pytest

from config.settings import load_settings
from recognizer.crop import VIDEO_CROP_SIDE, CropGeometry, crop_face, eye_angle
from recognizer.detection import BorderedRetry, Face, create_detector, merge_overlapping
from recognizer.from_settings import build_pipeline
from recognizer.preprocess import to_gray48
from tests.support import shared_image


@pytest.fixture(scope="module")
def blazeface():
    return create_detector("mediapipe", 0.5, "both")


def test_one_face(blazeface) -> None:
    faces = blazeface.detect(shared_image("one_face.jpg"))
    assert len(faces) == 1 and faces[0].score > 0.8


def test_group_photo_finds_every_face(blazeface) -> None:
    # shared/README calls it three_faces.jpg; the photo shows five people, all five frontal.
    faces = blazeface.detect(shared_image("three_faces.jpg"))
    assert len(faces) == 5
    assert all(face.eyes is not None for face in faces)


def test_no_face(blazeface) -> None:
    assert blazeface.detect(shared_image("no_face.jpg")) == []


def face_only(photo: np.ndarray, face: Face, inset: float = 0.2) -> np.ndarray:
    """The photo cut to the inside of the face's box, as a photo already cropped to a face is."""
    dx, dy = int(inset * face.width), int(inset * face.height)
    return photo[max(0, face.y + dy):face.y + face.height - dy, max(0, face.x + dx):face.x + face.width - dx]


def test_a_face_that_fills_the_photo_is_found_inside_a_border(blazeface) -> None:
    photo = shared_image("one_face.jpg")
    (whole,) = blazeface.detect(photo)
    tight = face_only(photo, whole)
    assert blazeface.detect(tight) == []  # no edge of the head left to see
    (face,) = BorderedRetry(blazeface).detect(tight)
    height, width = tight.shape[:2]
    # In the tight photo's own coordinates: the box is around its middle, about its size (BlazeFace's box
    # reaches past the brow and chin it cannot see), and the eyes lie on it, upper half, right eye left.
    assert face.x < width / 2 < face.x + face.width and face.y < height / 2 < face.y + face.height
    assert width <= face.width <= 2 * width
    (rx, ry), (lx, ly) = face.eyes
    assert 0 <= rx < lx < width and 0 <= ry < height / 2 and 0 <= ly < height / 2


def test_the_border_finds_nothing_where_there_is_no_face_and_leaves_found_faces_alone(blazeface) -> None:
    retry = BorderedRetry(blazeface)
    assert retry.detect(shared_image("no_face.jpg")) == []
    assert retry.detect(shared_image("three_faces.jpg")) == blazeface.detect(shared_image("three_faces.jpg"))


def test_short_range_model_sees_the_webcam_sized_face() -> None:
    assert len(create_detector("mediapipe", 0.5, "short").detect(shared_image("happy_1.jpg"))) == 1


def test_haar_fallback_finds_the_frontal_face() -> None:
    haar = create_detector("haar", 0.5)
    assert len(haar.detect(shared_image("one_face.jpg"))) == 1
    assert haar.detect(shared_image("no_face.jpg")) == []


def test_crop_is_square_even_at_the_edge_of_the_frame() -> None:
    image = np.arange(100 * 80 * 3, dtype=np.uint8).reshape(100, 80, 3)
    crop = crop_face(image, Face(x=60, y=-5, width=30, height=40, score=1.0), CropGeometry(margin=0.1))
    assert crop.shape == (48, 48, 3)
    assert (crop[:, -10:] == crop[:, -11:-10]).all()  # beyond the frame: the border repeated


def test_a_large_face_in_a_photo_is_shrunk_by_averaging_every_pixel_not_by_sampling() -> None:
    # Detail finer than the model's 48 px (here stripes one pixel wide on a 500 px face) must
    # average out to grey, as it did when FER-2013's faces were made; a warp straight to the
    # video crop's 96 px samples it into bands instead (a standard deviation of about 25).
    image = np.zeros((700, 700, 3), np.uint8)
    image[:, ::2] = 255
    face = Face(x=100, y=100, width=500, height=500, score=1.0)
    settings = load_settings()
    photo, video = (build_pipeline(settings, video=video).geometry for video in (False, True))
    shrunk = cv2.resize(crop_face(image, face, photo), (48, 48), interpolation=cv2.INTER_AREA)
    assert abs(shrunk.mean() - 127.5) < 2 and shrunk.std() < 8
    assert crop_face(image, face, video).shape == (96, 96, 3)  # a webcam frame's face stays cheap to warp


def _two_eyes(angle: float) -> tuple[np.ndarray, Face]:
    """A plain 200x200 image with two dark eyes 60 px apart, turned by ``angle`` degrees about its centre."""
    image = np.full((200, 200), 200, np.uint8)
    centre = np.array([100.0, 100.0])
    turn = np.radians(angle)
    offset = 30 * np.array([np.cos(turn), np.sin(turn)])
    right, left = centre - offset, centre + offset
    for x, y in (right, left):
        cv2.circle(image, (int(round(x)), int(round(y))), 6, 0, -1)
    return image, Face(40, 40, 120, 120, 1.0, (tuple(right), tuple(left)))


@pytest.mark.parametrize("angle", [-25.0, 12.0, 30.0])
def test_the_crop_levels_the_eyes(angle: float) -> None:
    image, face = _two_eyes(angle)
    assert eye_angle(face) == pytest.approx(angle, abs=0.5)
    def eye_rows(crop: np.ndarray) -> list[float]:
        middle = crop.shape[1] // 2
        return [np.nonzero((crop[:, half] < 100).any(axis=1))[0].mean()
                for half in (slice(0, middle), slice(middle, None))]

    video = CropGeometry(margin=0.0, max_side=VIDEO_CROP_SIDE)
    crop = crop_face(image, face, video)
    assert crop.shape == (96, 96)  # in a video frame a 120 px face is warped straight to twice the model's input
    left, right = eye_rows(crop)
    assert abs(left - right) < 1.5
    left, right = eye_rows(crop_face(image, face, replace(video, level_eyes=False)))
    assert abs(left - right) > 0.8 * 30 * abs(np.sin(np.radians(angle)))  # 60 px apart, scaled by 0.8


def test_a_tilted_head_gives_the_model_nearly_the_upright_input(blazeface) -> None:
    photo = shared_image("one_face.jpg")
    (upright,) = blazeface.detect(photo)
    height, width = photo.shape[:2]
    turned = cv2.warpAffine(photo, cv2.getRotationMatrix2D((width / 2, height / 2), 20, 1.0), (width, height),
                            borderMode=cv2.BORDER_REPLICATE)
    (tilted,) = blazeface.detect(turned)
    assert abs(eye_angle(tilted) - eye_angle(upright)) == pytest.approx(20, abs=5)

    def correlation(level: bool) -> float:
        geometry = CropGeometry(level_eyes=level)
        a = to_gray48(crop_face(photo, upright, geometry)).astype(float).ravel()
        b = to_gray48(crop_face(turned, tilted, geometry)).astype(float).ravel()
        return float(np.corrcoef(a, b)[0, 1])

    # Measured: 0.75 levelled, 0.42 not (BlazeFace's box is axis-aligned, so it shifts a little on a turned face).
    assert correlation(True) > 0.7 and correlation(True) > correlation(False) + 0.2


def test_overlapping_boxes_merge_to_the_best() -> None:
    a, b, c = Face(0, 0, 10, 10, 0.9), Face(1, 1, 10, 10, 0.8), Face(50, 50, 10, 10, 0.7)
    assert merge_overlapping([b, c, a]) == [a, c]


def test_gray_images_are_accepted(blazeface) -> None:
    gray = cv2.cvtColor(shared_image("one_face.jpg"), cv2.COLOR_BGR2GRAY)
    assert len(blazeface.detect(gray)) == 1
