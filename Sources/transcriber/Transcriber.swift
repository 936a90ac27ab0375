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

    /// Re-runs this process with OPENBLAS_CORETYPE set when OpenBLAS chose narrower kernels than
    /// the CPU runs (`BLASKernels`: it reads the variable only as it loads). Once: the re-run has
    /// the variable, as has a user who chose the kernels. If the exec fails, the command goes on.
    static func useWiderBLASKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let better = BLASKernels.better(than: BLASKernels.current, cpuFlags: BLASKernels.cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
