// The transform against librosa.cqt on the same grid (fixture made by
// scripts/fixtures/make_librosa_cqt_fixture.py): per-frame correlation of log magnitudes.
import Foundation
import Model
import Testing
@testable import StreamingCQT

@Suite struct LibrosaCQTTests {
    @Test func agreesWithLibrosa() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/librosa-cqt.safetensors").path
        let fixture = try SafeTensorsFile.read(path)
        let signal = try fixture.floats("signal"), reference = try fixture.floats("cqt")
        let mine = try BatchCQT.transform(signal, bank: centredBank, planning: .estimate)
        #expect(mine.count == reference.count, "frame counts differ: \(mine.count / 352) vs \(reference.count / 352)")
        var correlations: [Double] = []
        for t in 0..<(reference.count / 352) {
            correlations.append(correlation(frame(mine, t, bins: 352).map(Double.init),
                                            frame(reference, t, bins: 352).map(Double.init)))
        }
        let worst = correlations.min()!
        let mean = correlations.reduce(0, +) / Double(correlations.count)
        print("librosa: per-frame correlation worst \(worst) (frame \(correlations.firstIndex(of: worst)!)), mean \(mean)")
        #expect(worst >= 0.99)
    }
}
