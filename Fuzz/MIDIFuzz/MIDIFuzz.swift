// Fuzz target: MIDI files. The reader takes arbitrary bytes without crashing; notes made from
// the bytes, written and read back, come back with their pitches and times (to a tick).
import CFuzzDriver
import Foundation
import Pipeline
import Trainer
import Transcription

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMIDI(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: bytes, count: count)
    _ = try? LabelMIDI.notes(in: Data(input))

    // Every 4 bytes a note: pitch, onset (in 10 ms steps after the previous), length, confidence.
    var notes: [TranscribedNote] = [], time = 0.0
    var i = 0
    while i + 4 <= count {
        time += Double(input[i + 1]) * 0.01
        let length = Double(input[i + 2] % 200 + 1) * 0.01
        notes.append(TranscribedNote(pitch: Int(input[i] % 128), onset: time, offset: time + length,
                                     confidence: Float(input[i + 3]) / 255, name: ""))
        i += 4
    }
    let back = (try? LabelMIDI.notes(in: MIDIFile.data(notes))) ?? []
    precondition(back.count == notes.count, "\(notes.count) notes written, \(back.count) read back")
    let tick = 1.0 / 960
    // Same pitch overlapping on one channel pairs first-in first-out, as the reader documents.
    let key: ((pitch: Int, onset: Double, offset: Double)) -> [Double] = { [Double($0.pitch), ($0.onset / tick).rounded(), ($0.offset / tick).rounded()] }
    let written = notes.map { key(($0.pitch, $0.onset, $0.offset)) }.sorted { $0.lexicographicallyPrecedes($1) }
    let read = back.map { key(($0.pitch, $0.onset, $0.offset)) }.sorted { $0.lexicographicallyPrecedes($1) }
    if !notes.contains(where: { a in notes.contains { b in a.pitch == b.pitch && a.onset < b.onset && b.onset < a.offset } }) {
        precondition(written == read, "notes changed in a MIDI round trip")
    }
    return 0
}

/// The entry point SwiftPM links an executable target to: hands over to libFuzzer.
@_cdecl("MIDIFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzMIDI($0!, $1) }
}
