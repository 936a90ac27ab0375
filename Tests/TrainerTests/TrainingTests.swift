// End to end on a tiny corpus: preprocess, the loader's shifted windows, train (the loss falls,
// frame F1 rises far above chance), resume exactly, and evaluate the whole path.
import AudioIO
import Foundation
import StreamingCQT
import Pipeline
import Testing
import TestSupport
@testable import Model
@testable import Trainer

@Suite struct TrainingTests {
    /// One corpus and its preprocessed windows, shared by the tests of this suite.
    static let corpus: (root: URL, chunks: URL) = {
        let root = scratchFolder("trainer")
        try! TinyCorpus.make(root: root.appendingPathComponent("data"), count: 6, seconds: 6, seed: 1)
        try! TinyCorpus.make(root: root.appendingPathComponent("data"), split: "test", count: 2, seconds: 6, seed: 2)
        for split in ["train", "test"] {
            var options = PreprocessOptions(data: root.appendingPathComponent("data").path, output: root.appendingPathComponent("chunks").path)
            options.split = split
            options.windowsPerRecording = 0
            options.workers = 2
            _ = try! Preprocess.run(options)
        }
        return (root, root.appendingPathComponent("chunks"))
    }()

    func options(run: String, epochs: Int) -> TrainingOptions {
        var options = TrainingOptions(data: Self.corpus.chunks.path, runDirectory: Self.corpus.root.appendingPathComponent(run).path)
        options.model = tinyModel
        options.epochs = epochs
        options.batchSize = 4
        options.adam.learningRate = 5e-3
        options.seed = 5
        options.validationFraction = 0.2
        return options
    }

    @Test func preprocessWritesEveryWindowWithItsTargets() throws {
        let store = try ChunkStore(folder: Self.corpus.chunks.appendingPathComponent("train").path)
        #expect(store.ids.count == 6)
        // 6 s at 43.07 frames/s = 259 frames: 6 windows of 43 per recording (the last ends at the end).
        #expect(store.count == 6 * 7)
        #expect(store.frames == 43 && store.bins == 352 && store.notes == 88)
        var frames = [Float](repeating: 0, count: 43 * 352), targets = [Float](repeating: 0, count: 43 * 88)
        try store.copy(3, frames: &frames, targets: &targets)
        #expect(targets.contains(1))
        #expect(targets.enumerated().allSatisfy { $0.element == 0 || TinyCorpus.pitches.contains(21 + $0.offset % 88) })
    }

    /// A window read shifted by s frames is the recording's own CQT frames and label roll from
    /// its start + s, computed here from the audio; windows with no neighbour after them (the last
    /// one of a file, which overlaps the one before) cannot be shifted.
    @Test func shiftedWindowsAreTheRecordingLater() throws {
        let store = try ChunkStore(folder: Self.corpus.chunks.appendingPathComponent("train").path)
        let id = store.ids[0]
        let data = Self.corpus.root.appendingPathComponent("data").path
        let recording = try #require(try MusicNetLayout.recordings(root: data, split: "train").recordings.first { $0.id == id })
        let settings = try CQTSettings(metadata: store.metadata)
        let (samples, _) = try AudioLoading.mono(recording.audioPath, sampleRate: settings.sampleRate)
        let frames = try BatchCQT.transform(samples, settings: settings)
        let count = frames.count / settings.binCount
        let labels = try LabelCSV.read(recording.labelPath), space = NoteSpace.keys(lowestNote: 21, count: 88)
        let roll = LabelRoll.roll(labels, frames: count, hop: settings.hopLength, sampleRate: settings.sampleRate, space: space)
        let onsetRoll = LabelRoll.onsets(labels, frames: count, hop: settings.hopLength, sampleRate: settings.sampleRate, space: space)
        let windows = store.windows.indices.filter { store.windows[$0].file == 0 }
        #expect(windows.dropLast(2).allSatisfy { store.maxShift[$0] == 42 })
        #expect(store.maxShift[windows.last!] == 0)
        let t = store.frames, f = store.bins, k = store.notes
        var x = [Float](repeating: 0, count: t * f), y = [Float](repeating: 0, count: t * k), o = y, v = y
        #expect(store.hasOnsets)
        for (window, shift) in [(windows[0], 0), (windows[0], 17), (windows[2], 42), (windows[4], 1)] {
            try o.withUnsafeMutableBufferPointer { op in
                try v.withUnsafeMutableBufferPointer { vp in
                    try store.copy(window, shift: shift, frames: &x, targets: &y, onsets: op.baseAddress, velocities: vp.baseAddress)
                }
            }
            let first = store.windows[window].window * t + shift
            #expect(x == Array(frames[(first * f)..<((first + t) * f)]), "window \(window) shifted \(shift)")
            #expect(y == Array(roll[(first * k)..<((first + t) * k)]), "window \(window) shifted \(shift)")
            #expect(o == Array(onsetRoll[(first * k)..<((first + t) * k)]), "window \(window) shifted \(shift)")
            #expect(v.allSatisfy { $0 == 0 })   // the tiny corpus's CSVs give no velocities
        }
        #expect(onsetRoll.reduce(0, +) > 0)
    }

