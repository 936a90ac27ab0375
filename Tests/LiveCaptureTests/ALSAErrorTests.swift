// What a user reads when a device is busy, unplugged or cannot do the rate asked for. These
// machines have no sound card to be busy or unplugged, so the messages are checked for the
// errors ALSA returns in those cases (the open and read paths that raise them are exercised
// through the file plugin in ALSAFileCaptureTests).
import Foundation
import Testing
@testable import LiveCapture

@Suite struct ALSAErrorTests {
    @Test func aBusyDeviceSaysAnotherProgramHasIt() {
        let text = "\(ALSAError.cannotOpen(device: "hw:1,0", code: -EBUSY))"
        #expect(text.contains("cannot open capture device 'hw:1,0'") && text.contains("busy"))
        #expect(text.contains("Another program is using it"))
    }

    @Test func anUnsupportedRateSaysWhatTheDeviceOffers() {
        let text = "\(ALSAError.unsupported(device: "hw:1,0", what: "22050 Hz", offered: "44100-48000 Hz"))"
        #expect(text.contains("does not support 22050 Hz; it offers 44100-48000 Hz") && text.contains("plughw:"))
    }

    @Test func anUnpluggedDeviceIsNamedAsSuch() {
        let text = "\(ALSAError.readFailed(device: "hw:1,0", code: -ENODEV))"
        #expect(text.contains("reading from capture device 'hw:1,0' failed: No such device") && text.contains("unplugged"))
    }
}
