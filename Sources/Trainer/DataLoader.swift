// DataLoader: shuffled batches of windows, assembled ahead on a background thread so the
// training step never waits for the disk (the time it does wait is measured and reported).
import Foundation
import Model
import Synchronization
import Support

/// One batch: inputs (B, T, F) and targets (B, T, K); onset and velocity targets (B, T, K) when
/// the loader was asked for them, else empty.
public struct Batch: Sendable {
    /// Windows in this batch (this process's share of it when the batch is sharded).
    public var size: Int
    /// Windows in the whole batch, every process's share together.
    public var globalSize: Int
    public var frames: [Float]
    public var targets: [Float]
    public var onsets: [Float] = []
    public var velocities: [Float] = []
    /// Each window's context summary (B, F) when the loader has a ContextTable, else empty.
    public var summaries: [Float] = []

    /// The context summaries for the network's forward: nil when the batch has none.
    public func withSummaries<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        try summaries.withUnsafeBufferPointer { try body($0.isEmpty ? nil : $0.baseAddress) }
    }

    /// The batch's targets for the network's backward (valid inside `body`).
    public func withHeadTargets<R>(_ body: (HeadTargets) throws -> R) rethrows -> R {
        try targets.withUnsafeBufferPointer { y in
            try onsets.withUnsafeBufferPointer { o in
                try velocities.withUnsafeBufferPointer { v in
                    try body(HeadTargets(frames: y.baseAddress!, onsets: o.isEmpty ? nil : o.baseAddress,
                                         velocities: v.isEmpty ? nil : v.baseAddress))
                }
            }
        }
    }
}

/// Which share of every batch a process reads: windows [index * n / count, (index + 1) * n / count)
/// of a batch of n. One process reads them all.
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int
    public init(index: Int = 0, count: Int = 1) {
        self.index = index
        self.count = count
    }
    public static let whole = Shard()
    public func range(of size: Int) -> Range<Int> { (index * size / count)..<((index + 1) * size / count) }
}

/// What the producer thread and the consumer share; the thread owns it, so a loader dropped
/// mid-epoch only has to cancel it.
private final class BatchPipeline: @unchecked Sendable {
    // Sendable: `queue` is a Mutex, `cancelled` an Atomic, the rest immutable or semaphores.
    let store: ChunkStore
    let order: [Int]
    /// Frames each window of `order` is shifted by (ChunkStore.maxShift), in the same order.
    let shifts: [Int]
    let batchSize: Int
    let shard: Shard
    let withOnsets: Bool
    /// Frames each onset target covers: its own and the frames after it (1: its own alone).
    let onsetFrames: Int
    let context: ContextTable?
    let queue = Mutex<[Batch?]>([])
    let filled = DispatchSemaphore(value: 0)
    let free: DispatchSemaphore
    let cancelled = Atomic<Bool>(false)

    init(store: ChunkStore, order: [Int], shifts: [Int], batchSize: Int, shard: Shard, withOnsets: Bool, onsetFrames: Int,
         context: ContextTable?, prefetch: Int) {
        self.store = store
        self.context = context
        self.withOnsets = withOnsets
        self.onsetFrames = onsetFrames
        self.order = order
        self.shifts = shifts
        self.batchSize = batchSize
        self.shard = shard
        // Created at 0 and raised to `prefetch`: libdispatch traps when a semaphore is freed
        // below its initial value, which a loader dropped mid-epoch (Ctrl-C, a stop) leaves.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<max(1, prefetch) { free.signal() }
    }

    func produce() {
        let t = store.frames, f = store.bins, k = store.notes
        var start = 0
        while start < order.count {
            free.wait()
            if cancelled.load(ordering: .acquiring) { return }
            let globalSize = min(batchSize, order.count - start)
            let mine = shard.range(of: globalSize), size = mine.count
            var frames = [Float](repeating: 0, count: size * t * f)
            var targets = [Float](repeating: 0, count: size * t * k)
            var onsets = withOnsets ? targets : [], velocities = onsets
            var summaries = [Float](repeating: 0, count: context == nil ? 0 : size * f)
            var failed = false
            frames.withUnsafeMutableBufferPointer { fp in
                targets.withUnsafeMutableBufferPointer { yp in
                    onsets.withUnsafeMutableBufferPointer { op in
                        velocities.withUnsafeMutableBufferPointer { vp in
                            for b in 0..<size {
                                let index = start + mine.lowerBound + b, into = b * t * k
                                do {
                                    try store.copy(order[index], shift: shifts[index], frames: fp.baseAddress! + b * t * f,
                                                   targets: yp.baseAddress! + into,
                                                   onsets: withOnsets ? op.baseAddress! + into : nil,
                                                   velocities: withOnsets ? vp.baseAddress! + into : nil)
                                } catch { failed = true }
                                if withOnsets && onsetFrames > 1 { Self.widen(op.baseAddress! + into, frames: t, notes: k, by: onsetFrames) }
                            }
                        }
                    }
                }
            }
            if let context {
                summaries.withUnsafeMutableBufferPointer { sp in
                    for b in 0..<size {
                        let index = start + mine.lowerBound + b
                        do { try context.copy(order[index], shift: shifts[index], into: sp.baseAddress! + b * f) } catch { failed = true }
                    }
                }
            }
            let batch = Batch(size: size, globalSize: globalSize, frames: frames, targets: targets, onsets: onsets,
                              velocities: velocities, summaries: summaries)
            queue.withLock { $0.append(failed ? nil : batch) }
            filled.signal()
            start += globalSize
        }
    }

