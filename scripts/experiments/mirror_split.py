#!/usr/bin/env python3
"""How a check's frontal frames share the two views (issue 14, speed).

An experiment, not part of the product: it decided `answer::mirror_plan`
(docs/face.md "Accuracy"). Each dev and test photo stands for a check's
first frontal frame; a simulated next frame (shifted 2 px, sensor noise
sigma 4, JPEG quality 85 again) for the second. Both sides of every pair
are built the same way, four ways: both views of both frames (4 embedder
runs), the first as captured and the second mirrored (2), both as captured
(2), the first frame alone with both views (2). Set-up, from PyPI only:

    python3 -m venv /tmp/ortv && /tmp/ortv/bin/pip install onnxruntime==1.31.1 pillow numpy
    cd scripts/experiments && /tmp/ortv/bin/python mirror_split.py \\
        --shared ../../../shared --arcface ../../target/downloads/package/model/fr_feature.onnx

It prints, for each way, the dev threshold with no false match, the error
rates it gives on dev and test, and d'.
"""
import argparse, io, os
import numpy as np, onnxruntime as ort
from PIL import Image
from faceprep import use_detector, detect, aligned, n, report, pairs

ap = argparse.ArgumentParser()
ap.add_argument('--shared', default='../../../shared')
ap.add_argument('--arcface', required=True)
ap.add_argument('--seed', type=int, default=7)
args = ap.parse_args()
use_detector(args.shared)
feat = ort.InferenceSession(args.arcface)
rng = np.random.default_rng(args.seed)
WAYS = ('both', 'split', 'captured', 'one')


def run(x):
    x = ((x - 127.5) / 128).transpose(2, 0, 1)[None].astype(np.float32)
    return n(feat.run(None, {'input': x})[0][0])


def views(face):
    x = np.asarray(face, np.float32)
    return run(x), run(x[:, ::-1].copy())


def next_frame(img):
    a = np.roll(np.asarray(img, np.float32), (2, 1), axis=(0, 1))
    a = np.clip(a + rng.normal(0, 4, a.shape), 0, 255).astype(np.uint8)
    b = io.BytesIO()
    Image.fromarray(a).save(b, 'JPEG', quality=85)
    b.seek(0)
    return Image.open(b).convert('RGB')


def load(split):
    E = {}
    d = f'{args.shared}/faces/{split}/images/'
    for f in sorted(os.listdir(d)):
        img = Image.open(d + f).convert('RGB')
        if max(img.size) > 1280:
            s = 1280 / max(img.size)
            img = img.resize((int(img.width * s), int(img.height * s)), Image.BILINEAR)
        b = next_frame(img)
        eA, mA = views(aligned(img, detect(img)))
        eB, mB = views(aligned(b, detect(b)))
        E[f] = {'both': n(n(eA + mA) + n(eB + mB)), 'split': n(eA + mB),
                'captured': n(eA + eB), 'one': n(eA + mA)}
    ps = pairs(args.shared, split)
    y = np.array([p[2] for p in ps])
    return {k: np.array([E[a][k] @ E[b][k] for a, b, _ in ps]) for k in WAYS}, y


d, yd = load('dev')
t, yt = load('test')
for k in WAYS:
    th = report('dev ' + k, d[k], yd)
    report('test ' + k, t[k], yt, th)
