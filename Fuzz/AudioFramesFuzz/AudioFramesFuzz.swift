// Fuzz target: audio to CQT frames. Bytes become either a file for libsndfile (when they start
// like one) or 16-bit samples pushed in chunks of fuzzed sizes; the frames that come out are
// finite and as many as the samples promise, or the file is refused with an error.
import AudioIO
import CFuzzDriver
import Foundation
import StreamingCQT

let bank = try! CQTKernelBank(settings: CQTSettings())
// libFuzzer calls the target on one thread only; the transform is reset for each input.
nonisolated(unsafe) let cqt = StreamingCQT(bank: bank, planning: .estimate)
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("audioframes-fuzz-\(getpid())").path

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzAudioFrames(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: bytes, count: count)
    var samples: [Float]
    let looksLikeAFile = count >= 4 && ["RIFF", "fLaC", "OggS", "FORM"].contains(String(decoding: input[0..<4], as: UTF8.self))
    if looksLikeAFile {
        guard FileManager.default.createFile(atPath: scratch, contents: Data(input)) else { return 0 }
        defer { unlink(scratch) }
        guard let loaded = try? AudioLoading.mono(scratch, sampleRate: 22050) else { return 0 }
        samples = Array(loaded.samples.prefix(22050 * 4))
    } else {
        samples = stride(from: 0, to: count - 1, by: 2).map { Float(Int16(bitPattern: UInt16(input[$0]) | UInt16(input[$0 + 1]) << 8)) / 32768 }
    }
    cqt.reset()
    var frames = 0, finite = true, start = 0, chunkIndex = 0
    let check: (Int, UnsafeBufferPointer<Float>) -> Void = { _, frame in
        frames += 1
        if !frame.allSatisfy({ $0.isFinite }) { finite = false }
    }
    while start < samples.count {
        let size = count > 0 ? Int(input[chunkIndex % count]) * 7 + 1 : samples.count
        let end = min(samples.count, start + size)
        try! samples[start..<end].withUnsafeBufferPointer { try cqt.push($0, onFrame: check) }
        start = end
        chunkIndex += 1
    }
    try! cqt.finish(onFrame: check)
    precondition(finite, "a frame of finite audio is not finite")
    let hop = bank.settings.hopLength
    precondition(frames == (samples.isEmpty ? 0 : samples.count / hop + 1), "\(samples.count) samples gave \(frames) frames")
    return 0
}

/// The entry point SwiftPM links an executable target to: hands over to libFuzzer.
@_cdecl("AudioFramesFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzAudioFrames($0!, $1) }
}
