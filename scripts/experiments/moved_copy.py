#!/usr/bin/env python3
"""Is a moved picture still one picture? (issue 14, injection and animation.)

The measurement behind `biometrics::moved_copy` (docs/face-liveness.md
"A picture moved whole"): a virtual camera panning over one photo moves
every pixel a little each frame, so most of the room changes between
frames; undo the shift and the room is the same picture again, where a
camera's frames still differ by their fresh noise (and their scene's own
movement). For consecutive frames, the shift that best carries the first
frame's room onto the second's is searched (0.5 px, then 0.1 px steps;
the face and torso left out), and the share of room pixels still differing
by 1, 2, 3 and 4 levels or more is printed. Genuine: the carphone clip's
consecutive frames, saved as JPEG 85 as the page sends them. Copies: one
frame drifted by 0.7 + 0.9 * i px across (0.6 times that down), saved as
JPEG 75 or 95; one drifted 0.3 px a frame; one drifted with fresh noise
(+-6 levels: the stated limit, not caught). The shipped check counts 2
levels and refuses under 0.22 (genuine 0.29-0.58, copies 0.01-0.18 on
2026-12-07). Set-up, from PyPI only:

    python3 -m venv /tmp/ortv && /tmp/ortv/bin/pip install numpy pillow scipy
    /tmp/ortv/bin/python scripts/experiments/moved_copy.py target/testdata/carphone
"""
import io
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

FRAMES = sys.argv[1] if len(sys.argv) > 1 else "target/testdata/carphone"


def load(name):
    return np.asarray(Image.open(f"{FRAMES}/{name}.jpg").convert("L"), dtype=np.float32)


def jpeg(a, quality):
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("L"), dtype=np.float32)


def shift(a, dx, dy):
    """The picture moved by (dx, dy): value at (x, y) = a(x - dx, y - dy), bilinear."""
    return ndimage.shift(a, (dy, dx), order=1, mode="nearest")


H, W = 480, 640
ROOM = np.ones((H, W), bool)
ROOM[60:420, 170:470] = False  # the face and torso of the carphone clip
ROOM[:8, :] = ROOM[-8:, :] = False
ROOM[:, :8] = ROOM[:, -8:] = False


def best_shift(a, b):
    best = (np.inf, 0.0, 0.0)
    for grid in (np.arange(-4, 4.01, 0.5), None):
        if grid is None:
            _, bx, by = best
            xs, ys = np.arange(bx - 0.5, bx + 0.51, 0.1), np.arange(by - 0.5, by + 0.51, 0.1)
        else:
            xs = ys = grid
        for dx in xs:
            for dy in ys:
                e = np.abs(shift(a, dx, dy) - b)[ROOM].mean()
                if e < best[0]:
                    best = (e, dx, dy)
    return best[1], best[2]


def reading(a, b):
    dx, dy = best_shift(a, b)
    r = np.abs(b - shift(a, dx, dy))[ROOM]
    return round(float(np.hypot(dx, dy)), 1), [round(float((r >= t).mean()), 2) for t in (1, 2, 3, 4)]


def drifted(still, step, quality, noise=None):
    rng = np.random.default_rng(1)
    out = []
    for i in range(4):
        d = step(i)
        img = shift(still, d, 0.6 * d)
        if noise:
            img = img + rng.uniform(-noise, noise, img.shape)
        out.append(jpeg(img, quality))
    return [reading(out[i], out[i + 1]) for i in range(3)]


def main():
    real = [jpeg(load(f"f{i:03d}"), 85) for i in range(1, 21)]
    print("shift px, share differing by >= 1, 2, 3, 4 levels")
    print("genuine (consecutive carphone frames, JPEG 85):")
    for i in range(0, 19, 2):
        print("  ", reading(real[i], real[i + 1]))
    for name in ("f003", "f010", "f017"):
        still = load(name)
        for q in (75, 95):
            print(f"{name} drifted 0.7 + 0.9 i px, JPEG {q}:", drifted(still, lambda i: 0.7 + 0.9 * i, q))
    still = load("f003")
    print("f003 drifted 0.3 px a frame, JPEG 95:", drifted(still, lambda i: 0.3 * i, 95))
    print("f003 drifted with fresh noise +-6, JPEG 75:", drifted(still, lambda i: 0.7 + 0.9 * i, 75, noise=6))


if __name__ == "__main__":
    main()
