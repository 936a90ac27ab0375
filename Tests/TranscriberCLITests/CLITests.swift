// Tests of the `transcriber` executable as a user runs it: subcommands, messages, exit codes.
import Foundation
import Testing

/// The built `transcriber` binary, next to the test bundle in the build folder.
func transcriberExecutable() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("transcriber")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    struct NotBuilt: Error, CustomStringConvertible {
        var description: String { "the transcriber executable was not found next to the test bundle; run `swift build` first" }
    }
    throw NotBuilt()
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `transcriber` with `arguments`, extra environment variables, and collects its output.
func runTranscriber(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = try transcriberExecutable()
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

@Suite struct CLITests {
    @Test func helpListsEverySubcommandWithOneLine() throws {
        let result = try runTranscriber(["--help"])
        #expect(result.status == 0)
        for subcommand in ["devices", "preprocess", "train", "evaluate", "cqt", "predict", "info", "bench"] {
            #expect(result.stdout.contains("  \(subcommand) "), "missing \(subcommand) in:\n\(result.stdout)")
        }
    }

    /// Loss settings that make no sense are refused before anything is read or written, naming
    /// the flag and what it must be.
    @Test(arguments: [("--onset-weight", "-1", "--onset-weight and --velocity-weight must be finite and not negative"),
                      ("--velocity-weight", "nan", "--onset-weight and --velocity-weight must be finite and not negative"),
                      ("--onset-positive-weight", "0", "--onset-positive-weight must be finite and above 0"),
                      ("--onset-frames", "0", "--onset-frames is 1 to 4"),
                      ("--context-seconds", "-2", "--context-seconds is 0 (no context) or a time constant in seconds")])
    func trainRefusesBadLossWeights(flag: String, value: String, message: String) throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let result = try runTranscriber(["train", "--data", root.appendingPathComponent("chunks").path, "--run-dir", run.path,
                                         "\(flag)=\(value)"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
    }

    /// --new-front-end carries weights over to another front end: without weights to carry (none,
    /// or a resumed run, which has its front end already) it is refused before anything is written.
    @Test(arguments: [[], ["--load-weights", "dev"]])
    func newFrontEndNeedsWeightsToCarry(start: [String]) throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let result = try runTranscriber(["train", "--data", root.appendingPathComponent("chunks").path, "--run-dir", run.path,
                                         "--new-front-end"] + start)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--new-front-end goes with --load-weights main or a weights file"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
    }

    /// Only the standard configuration: on a machine with no sound card nothing is hinted.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/snd"),
                   "this machine has sound devices (/dev/snd), so `devices` lists them instead"))
    func devicesWithoutAnyCardSaysHowToNameOne() throws {
        let result = try runTranscriber(["devices"], environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("No audio capture device was found"))
        #expect(result.stderr.contains("--device"))
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.contains("cannot find card"), "libasound's own noise must be silenced")
    }

    @Test func devicesListsAHintedPCM() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-alsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let conf = dir.appendingPathComponent("mic.conf")
        try """
            pcm.studio_mic {
              type file
              slave.pcm "null"
              file "/dev/null"
              infile "/dev/zero"
              format "raw"
              hint { show on description "Studio microphone" }
            }
            """.write(to: conf, atomically: true, encoding: .utf8)
        let result = try runTranscriber(["devices"], environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:" + conf.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("studio_mic"))
        #expect(result.stdout.contains("Studio microphone"))
    }
}
