import QZooCore
import Yams

/// Where something sits in a pipeline file, for errors that read like a compiler's:
/// `pipelines/w4.yaml:12: stage 'quantize': unknown parameter 'bitz'`.
public struct SpecLocation: Sendable, Equatable {
    public var file: String
    /// 1-based; 0 when unknown.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    init(file: String, node: Node?) {
        self.init(file: file, line: node?.mark?.line ?? 0)
    }

    /// `file:line`, the spelling editors and terminals turn into a link.
    public var text: String { line > 0 ? "\(file):\(line)" : file }

    /// An invalid-spec error at this location, naming the stage when there is one.
    func error(_ message: String, stage: String? = nil) -> QZooError {
        QZooError(.invalidArgument, (stage.map { "stage '\($0)': " } ?? "") + message, file: text)
    }
}