    /// The loader's shifts come from (seed, epoch): the same on a rerun, other ones next epoch,
    /// and none when they are off.
    @Test func randomShiftsAreRepeatableAndChangeEachEpoch() throws {
        let store = try ChunkStore(folder: Self.corpus.chunks.appendingPathComponent("train").path)
        func epoch(_ e: Int, shifts: Bool) throws -> [Float] {
            let loader = DataLoader(store: store, batchSize: 4, seed: 3, epoch: e, randomShifts: shifts)
            var all: [Float] = []
            while let batch = try loader.next() { all += batch.frames }
            return all
        }
        let first = try epoch(1, shifts: true)
        #expect(try epoch(1, shifts: true) == first)
        #expect(try epoch(2, shifts: true) != first)
        #expect(try epoch(1, shifts: false) != first)
    }

    /// --onset-frames 2: each stored onset also marks the frame after it, in the loader's onset
    /// targets alone; frames, frame targets and velocities are read as stored.
    @Test func onsetFramesWidenOnlyTheOnsetTargets() throws {
        let store = try ChunkStore(folder: Self.corpus.chunks.appendingPathComponent("train").path)
        func read(_ width: Int) throws -> [Batch] {
            let loader = DataLoader(store: store, batchSize: 4, seed: 3, epoch: 1, shuffle: false, withOnsets: true, onsetFrames: width)
            var batches: [Batch] = []
            while let batch = try loader.next() { batches.append(batch) }
            return batches
        }
        let (one, two) = (try read(1), try read(2))
        let t = store.frames, k = store.notes
        var widened = 0
        for (a, b) in zip(one, two) {
            #expect(a.frames == b.frames && a.targets == b.targets && a.velocities == b.velocities)
            for w in 0..<a.size {
                for frame in 0..<t {
                    for n in 0..<k {
                        let at = (w * t + frame) * k + n
                        let expected = max(a.onsets[at], frame > 0 ? a.onsets[at - k] : 0)
                        #expect(b.onsets[at] == expected, "window \(w), frame \(frame), key \(n)")
                        if expected > a.onsets[at] { widened += 1 }
                    }
                }
            }
        }
        #expect(widened > 0)
    }

