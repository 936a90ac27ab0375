// `transcriber devices`: lists the ALSA capture devices that --device can name.
import ArgumentParser
import LiveCapture

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the audio capture devices (ALSA PCM names for --device).")

    func run() throws {
        let devices = CaptureDevices.list()
        if devices.isEmpty {
            printError(CaptureDevices.noneFoundAdvice)
            return
        }
        let width = devices.map(\.name.count).max() ?? 0
        print("Capture devices (use the name with --device):")
        for device in devices {
            print("  " + device.name.padding(toLength: width, withPad: " ", startingAt: 0)
                  + "  " + device.description)
        }
    }
}
