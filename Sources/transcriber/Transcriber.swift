// The `transcriber` command line: parses arguments and calls the libraries; no logic of its own.
import ArgumentParser
import Foundation
import Model

@main
struct Transcriber: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcriber",
        abstract: "Real-time polyphonic music transcription: audio in, notes out.",
        subcommands: [Live.self, Replay.self, File.self, Devices.self, PreprocessCommand.self, TrainCommand.self, EvaluateCommand.self, CQT.self, Predict.self, Info.self, Bench.self]
    )

    static func main() {
        // Past a file-size limit (ulimit -f, a quota) the kernel would kill us with SIGXFSZ
        // mid-write; ignored, the write fails with EFBIG and the command says so, keeping its files.
        signal(SIGXFSZ, SIG_IGN)
        useWiderBLASKernels()
        main(nil)
    }

    /// Re-runs this process once with the settings OpenBLAS reads only as it loads: one thread
    /// (OPENBLAS_NUM_THREADS=1) - the project splits work between cores itself, and the worker
    /// pool OpenBLAS otherwise starts spins for about 0.1 s of a core at every start (116 ms in a
    /// 2.6 s `file` run, taken from the main thread when the run has one core) - and
    /// OPENBLAS_CORETYPE when OpenBLAS chose narrower kernels than the CPU runs (`BLASKernels`).
    /// A user's own settings are kept; the re-run has both, so it does not re-run. If the exec
    /// fails, the command goes on as it is.
    static func useWiderBLASKernels() {
        var set: [String] = []
        if getenv("OPENBLAS_NUM_THREADS") == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            set.append("OPENBLAS_NUM_THREADS")
        }
        if getenv("OPENBLAS_CORETYPE") == nil,
           let better = BLASKernels.better(than: BLASKernels.current, cpuFlags: BLASKernels.cpuFlags()) {
            setenv("OPENBLAS_CORETYPE", better, 1)
            set.append("OPENBLAS_CORETYPE")
        }
        guard !set.isEmpty else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        for name in set { unsetenv(name) }
    }
}
