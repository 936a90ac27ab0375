// The `transcriber` command line: parses arguments and calls the libraries; no logic of its own.
import ArgumentParser
import Foundation

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
        main(nil)
    }
}
