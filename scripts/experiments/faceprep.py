"""The experiments' shared pieces: YuNet-640 landmarks, the similarity fit
to the ArcFace 112x112 points and its bilinear warp (a Python re-implementation
of Visage's alignment, so figures differ slightly from `visage face eval`),
the dev/test pairs, and the report line (threshold = lowest with no false
match unless given)."""
import csv
import numpy as np, onnxruntime as ort
from PIL import Image

yunet = None


def use_detector(shared):
    global yunet
    yunet = ort.InferenceSession(f'{shared}/models/face_detection_yunet_2023mar_640.onnx')


def pairs(shared, split):
    rows = csv.DictReader(open(f'{shared}/faces/{split}/pairs.csv'))
    return [(r['a'], r['b'], int(r['same'])) for r in rows]


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
def report(name,s,y,t=None):
    imp=s[y==0]; gen=s[y==1]
    if t is None: t=imp.max()+1e-6
    print(f'{name}: thr {t:.3f} FMR {np.mean(imp>=t):.4f} FNMR {np.mean(gen<t):.3f} ({(gen<t).sum()}/{len(gen)}) imp mean {imp.mean():.3f} sd {imp.std():.3f} gen mean {gen.mean():.3f}; d\' {(gen.mean()-imp.mean())/np.sqrt((gen.var()+imp.var())/2):.2f}')
    return t
