// The ring buffer under two threads with random chunk sizes: every sample arrives once, in
// order. Run it under the thread sanitizer too: swift test --sanitize=thread --filter RingBuffer
import Foundation
import Testing
@testable import LiveCapture

@Suite struct RingBufferTests {
    @Test func everySampleArrivesOnceInOrder() async {
        let ring = RingBuffer(capacity: 1000)
        #expect(ring.capacity == 1024)
        let total = 2_000_000
        let producer = Thread {
            var next = 0, seed: UInt64 = 1
            var chunk = [Float](repeating: 0, count: 4096)
            while next < total {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let size = min(Int(seed >> 52) + 1, total - next)   // 1 ... 4096
                for i in 0..<size { chunk[i] = Float(next + i) }
                var offset = 0
                while offset < size {
                    offset += chunk.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[offset..<size])) }
                }
                next += size
            }
        }
        producer.start()
        var expected = 0, seed: UInt64 = 7, outOfOrder = 0
        var buffer = [Float](repeating: 0, count: 3000)
        while expected < total {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let want = Int(seed >> 53) % 3000 + 1
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<want])) }
            for i in 0..<n where buffer[i] != Float(expected + i) { outOfOrder += 1 }
            expected += n
        }
        #expect(outOfOrder == 0)
        #expect(ring.available == 0)
    }

    @Test func aFullRingTakesWhatFitsAndNeverBlocks() {
        let ring = RingBuffer(capacity: 8)
        let samples = [Float](repeating: 1, count: 20)
        #expect(samples.withUnsafeBufferPointer { ring.write($0) } == 8)
        #expect(samples.withUnsafeBufferPointer { ring.write($0) } == 0)
        var out = [Float](repeating: 0, count: 5)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 5)
        #expect(ring.available == 3)
    }
}
