// RingBuffer: the lock-free single-producer/single-consumer queue of samples between the
// capture thread and the transcription thread.
//
// Contract: exactly one thread calls `write`, exactly one (other) thread calls `read`. Storage is
// allocated once. Neither side blocks, locks or allocates: `write` stores what fits and returns
// how many samples it stored (the rest are the caller's to count as dropped); `read` returns
// what is there. The producer publishes with a release store of `written`, the consumer with a
// release store of `consumed`; each loads the other's counter with acquire, so the samples a
// counter covers are visible before the counter is.
// Written by hand on the Synchronization module: swift-atomics or Synchronization are the
// primitives; no package offers an audio SPSC ring on Linux.
import Synchronization

public final class RingBuffer: @unchecked Sendable {
    // Sendable: the two counters are atomics and each storage slot is touched by one side at a
    // time, as the contract above orders.
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Float>
    /// Total samples ever written (producer-owned) and read (consumer-owned).
    private let written = Atomic<Int>(0)
    private let consumed = Atomic<Int>(0)

    /// Capacity is rounded up to a power of two.
    public init(capacity: Int) {
        var size = 1
        while size < max(capacity, 2) { size <<= 1 }
        self.capacity = size
        mask = size - 1
        storage = .allocate(capacity: size)
        storage.initialize(repeating: 0, count: size)
    }

    deinit { storage.deallocate() }

    /// Producer: stores as many of `samples` as fit; returns how many.
    @discardableResult
    public func write(_ samples: UnsafeBufferPointer<Float>) -> Int {
        let w = written.load(ordering: .relaxed)
        let r = consumed.load(ordering: .acquiring)
        let n = min(samples.count, capacity - (w - r))
        guard n > 0 else { return 0 }
        let start = w & mask, first = min(n, capacity - start)
        (storage + start).update(from: samples.baseAddress!, count: first)
        if n > first { storage.update(from: samples.baseAddress! + first, count: n - first) }
        written.store(w + n, ordering: .releasing)
        return n
    }

    /// Consumer: moves up to `destination.count` samples out; returns how many.
    public func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        let r = consumed.load(ordering: .relaxed)
        let w = written.load(ordering: .acquiring)
        let n = min(destination.count, w - r)
        guard n > 0 else { return 0 }
        let start = r & mask, first = min(n, capacity - start)
        destination.baseAddress!.update(from: storage + start, count: first)
        if n > first { (destination.baseAddress! + first).update(from: storage, count: n - first) }
        consumed.store(r + n, ordering: .releasing)
        return n
    }

    /// Samples waiting (either side may ask; the answer is a snapshot).
    public var available: Int { written.load(ordering: .acquiring) - consumed.load(ordering: .acquiring) }
}
