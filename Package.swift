// swift-tools-version:6.1
// The real-time polyphonic music transcriber: package layout.
// Public products first, then the C system libraries they stand on, then the tests.
// Arrows point one way (see README "Architecture"):
//   transcriber -> Transcription -> {LiveCapture, StreamingCQT, Model}
//   Trainer -> {AudioIO, StreamingCQT, Model};  LiveCapture -> AudioIO
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "transcriber",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "transcriber", targets: ["transcriber"]),
        .library(name: "StreamingCQT", targets: ["StreamingCQT"]),
        .library(name: "Model", targets: ["Model"]),
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
                "Transcription", "LiveCapture", "StreamingCQT", "Model", "AudioIO", "Benchmarks", "Trainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Libraries, one job each
        .target(name: "Transcription",
                dependencies: ["LiveCapture", "StreamingCQT", "Model", "CALSA"],
                swiftSettings: swiftSettings),
        .target(name: "Benchmarks",
                dependencies: ["Transcription", "LiveCapture", "StreamingCQT", "Model", "AudioIO", "Trainer"],
                swiftSettings: swiftSettings),
        .target(name: "LiveCapture", dependencies: ["CALSA", "AudioIO"], swiftSettings: swiftSettings),
        .target(name: "AudioIO", dependencies: ["CSndFile", "CSampleRate"], swiftSettings: swiftSettings),
        .target(name: "StreamingCQT", dependencies: ["CFFTW"], swiftSettings: swiftSettings),
        .target(name: "Trainer", dependencies: ["AudioIO", "StreamingCQT", "Model"], swiftSettings: swiftSettings),
        .target(name: "Model", dependencies: ["COpenBLAS"], swiftSettings: swiftSettings),

        // MARK: C libraries from Debian (pkg-config names, apt providers)
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),

        // MARK: Tests
        .testTarget(name: "StreamingCQTTests", dependencies: ["StreamingCQT", "Model"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ModelTests", dependencies: ["Model"], swiftSettings: swiftSettings),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "AudioIO", "StreamingCQT", "Model"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO", "Model"], swiftSettings: swiftSettings),
        .testTarget(name: "LiveCaptureTests", dependencies: ["LiveCapture"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "TranscriptionTests", dependencies: ["Transcription", "Model", "Trainer", "StreamingCQT"], swiftSettings: swiftSettings),
        .testTarget(name: "TranscriberCLITests", dependencies: ["transcriber", "Model", "AudioIO", "StreamingCQT", "Trainer", "Transcription"], swiftSettings: swiftSettings),
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
        .executableTarget(name: "MIDIFuzz", dependencies: ["CFuzzDriver", "Transcription"], path: "Fuzz/MIDIFuzz",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "AudioFramesFuzz", dependencies: ["CFuzzDriver", "AudioIO", "StreamingCQT"], path: "Fuzz/AudioFramesFuzz",
                          swiftSettings: swiftSettings),
    ]
}
