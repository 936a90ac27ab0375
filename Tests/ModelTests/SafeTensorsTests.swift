// safetensors and weights files: round trips, Python's reader and writer, and damaged files
// that must each give their own clear error, never a crash.
import Foundation
import Testing
@testable import Model

func scratchDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A file made by hand: 8-byte length, `header` as given, `data` bytes.
func rawSafeTensors(header: String, data: [UInt8]) -> Data {
    var out = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(Data(header.utf8))
    out.append(contentsOf: data)
    return out
}

let smallConfig = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 5, binsPerNote: 2, nBins: 12)

/// Runs python3 with `script`; nil when python3 or its safetensors package is missing.
func runPython(_ script: String) throws -> String? {
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    check.arguments = ["python3", "-c", "import safetensors, numpy"]
    check.standardError = FileHandle.nullDevice
    try check.run(); check.waitUntilExit()
    guard check.terminationStatus == 0 else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python failed")
    return String(decoding: data, as: UTF8.self)
}

let pythonHasSafeTensors: Bool = (try? runPython("print(1)")) != nil

@Suite struct SafeTensorsTests {
    @Test func roundTripKeepsTensorsAndMetadata() throws {
        var writer = SafeTensorsWriter(metadata: ["sample_rate": "22050", "note": "ünïcode \"quoted\""])
        writer.add("a.weight", shape: [2, 3], values: [1, -2, 3.5, .pi, -0, 1e-30])
        writer.add("b", shape: [0], values: [])
        writer.add("c", shape: [], values: [42])
        let file = try SafeTensorsFile(data: writer.serialized())
        #expect(file.metadata == writer.metadata)
        #expect(try file.floats("a.weight") == [1, -2, 3.5, .pi, -0, 1e-30])
        #expect(file.info("a.weight")?.shape == [2, 3])
        #expect(try file.floats("b") == [])
        #expect(try file.floats("c") == [42])
        #expect((writer.serialized()[0..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } + 8) % 8 == 0)
    }

