#!/usr/bin/env python3
"""Does a turn change what is visible? (issue 14, injection and animation.)

An experiment, not part of the product: it measured whether a check could
tell a real head turn from a 2D warp of one photo by what no warp can do —
show parts of the face the frontal frame did not (docs/face.md "Warp
residual: measured, not shipped"). For a frontal and a turned frame, each
face is cut from its box and resized to 112 px, blurred (sigma 1, which
takes most sensor noise away), and every textured 8x8 patch of the turned
face is searched for in the frontal one (+-18 px, zero-mean normalised
correlation); the residual is 1 - the best correlation, averaged. A warp
only moves pixels, so its patches are all found again; a real turn shades,
foreshortens and occludes. Genuine pairs: the carphone clip's frontal
frames f001/f004/f007/f010 against its turned f014/f016/f018/f020. Attack
pairs: each of those frontal frames warped as `attack::warped` does (a
Gaussian slide around the nose) or squeezed and shifted (an affine-like
animation) by 0.12, 0.2 and 0.3 face widths, fresh uniform noise of +-6
levels and JPEG on each. Set-up, from PyPI only:

    python3 -m venv /tmp/ortv && /tmp/ortv/bin/pip install onnxruntime==1.31.1 pillow numpy
    scripts/testdata.sh && cargo build --release --locked
    /tmp/ortv/bin/python scripts/experiments/warp_residual.py

It prints each pair's mean residual and the ranges per kind.
"""
import io, json, subprocess, sys
import numpy as np
from PIL import Image

ROOT = __file__.rsplit("/scripts/", 1)[0]
FRONTAL, TURNED = ["f001", "f004", "f007", "f010"], ["f014", "f016", "f018", "f020"]
rng = np.random.default_rng(0)


def load(name):
    img = Image.open(f"{ROOT}/target/testdata/carphone/{name}.jpg").convert("RGB")
    return np.asarray(img).astype(np.float32)


def box(name):
    out = subprocess.run(
        [f"{ROOT}/target/release/visage", "--json", "face", "check",
         f"{ROOT}/target/testdata/carphone/{name}.jpg"],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out)["face"]["bbox"]


def remap(img, src_x):
    h, w, _ = img.shape
    ys = np.mgrid[0:h, 0:w][0]
    return img[ys, np.clip(np.round(src_x), 0, w - 1).astype(int)]


def warp(img, b, amount):
    x, y, w, h = b
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
    nx, ny = x + w / 2, y + 0.55 * h
    shift = amount * w * np.exp(-((xx - nx) ** 2 + (yy - ny) ** 2) / (2 * (0.22 * w) ** 2))
    return remap(img, xx - shift)


def squeeze(img, b, amount):
    x, y, w, h = b
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
    cx = x + w / 2
    inside = np.exp(-(((xx - cx) / (0.8 * w)) ** 2 + ((yy - (y + h / 2)) / (0.8 * h)) ** 2))
    return remap(img, xx - inside * (amount * w - (xx - cx) * amount))


def injected(img):
    noisy = np.clip(np.round(img + rng.uniform(-6, 6, img.shape)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "JPEG", quality=75)
    return np.asarray(Image.open(buf)).astype(np.float32)


def face(img, b, size=112):
    x, y, w, h = b
    crop = Image.fromarray(img.astype(np.uint8)).crop((int(x), int(y), int(x + w), int(y + h)))
    return np.asarray(crop.resize((size, size), Image.BILINEAR).convert("L")).astype(np.float32)


def blur(a, sigma=1.0):
    k = np.exp(-np.arange(-3, 4) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    a = np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 1, a)
    return np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 0, a)


def residual(frontal, turned, patch=8, reach=18):
    a, b = blur(frontal), blur(turned)
    size, out = a.shape[0], []
    for py in range(reach, size - reach - patch + 1, patch):
        for px in range(reach, size - reach - patch + 1, patch):
            q = b[py:py + patch, px:px + patch]
            q = q - q.mean()
            nq = np.sqrt((q * q).sum())
            if nq < patch * 2:
                continue  # too flat to be found again
            best = -1.0
            for dy in range(-reach, reach + 1):
                for dx in range(-reach, reach + 1):
                    c = a[py + dy:py + dy + patch, px + dx:px + dx + patch]
                    c = c - c.mean()
                    nc = np.sqrt((c * c).sum())
                    if nc > 1e-3:
                        best = max(best, float((c * q).sum() / (nc * nq)))
            out.append(1 - best)
    return float(np.mean(out))


def main():
    boxes = {n: box(n) for n in FRONTAL + TURNED}
    kinds = {"genuine turn": [], "warp + fresh noise": [], "squeeze + fresh noise": []}
    for f in FRONTAL:
        for t in TURNED:
            r = residual(face(load(f), boxes[f]), face(load(t), boxes[t]))
            kinds["genuine turn"].append(r)
            print(f"genuine {f} -> {t}: {r:.3f}")
        still = load(f)
        for amount in (0.12, 0.2, 0.3):
            moved = list(boxes[f])
            moved[0] += amount * moved[2] * 0.4  # where the detector puts the warped face
            first = face(injected(warp(still, boxes[f], 0.01)), boxes[f])
            for kind, animate in (("warp", warp), ("squeeze", squeeze)):
                r = residual(first, face(injected(animate(still, boxes[f], amount)), moved))
                kinds[f"{kind} + fresh noise"].append(r)
                print(f"{kind} {f} by {amount}: {r:.3f}")
    for kind, rs in kinds.items():
        print(f"{kind}: {min(rs):.3f}…{max(rs):.3f} over {len(rs)} pairs")


if __name__ == "__main__":
    sys.exit(main())
