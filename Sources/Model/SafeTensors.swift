// SafeTensors: the public safetensors format, read with full validation and written atomically.
//
// Layout: 8-byte little-endian header length n, n bytes of JSON
// {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...},
// then the data area; offsets are relative to its start. Written by hand because the format is
// ~100 lines and no Swift package in reach reads it; the validation is the part that matters.
import Foundation
import Support

public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case tooShort(size: Int)
    case headerPastEnd(headerLength: UInt64, fileSize: Int)
    case headerNotJSON(String)
    case badField(tensor: String, field: String, problem: String)
    case unsupportedDType(tensor: String, dtype: String)
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, bytes: Int)
    case outOfBounds(tensor: String, end: Int, dataSize: Int)
    case overlap(tensor: String, other: String)
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case badMetadata(key: String, problem: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read '\(path)': \(reason)"
        case let .tooShort(size):
            return "not a safetensors file: it has \(size) bytes, fewer than the 8-byte header length"
        case let .headerPastEnd(length, size):
            return "damaged safetensors file: the header claims \(length) bytes but the file has only \(size) (truncated?)"
        case let .headerNotJSON(reason): return "damaged safetensors file: the header is not valid JSON (\(reason))"
        case let .badField(tensor, field, problem): return "damaged safetensors file: tensor '\(tensor)', field '\(field)': \(problem)"
        case let .unsupportedDType(tensor, dtype):
            return "tensor '\(tensor)' has dtype \(dtype); only F32, F16, BF16 and F64 can be read as floats"
        case let .sizeMismatch(tensor, shape, dtype, bytes):
            return "damaged safetensors file: tensor '\(tensor)' of shape \(shape) and dtype \(dtype) should take "
                + "\(shape.reduce(1, *) * (dtypeSize(dtype) ?? 0)) bytes but its offsets span \(bytes)"
        case let .outOfBounds(tensor, end, dataSize):
            return "damaged safetensors file: tensor '\(tensor)' ends at byte \(end) of a data area of \(dataSize) bytes (truncated?)"
        case let .overlap(tensor, other): return "damaged safetensors file: tensors '\(other)' and '\(tensor)' overlap"
        case let .missingTensor(name): return "the weights file has no tensor '\(name)'; it is not a weights file of this model"
        case let .wrongShape(tensor, expected, found):
            return "tensor '\(tensor)' has shape \(found) but these settings need \(expected); the file was made for other settings"
        case let .badMetadata(key, problem): return "weights metadata '\(key)': \(problem)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason). Check that the folder exists and is writable and that the disk has room."
        }
    }
}

func dtypeSize(_ dtype: String) -> Int? {
    switch dtype {
    case "F64", "I64", "U64": return 8
    case "F32", "I32", "U32": return 4
    case "F16", "BF16", "I16", "U16": return 2
    case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
    default: return nil
    }
}

/// One tensor's entry in the header.
public struct SafeTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    /// Byte range within the data area.
    public var range: Range<Int>
}