    /// Each onset target [frames, notes] also marks the `width` - 1 frames after it: from the last
    /// frame back, so every frame reads the targets before it as they were.
    static func widen(_ onsets: UnsafeMutablePointer<Float>, frames: Int, notes: Int, by width: Int) {
        for t in stride(from: frames - 1, through: 1, by: -1) {
            for back in 1..<min(width, t + 1) {
                for n in 0..<notes { onsets[t * notes + n] = max(onsets[t * notes + n], onsets[(t - back) * notes + n]) }
            }
        }
    }

    func cancel() {
        cancelled.store(true, ordering: .releasing)
        free.signal()
    }
}

public final class DataLoader {
    public let store: ChunkStore
    public let batchSize: Int
    public let batches: Int
    private let pipeline: BatchPipeline
    private var consumed = 0
    /// Seconds the consumer spent waiting in `next()`.
    public private(set) var waitSeconds = 0.0

    /// Batches of `batchSize` over `store`, in an order shuffled by (seed, epoch) - the same
    /// order on every run with those values - `prefetch` batches ahead. With `randomShifts`,
    /// each window is read shifted later by a number of frames drawn from (seed, epoch) too
    /// (0 ... ChunkStore.maxShift): every epoch cuts the recordings at other places, so the
    /// network does not learn the windows by heart, and a resumed run still takes the same steps.
    /// With a `shard`, each batch holds only that share of the windows (the order and the shifts
    /// are those of the whole batch, so processes reading other shares read the rest of it).
    /// `withOnsets` reads the onset and velocity targets too (the store must have them); with
    /// `onsetFrames` above 1 each onset target also marks the frames after it (training only: the
    /// labelled notes validation scores against are read from the stored, one-frame targets).
    /// With a `context` table (of this store), each batch carries its windows' context summaries.
    public init(store: ChunkStore, batchSize: Int, seed: UInt64, epoch: Int, shuffle: Bool = true,
                randomShifts: Bool = false, shard: Shard = .whole, withOnsets: Bool = false, onsetFrames: Int = 1,
                context: ContextTable? = nil, prefetch: Int = 4) {
        precondition(context.map { $0.store === store } ?? true, "a context table of another store")
        precondition(onsetFrames >= 1, "an onset target covers at least its own frame")
        precondition(!withOnsets || store.hasOnsets, "onset targets asked of chunks without them")
        self.store = store
        self.batchSize = batchSize
        var order = Array(0..<store.count)
        var generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch))
        if shuffle { order.shuffle(using: &generator) }
        let shifts = randomShifts ? order.map { Int.random(in: 0...store.maxShift[$0], using: &generator) }
                                  : [Int](repeating: 0, count: order.count)
        batches = (order.count + batchSize - 1) / batchSize
        pipeline = BatchPipeline(store: store, order: order, shifts: shifts, batchSize: batchSize, shard: shard,
                                 withOnsets: withOnsets, onsetFrames: onsetFrames, context: context, prefetch: prefetch)
        let thread = Thread { [pipeline] in pipeline.produce() }
        thread.name = "data loader"
        thread.start()
    }

    deinit { pipeline.cancel() }

    /// The next batch, or nil at the end of the epoch. Throws if a window could not be read.
    public func next() throws -> Batch? {
        guard consumed < batches else { return nil }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        pipeline.filled.wait()
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        let batch = pipeline.queue.withLock { $0.removeFirst() }
        pipeline.free.signal()
        consumed += 1
        guard let batch else { throw ChunkStoreError(description: "a chunk file could not be read (damaged?)") }
        return batch
    }
}
