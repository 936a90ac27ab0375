// Tests of the matrix product: sgemm on oneDNN and on OpenBLAS equals a naive product for every
// transpose and shape; OpenBLAS's kernels chosen are the widest the CPU runs.
import Foundation
import Testing
@testable import Model
import Support

/// Float32 dot products of length K against Double: error ~ sqrt(K) * eps * |a||b|; 1e-5 of
/// the largest |C| holds for the K <= 300 used here and catches any layout or stride mistake.
let sgemmRelativeTolerance: Float = 1e-5

@Suite struct SgemmTests {
    @Test(arguments: [(Transpose.none, Transpose.none), (.transpose, .none), (.none, .transpose), (.transpose, .transpose)],
          [GEMMLibrary.oneDNN, .openBLAS])
    func matchesNaiveProduct(transposes: (Transpose, Transpose), library: GEMMLibrary) {
        let (transA, transB) = transposes
        var generator = SplitMix64(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 65), (43, 192, 264), (128, 3, 300)] {
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &generator) }
            let c0 = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &generator) }
            let alpha: Float = 0.75, beta: Float = -0.5
            // Element accessors for the stored layouts.
            func aAt(_ i: Int, _ p: Int) -> Double { Double(transA == .none ? a[i * k + p] : a[p * m + i]) }
            func bAt(_ p: Int, _ j: Int) -> Double { Double(transB == .none ? b[p * n + j] : b[j * k + p]) }
            var expected = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += aAt(i, p) * bAt(p, j) }
                    expected[i * n + j] = Double(alpha) * sum + Double(beta) * Double(c0[i * n + j])
                }
            }
            var c = c0
            sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, b, beta: beta, &c, library: library)
            let scale = expected.map { abs($0) }.max()!
            let worst = zip(c, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst / scale < Double(sgemmRelativeTolerance), "\(library) m \(m) n \(n) k \(k): max error \(worst)")
        }
    }

    @Test func threadCountIsASetting() {
        let before = BLASThreads.current
        BLASThreads.set(1)
        #expect(BLASThreads.current == 1)
        BLASThreads.set(before)
    }
}

/// The seeded generator of the Model module, under the name these tests use.
typealias SplitMix64 = SeededGenerator

/// OpenBLAS 0.3.21 picks kernels by CPU model; on one it does not know it falls back to SSE3
/// (Prescott), and `transcriber` re-runs itself with the widest kernels the CPU's flags allow.
@Suite struct BLASKernelsTests {
    let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"]

    @Test func aFallbackIsReplacedByTheWidestKernelsTheCPURuns() {
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: avx512) == "SKYLAKEX")
        #expect(BLASKernels.better(than: "Nehalem", cpuFlags: ["avx", "avx2", "fma"]) == "HASWELL")
        #expect(BLASKernels.better(than: "Sandybridge", cpuFlags: ["avx", "avx2", "fma"]) == "HASWELL")
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: ["sse4_2", "avx"]) == "SANDYBRIDGE")
        // AVX-512 in part (no avx512vl) is not enough for SkylakeX's kernels.
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: avx512.subtracting(["avx512vl"])) == "HASWELL")
    }

    @Test func aChoiceAsWideAsTheCPUOrNotAFallbackStands() {
        #expect(BLASKernels.better(than: "Sandybridge", cpuFlags: ["avx"]) == nil)
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: ["sse3", "sse4_2"]) == nil)
        #expect(BLASKernels.better(than: "Zen", cpuFlags: avx512) == nil)
        #expect(BLASKernels.better(than: "SkylakeX", cpuFlags: avx512) == nil)
        #expect(BLASKernels.better(than: "Haswell", cpuFlags: avx512) == nil)
    }

    @Test func cpuFlagsAreTheFirstProcessorsFlagsLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            processor\t: 0
            model name\t: Some CPU
            flags\t\t: fpu sse2 avx2 fma avx512f
            bugs\t\t: spectre_v1

            processor\t: 1
            flags\t\t: fpu
            """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BLASKernels.cpuFlags(cpuinfo: path) == ["fpu", "sse2", "avx2", "fma", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: path + ".missing").isEmpty)
    }
}

