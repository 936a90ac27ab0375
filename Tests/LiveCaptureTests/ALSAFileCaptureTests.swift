// Real ALSA capture with no sound card: libasound's `file` plugin feeds a raw recording through
// snd_pcm_open / hw_params / snd_pcm_readi, and the samples must come out unchanged; a test
// plugin (Fixtures/xrun_capture_plugin.c) overruns on cue, and the read recovers.
import Foundation
import Testing
@testable import LiveCapture

/// A raw S16_LE recording and an ALSA configuration naming a hinted capture PCM `filein` that
/// plays it. ALSA reads its configuration once per process, so every test here shares it.
enum ALSAFixture {
    static let rate = 22050
    static let frames = 11025
    /// Known samples: a 440 Hz tone at half scale plus a ramp, so order and value both matter.
    static let samples: [Int16] = (0..<frames).map { i in
        Int16(clamping: Int(16000 * sin(2 * Double.pi * 440 * Double(i) / Double(rate))) + (i % 97) - 48)
    }
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("alsa-fixture-\(getpid())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let raw = url.appendingPathComponent("tone.raw")
        try! samples.withUnsafeBytes { Data($0) }.write(to: raw)
        let conf = """
            pcm.filein {
              type file
              slave.pcm "null"
              file "/dev/null"
              infile "\(raw.path)"
              format "raw"
              hint { show on description "Test recording played through the ALSA file plugin" }
            }
            """
        let plugin = url.appendingPathComponent("libasound_module_pcm_xrun.so")
        let xrun = """
            pcm_type.xrun { lib "\(plugin.path)" }
            pcm.xrunin { type xrun rate \(rate) xrun_after \(xrunAfter) drop \(xrunDrop) }
            """
        try! (conf + "\n" + xrun + "\n").write(to: url.appendingPathComponent("filein.conf"), atomically: true, encoding: .utf8)
        return url
    }()

    /// The overrun PCM `xrunin` (Fixtures/xrun_capture_plugin.c): a ramp that overruns once after
    /// `xrunAfter` frames, losing `xrunDrop` of them.
    static let xrunAfter = 2560, xrunDrop = 1000
    static func ramp(_ n: Int) -> Int16 { Int16((n % 4001) * 8 - 16000) }

    /// Compiles the plugin with the toolchain's clang (or cc) against libasound's headers; nil,
    /// or the compiler's complaint.
    static let pluginBuildError: String? = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/xrun_capture_plugin.c").path
        let output = directory.appendingPathComponent("libasound_module_pcm_xrun.so").path
        for compiler in ["clang", "cc"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [compiler, "-shared", "-fPIC", "-DPIC", "-O1", source, "-lasound", "-o", output]
            let errors = Pipe()
            process.standardError = errors
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if process.terminationStatus == 0 { return nil }
            if compiler == "cc" || !text.contains("No such file") { return "\(compiler): \(text)" }
        }
        return "no C compiler (clang or cc) on PATH to build the overrun test PCM"
    }()

    /// Points libasound at the standard configuration plus `filein`; call before any ALSA use.
    static func install() {
        _ = pluginBuildError
        let conf = directory.appendingPathComponent("filein.conf").path
        setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:" + conf, 1)
    }
}

@Suite(.serialized) struct ALSAFileCaptureTests {
    init() { ALSAFixture.install() }

