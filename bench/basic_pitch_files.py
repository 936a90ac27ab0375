"""basic-pitch 0.4.0 on whole files, for bench/file_vs_basic_pitch.sh: its ONNX model in ONNX
Runtime (the backend its Linux wheels ship for), loaded once, then each file through
basic_pitch.inference.predict with its default settings and its MIDI written, as its
command line does. Prints one JSON object: audio seconds, wall seconds of loading and of the
files (the interpreter's start and imports are timed apart, not counted)."""
import json
import pathlib
import sys
import time

started = time.perf_counter()
import soundfile  # noqa: E402
from basic_pitch import FilenameSuffix, build_icassp_2022_model_path  # noqa: E402
from basic_pitch.inference import Model, predict  # noqa: E402

imported = time.perf_counter()
out_dir = pathlib.Path(sys.argv[1])
files = sys.argv[2:]
out_dir.mkdir(parents=True, exist_ok=True)
model = Model(build_icassp_2022_model_path(FilenameSuffix.onnx))
loaded = time.perf_counter()
audio_seconds = 0.0
notes = 0
for path in files:
    audio_seconds += soundfile.info(path).duration
    _, midi, events = predict(path, model)
    midi.write(str(out_dir / (pathlib.Path(path).stem + ".mid")))
    notes += len(events)
done = time.perf_counter()
print(json.dumps({
    "backend": str(model.model_type),
    "files": len(files),
    "audio_seconds": audio_seconds,
    "notes": notes,
    "import_seconds": imported - started,
    "load_seconds": loaded - imported,
    "files_seconds": done - loaded,
}))
