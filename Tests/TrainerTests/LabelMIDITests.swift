// MIDI labels (MusicNetEM's form): what real files have - several tracks, tempo changes, running
// status, note-on with velocity 0 as note-off, overlapping notes of one pitch, program changes,
// percussion - read to exact times; and labels from MIDI preprocess exactly as the same notes
// from a CSV do.
import Foundation
import Model
import Pipeline
import Testing
import TestSupport
@testable import Trainer

@Suite struct LabelMIDITests {
    /// Track 0: the tempo map, 120 bpm then 240 bpm from tick 960 (1 s). Track 1, channel 0:
    /// violin (program 40), two overlapping C4s (running status, the first ended by a note-on of
    /// velocity 0), an E4 after the tempo change, a bass drum on the percussion channel. Track 2,
    /// channel 1: a piano C3.
    static let file = MIDIBytes.file(division: 480, tracks: [
        MIDIBytes.track([(0, MIDIBytes.tempo(500_000)), (960, MIDIBytes.tempo(250_000))]),
        MIDIBytes.track([(0, [0xC0, 40]), (0, [0x90, 60, 100]), (0, [0x99, 36, 120]), (120, [0x89, 36, 0]),
                         (240, [0x90, 60, 80]), (480, [0x90, 60, 0]), (720, [0x80, 60, 64]),
                         (960, [0x90, 64, 70]), (1440, [0x90, 64, 0])]),
        MIDIBytes.track([(480, [0x91, 48, 50]), (960, [0x81, 48, 0])]),
    ])

    @Test func notesComeOutAtTheirTimesWithTheirInstruments() throws {
        let notes = try LabelMIDI.notes(in: Self.file)
        #expect(notes.map(\.pitch) == [36, 60, 60, 48, 64])
        #expect(notes.map(\.onset) == [0, 0, 0.25, 0.5, 1.0])
        // Overlapping C4s end first in, first out; E4 is half as many seconds a tick after the change.
        #expect(notes.map(\.offset) == [0.125, 0.5, 0.75, 1.0, 1.25])
        #expect(notes.map(\.velocity) == [120, 100, 80, 50, 70])
        #expect(notes.map(\.program) == [0, 40, 40, 0, 40])
    }

    /// As labels: percussion dropped, sample indices at 44.1 kHz, instruments as MusicNet codes them.
    @Test func labelsAreMusicNets() throws {
        #expect(LabelMIDI.labels(try LabelMIDI.notes(in: Self.file)) == [
            NoteLabel(start: 0, end: 22050, instrument: 41, note: 60, velocity: 100),
            NoteLabel(start: 11025, end: 33075, instrument: 41, note: 60, velocity: 80),
            NoteLabel(start: 22050, end: 44100, instrument: 1, note: 48, velocity: 50),
            NoteLabel(start: 44100, end: 55125, instrument: 41, note: 64, velocity: 70),
        ])
    }

    @Test func whatIsNotMIDISaysSo() throws {
        let dir = scratchFolder("midi")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("1.mid").path
        try Data("not a MIDI file at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try Labels.read(path) } throws: { "\($0)" == "'\(path)': not a MIDI file" }
        #expect { try Labels.read(dir.appendingPathComponent("2.mid").path) } throws: { "\($0)".contains("cannot read") }
    }

    /// The same notes as MIDI (`--labels DIR`) and as CSV give the same chunks; a recording whose
    /// MIDI file is broken is reported with its reason and the others go on.
    @Test func labelsFromMIDIPreprocessAsTheSameNotesFromCSV() throws {
        let root = scratchFolder("midi-labels")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), midi = root.appendingPathComponent("em")
        let ids = try TinyCorpus.make(root: data, count: 3, seconds: 3, seed: 21)
        try FileManager.default.createDirectory(at: midi, withIntermediateDirectories: true)
        for (index, id) in ids.enumerated() {
            let csv = data.appendingPathComponent("train_labels/\(id).csv")
            // On MIDI's 50-sample grid, and with a second instrument, in both files.
            let labels = try LabelCSV.read(csv.path).enumerated().map { i, label in
                NoteLabel(start: label.start / 50 * 50, end: label.end / 50 * 50, instrument: i % 2 == 0 ? 1 : 41, note: label.note)
            }
            try LabelCSV.format(labels).write(to: csv, atomically: true, encoding: .utf8)
            let bytes = index == 2 ? Data("broken".utf8) : MIDIBytes.file(labels: labels)
            try bytes.write(to: midi.appendingPathComponent("\(id).mid"))
        }
        func preprocess(_ out: String, labels: String?) throws -> PreprocessReport {
            var options = PreprocessOptions(data: data.path, output: root.appendingPathComponent(out).path)
            options.windowsPerRecording = 0
            options.labels = labels
            return try Preprocess.run(options)
        }
        let fromCSV = try preprocess("csv", labels: nil), fromMIDI = try preprocess("midi", labels: midi.path)
        #expect(fromCSV.written.count == 3)
        #expect(fromMIDI.written == Array(ids.prefix(2)))
        #expect(fromMIDI.skipped.count == 1 && fromMIDI.skipped[0].contains("not a MIDI file"), "\(fromMIDI.skipped)")
        for id in ids.prefix(2) {
            let a = try SafeTensorsFile.read(root.appendingPathComponent("csv/train/\(id).safetensors").path)
            let b = try SafeTensorsFile.read(root.appendingPathComponent("midi/train/\(id).safetensors").path)
            // The same windows and the same targets: training on them is the same training.
            #expect(try a.floats("frames") == b.floats("frames"))
            #expect(try a.floats("targets") == b.floats("targets"))
            #expect(try a.floats("targets").contains(1))
            #expect(b.metadata["labels_from"] == midi.path)
        }
        // Chunks made from other labels are redone, not taken as done.
        let again = try preprocess("csv", labels: midi.path)
        #expect(again.alreadyDone.isEmpty && again.written.count == 2)
    }
}
