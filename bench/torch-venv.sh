# Sourced by the bench scripts that run PyTorch: sets $venv to a virtualenv holding torch, ONNX Runtime,
# safetensors and numpy, installing them from PyPI on first use (about 3 GB with torch's CUDA
# libraries; never part of `make test`). TORCH_VENV names another folder.
venv=${TORCH_VENV:-bench/.venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, safetensors, onnxruntime, onnxscript" 2>/dev/null; then
  echo "Installing PyTorch into $venv (first use only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check torch safetensors numpy onnx onnxscript onnxruntime
fi
