// The weights description: read once from metadata, checked for consistency, and the one
// compatibility check that names every setting that differs.
import Foundation
import Model
@testable import Pipeline
import StreamingCQT
import Testing
import TestSupport

@Suite struct WeightsDescriptionTests {
    let data = DataDescription(frontEnd: CQTSettings(), space: .keys(lowestNote: 21, count: 88))

    @Test func readsWhatItWrites() throws {
        let description = try WeightsDescription(data: data, network: ModelConfig())
        let back = try WeightsDescription(metadata: description.metadata, of: "w.safetensors")
        #expect(back == description)
        #expect(back.data.windowFrames == 43)
        #expect(back.data.space.name(ofIndex: 48) == "A4")
    }

    @Test func theTestModelIsDescribed() throws {
        let weights = try Weights.load(Fixtures.testModel)
        #expect(weights.description.network == weights.network.config)
        #expect(weights.description.data.frontEnd == CQTSettings())
        #expect(weights.description.data.space == .keys(lowestNote: 21, count: 88))
    }

    /// Weights written before window_frames was recorded have one-second windows.
    @Test func aMissingWindowIsOneSecond() throws {
        var metadata = try WeightsDescription(data: data, network: ModelConfig()).metadata
        metadata["window_frames"] = nil
        #expect(try DataDescription(metadata: metadata, of: "old").windowFrames == 43)
    }

    @Test func inconsistentMetadataIsNamed() throws {
        var metadata = try WeightsDescription(data: data, network: ModelConfig()).metadata
        metadata["n_notes"] = "12"
        #expect { try WeightsDescription(metadata: metadata, of: "w.safetensors") } throws: {
            "\($0)".contains("'w.safetensors': n_notes is 12 but its front end and only_note_names give 88 notes")
        }
        metadata = try WeightsDescription(data: data, network: ModelConfig()).metadata
        metadata["window_frames"] = "-3"
        #expect { try WeightsDescription(metadata: metadata, of: "w") } throws: { "\($0)".contains("window_frames is '-3'") }
        metadata = try WeightsDescription(data: data, network: ModelConfig()).metadata
        metadata["cqt_alignment"] = nil
        #expect { try WeightsDescription(metadata: metadata, of: "w") } throws: { "\($0)".contains("cqt_alignment") }
        #expect { try WeightsDescription(data: data, network: ModelConfig(nNotes: 12)) } throws: {
            "\($0)".contains("12 outputs but its note space has 88 notes")
        }
    }

    /// One check for every command: it names each setting that differs; the window may differ.
    @Test func theCompatibilityCheckNamesEveryDifference() throws {
        var other = data
        other.windowFrames = 86
        try data.checkCompatible(with: other, this: "w", other: "chunks")
        other.frontEnd.hopLength = 256
        other.frontEnd.alignment = .centred
        #expect { try data.checkCompatible(with: other, this: "w", other: "chunks") } throws: {
            let text = "\($0)"
            return text.contains("hop_length 512 against 256") && text.contains("cqt_alignment causal against centred")
        }
        other = data
        other.space = .pitchClasses
        #expect { try data.checkCompatible(with: other, this: "w", other: "chunks") } throws: {
            "\($0)".contains("notes 88 keys from A0 against 12 pitch classes")
        }
    }
}
