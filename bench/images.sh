#!/usr/bin/env bash
# Image-loader benchmark: makes the fixture archive once (50,000 synthetic 96×96 images, PNG and JPEG in turn, in 10
# class folders: a tar of about 0.3 GB in /tmp), then trains from it through the streaming loader side by side with
# in-memory tensors and prints the step ratio and the process's peak memory. Needs a quiet machine for the ratio.
#   bench/images.sh [--network tests/fixtures/mobilenet_v2.onnx --batch 64 --rounds 5 --steps 20 --threads 1]
#   COUNT=500 ARCHIVE=/tmp/small.tar bench/images.sh --rounds 1 --steps 3     # a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${ARCHIVE:-/tmp/shears-images-50k.tar}
dotnet build -c Release --nologo -v q bench/Shears.Bench
bench=bench/Shears.Bench/bin/Release/net10.0/linux-x64/Shears.Bench
[ -f "$archive" ] || "$bench" images --make "$archive" --count "${COUNT:-50000}"
"$bench" images --archive "$archive" "$@"
