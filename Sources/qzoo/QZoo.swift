import Foundation
import ArgumentParser
import QZooCore
import QZooMath

/// The `qzoo` command: subcommands only; each lives in its own file.
struct QZoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qzoo",
        abstract: "Convert and quantize model checkpoints, run quantization pipelines, build reproducible bundles.",
        discussion: """
            Exit status: 0 on success, 1 when an input or an operation fails (the message names \
            the file and the tensor), 2 on a usage error.
            """,
        version: QZooVersion.current,
        subcommands: [
            Inspect.self, Convert.self, Quantize.self, Run.self, Bundle.self,
            Calibrate.self, Embed.self, Eval.self, Tokenize.self, Bench.self,
        ]
    )
}

@main
enum Main {
    static func main() {
        AllocatorTuning.keepFreedMemory()
        BLAS.stopIdleHelpers()
        do {
            var command = try QZoo.parseAsRoot()
            try command.run()
        } catch let error as QZooError {
            Terminal.error(error.description)
            Foundation.exit(1)
        } catch {
            let code = QZoo.exitCode(for: error)
            if code == .success { QZoo.exit(withError: error) }
            Terminal.note(QZoo.fullMessage(for: error))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }
}
