// ContextTable: for every window of a ChunkStore, the context summary (ContextSummary) of the
// frames of its recording before it - what the live engine would hold when that window runs -
// computed once from the files, so a shuffled batch reads a window's past at no cost.
import Foundation
import Model
import Synchronization

public final class ContextTable: @unchecked Sendable {
    // Sendable: immutable after init.
    public let store: ChunkStore
    public let timeConstant: Int
    /// Per window: the summary's running sums (F) and weight where the window starts, unshifted.
    private let sums: [Float]
    private let weights: [Float]

    /// Reads every frame of `store` once (its files on `threads` cores). Every file's windows must
    /// cover its recording from the start with no gap (preprocess --n-batches 0: back to back, the
    /// last one overlapping the one before to end with the recording), or a window's past is not
    /// in the file.
    public init(store: ChunkStore, timeConstant: Int, threads: Int = 1) throws {
        self.store = store
        self.timeConstant = timeConstant
        let t = store.frames, f = store.bins
        var firstWindow = [Int](repeating: 0, count: store.files.count + 1)
        for (file, _) in store.windows { firstWindow[file + 1] += 1 }
        for i in 0..<store.files.count { firstWindow[i + 1] += firstWindow[i] }
        var starts: [[Int]] = []
        for (i, file) in store.files.enumerated() {
            let count = firstWindow[i + 1] - firstWindow[i]
            var values = [Float](repeating: 0, count: count)
            let recorded = file.info("starts")?.shape == [count]
            if recorded { try file.copyFloats("starts", offset: 0, count: count, into: &values) }
            let windowStarts = values.map { Int($0) }
            guard recorded, windowStarts.first == 0,
                  zip(windowStarts, windowStarts.dropFirst()).allSatisfy({ $1 > $0 && $1 <= $0 + t }) else {
                throw ChunkStoreError(description: "a context summary needs each recording's windows back to back from its start, "
                    + "and '\(store.ids[i])' does not have them: preprocess with --n-batches 0")
            }
            starts.append(windowStarts)
        }
        var sums = [Float](repeating: 0, count: store.count * f), weights = [Float](repeating: 0, count: store.count)
        let failure = Mutex<(any Error)?>(nil)
        let files = store.files, parts = max(1, min(threads, files.count)), windowRanges = firstWindow, fileStarts = starts
        sums.withUnsafeMutableBufferPointer { sumsOut in
            weights.withUnsafeMutableBufferPointer { weightsOut in
                let output = UncheckedPointers(sums: sumsOut.baseAddress!, weights: weightsOut.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    // The previous window's frames: the ones before this window's start not yet added.
                    var previous = [Float](repeating: 0, count: t * f)
                    for i in stride(from: part, to: files.count, by: parts) {
                        var summary = ContextSummary(bins: f, timeConstant: timeConstant)
                        for (w, start) in fileStarts[i].enumerated() {
                            if w > 0 {
                                let new = start - fileStarts[i][w - 1]
                                previous.withUnsafeBufferPointer { for row in 0..<new { summary.add($0.baseAddress! + row * f) } }
                            }
                            let index = windowRanges[i] + w
                            summary.save(sums: output.sums + index * f, weight: output.weights + index)
                            do { try files[i].copyFloats("frames", offset: w * t * f, count: t * f, into: &previous) } catch {
                                failure.withLock { $0 = error }
                                return
                            }
                        }
                    }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        self.sums = sums
        self.weights = weights
    }

    /// Window `index`'s summary (F values) shifted `shift` frames later, as the loader reads it:
    /// the summary where it starts, with its first `shift` frames added.
    public func copy(_ index: Int, shift: Int = 0, into out: UnsafeMutablePointer<Float>) throws {
        let f = store.bins
        var summary = ContextSummary(bins: f, timeConstant: timeConstant)
        sums.withUnsafeBufferPointer { summary.restore(sums: $0.baseAddress! + index * f, weight: weights[index]) }
        if shift > 0 {
            let (file, window) = store.windows[index]
            var frames = [Float](repeating: 0, count: shift * f)
            try store.files[file].copyFloats("frames", offset: window * store.frames * f, count: shift * f, into: &frames)
            frames.withUnsafeBufferPointer { for row in 0..<shift { summary.add($0.baseAddress! + row * f) } }
        }
        summary.write(into: out)
    }
}

/// The table's arrays, written by the threads of its init at disjoint windows.
private struct UncheckedPointers: @unchecked Sendable {
    let sums: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>
    init(sums: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>) {
        self.sums = sums
        self.weights = weights
    }
}
