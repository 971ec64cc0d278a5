"""Train-time augmentation, a whole batch at a time, on the device that trains.

Two kinds of change are simulated. Geometric jitter, as the strongest published FER-2013
CNNs use it: the detector's crop wanders in position and scale and heads tilt, so each face
gets a random affine warp (rotation, shift, zoom) and a mirror image half the time, with
the border replicated as `recognizer.crop` does at inference; random erasing stands in for
hands and glasses. And what a webcam does to a face that a dataset of clean photos lacks
(`WebcamEffects`, each switched on separately so each can be measured): optical and motion
blur, sensor noise, a dark room (few grey levels, much shot noise) and JPEG compression.

Every face ends histogram-equalised, as `recognizer.preprocess.to_gray48` ends every face
at inference: a brightness or contrast jitter would be undone there, so none is applied,
but the noise and quantisation that a dark room leaves after equalisation are kept.

Working on the batch (one `grid_sample`, one grouped convolution) instead of per face
makes augmentation cheap enough to run in the training process, on a GPU or a CPU alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torchvision.io import decode_jpeg, encode_jpeg

from config.errors import UserError
from recognizer.preprocess import normalize


@dataclass(frozen=True)
class WebcamEffects:
    """How often (0–1) each webcam effect is applied to a training face."""

    blur: float = 0.0
    noise: float = 0.0
    dark: float = 0.0
    jpeg: float = 0.0

    @classmethod
    def parse(cls, text: str, probability: float = 0.3) -> WebcamEffects:
        """"blur,noise" → those effects at ``probability`` each; "none" → none; "all" → every one."""
        names = [field.name for field in fields(cls)]
        chosen = {part.strip() for part in text.split(",") if part.strip()}
        if chosen == {"all"}:
            chosen = set(names)
        chosen.discard("none")
        unknown = sorted(chosen - set(names))
        if unknown:
            raise UserError(f"unknown webcam effect {', '.join(unknown)}: choose from {', '.join(names)}, all or none")
        return cls(**{name: probability for name in chosen})

    def describe(self) -> str:
        return ",".join(field.name for field in fields(self) if getattr(self, field.name) > 0) or "none"


class BatchAugment:
    """uint8 (N, 1, 48, 48) faces → augmented, normalised float faces on the same device."""

    def __init__(self, webcam: WebcamEffects, generator: torch.Generator, *, degrees: float = 10.0,
                 translate: float = 0.1, scale: tuple[float, float] = (0.9, 1.15), erase_p: float = 0.5) -> None:
        self.webcam, self.generator = webcam, generator
        self.degrees, self.translate, self.scale, self.erase_p = degrees, translate, scale, erase_p

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        faces = images.float() / 255.0
        faces = self._warp(faces)
        faces = self._webcam(faces)
        faces = equalize((faces * 255.0).round().clamp(0, 255).to(torch.uint8))
        return self._erase(normalize(faces))

    def _uniform(self, n: int, low: float, high: float) -> torch.Tensor:
        device = self.generator.device
        return torch.rand(n, generator=self.generator, device=device) * (high - low) + low

    def _chosen(self, n: int, probability: float) -> torch.Tensor:
        return torch.rand(n, generator=self.generator, device=self.generator.device) < probability

    def _warp(self, faces: torch.Tensor) -> torch.Tensor:
        """One bilinear warp per face: rotation, zoom, shift and a mirror image half the time."""
        n = len(faces)
        angle = torch.deg2rad(self._uniform(n, -self.degrees, self.degrees))
        # affine_grid maps output to input coordinates: zooming in by s samples a 1/s box.
        inverse_zoom = 1.0 / self._uniform(n, *self.scale)
        mirror = torch.where(self._chosen(n, 0.5), -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=faces.device)
        theta[:, 0, 0] = torch.cos(angle) * inverse_zoom * mirror
        theta[:, 0, 1] = -torch.sin(angle) * inverse_zoom
        theta[:, 1, 0] = torch.sin(angle) * inverse_zoom * mirror
        theta[:, 1, 1] = torch.cos(angle) * inverse_zoom
        theta[:, :, 2] = self._uniform(2 * n, -2 * self.translate, 2 * self.translate).view(n, 2)
        grid = F.affine_grid(theta, list(faces.shape), align_corners=False)
        return F.grid_sample(faces, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def _webcam(self, faces: torch.Tensor) -> torch.Tensor:
        n, effects = len(faces), self.webcam
        if effects.blur:
            # Out of focus or moving: sigma up to 1.2 px at 48 px is a face ~4 px soft at 200 px.
            faces = torch.where(self._chosen(n, effects.blur).view(n, 1, 1, 1),
                                gaussian_blur(faces, self._uniform(n, 0.4, 1.2)), faces)
        if effects.dark:
            # A dim room: the face fills 4–25 % of the sensor's range, with shot noise
            # (∝ √signal) and read noise, quantised to 8 bits before equalisation stretches it.
            gain = self._uniform(n, 0.04, 0.25).view(n, 1, 1, 1)
            dim = faces * gain
            noisy = dim + torch.randn(faces.shape, generator=self.generator, device=faces.device) * (
                0.01 * dim.clamp_min(0).sqrt() + 0.002)
            dark = (noisy.clamp(0, 1) * 255).round() / 255 / gain
            faces = torch.where(self._chosen(n, effects.dark).view(n, 1, 1, 1), dark, faces)
        if effects.noise:
            sigma = self._uniform(n, 0.01, 0.05).view(n, 1, 1, 1)
            noisy = faces + torch.randn(faces.shape, generator=self.generator, device=faces.device) * sigma
            faces = torch.where(self._chosen(n, effects.noise).view(n, 1, 1, 1), noisy, faces)
        if effects.jpeg:
            faces = self._jpeg(faces, self._chosen(n, effects.jpeg))
        return faces.clamp(0, 1)

    def _jpeg(self, faces: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        """Round-trip the chosen faces through JPEG at one quality (20–70) for the batch."""
        indices = chosen.nonzero().flatten().tolist()
        if not indices:
            return faces
        quality = int(self._uniform(1, 20, 70).item())
        # On the CPU, wherever training runs: a few dozen 48 px faces take a millisecond.
        pixels = (faces[indices] * 255).round().to("cpu", torch.uint8)
        decoded = decode_jpeg(encode_jpeg(list(pixels), quality=quality))
        faces = faces.clone()
        faces[indices] = torch.stack(decoded).to(faces.device, torch.float32) / 255.0
        return faces

    def _erase(self, faces: torch.Tensor) -> torch.Tensor:
        """Random erasing (Zhong et al.) of one box per chosen face, set to the mean (0 after normalising)."""
        n, _, height, width = faces.shape
        area = self._uniform(n, 0.02, 0.2) * height * width
        aspect = torch.exp(self._uniform(n, math.log(0.3), math.log(3.3)))
        box_h = (area * aspect).sqrt().clamp(1, height)
        box_w = (area / aspect).sqrt().clamp(1, width)
        top = self._uniform(n, 0, 1) * (height - box_h)
        left = self._uniform(n, 0, 1) * (width - box_w)
        rows = torch.arange(height, device=faces.device).view(1, height, 1)
        cols = torch.arange(width, device=faces.device).view(1, 1, width)
        inside = ((rows >= top.view(n, 1, 1)) & (rows < (top + box_h).view(n, 1, 1))
                  & (cols >= left.view(n, 1, 1)) & (cols < (left + box_w).view(n, 1, 1)))
        inside &= self._chosen(n, self.erase_p).view(n, 1, 1)
        return faces.masked_fill(inside.unsqueeze(1), 0.0)


def gaussian_blur(faces: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each face with its own sigma: one separable grouped convolution for the batch."""
    n = len(faces)
    radius = max(1, math.ceil(3 * float(sigma.max())))
    offsets = torch.arange(-radius, radius + 1, device=faces.device, dtype=faces.dtype)
    kernel = torch.exp(-0.5 * (offsets.view(1, -1) / sigma.view(-1, 1)) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)
    stacked = F.pad(faces.transpose(0, 1), (radius, radius, radius, radius), mode="replicate")
    stacked = F.conv2d(stacked, kernel.view(n, 1, 1, -1), groups=n)
    stacked = F.conv2d(stacked, kernel.view(n, 1, -1, 1), groups=n)
    return stacked.transpose(0, 1)


def equalize(faces: torch.Tensor) -> torch.Tensor:
    """OpenCV's equalizeHist on each uint8 face of a batch (to a grey level of rounding),
    as `to_gray48` ends every face.

    lut[v] = round((cdf(v) − cdf(min)) · 255 / (N − cdf(min))); a face of one grey level is left as it is.
    """
    n = len(faces)
    flat = faces.view(n, -1).long()
    counts = torch.zeros(n, 256, device=faces.device).scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float32))
    cdf = counts.cumsum(1)
    lowest = cdf.gather(1, flat.min(1, keepdim=True).values)
    total = float(flat.shape[1])
    scale = 255.0 / (total - lowest).clamp_min(1.0)
    lut = ((cdf - lowest) * scale).round().clamp(0, 255)
    flat_face = (total - lowest).squeeze(1) <= 0
    lut = torch.where(flat_face.view(n, 1), torch.arange(256, device=faces.device, dtype=lut.dtype), lut)
    return lut.gather(1, flat).view_as(faces).to(torch.uint8)
