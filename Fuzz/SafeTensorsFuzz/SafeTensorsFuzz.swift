// Fuzz target: the safetensors reader on arbitrary bytes. It may refuse a file, never crash;
// every tensor of a file it accepts can be read in full.
import CFuzzDriver
import Foundation
import Model

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSafeTensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    guard let file = try? SafeTensorsFile(data: data) else { return 0 }
    _ = file.metadata
    for tensor in file.tensors {
        let elements = tensor.shape.reduce(1, *)
        guard elements <= 1 << 20 else { continue }
        var values = [Float](repeating: 0, count: elements)
        let read: Void? = try? values.withUnsafeMutableBufferPointer { buffer in
            try file.copyFloats(tensor.name, offset: 0, count: elements, into: buffer.baseAddress!)
        }
        _ = read
    }
    return 0
}

/// The entry point SwiftPM links an executable target to: hands over to libFuzzer.
@_cdecl("SafeTensorsFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzSafeTensors($0!, $1) }
}
