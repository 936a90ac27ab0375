// swift-tools-version:6.1
// The real-time polyphonic music transcriber: package layout.
// Public products first, then the C system libraries they stand on, then the tests.
// Arrows point one way (docs/ARCHITECTURE.md):
//   transcriber -> {Transcription, Trainer, DataParallel, Benchmarks};  DataParallel (Open MPI) -> Trainer
//   Transcription (live session, outputs, ALSA) -> {Pipeline, LiveCapture}
//   Trainer (preprocess, training, evaluate) -> {Pipeline, AudioIO}
//   Pipeline (engine, note decoder, weights description) -> {StreamingCQT, Model}
//   LiveCapture -> AudioIO;  Model, AudioIO -> Support
import Foundation
import PackageDescription

/// Whether to compile the Swift code for the Haswell generation of x86-64 (AVX2, FMA, BMI2 - the
/// laptop and server CPUs of 2013 on, bar some low-end Pentium, Celeron and Atom parts) rather
/// than the 2003 baseline: the network's vector kernels (GELU, softmax, the CQT's products,
/// LayerNorm) then take one AVX instruction per 8 floats instead of two SSE ones, and `file` is
/// about a tenth faster with the same output. Only when the machine building has those features - the build is for the
/// machine it runs on, as `make` does - and TRANSCRIBER_PORTABLE is not set.
let haswellFeatures = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm"]
var buildsForThisCPU: Bool {
    #if arch(x86_64) && os(Linux)
    if ProcessInfo.processInfo.environment["TRANSCRIBER_PORTABLE"] != nil { return false }
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    return haswellFeatures.allSatisfy(flags.contains)
    #else
    return false
    #endif
}

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Float.squareRoot() goes through a C shim that calls sqrtf, which may set errno; with
    // errno ignored it is the sqrt instruction, and a SIMD8's is one vsqrtps instead of eight
    // scalar calls (Adam's step: 4% of a training step at batch 8). The results are the same.
    .unsafeFlags(["-Xcc", "-fno-math-errno"]),
] + (buildsForThisCPU ? [.unsafeFlags(["-target-cpu", "haswell"]), .define("FUSED_MULTIPLY_ADD")] : [])

let package = Package(
    name: "transcriber",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "transcriber", targets: ["transcriber"]),
        .library(name: "StreamingCQT", targets: ["StreamingCQT"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Trainer", targets: ["Trainer"]),
        .library(name: "LiveCapture", targets: ["LiveCapture"]),
        .library(name: "Transcription", targets: ["Transcription"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: The program
        .executableTarget(
            name: "transcriber",
            dependencies: [
                "Transcription", "LiveCapture", "Pipeline", "StreamingCQT", "Model", "AudioIO", "Benchmarks", "Trainer", "Support",
                "DataParallel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Libraries, one job each
        .target(name: "Transcription",
                dependencies: ["Pipeline", "LiveCapture", "StreamingCQT", "Model", "Support", "CALSA"],
                swiftSettings: swiftSettings),
        .target(name: "Benchmarks",
                dependencies: ["Transcription", "Pipeline", "LiveCapture", "StreamingCQT", "Model", "AudioIO", "Trainer", "Support"],
                swiftSettings: swiftSettings),
        .target(name: "DataParallel", dependencies: ["Trainer", "CMPI"], swiftSettings: swiftSettings),
        .target(name: "Trainer", dependencies: ["Pipeline", "AudioIO", "StreamingCQT", "Model", "Support"],
                swiftSettings: swiftSettings),
        .target(name: "Pipeline", dependencies: ["StreamingCQT", "Model"], swiftSettings: swiftSettings),
        .target(name: "LiveCapture", dependencies: ["CALSA", "AudioIO"], swiftSettings: swiftSettings),
        .target(name: "AudioIO", dependencies: ["CSndFile", "CSampleRate", "CSoxr", "Support"], swiftSettings: swiftSettings),
        .target(name: "StreamingCQT", dependencies: ["CFFTW"], swiftSettings: swiftSettings),
        .target(name: "Model", dependencies: ["COpenBLAS", "CDNNL", "Support"], swiftSettings: swiftSettings),
        .target(name: "Support", swiftSettings: swiftSettings),

        // MARK: C libraries from Debian (pkg-config names, apt providers)
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),   // no pkg-config file in Debian
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),

        // MARK: Tests, and what they share (no production target depends on TestSupport)
        .target(name: "TestSupport", dependencies: ["Trainer", "Pipeline", "Model", "Support"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "StreamingCQTTests", dependencies: ["StreamingCQT", "Model"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Support"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Model", "StreamingCQT", "AudioIO", "Support", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Pipeline", "AudioIO", "StreamingCQT", "Model", "Support", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO", "Model", "Support"], swiftSettings: swiftSettings),
        .testTarget(name: "SupportTests", dependencies: ["Support"], swiftSettings: swiftSettings),
        .testTarget(name: "LiveCaptureTests", dependencies: ["LiveCapture"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "TranscriptionTests", dependencies: ["Transcription", "Pipeline", "Model", "Trainer", "StreamingCQT",
                                                               "Support", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TranscriberCLITests", dependencies: ["transcriber", "Pipeline", "Model", "AudioIO", "StreamingCQT",
                                                                "Trainer", "Transcription", "Support", "TestSupport"],
                    swiftSettings: swiftSettings),
    ]
)

// MARK: Fuzz targets (libFuzzer), only when TRANSCRIBER_FUZZ is set: built with -sanitize=fuzzer
// and -parse-as-library, each names its own entry point, which runs libFuzzer's driver (`make fuzz`).
if Context.environment["TRANSCRIBER_FUZZ"] != nil {
    package.targets += [
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .executableTarget(name: "SafeTensorsFuzz", dependencies: ["CFuzzDriver", "Model"], path: "Fuzz/SafeTensorsFuzz",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "LabelCSVFuzz", dependencies: ["CFuzzDriver", "Trainer"], path: "Fuzz/LabelCSVFuzz",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "MIDIFuzz", dependencies: ["CFuzzDriver", "Pipeline", "Transcription", "Trainer"], path: "Fuzz/MIDIFuzz",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "AudioFramesFuzz", dependencies: ["CFuzzDriver", "AudioIO", "StreamingCQT"], path: "Fuzz/AudioFramesFuzz",
                          swiftSettings: swiftSettings),
    ]
}
