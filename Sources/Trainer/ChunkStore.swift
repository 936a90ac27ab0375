// ChunkStore: the windows that preprocess wrote, read lazily (only each file's header is kept;
// a window is read from disk when asked for), with the settings every file must share.
import Foundation
import Model
import StreamingCQT

public struct ChunkStoreError: Error, CustomStringConvertible {
    public var description: String
}

public final class ChunkStore: @unchecked Sendable {
    // Sendable: immutable after init; SafeTensorsFile reads (pread) are thread-safe.
    public let files: [SafeTensorsFile]
    public let ids: [String]
    /// (file, window) of every window.
    public let windows: [(file: Int, window: Int)]
    public let frames: Int, bins: Int, notes: Int
    /// The shared metadata (front-end settings, note space) of the chunk files.
    public let metadata: [String: String]

    /// Every chunk file of `folder` (a preprocess output's split folder), or of `ids` only.
    public init(folder: String, ids only: Set<String>? = nil) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        var files: [SafeTensorsFile] = [], ids: [String] = [], windows: [(Int, Int)] = []
        var shape: [Int]? = nil, notes = 0, metadata: [String: String] = [:]
        for name in names {
            let id = String(name.dropLast(".safetensors".count))
            if let only, !only.contains(id) { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            let file = try SafeTensorsFile.openHeader(path)
            guard let info = file.info("frames"), let targets = file.info("targets"), info.shape.count == 3 else {
                throw ChunkStoreError(description: "'\(path)' is not a preprocess chunk file (no 'frames' [windows, T, F])")
            }
            let settings = file.metadata.filter { !["id", "source", "recording_frames"].contains($0.key) }
            if let shape {
                guard Array(info.shape.dropFirst()) == shape, targets.shape.last == notes, settings == metadata else {
                    throw ChunkStoreError(description: "'\(path)' was made with other settings than the files before it; "
                        + "preprocess the whole folder with one set of options")
                }
            } else {
                shape = Array(info.shape.dropFirst())
                notes = targets.shape.last ?? 0
                metadata = settings
            }
            for w in 0..<info.shape[0] { windows.append((files.count, w)) }
            files.append(file)
            ids.append(id)
        }
        guard let shape else {
            throw ChunkStoreError(description: "no chunk files in '\(folder)'; run `transcriber preprocess` first")
        }
        self.files = files
        self.ids = ids
        self.windows = windows
        (frames, bins) = (shape[0], shape[1])
        self.notes = notes
        self.metadata = metadata
    }

    public var count: Int { windows.count }

    /// Copies window `index` into frames (T, F) and targets (T, K).
    public func copy(_ index: Int, frames f: UnsafeMutablePointer<Float>, targets y: UnsafeMutablePointer<Float>) throws {
        let (file, window) = windows[index]
        try files[file].copyFloats("frames", offset: window * frames * bins, count: frames * bins, into: f)
        try files[file].copyFloats("targets", offset: window * frames * notes, count: frames * notes, into: y)
    }
}