    @Test func savedNetworkLoadsWithIdenticalOutputs() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.safetensors").path
        let net = try TranscriptionNetwork(config: smallConfig, seed: 3)
        try WeightsFile.save(net, extra: ["hop_length": "512"], to: path)
        let (loaded, metadata) = try WeightsFile.load(path)
        #expect(loaded.config == smallConfig)
        #expect(metadata["hop_length"] == "512" && metadata["n_layers"] == "1" && metadata["format_version"] == "1")
        let x = (0..<(2 * 4 * 12)).map { Float(sin(Double($0))) }
        let a = x.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 2, frames: 4)) }
        let b = x.withUnsafeBufferPointer { Array(loaded.forward($0.baseAddress!, batch: 2, frames: 4)) }
        #expect(a == b)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"])
    }

    @Test(.enabled(if: pythonHasSafeTensors, "needs python3 with safetensors and numpy (make deps installs them)"))
    func pythonReadsWhatSwiftWrites() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.safetensors").path
        let net = try TranscriptionNetwork(config: smallConfig, seed: 4)
        try WeightsFile.save(net, to: path)
        let output = try runPython("""
            import json
            from safetensors import safe_open
            with safe_open("\(path)", framework="numpy") as f:
                print(json.dumps({"meta": f.metadata(), "tensors": {k: [list(f.get_tensor(k).shape), f.get_tensor(k).astype("float64").ravel().tolist()] for k in f.keys()}}))
            """)!
        struct Dump: Decodable { var meta: [String: String]; var tensors: [String: [[Double]]] }
        let dump = try JSONDecoder().decode(Dump.self, from: Data(output.utf8))
        #expect(dump.meta == smallConfig.metadata)
        #expect(Set(dump.tensors.keys) == Set(net.parameters.layout.entries.map(\.name)))
        for entry in net.parameters.layout.entries {
            #expect(dump.tensors[entry.name]![0].map { Int($0) } == entry.shape)
            #expect(dump.tensors[entry.name]![1].map { Float($0) } == Array(net.parameters[entry.name]))
        }
    }

    @Test(.enabled(if: pythonHasSafeTensors, "needs python3 with safetensors and numpy (make deps installs them)"))
    func swiftReadsWhatPythonWrites() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("py.safetensors").path
        _ = try runPython("""
            import numpy as np
            from safetensors.numpy import save_file
            save_file({"f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                       "f16": np.array([0.5, -1.25, 65504], dtype=np.float16),
                       "f64": np.array([1e-3], dtype=np.float64),
                       "i32": np.array([7], dtype=np.int32)}, "\(path)", metadata={"who": "python"})
            """)
        let file = try SafeTensorsFile.read(path)
        #expect(file.metadata == ["who": "python"])
        #expect(try file.floats("f32") == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(file.info("f32")?.shape == [2, 3])
        #expect(try file.floats("f16") == [0.5, -1.25, 65504])
        #expect(try file.floats("f64") == [Float(1e-3)])
        #expect(throws: SafeTensorsError.unsupportedDType(tensor: "i32", dtype: "I32")) { try file.floats("i32") }
    }

    /// Reading only the header and the asked-for bytes from disk gives the same values and the
    /// same validation as reading the whole file.
    @Test func headerOnlyReadsMatchWholeFileReads() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.safetensors").path
        var writer = SafeTensorsWriter(metadata: ["k": "v"])
        writer.add("a", shape: [3, 4], values: (0..<12).map { Float($0) * 0.5 })
        writer.add("b", shape: [2], values: [7, -7])
        try writer.write(to: path)
        let lazy = try SafeTensorsFile.openHeader(path), whole = try SafeTensorsFile.read(path)
        #expect(lazy.metadata == whole.metadata && lazy.tensors == whole.tensors)
        #expect(try lazy.floats("a") == whole.floats("a") && lazy.floats("b") == [7, -7])
        var slice = [Float](repeating: 0, count: 4)
        try lazy.copyFloats("a", offset: 4, count: 4, into: &slice)
        #expect(slice == [2, 2.5, 3, 3.5])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.dropLast(8).write(to: URL(fileURLWithPath: path))
        #expect { try SafeTensorsFile.openHeader(path) } throws: { error in
            if case .outOfBounds = error as? SafeTensorsError { return true } else { return false }
        }
    }

    @Test func bfloat16IsRead() throws {
        // 1.0 = 0x3F80, -2.5 = 0xC020 in bfloat16 (the top half of the float32 bits).
        let data = rawSafeTensors(header: #"{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#,
                                  data: [0x80, 0x3F, 0x20, 0xC0])
        #expect(try SafeTensorsFile(data: data).floats("x") == [1, -2.5])
    }

    // MARK: Damaged files: each its own error, naming the tensor or field.

    func validWeights() throws -> Data {
        var writer = SafeTensorsWriter(metadata: smallConfig.metadata)
        let net = try TranscriptionNetwork(config: smallConfig, seed: 1)
        WeightsFile.add(net.parameters, to: &writer)
        return writer.serialized()
    }

    @Test func truncatedFile() throws {
        let data = try validWeights()
        #expect { try SafeTensorsFile(data: data.dropLast(10)) } throws: { error in
            guard case .outOfBounds = error as? SafeTensorsError else { return false }
            return "\(error)".contains("truncated")
        }
    }

    @Test func fileShorterThanItsHeaderLength() {
        #expect(throws: SafeTensorsError.tooShort(size: 3)) { try SafeTensorsFile(data: Data([1, 2, 3])) }
        var data = rawSafeTensors(header: "{}", data: [])
        data.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        #expect(throws: SafeTensorsError.headerPastEnd(headerLength: 65535, fileSize: 10)) { try SafeTensorsFile(data: data) }
    }

    @Test func headerThatIsNotJSON() {
        #expect { try SafeTensorsFile(data: rawSafeTensors(header: "{not json", data: [])) } throws: { error in
            if case .headerNotJSON = error as? SafeTensorsError { return true } else { return false }
        }
        #expect { try SafeTensorsFile(data: rawSafeTensors(header: "[1, 2]", data: [])) } throws: { error in
            if case .headerNotJSON = error as? SafeTensorsError { return true } else { return false }
        }
    }

    @Test func overlappingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(throws: SafeTensorsError.overlap(tensor: "b", other: "a")) {
            try SafeTensorsFile(data: rawSafeTensors(header: header, data: Array(repeating: 0, count: 12)))
        }
    }

    @Test func byteCountThatDisagreesWithShape() {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        #expect(throws: SafeTensorsError.sizeMismatch(tensor: "a", shape: [3], dtype: "F32", bytes: 8)) {
            try SafeTensorsFile(data: rawSafeTensors(header: header, data: Array(repeating: 0, count: 8)))
        }
    }

    @Test func malformedFields() {
        for (header, field) in [(#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, "dtype"),
                                (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "shape"),
                                (#"{"a":{"dtype":"F32","shape":"x","data_offsets":[0,4]}}"#, "shape"),
                                (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "data_offsets"),
                                (#"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, "dtype")] {
            #expect { try SafeTensorsFile(data: rawSafeTensors(header: header, data: [0, 0, 0, 0])) } throws: { error in
                guard case let .badField(tensor, f, _) = error as? SafeTensorsError else { return false }
                return tensor == "a" && f == field
            }
        }
    }

    @Test func missingTensorIsNamed() throws {
        var writer = SafeTensorsWriter(metadata: smallConfig.metadata)
        let net = try TranscriptionNetwork(config: smallConfig, seed: 1)
        for entry in net.parameters.layout.entries where entry.name != "blocks.0.attn.out.bias" {
            writer.add(entry.name, shape: entry.shape, values: UnsafeBufferPointer(net.parameters[entry.name]))
        }
        let file = try SafeTensorsFile(data: writer.serialized())
        #expect(throws: SafeTensorsError.missingTensor("blocks.0.attn.out.bias")) {
            try WeightsFile.fill(net.parameters, from: file)
        }
    }

    @Test func wrongShapeIsNamed() throws {
        var writer = SafeTensorsWriter(metadata: smallConfig.metadata)
        let net = try TranscriptionNetwork(config: smallConfig, seed: 1)
        for entry in net.parameters.layout.entries {
            let shape = entry.name == "decoder.fc2.weight" ? [entry.shape[1], entry.shape[0]] : entry.shape
            writer.add(entry.name, shape: shape, values: UnsafeBufferPointer(net.parameters[entry.name]))
        }
        let file = try SafeTensorsFile(data: writer.serialized())
        #expect(throws: SafeTensorsError.wrongShape(tensor: "decoder.fc2.weight", expected: [5, 8], found: [8, 5])) {
            try WeightsFile.fill(net.parameters, from: file)
        }
    }

    @Test func wrongDTypeIsNamed() throws {
        let header = #"{"encoder.conv1.weight":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
        let file = try SafeTensorsFile(data: rawSafeTensors(header: header, data: [0, 0, 0, 0]))
        #expect(throws: SafeTensorsError.unsupportedDType(tensor: "encoder.conv1.weight", dtype: "I32")) {
            try file.floats("encoder.conv1.weight")
        }
    }

    @Test func metadataWithoutTheSettingsIsRejected() throws {
        var metadata = smallConfig.metadata
        metadata["n_heads"] = nil
        #expect { try ModelConfig(metadata: metadata) } throws: { error in
            "\(error)".contains("'n_heads'") && "\(error)".contains("missing")
        }
        metadata["n_heads"] = "two"
        #expect { try ModelConfig(metadata: metadata) } throws: { error in "\(error)".contains("not a positive integer") }
    }

    /// The heads come from `outputs`; a file without the key (every file before the heads) has
    /// the frame head alone, and a key this program cannot read is refused, saying what it reads.
    @Test func outputsNameTheHeads() throws {
        var metadata = smallConfig.metadata
        #expect(metadata["outputs"] == "frame")
        metadata["outputs"] = nil
        #expect(try ModelConfig(metadata: metadata).heads == [.frame])
        metadata["outputs"] = "frame,onset,velocity"
        let config = try ModelConfig(metadata: metadata)
        #expect(config.heads == [.frame, .onset, .velocity])
        #expect(config.metadata["outputs"] == "frame,onset,velocity")
        #expect(config.parameterShapes.map(\.name).suffix(4) == ["velocity.fc1.weight", "velocity.fc1.bias", "velocity.fc2.weight", "velocity.fc2.bias"])
        for bad in ["onset", "frame,pedal", "frame,onset,onset", ""] {
            metadata["outputs"] = bad
            #expect { try ModelConfig(metadata: metadata) } throws: { error in
                "\(error)".contains("'outputs'") && "\(error)".contains("frame, onset, velocity")
            }
        }
    }

    @Test func missingFileSaysSo() {
        #expect(throws: SafeTensorsError.unreadable(path: "/nonexistent.safetensors", reason: "no such file")) {
            try SafeTensorsFile.read("/nonexistent.safetensors")
        }
    }

    @Test func writingIntoAMissingFolderFailsClearlyAndLeavesNothing() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 1)
        #expect { try WeightsFile.save(net, to: "/nonexistent/dir/w.safetensors") } throws: { error in
            "\(error)".contains("cannot write '/nonexistent/dir/w.safetensors'")
        }
    }
}
