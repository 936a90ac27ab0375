// Fuzz target: MusicNet label CSVs. Arbitrary text is parsed or refused with a line number,
// never a crash; what is accepted formats and parses back to the same labels.
import CFuzzDriver
import Foundation
import Trainer

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzLabelCSV(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    guard let labels = try? LabelCSV.parse(text, path: "fuzz.csv") else { return 0 }
    let again: [NoteLabel]
    do { again = try LabelCSV.parse(LabelCSV.format(labels), path: "formatted.csv") } catch {
        fatalError("accepted labels do not parse back after formatting: \(error)")
    }
    precondition(again == labels, "labels changed in a format/parse round trip")
    return 0
}

/// The entry point SwiftPM links an executable target to: hands over to libFuzzer.
@_cdecl("LabelCSVFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzLabelCSV($0!, $1) }
}
