#!/usr/bin/env python3
"""A camera held still, or a picture moved by a hair? (issue 14, injection.)

The measurement behind `sensor_noise::MIN_FLAT_CHANGED`
(docs/face-liveness.md "A picture moved by a hair"). One still resampled
by a fraction of a pixel each frame (under the 0.15 px that
`moved_copy` can tell from no move) and saved again as JPEG changes its
edges between frames, but its flat parts keep their values: bilinear
resampling of a flat wall gives the same wall. A camera's frames carry
fresh sensor noise everywhere, the flat wall included. The share of the
room's flattest third (one sample per quarter-size pixel, flattest by the
gradient at quarter size, neither black nor white) that differs by 1 level
or more between consecutive frames is printed for:

- genuine: the carphone clip's consecutive frames, JPEG 85 as the page
  sends them;
- a camera held still: one carphone frame, smoothed (the scene), with
  fresh Gaussian noise of sigma 0.5, 1 and 2 levels in each frame, JPEG 85;
- copies: one frame jittered by 0.02-0.1 px a frame, JPEG 75, 85 and 95;
- a breathing copy: one frame brightened by 1.5 levels every other frame
  (or by a ramp across it), JPEG 85 — not caught: every flat pixel
  changes, as under a camera's noise (a stated limit, with fresh noise).

The shipped check refuses a pair under 0.1 (2026-12-08: genuine
0.52-0.79, still camera sigma 0.5 0.16-0.21, sigma 1 0.43-0.47, sigma 2
0.75, copies 0.00-0.02, breathing copies 0.87-1.00). Set-up, from PyPI only:

    python3 -m venv /tmp/ortv && /tmp/ortv/bin/pip install numpy pillow scipy
    /tmp/ortv/bin/python scripts/experiments/still_camera.py target/testdata/carphone
"""
import sys

import numpy as np
from scipy import ndimage

sys.argv = sys.argv[:2]
from moved_copy import ROOM, jpeg, load, shift  # noqa: E402

QUARTER_ROOM = ROOM[2::4, 2::4]


def quarter(a):
    h, w = a.shape[0] // 4, a.shape[1] // 4
    return a[: 4 * h, : 4 * w].reshape(h, 4, w, 4).mean(axis=(1, 3))


def flat_changed(a, b):
    q = quarter(b)
    gy, gx = np.gradient(q)
    flatness = np.maximum(np.abs(gx), np.abs(gy))
    pa, pb = a[2::4, 2::4][: q.shape[0], : q.shape[1]], b[2::4, 2::4][: q.shape[0], : q.shape[1]]
    keep = QUARTER_ROOM[: q.shape[0], : q.shape[1]] & (pb >= 4) & (pb <= 251)
    keep[0, :] = keep[-1, :] = False
    keep[:, 0] = keep[:, -1] = False
    order = np.argsort(flatness[keep])
    third = order[: len(order) // 3]
    differs = np.abs(pa - pb)[keep] >= 1
    return round(float(differs[third].mean()), 2)


def pairs(frames):
    return [flat_changed(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]


def main():
    real = [jpeg(load(f"f{i:03d}"), 85) for i in range(1, 21)]
    print("share of the flattest third differing by >= 1 level")
    print("genuine (consecutive carphone frames, JPEG 85):", pairs(real)[::2])
    rng = np.random.default_rng(1)
    for name in ("f003", "f010"):
        scene = ndimage.gaussian_filter(load(name), 1.0)
        for sigma in (0.5, 1.0, 2.0):
            frames = [jpeg(scene + rng.normal(0, sigma, scene.shape), 85) for _ in range(5)]
            print(f"{name} camera held still, noise sigma {sigma}, JPEG 85:", pairs(frames))
        still = load(name)
        for step in (0.02, 0.05, 0.1):
            for q in (75, 85, 95):
                frames = [jpeg(shift(still, step * (i % 2), step * ((i // 2) % 2)), q) for i in range(5)]
                print(f"{name} jittered {step} px, JPEG {q}:", pairs(frames))
        frames = [jpeg(still + 1.5 * (i % 2), 85) for i in range(5)]
        print(f"{name} brightened by 1.5 levels every other frame, JPEG 85:", pairs(frames))
        ramp = np.arange(still.shape[1])[None, :] / 80.0
        frames = [jpeg(still + 3 * np.sin(i + ramp), 85) for i in range(5)]
        print(f"{name} brightened by a ramp moving across, JPEG 85:", pairs(frames))


if __name__ == "__main__":
    main()
