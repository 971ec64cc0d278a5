"""Cut a detected face out of a frame so that it looks like the faces the model learnt from.

FER-2013's faces are upright, square and framed alike; a webcam's are tilted, and
BlazeFace's box sits differently on a face than FER-2013's registration did. The crop is
rotated about the box centre so the eyes are level (BlazeFace gives the eye keypoints),
grown by ``margin`` of the box on every side and moved down by ``shift`` of the box
height. The defaults in ``config/default.toml`` were chosen by `assistant bench crop`
on real photographs, not by eye.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from recognizer.detection import Face
from recognizer.preprocess import INPUT_SIZE

#: The most pixels a side the warp gives a video frame's face, which `to_gray48` then area-averages
#: to 48. A warp samples and does not average, so shrinking a face by more than half skips pixels
#: and turns fine detail (wrinkles, teeth) into noise; a photo's face is therefore warped at its
#: own size (``max_side=None``) and only the area average shrinks it (real photos 66.0 -> 66.4 %,
#: docs/results.md, "Sharp crops of large faces"). A webcam frame's face stops at 2x the model's
#: input: 0.06 ms for a 175 px face against 0.20 ms at 4x, and the live figures do not move.
VIDEO_CROP_SIDE = 2 * INPUT_SIZE
# Beyond this the keypoints themselves are unreliable (a face in profile, a wrong box).
MAX_LEVELLING_DEGREES = 45.0
#: Test-time augmentation reads a face from these crops, as (margin, shift) added to the chosen
#: geometry's, each with its mirror image: the crop itself and the crop moved down by 5 and 10 %
#: of the box. A box sits a little differently on every face, and no one crop suits all of them;
#: chosen among other sets of crops on three sets of photos (docs/results.md, "More than one crop").
TTA_OFFSETS = ((0.0, 0.0), (0.0, 0.05), (0.0, 0.1))


@dataclass(frozen=True)
class CropGeometry:
    margin: float = 0.1
    shift: float = 0.0
    level_eyes: bool = True
    max_side: int | None = None

    def views(self, tta: bool) -> tuple[CropGeometry, ...]:
        """The crops a face is read from: this one alone, or with test-time augmentation its neighbours too."""
        if not tta:
            return (self,)
        return tuple(replace(self, margin=self.margin + margin, shift=self.shift + shift)
                     for margin, shift in TTA_OFFSETS)


def eye_angle(face: Face) -> float:
    """Degrees the face is turned from upright (positive: its left eye is lower in the image)."""
    if face.eyes is None:
        return 0.0
    (rx, ry), (lx, ly) = face.eyes
    angle = math.degrees(math.atan2(ly - ry, lx - rx))
    return angle if abs(angle) <= MAX_LEVELLING_DEGREES else 0.0


def crop_face(image: np.ndarray, face: Face, geometry: CropGeometry = CropGeometry()) -> np.ndarray:
    """A square, eye-levelled crop around ``face``, as one affine warp, at most ``geometry.max_side`` pixels a side
    (the face's own size when None).

    Parts outside the image are filled by repeating the border, so a face at the edge of
    the frame keeps its proportions instead of being squashed.
    """
    side = max(1, int(round(max(face.width, face.height) * (1 + 2 * geometry.margin))))
    scale = 1.0 if geometry.max_side is None else min(1.0, geometry.max_side / side)
    out = max(1, int(round(side * scale)))
    cx = face.x + face.width / 2
    cy = face.y + face.height / 2 + geometry.shift * face.height
    angle = eye_angle(face) if geometry.level_eyes else 0.0
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    matrix[:, 2] += (out / 2 - cx, out / 2 - cy)
    return cv2.warpAffine(image, matrix, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