    @Test func captureReturnsExactlyTheSamplesOfTheFile() throws {
        let device = try ALSACaptureDevice(name: "filein", sampleRate: ALSAFixture.rate, channels: 1,
                                           formats: [.s16], periodFrames: 256)
        #expect(device.format == CaptureFormat(sampleRate: ALSAFixture.rate, channels: 1,
                                               sampleFormat: .s16, periodFrames: device.format.periodFrames))
        var captured: [Float] = []
        var chunk = [Float](repeating: 0, count: 300)   // not a multiple of the period on purpose
        while captured.count < ALSAFixture.frames {
            let n = try chunk.withUnsafeMutableBufferPointer { try device.read(into: $0) }
            captured.append(contentsOf: chunk[0..<n])
        }
        let expected = ALSAFixture.samples.map { Float($0) / 32768 }
        #expect(Array(captured[0..<ALSAFixture.frames]) == expected)
        #expect(device.overruns == 0)
    }

    /// An overrun, provoked: the device reports it (-EPIPE) after `xrunAfter` frames; the read
    /// recovers with snd_pcm_recover, counts it, and goes on with the audio after the gap.
    @Test func anOverrunIsRecoveredAndCounted() throws {
        if let problem = ALSAFixture.pluginBuildError { Issue.record("\(problem)"); return }
        let device = try ALSACaptureDevice(name: "xrunin", sampleRate: ALSAFixture.rate, channels: 1,
                                           formats: [.s16], periodFrames: 256)
        var captured: [Float] = []
        var chunk = [Float](repeating: 0, count: 300)
        while captured.count < 3 * ALSAFixture.xrunAfter {
            let n = try chunk.withUnsafeMutableBufferPointer { try device.read(into: $0) }
            captured.append(contentsOf: chunk[0..<n])
        }
        #expect(device.overruns == 1)
        let expected = (0..<captured.count).map { n in
            Float(ALSAFixture.ramp(n < ALSAFixture.xrunAfter ? n : n + ALSAFixture.xrunDrop)) / 32768
        }
        #expect(captured == expected)
    }

    /// The same through the capture thread: the overrun reaches the statistics that a live
    /// session's summary prints, and the audio after it still arrives in the ring.
    @Test func theCaptureThreadReportsTheOverrun() throws {
        if let problem = ALSAFixture.pluginBuildError { Issue.record("\(problem)"); return }
        let source = try ALSASource(device: "xrunin", sampleRate: ALSAFixture.rate)
        let ring = RingBuffer(capacity: 1 << 16)
        try source.start(into: ring)
        var received = 0
        var chunk = [Float](repeating: 0, count: 1024)
        // Until the audio is in, or the capture thread has ended (a failure, reported below).
        while received < 4 * ALSAFixture.xrunAfter, !source.isFinished {
            let n = chunk.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            if n == 0 { sched_yield() }
            received += n
        }
        source.stop()
        #expect(received >= 4 * ALSAFixture.xrunAfter)
        #expect(source.statistics.overruns == 1)
        #expect(source.failure == nil)
    }

    /// What a live session's summary calls "audio dropped", pinned down with a consumer whose
    /// pace the test sets: it reads nothing. The file plugin's `null` slave is not paced, so
    /// the device delivers as fast as it is read - the recording, then silence for as long as the
    /// capture runs - and every sample past the ring's capacity is dropped and counted. The ring
    /// keeps the oldest samples: the recording's first `capacity`. (So a session on this plugin
    /// honestly reports far more audio dropped than the recording lasts.)
    @Test func audioTheRingCannotHoldIsCountedAsDropped() throws {
        let source = try ALSASource(device: "filein", sampleRate: ALSAFixture.rate)
        let capacity = 4096
        let ring = RingBuffer(capacity: capacity)
        try source.start(into: ring)
        // Synchronised on what the source reports: the ring full, and audio dropped after it.
        while source.statistics.dropped < ALSAFixture.frames, !source.isFinished { sched_yield() }
        source.stop()
        let statistics = source.statistics
        #expect(source.failure == nil)
        #expect(statistics.samples == capacity)
        #expect(statistics.dropped >= ALSAFixture.frames)
        #expect(ring.available == capacity)
        var kept = [Float](repeating: 0, count: capacity)
        #expect(kept.withUnsafeMutableBufferPointer { ring.read(into: $0) } == capacity)
        #expect(kept == ALSAFixture.samples.prefix(capacity).map { Float($0) / 32768 })
    }

    @Test func hintedCapturePCMIsListed() {
        let devices = CaptureDevices.list()
        #expect(devices.contains { $0.name == "filein" && $0.description.contains("file plugin") })
        #expect(!devices.contains { $0.name == "null" })
    }

    @Test func missingDeviceGivesAdvice() {
        #expect { try ALSACaptureDevice(name: "no_such_device", sampleRate: 22050) } throws: { error in
            let text = "\(error)"
            return text.contains("cannot open capture device 'no_such_device'")
                && text.contains("transcriber devices") && text.contains("--device")
        }
    }
}