/// An open file read with pread, closed when the last SafeTensorsFile using it goes.
final class OpenFile: Sendable {
    let descriptor: Int32
    init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset`; false on a short read (the file shrank).
    func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Bool {
        var done = 0
        while done < count {
            let n = pread(descriptor, destination + done, count - done, off_t(offset + done))
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

/// A validated safetensors file: in memory (memory-mapped) or, for large data sets read
/// piecemeal, only its header in memory with tensors read from disk on demand.
public struct SafeTensorsFile: Sendable {
    public let metadata: [String: String]
    /// Tensors in the order of their data.
    public let tensors: [SafeTensorInfo]
    private let index: [String: Int]
    private let data: Data
    private let file: OpenFile?
    private let dataStart: Int

    public static func read(_ path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw .unreadable(path: path, reason: reason)
        }
        return try SafeTensorsFile(data: data)
    }

    /// Reads and validates the header only; tensor bytes are read from disk when asked for, so
    /// what stays resident is what the caller copies (a training loader's few batches), not the
    /// file. Validation is the same as `read`'s, against the file's size.
    public static func openHeader(_ path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? String(cString: strerror(errno)) : "no such file")
        }
        let file = OpenFile(descriptor: descriptor)
        var status = stat()
        fstat(descriptor, &status)
        let size = Int(status.st_size)
        guard size >= 8 else { throw .tooShort(size: size) }
        var length: UInt64 = 0
        guard file.read(into: &length, count: 8, at: 0) else { throw .tooShort(size: size) }
        let headerLength = UInt64(littleEndian: length)
        guard headerLength <= UInt64(size - 8) else { throw .headerPastEnd(headerLength: headerLength, fileSize: size) }
        var header = Data(count: Int(headerLength))
        let ok = header.withUnsafeMutableBytes { file.read(into: $0.baseAddress!, count: Int(headerLength), at: 8) }
        guard ok else { throw .headerPastEnd(headerLength: headerLength, fileSize: size) }
        return try SafeTensorsFile(header: header, headerLength: headerLength, fileSize: size, data: Data(), file: file)
    }

    /// Parses and validates: header within the file, JSON well formed, every field of the right
    /// type, offsets inside the data area and non-overlapping, byte counts equal to shape x dtype.
    public init(data: Data) throws(SafeTensorsError) {
        guard data.count >= 8 else { throw .tooShort(size: data.count) }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw .headerPastEnd(headerLength: headerLength, fileSize: data.count)
        }
        let start = data.startIndex
        try self.init(header: data[(start + 8)..<(start + 8 + Int(headerLength))], headerLength: headerLength,
                      fileSize: data.count, data: data, file: nil)
    }

    private init(header headerData: Data, headerLength: UInt64, fileSize: Int, data: Data, file: OpenFile?) throws(SafeTensorsError) {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw .headerNotJSON("\(error.localizedDescription)")
        }
        guard let header = json as? [String: Any] else { throw .headerNotJSON("the top level is not an object") }
        let dataSize = fileSize - 8 - Int(headerLength)

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let dict = raw as? [String: Any] else {
                throw .badMetadata(key: "__metadata__", problem: "is not an object of strings")
            }
            for (key, value) in dict {
                guard let text = value as? String else { throw .badMetadata(key: key, problem: "is not a string") }
                metadata[key] = text
            }
        }
        var tensors: [SafeTensorInfo] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any] else {
                throw .badField(tensor: name, field: "(entry)", problem: "is not an object")
            }
            guard let dtype = entry["dtype"] as? String else {
                throw .badField(tensor: name, field: "dtype", problem: "is missing or not a string")
            }
            guard let size = dtypeSize(dtype) else { throw .badField(tensor: name, field: "dtype", problem: "unknown dtype \(dtype)") }
            guard let shapeValues = entry["shape"] as? [Any] else {
                throw .badField(tensor: name, field: "shape", problem: "is missing or not a list")
            }
            var shape: [Int] = []
            for value in shapeValues {
                guard let number = value as? NSNumber, let dim = Int(exactly: number.doubleValue), dim >= 0, dim < 1 << 40 else {
                    throw .badField(tensor: name, field: "shape", problem: "holds \(value), not a non-negative integer")
                }
                shape.append(dim)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let b = (offsets[0] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
                  let e = (offsets[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), b >= 0, e >= b else {
                throw .badField(tensor: name, field: "data_offsets", problem: "must be two integers [begin, end] with begin <= end")
            }
            guard e <= dataSize else { throw .outOfBounds(tensor: name, end: e, dataSize: dataSize) }
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard elements * size == e - b else {
                throw .sizeMismatch(tensor: name, shape: shape, dtype: dtype, bytes: e - b)
            }
            tensors.append(SafeTensorInfo(name: name, dtype: dtype, shape: shape, range: b..<e))
        }
        tensors.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (previous, next) in zip(tensors, tensors.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw .overlap(tensor: next.name, other: previous.name)
        }
        self.metadata = metadata
        self.tensors = tensors
        index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
        self.data = data
        self.file = file
        dataStart = 8 + Int(headerLength)
    }

    /// The raw bytes [start, start + count) of the data area, from memory or disk.
    private func withBytes<R>(at start: Int, count: Int, _ body: (UnsafeRawPointer) -> R) throws(SafeTensorsError) -> R {
        if let file {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
            defer { buffer.deallocate() }
            guard file.read(into: buffer, count: count, at: dataStart + start) else {
                throw .outOfBounds(tensor: "(read)", end: start + count, dataSize: -1)
            }
            return body(buffer)
        }
        return data.withUnsafeBytes { body($0.baseAddress! + dataStart + start) }
    }

    public func info(_ name: String) -> SafeTensorInfo? { index[name].map { tensors[$0] } }

    /// Copies `count` F32 elements of tensor `name`, starting at element `offset`, into
    /// `destination`: reads only those bytes of the (memory-mapped) file.
    public func copyFloats(_ name: String, offset: Int, count: Int,
                           into destination: UnsafeMutablePointer<Float>) throws(SafeTensorsError) {
        guard let info = info(name) else { throw .missingTensor(name) }
        guard info.dtype == "F32" else { throw .unsupportedDType(tensor: name, dtype: info.dtype) }
        let total = info.shape.reduce(1, *)
        guard offset >= 0, count >= 0, offset + count <= total else {
            throw .badField(tensor: name, field: "(slice)", problem: "elements \(offset)..<\(offset + count) of \(total)")
        }
        let start = info.range.lowerBound + 4 * offset
        if let file {
            guard file.read(into: destination, count: 4 * count, at: dataStart + start) else {
                throw .outOfBounds(tensor: name, end: start + 4 * count, dataSize: -1)
            }
            return
        }
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress! + dataStart + start, byteCount: 4 * count)
        }
    }

    /// The tensor's values as Float32, converting F16, BF16 and F64.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        guard let info = info(name) else { throw .missingTensor(name) }
        let count = info.shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        let dtype = info.dtype
        guard ["F32", "F16", "BF16", "F64"].contains(dtype) else { throw .unsupportedDType(tensor: name, dtype: dtype) }
        try withBytes(at: info.range.lowerBound, count: info.range.count) { base in
            out.withUnsafeMutableBufferPointer { dst in
                switch dtype {
                case "F32":
                    UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: base, byteCount: count * 4)
                case "F16":
                    for i in 0..<count { dst[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case "BF16":
                    for i in 0..<count {
                        dst[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                    }
                default:
                    for i in 0..<count { dst[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                }
            }
        }
        return out
    }
}

/// Builds a safetensors file: add tensors (F32), set metadata, write.
public struct SafeTensorsWriter {
    /// The header's entries: a tensor's place in the data, or the string metadata.
    struct TensorHeader: Encodable { var dtype: String, shape: [Int], data_offsets: [Int] }
    enum HeaderValue: Encodable {
        case tensor(TensorHeader)
        case metadata([String: String])
        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .tensor(header): try container.encode(header)
            case let .metadata(metadata): try container.encode(metadata)
            }
        }
    }

    public var metadata: [String: String] = [:]
    private var entries: [(name: String, shape: [Int], values: [Float])] = []

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        entries.append((name, shape, values))
    }

    public mutating func add(_ name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        add(name, shape: shape, values: Array(values))
    }

    /// The whole file as bytes; the header is padded with spaces to a multiple of 8 bytes.
    public func serialized() -> Data {
        var header: [String: HeaderValue] = [:]
        if !metadata.isEmpty { header["__metadata__"] = .metadata(metadata) }
        var offset = 0
        for entry in entries {
            let bytes = entry.values.count * 4
            header[entry.name] = .tensor(TensorHeader(dtype: "F32", shape: entry.shape, data_offsets: [offset, offset + bytes]))
            offset += bytes
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings, integers and their arrays: encoding them cannot fail.
        var json = try! encoder.encode(header)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for entry in entries {
            entry.values.withUnsafeBytes { out.append(contentsOf: $0) }   // little-endian hosts only
        }
        return out
    }

    /// Writes the file whole or not at all: a temporary file beside `path`, then a rename.
    public func write(to path: String) throws(SafeTensorsError) {
        do { try AtomicFile.write(serialized(), to: path) } catch { throw .cannotWrite(path: error.path, reason: error.reason) }
    }
}
