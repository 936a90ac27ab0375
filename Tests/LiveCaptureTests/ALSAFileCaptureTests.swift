// Real ALSA capture with no sound card: libasound's `file` plugin feeds a raw recording through
// snd_pcm_open / hw_params / snd_pcm_readi, and the samples must come out unchanged.
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
        try! conf.write(to: url.appendingPathComponent("filein.conf"), atomically: true, encoding: .utf8)
        return url
    }()

    /// Points libasound at the standard configuration plus `filein`; call before any ALSA use.
    static func install() {
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
