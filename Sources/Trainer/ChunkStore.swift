// ChunkStore: the windows that preprocess wrote, read lazily (only each file's header is kept;
// a window is read from disk when asked for), with the settings every file must share.
//
// Windows that preprocess wrote back to back (`--n-batches 0`: window w + 1 starts where w ends)
// are one contiguous run of frames in the file, so a window can also be read shifted by up to
// T - 1 frames into the next one: the loader's random crops, at no cost in disk or preprocessing.
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
    /// How many frames each window may be shifted later in time and still be frames of its own
    /// recording, contiguous: T - 1 where the next window of its file starts where it ends, else 0.
    public let maxShift: [Int]
    public let frames: Int, bins: Int, notes: Int
    /// Whether every file has onset and velocity targets (chunk format 2 on; earlier files have
    /// the frame targets alone, enough to train a frame-only network).
    public let hasOnsets: Bool
    /// The shared metadata (front-end settings, note space) of the chunk files.
    public let metadata: [String: String]

    /// Every chunk file of `folder` (a preprocess output's split folder), or of `ids` only.
    public init(folder: String, ids only: Set<String>? = nil) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        var files: [SafeTensorsFile] = [], ids: [String] = [], windows: [(Int, Int)] = [], maxShift: [Int] = []
        var shape: [Int]? = nil, notes = 0, metadata: [String: String] = [:], hasOnsets = true
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
            let count = info.shape[0], t = info.shape[1]
            hasOnsets = hasOnsets && file.info("onsets")?.shape == targets.shape && file.info("velocities")?.shape == targets.shape
            // Where each window starts in its recording; a file without them shifts no window.
            var starts: [Float]? = nil
            if let startsInfo = file.info("starts"), startsInfo.shape == [count] {
                var values = [Float](repeating: 0, count: count)
                try file.copyFloats("starts", offset: 0, count: count, into: &values)
                starts = values
            }
            for w in 0..<count {
                windows.append((files.count, w))
                let nextIsAdjacent = starts.map { w + 1 < count && Int($0[w + 1]) == Int($0[w]) + t } ?? false
                maxShift.append(nextIsAdjacent ? t - 1 : 0)
            }
            files.append(file)
            ids.append(id)
        }
        guard let shape else {
            throw ChunkStoreError(description: "no chunk files in '\(folder)'; run `transcriber preprocess` first")
        }
        self.files = files
        self.ids = ids
        self.windows = windows
        self.maxShift = maxShift
        (frames, bins) = (shape[0], shape[1])
        self.notes = notes
        self.metadata = metadata
        self.hasOnsets = hasOnsets
    }

    public var count: Int { windows.count }

    /// Copies window `index`, shifted `shift` frames later (0 ... maxShift[index]), into frames
    /// (T, F) and targets (T, K), and its onset and velocity targets (T, K) where asked for
    /// (the store must have them: `hasOnsets`).
    public func copy(_ index: Int, shift: Int = 0, frames f: UnsafeMutablePointer<Float>,
                     targets y: UnsafeMutablePointer<Float>, onsets: UnsafeMutablePointer<Float>? = nil,
                     velocities: UnsafeMutablePointer<Float>? = nil) throws {
        precondition((0...maxShift[index]).contains(shift), "window \(index) cannot be shifted by \(shift) frames")
        let (file, window) = windows[index]
        let first = window * frames + shift
        try files[file].copyFloats("frames", offset: first * bins, count: frames * bins, into: f)
        try files[file].copyFloats("targets", offset: first * notes, count: frames * notes, into: y)
        if let onsets { try files[file].copyFloats("onsets", offset: first * notes, count: frames * notes, into: onsets) }
        if let velocities { try files[file].copyFloats("velocities", offset: first * notes, count: frames * notes, into: velocities) }
    }
}
