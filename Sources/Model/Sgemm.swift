// sgemm, the one wrapper every matrix product of the network goes through, on oneDNN or
// OpenBLAS; OpenBLAS's thread count, and which of its kernels run.
import CDNNL
import COpenBLAS
import Foundation

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    /// oneDNN's spelling: "N" or "T".
    var flag: CChar { self == .none ? 78 : 84 }
}

/// The library that runs a product. Both are Debian's builds, one thread per calling thread.
///
/// oneDNN's `dnnl_sgemm` (JIT AVX-512 kernels) against OpenBLAS 0.3.21's SkylakeX kernels, one
/// thread, each product of a training step at batch 8 (docs/PERFORMANCE.md): 1.04-1.16x on
/// the Linear layers' products, 1.6x on the convolutions' (12 x 2816 x 60) and 1.4-1.7x on
/// their weight gradients; but 0.6-0.7x on attention's per-head products with 32 columns
/// (43 x 32 x 43), where OpenBLAS's small-matrix kernels are the faster.
public enum GEMMLibrary: Sendable {
    case oneDNN, openBLAS
}

/// Row-major single-precision matrix product:
/// `C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C`, on oneDNN unless told otherwise.
///
/// `A` is stored [M, K] (or [K, M] when transposed), `B` is [K, N] (or [N, K] when
/// transposed), `C` is [M, N]; leading dimensions default to the packed row length.
public func sgemm(_ transA: Transpose, _ transB: Transpose,
                  m: Int, n: Int, k: Int,
                  alpha: Float = 1,
                  _ a: UnsafePointer<Float>, lda: Int? = nil,
                  _ b: UnsafePointer<Float>, ldb: Int? = nil,
                  beta: Float = 0,
                  _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
                  library: GEMMLibrary = .oneDNN) {
    let lda = lda ?? (transA == .none ? k : m)
    let ldb = ldb ?? (transB == .none ? n : k)
    let ldc = ldc ?? n
    switch library {
    case .oneDNN:
        guard m > 0, n > 0 else { return }
        // oneDNN runs its kernels on OpenMP threads; one per calling thread (the callers split
        // work between cores themselves), set here because the calling thread may be new.
        omp_set_num_threads(1)
        checkDNNL(dnnl_sgemm(transA.flag, transB.flag, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda),
                             b, Int64(ldb), beta, c, Int64(ldc)),
                  "a \(m) x \(n) x \(k) product")
    case .openBLAS:
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}

/// OpenBLAS's worker-thread count. On two cores, two threads lose to one whenever anything
/// else is running (SWIFT_NOTES.md), so callers choose; benchmarks report what they used.
public enum BLASThreads {
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// The OpenBLAS kernels in use, and better ones when OpenBLAS's own choice falls short of the CPU.
///
/// OpenBLAS 0.3.21 (Debian 12's) picks its kernels by CPU model number and does not know Intel
/// models newer than itself: on an Emerald Rapids Xeon (family 6, model 207, AVX-512) it falls
/// back to Prescott's SSE3 kernels, and `file` runs at 35x real time instead of 76-81x with the
/// AVX-512 ones (docs/PERFORMANCE.md). It reads `OPENBLAS_CORETYPE` once, as it loads, before any
/// of our code runs, so the executable re-runs itself with the variable set
/// (`transcriber`'s `main`); a user's own `OPENBLAS_CORETYPE` is left alone.
public enum BLASKernels {
    /// The name OpenBLAS gives the kernels it chose ("SkylakeX", "Haswell", "Zen", "Prescott").
    public static var current: String { String(cString: openblas_get_corename()) }

    /// What the CPU can run, by OpenBLAS's `OPENBLAS_CORETYPE` names, widest first: AVX-512 (3),
    /// AVX2 with FMA (2), AVX (1).
    static let levels: [(name: String, level: Int, flags: [String])] = [
        ("SKYLAKEX", 3, ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]),
        ("HASWELL", 2, ["avx2", "fma"]),
        ("SANDYBRIDGE", 1, ["avx"]),
    ]
    /// The Intel kernels OpenBLAS falls back to, at the same scale (SSE only is 0); AMD's and the
    /// wider Intel ones are chosen by features already and never replaced.
    static let fallbackLevel: [String: Int] = [
        "Prescott": 0, "Core2": 0, "Penryn": 0, "Dunnington": 0, "Nehalem": 0, "Atom": 0, "Sandybridge": 1,
    ]

    /// The `OPENBLAS_CORETYPE` to run with, when OpenBLAS chose `detected` on a CPU with `cpuFlags`
    /// (/proc/cpuinfo's names) and the CPU can run wider kernels; nil when its choice stands.
    public static func better(than detected: String, cpuFlags: Set<String>) -> String? {
        guard let have = fallbackLevel[detected],
              let best = levels.first(where: { $0.flags.allSatisfy(cpuFlags.contains) }), best.level > have else { return nil }
        return best.name
    }

    /// This CPU's feature flags, from the first processor in /proc/cpuinfo (empty if unreadable).
    public static func cpuFlags(cpuinfo: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: cpuinfo, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let values = line.split(separator: ":", maxSplits: 1).dropFirst().first else { return [] }
        return Set(values.split(whereSeparator: \.isWhitespace).map(String.init))
    }
}
