import Testing
import QZooCore

/// Runs `body`, which must throw a `QZooError` with `code`, a description containing
/// `fragment`, and (when given) naming `tensor`.
@discardableResult
func expectQZooError(_ code: QZooError.Code, containing fragment: String, tensor: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> QZooError? {
    do {
        try body()
    } catch let error as QZooError {
        #expect(error.code == code, "got \(error.code): \(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(fragment), "message lacks \"\(fragment)\": \(error)", sourceLocation: sourceLocation)
        if let tensor { #expect(error.tensor == tensor, "names \(error.tensor ?? "no tensor"): \(error)", sourceLocation: sourceLocation) }
        return error
    } catch {
        Issue.record("expected a QZooError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
    Issue.record("expected a QZooError(\(code)) containing \"\(fragment)\", but nothing was thrown", sourceLocation: sourceLocation)
    return nil
}