    @Test func trainingLowersTheLossAndFindsTheNotes() throws {
        let run = try TrainingRun(options(run: "run-long", epochs: 6))
        let before = try run.evaluate(run.train)
        let test = try run.run()!
        let after = try run.evaluate(run.train)
        print("tiny corpus: train loss \(before.loss) -> \(after.loss), train frame F1 \(after.evaluation.f1), "
              + "test frame F1 \(test.f1), AP \(test.averagePrecision), note F1 \(test.noteF1); history \(run.history.map { String(format: "%.3f", $0.trainLoss) })")
        // The loss starts at the base rate's (the output bias is initialised to it) and must fall
        // well below it: the network has to find the notes, not just their frequency.
        #expect(after.loss < 0.5 * before.loss)
        // Chance: 1-2 of 88 keys sound; predicting all at their base rate gives F1 ~0.02.
        #expect(after.evaluation.f1 > 0.5)
        #expect(test.averagePrecision > 0.3)
        #expect(FileManager.default.fileExists(atPath: Self.corpus.root.appendingPathComponent("run-long/weights.safetensors").path))
        // best.safetensors holds the epoch with the best validation note F1, and says so.
        let best = try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent("run-long/best.safetensors").path)
        let bestF1 = run.history.compactMap(\.validationNoteF1).max()!
        #expect(best.metadata["best_validation_note_f1"] == String(format: "%.4f", bestF1))
        #expect(run.history.count == 6)
        // The onset head finds where notes begin: its probability at the labelled onsets of the
        // training windows is far above its probability everywhere else.
        let loader = DataLoader(store: run.train, batchSize: 8, seed: 0, epoch: 0, shuffle: false, withOnsets: true)
        var atOnsets = (sum: 0.0, count: 0), elsewhere = (sum: 0.0, count: 0)
        while let batch = try loader.next() {
            batch.frames.withUnsafeBufferPointer { _ = run.network.forward($0.baseAddress!, batch: batch.size, frames: run.train.frames) }
            for (z, y) in zip(run.network.output(.onset), batch.onsets) {
                let p = 1 / (1 + exp(-Double(z)))
                if y > 0 { atOnsets = (atOnsets.sum + p, atOnsets.count + 1) } else { elsewhere = (elsewhere.sum + p, elsewhere.count + 1) }
            }
        }
        let (onsetMean, otherMean) = (atOnsets.sum / Double(atOnsets.count), elsewhere.sum / Double(elsewhere.count))
        print("tiny corpus: onset probability at onsets \(onsetMean), elsewhere \(otherMean)")
        #expect(atOnsets.count > 0 && onsetMean > 5 * otherMean)
    }

    /// A run stopped after its first epoch (as Ctrl-C does) and resumed ends with exactly the
    /// weights of a run that never stopped, with the learning rate moving over the whole run too,
    /// and with dropout drawing the same masks after the restart.
    @Test(arguments: [(LearningRateSchedule.constant, Float(0)), (.cosine, 0), (.cosine, 0.2)])
    func resumingGivesTheSameWeights(schedule: LearningRateSchedule, dropout: Float) throws {
        var straightOptions = options(run: "run-straight-\(schedule)-\(dropout)", epochs: 2)
        straightOptions.schedule = schedule
        straightOptions.dropout = dropout
        let straight = try TrainingRun(straightOptions)
        try straight.run()
        var firstOptions = options(run: "run-resumed-\(schedule)-\(dropout)", epochs: 2)
        firstOptions.schedule = schedule
        firstOptions.dropout = dropout
        let first = try TrainingRun(firstOptions)
        var stopped = false
        try first.run(stop: { stopped }, epochEnd: { _ in stopped = true })
        #expect(first.epochsDone == 1)
        var resumedOptions = firstOptions
        resumedOptions.weights = .latestCheckpoint
        let resumed = try TrainingRun(resumedOptions)
        #expect(resumed.epochsDone == 1)
        try resumed.run()
        #expect(Array(resumed.network.parameters.values) == Array(straight.network.parameters.values))
        #expect(Array(resumed.adam.m.values) == Array(straight.adam.m.values))
        #expect(resumed.adam.step == straight.adam.step)
        let written = try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent("run-resumed-\(schedule)-\(dropout)/weights.safetensors").path)
        #expect(written.metadata["dropout"] == "\(dropout)")
    }

    /// Dropout is applied in training (the same run without it ends elsewhere) and a rate that is
    /// not a fraction below 1 is refused before anything is read. Both runs have no validation
    /// split (--validation-fraction 0), which once failed to write its first checkpoint.
    @Test func dropoutChangesTrainingAndBadRatesAreRefused() throws {
        var plain = options(run: "run-no-dropout", epochs: 1)
        plain.validationFraction = 0
        var dropped = plain
        dropped.runDirectory = Self.corpus.root.appendingPathComponent("run-dropout").path
        dropped.dropout = 0.3
        let a = try TrainingRun(plain), b = try TrainingRun(dropped)
        try a.run()
        try b.run()
        #expect(Array(a.network.parameters.values) != Array(b.network.parameters.values))
        // With no validation recordings the history's validation numbers are NaN; the checkpoint
        // still writes them, and a resumed run reads them back.
        var resumed = plain
        resumed.weights = .latestCheckpoint
        let c = try TrainingRun(resumed)
        #expect(c.epochsDone == 1 && c.history.count == 1 && c.history[0].validationLoss.isNaN)
        for rate: Float in [-0.1, 1, .nan] {
            var bad = plain
            bad.dropout = rate
            #expect(throws: TrainingError.self) { try TrainingRun(bad) }
        }
    }

    /// A run started from other weights says so in every file it writes, keeps saying so when it
    /// is resumed, and a run started from that one names both: weights made in stages never look
    /// like one run from scratch.
    @Test func theWeightsARunStartedFromAreRecorded() throws {
        func metadata(_ run: String, _ file: String) throws -> [String: String] {
            try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent(run).appendingPathComponent(file).path).metadata
        }
        try TrainingRun(options(run: "run-stage1", epochs: 1)).run()
        #expect(try metadata("run-stage1", "weights.safetensors")["started_from"] == nil)
        let stage1 = Self.corpus.root.appendingPathComponent("run-stage1/best.safetensors").path

        var second = options(run: "run-stage2", epochs: 2)
        second.weights = .released(stage1)
        var stopped = false
        try TrainingRun(second).run(stop: { stopped }, epochEnd: { _ in stopped = true })
        let said = try #require(try metadata("run-stage2", "epoch-0001.safetensors")["started_from"])
        #expect(said.hasPrefix("best.safetensors (epoch 1, epochs 1, "))
        #expect(said.contains("seed 5"))
        var resumed = second
        resumed.weights = .latestCheckpoint
        try TrainingRun(resumed).run()
        for file in ["epoch-0002.safetensors", "weights.safetensors", "best.safetensors"] {
            #expect(try metadata("run-stage2", file)["started_from"] == said)
        }

        var third = options(run: "run-stage3", epochs: 1)
        third.weights = .released(Self.corpus.root.appendingPathComponent("run-stage2/weights.safetensors").path)
        try TrainingRun(third).run()
        let chain = try #require(try metadata("run-stage3", "weights.safetensors")["started_from"])
        #expect(chain.hasPrefix("weights.safetensors (epoch 2, epochs 2, "))
        #expect(chain.hasSuffix(" <- " + said))
    }

    /// Fine-tuning frame-only weights: the trunk and frame head carry over exactly, the onset and
    /// velocity heads start fresh (the onset head at its base rate), and the weights written say
    /// which heads they have. Asked for the frame head alone, a run keeps it alone.
    @Test func frameOnlyWeightsGrowOnsetAndVelocityHeads() throws {
        var frameOnly = options(run: "run-frame-only", epochs: 1)
        frameOnly.outputs = [.frame]
        try TrainingRun(frameOnly).run()
        let path = Self.corpus.root.appendingPathComponent("run-frame-only/weights.safetensors").path
        let file = try SafeTensorsFile.read(path)
        #expect(file.metadata["outputs"] == "frame" && file.info("onset.fc2.bias") == nil)

        var grown = options(run: "run-grown", epochs: 1)
        grown.weights = .released(path)
        let run = try TrainingRun(grown)
        #expect(run.freshHeads == [.onset, .velocity] && run.network.config.heads == [.frame, .onset, .velocity])
        for name in ["encoder.conv1.weight", "blocks.0.attn.qkv.weight", "ln_f.weight", "decoder.fc2.bias"] {
            #expect(Array(run.network.parameters[name]) == (try file.floats(name)), "\(name) carried over")
        }
        let onsetBias = run.network.parameters["onset.fc2.bias"][0]
        #expect(onsetBias < -3 && run.network.parameters["onset.fc2.bias"].allSatisfy { $0 == onsetBias })
        try run.run()
        let written = try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent("run-grown/weights.safetensors").path)
        #expect(written.metadata["outputs"] == "frame,onset,velocity" && written.info("velocity.fc2.weight") != nil)
        #expect(written.metadata["started_from"]?.hasPrefix("weights.safetensors") == true)
    }

    /// The context table gives each window, shifted or not, the summary of every frame of its
    /// recording before it - what the engine holds when that window runs.
    @Test func eachWindowsContextIsItsRecordingBeforeIt() throws {
        let store = try ChunkStore(folder: Self.corpus.chunks.appendingPathComponent("train").path)
        let table = try ContextTable(store: store, timeConstant: 20, threads: 2)
        let t = store.frames, f = store.bins
        var checked = 0
        for index in stride(from: 0, to: store.count, by: 3) {
            let (file, window) = store.windows[index]
            // The recording's frames, each window's where it starts (the last overlaps the one before).
            let count = store.files[file].info("frames")!.shape[0]
            var starts = [Float](repeating: 0, count: count), frames = [Float](repeating: 0, count: t * f)
            try store.files[file].copyFloats("starts", offset: 0, count: count, into: &starts)
            var all = [Float](repeating: 0, count: (Int(starts.last!) + t) * f)
            for w in 0..<count {
                try store.files[file].copyFloats("frames", offset: w * t * f, count: t * f, into: &frames)
                for i in frames.indices { all[Int(starts[w]) * f + i] = frames[i] }
            }
            for shift in Set([0, min(5, store.maxShift[index]), store.maxShift[index]]) {
                let before = Int(starts[window]) + shift
                var summary = ContextSummary(bins: f, timeConstant: 20)
                all.withUnsafeBufferPointer { for frame in 0..<before { summary.add($0.baseAddress! + frame * f) } }
                var expected = [Float](repeating: 0, count: f), found = expected
                summary.write(into: &expected)
                try table.copy(index, shift: shift, into: &found)
                #expect(zip(expected, found).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }, "window \(index) shift \(shift)")
                if before == 0 { #expect(found.allSatisfy { $0 == 0 }) }
                checked += 1
            }
        }
        #expect(checked > 6)
    }

    /// A context grown onto weights without one starts at zero (the network they were, to the
    /// bit), learns, and the weights written carry it; windows not written back to back are refused.
    @Test func aContextGrownOntoWeightsStartsAsThemAndLearns() throws {
        var start = options(run: "run-before-context", epochs: 1)
        start.outputs = [.frame]
        try TrainingRun(start).run()
        let path = Self.corpus.root.appendingPathComponent("run-before-context/weights.safetensors").path
        let plain = try TrainingRun({ var o = options(run: "run-plain-eval", epochs: 1); o.outputs = [.frame]; o.weights = .released(path); return o }())
        var grown = options(run: "run-context", epochs: 1)
        grown.outputs = [.frame]
        grown.weights = .released(path)
        grown.contextSeconds = 2
        let run = try TrainingRun(grown)
        let frameRate = run.data.frontEnd.frameRate
        #expect(run.config.contextFrames == Int((2 * frameRate).rounded()))
        #expect(run.network.parameters["context.weight"].allSatisfy { $0 == 0 })
        #expect(try run.evaluate(run.validation!).loss == (try plain.evaluate(plain.validation!).loss))
        try run.run()
        let written = try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent("run-context/weights.safetensors").path)
        #expect(written.metadata["context_frames"] == "\(run.config.contextFrames)")
        #expect(try written.floats("context.weight").contains { $0 != 0 })

        let sampled = Self.corpus.root.appendingPathComponent("chunks-sampled")
        var preprocess = PreprocessOptions(data: Self.corpus.root.appendingPathComponent("data").path, output: sampled.path)
        preprocess.windowsPerRecording = 2
        _ = try Preprocess.run(preprocess)
        var unordered = options(run: "run-context-sampled", epochs: 1)
        unordered = TrainingOptions(data: sampled.path, runDirectory: unordered.runDirectory)
        unordered.model = tinyModel
        unordered.contextSeconds = 2
        #expect { try TrainingRun(unordered) } throws: { "\($0)".contains("--n-batches 0") }
    }

    /// Weights made with another front end (here another variable-Q gamma) are refused with what
    /// differs; with `acceptOtherFrontEnd` their tensors carry over and the weights written
    /// describe the new data's front end, so every command reads them with the new transform.
    @Test func weightsCarryOverToAnotherFrontEndOnlyWhenAsked() throws {
        var start = options(run: "run-gamma-0", epochs: 1)
        start.outputs = [.frame]
        try TrainingRun(start).run()
        let path = Self.corpus.root.appendingPathComponent("run-gamma-0/weights.safetensors").path
        let variableQ = Self.corpus.root.appendingPathComponent("chunks-gamma-2")
        var preprocess = PreprocessOptions(data: Self.corpus.root.appendingPathComponent("data").path, output: variableQ.path)
        preprocess.windowsPerRecording = 0
        preprocess.cqt = CQTSettings(gamma: 2)
        _ = try Preprocess.run(preprocess)

        var moved = options(run: "run-gamma-2", epochs: 1)
        moved.data = variableQ.path
        moved.outputs = [.frame]
        moved.weights = .released(path)
        #expect { try TrainingRun(moved) } throws: { "\($0)".contains("cqt_gamma 0.0 against 2.0") }
        moved.acceptOtherFrontEnd = true
        let run = try TrainingRun(moved)
        let before = try SafeTensorsFile.read(path)
        #expect(Array(run.network.parameters["encoder.conv1.weight"]) == (try before.floats("encoder.conv1.weight")))
        try run.run()
        let written = try SafeTensorsFile.read(Self.corpus.root.appendingPathComponent("run-gamma-2/weights.safetensors").path)
        #expect(written.metadata["cqt_gamma"] == "2.0" && before.metadata["cqt_gamma"] == "0.0")
        #expect(written.metadata["started_from"]?.hasPrefix("weights.safetensors") == true)
    }

    /// Windows preprocessed before onset targets existed train a frame-only network, and a network
    /// with onset heads is refused on them with what to do.
    @Test func windowsWithoutOnsetTargetsSayWhatToDo() throws {
        let old = Self.corpus.root.appendingPathComponent("old-chunks/train")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        let source = Self.corpus.chunks.appendingPathComponent("train")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".safetensors") {
            let file = try SafeTensorsFile.read(source.appendingPathComponent(name).path)
            var writer = SafeTensorsWriter(metadata: file.metadata.merging(["chunk_format": "1"]) { $1 })
            for tensor in ["frames", "targets", "starts"] {
                writer.add(tensor, shape: file.info(tensor)!.shape, values: try file.floats(tensor))
            }
            try writer.write(to: old.appendingPathComponent(name).path)
        }
        var options = options(run: "run-old-chunks", epochs: 1)
        options.data = old.deletingLastPathComponent().path
        #expect { try TrainingRun(options) } throws: { error in
            "\(error)".contains("no onset or velocity targets") && "\(error)".contains("--outputs frame")
        }
        options.outputs = [.frame]
        let run = try TrainingRun(options)
        #expect(!run.train.hasOnsets)
        try run.run()
        #expect(run.history.last?.validationNoteF1 != nil)
    }

    /// Validation membership belongs to each recording: a corpus grown by a second batch keeps
    /// every first-batch recording on the side it was on (nothing trained on is validated on),
    /// the share held out is near the fraction asked, and a tiny corpus still holds out one.
    @Test func addingRecordingsNeverMovesOneIntoValidation() {
        let first = (1...647).map { String(format: "%05d", $0) }
        let grown = first + (10001...10579).map { String(format: "%05d", $0) } + (20001...20579).map { String(format: "%05d", $0) }
        let before = ValidationSplit.heldOut(first, fraction: 0.1, seed: 0)
        let after = ValidationSplit.heldOut(grown, fraction: 0.1, seed: 0)
        #expect(after.intersection(first) == before)
        for (ids, held) in [(first, before), (grown, after)] {
            let share = Double(held.count) / Double(ids.count)
            #expect(share > 0.07 && share < 0.13, "held out \(held.count) of \(ids.count)")
        }
        #expect(ValidationSplit.heldOut(first, fraction: 0.1, seed: 1) != before)
    }

    /// A later stage shuffles with another seed and validates on the same recordings: the draw
    /// follows the validation seed, not the training seed.
    @Test func anotherTrainingSeedKeepsTheValidationRecordings() throws {
        var first = options(run: "run-seed-a", epochs: 1), second = options(run: "run-seed-b", epochs: 1)
        first.seed = 1
        second.seed = 2
        let a = try TrainingRun(first), b = try TrainingRun(second)
        let held = try #require(a.validation?.ids)
        #expect(b.validation?.ids == held)
        var other = second
        other.validationSeed = 3
        #expect(try TrainingRun(other).validation?.ids != held)
        #expect(ValidationSplit.heldOut(["a", "b"], fraction: 0.1, seed: 0).count == 1)
        #expect(ValidationSplit.heldOut(["a", "b"], fraction: 0.99, seed: 0).count == 1)
        #expect(ValidationSplit.heldOut(["a"], fraction: 0.5, seed: 0).isEmpty)
    }

    /// A resumed run validates on the recordings its checkpoint's run drew: left open, the
    /// validation seed and fraction are the checkpoint's; given otherwise, the resume is refused
    /// with the checkpoint's values; a checkpoint from before `validation_seed` drew with `seed`.
    @Test func aResumedRunKeepsItsValidationRecordings() throws {
        var first = options(run: "run-resume-validation", epochs: 1)
        first.validationSeed = 3
        let started = try TrainingRun(first)
        try started.run()
        let held = try #require(started.validation?.ids)

        var resume = options(run: "run-resume-validation", epochs: 2)
        resume.weights = .latestCheckpoint
        resume.validationFraction = nil
        let resumed = try TrainingRun(resume)
        #expect(resumed.validationSeed == 3 && resumed.validationFraction == 0.2)
        #expect(resumed.validation?.ids == held)
        // Without the checkpoint, leaving it open would draw with seed 0: another set.
        #expect(ValidationSplit.heldOut(started.train.ids + held, fraction: 0.2, seed: 0) != Set(held))

        for (seed, fraction, named) in [(UInt64(0), 0.2, "--validation-seed 3"), (3, 0.3, "fraction 0.2")] {
            var other = resume
            other.validationSeed = seed
            other.validationFraction = fraction
            #expect {
                try TrainingRun(other)
            } throws: { error in
                "\(error)".contains(named) && "\(error)".contains("run-resume-validation")
            }
        }

        let old = try ValidationSplit.draw(resume, resuming: ("old.safetensors", ["seed": "7", "validation_fraction": "0.1"]))
        #expect(old.seed == 7 && old.fraction == 0.1)
        let fresh = try ValidationSplit.draw(TrainingOptions(data: "d", runDirectory: "r"), resuming: nil)
        #expect(fresh.seed == 0 && fresh.fraction == TrainingOptions.defaultValidationFraction)
    }

    @Test func cosineScheduleWarmsUpThenDecaysToATwentieth() {
        let s = LearningRateSchedule.cosine
        #expect(s.factor(at: 0) < 0.02 && abs(s.factor(at: 0.02) - 1) < 0.01)
        #expect(abs(s.factor(at: 0.5) - 0.525) < 1e-9 && abs(s.factor(at: 1) - 0.05) < 1e-12)
        let points = stride(from: 0.02, through: 1, by: 0.01).map(s.factor(at:))
        #expect(zip(points, points.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(LearningRateSchedule.constant.factor(at: 0.7) == 1)
    }

    /// A loss that becomes NaN or infinite stops the run with a clear message naming the last
    /// good checkpoint, which is kept (and still loads).
    @Test func aLossThatBlowsUpStopsAndKeepsTheLastGoodCheckpoint() throws {
        let good = try TrainingRun(options(run: "run-blowup", epochs: 1))
        try good.run()
        var wild = options(run: "run-blowup", epochs: 3)
        wild.weights = .latestCheckpoint
        wild.adam.learningRate = 1e12
        let run = try TrainingRun(wild)
        #expect { try run.run() } throws: { error in
            let text = "\(error)"
            return text.contains("the loss became") && text.contains("epoch-0001.safetensors") && text.contains("--lr")
        }
        let kept = Self.corpus.root.appendingPathComponent("run-blowup/epoch-0001.safetensors").path
        let (network, _) = try WeightsFile.load(kept)
        let finite = network.parameters.values.allSatisfy { $0.isFinite }
        #expect(finite)
    }

    /// A damaged checkpoint (cut short by a crash of the disk, not of the program: those are
    /// written atomically) is refused by name; nothing is trained from half a file.
    @Test func aDamagedCheckpointIsRefusedByName() throws {
        try TrainingRun(options(run: "run-damaged", epochs: 1)).run()
        let path = Self.corpus.root.appendingPathComponent("run-damaged/epoch-0001.safetensors")
        let bytes = try Data(contentsOf: path)
        try bytes.prefix(bytes.count / 2).write(to: path)
        var resume = options(run: "run-damaged", epochs: 2)
        resume.weights = .latestCheckpoint
        #expect { try TrainingRun(resume) } throws: { error in
            let text = "\(error)"
            return text.contains("epoch-0001.safetensors") && (text.contains("truncated") || text.contains("past the end"))
        }
    }

    @Test func resumingWithoutACheckpointSaysSo() throws {
        var options = options(run: "run-empty", epochs: 1)
        options.weights = .latestCheckpoint
        #expect { try TrainingRun(options) } throws: { "\($0)".contains("no checkpoint") }
    }

    /// The whole path on raw recordings (audio -> CQT -> windows -> network) scores the same
    /// frames as the preprocessed test windows do with the same weights: one transform, one grid.
    @Test func evaluateRunsTheWholePathOnTheSameFrames() throws {
        let run = try TrainingRun(options(run: "run-eval", epochs: 6))
        let chunks = try run.run()!
        let weights = Self.corpus.root.appendingPathComponent("run-eval/weights.safetensors").path
        // Windows of the stride's own length, ending at frames 42, 85, ...: each frame decoded from
        // the one window over it, as the chunks' windows (from frame 0, no overlap) are scored.
        let loaded = try Weights.load(weights)
        let engine = try TranscriptionEngine(weights: loaded, settings: EngineSettings(stride: 43, lookahead: nil, windowBatch: 8))
        let result = try Evaluate.run(data: Self.corpus.root.appendingPathComponent("data").path, split: "test", engine: engine)
        #expect(result.recordings.count == 2 && result.skipped.isEmpty)
        print("tiny corpus evaluate: frame F1 \(result.overall.f1) (windows: \(chunks.f1)), note F1 \(result.overall.noteF1)")
        // The windows cover every frame once, except the last window's overlap with the one before.
        #expect(abs(Double(result.overall.frames) - Double(chunks.frames)) <= 2 * 43)
        #expect(abs(result.overall.f1 - chunks.f1) < 0.03)
        #expect(result.overall.referenceNotes > 0)
        // A stride and look-ahead that do not fit a window: one clear error before any recording.
        #expect { try TranscriptionEngine(weights: loaded, settings: EngineSettings(stride: 30, lookahead: 21)) } throws: {
            "\($0)".contains("must be at most a window (43 frames)")
        }
    }
}
