import QZooCore
import QZooModels
import QZooQuant

/// A file a stage produced or passes along, by the name it will have in outputs and bundles.
public struct NamedFile: Sendable, Equatable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// What one export wrote, recorded in bundle manifests: the format, the files, and a summary of
/// every tensor (scheme, bits, bits per weight, error where known).
public struct ExportRecord: Sendable, Equatable {
    public var stage: String
    public var json: JSONValue
}

/// The value passed along a pipeline edge. A checkpoint stage fills `checkpoint`; an export
/// fills `files` and `exports`; a bundle's `files` holds the bundle. Side files (config.json,
/// tokenizer files) and quantization errors travel with the model so that a bundle can include
/// and report them.
public struct PipelineState: Sendable {
    public var checkpoint: Checkpoint?
    /// Reconstruction error of each quantized tensor, measured when it was quantized.
    public var errors: [String: ReconstructionError]
    /// Proxy loss and damping of each tensor a calibrated method (GPTQ) rounded.
    public var calibrated: [String: CalibratedRounding]
    /// The statistics a `calibrate` stage measured and the text it measured them on; passes
    /// after it (GPTQ, AWQ, ...) read them. A pass that quantizes drops them (they describe the
    /// model before it), which also keeps them out of later cache entries.
    public var calibration: PipelineCalibration?
    /// A `hadamard` stage's request: the next calibrated rounding stage (`gptq`, `ldlq`) rounds
    /// every weight in randomized Hadamard incoherence. Rounding consumes it; any other
    /// quantizing or exporting stage refuses a state that carries it.
    public var incoherence: HadamardIncoherence?
    public var sideFiles: [NamedFile]
    public var files: [NamedFile]
    public var exports: [ExportRecord]

    public init(checkpoint: Checkpoint? = nil, errors: [String: ReconstructionError] = [:],
                calibrated: [String: CalibratedRounding] = [:], calibration: PipelineCalibration? = nil,
                incoherence: HadamardIncoherence? = nil, sideFiles: [NamedFile] = [], files: [NamedFile] = [], exports: [ExportRecord] = []) {
        self.checkpoint = checkpoint
        self.errors = errors
        self.calibrated = calibrated
        self.calibration = calibration
        self.incoherence = incoherence
        self.sideFiles = sideFiles
        self.files = files
        self.exports = exports
    }

    /// Takes a quantizing stage's result as the stage's output: the new checkpoint, what
    /// quantizing did to each tensor (errors, and proxy loss and damping where the method is
    /// calibrated) for bundle manifests, and no calibration (it described the model before).
    /// A result that quantized nothing is an error: the stage's targets/ignore missed.
    mutating func adopt(_ result: CheckpointQuantization, stage: String) throws {
        guard !result.reports.isEmpty else {
            throw QZooError(.invalidArgument, "stage '\(stage)': no tensor was selected for quantization; check targets/ignore")
        }
        for report in result.reports {
            errors[report.name] = report.error
            if let calibrated = report.calibrated { self.calibrated[report.name] = calibrated }
        }
        checkpoint = result.checkpoint
        calibration = nil
        incoherence = nil
    }

    /// An error when the state carries a `hadamard` stage's request, for the quantizing and
    /// exporting stages that cannot apply it (the rotation only exists together with a
    /// calibrated rounding); they call it before any work.
    func refuseIncoherence(stage: String) throws {
        guard incoherence != nil else { return }
        throw QZooError(.invalidArgument, "stage '\(stage)' cannot apply the randomized Hadamard incoherence a 'hadamard' stage "
                        + "before it asks for; only 'gptq' and 'ldlq' stages round inside it, so put one of them right after")
    }

    /// The one input's checkpoint, for passes that transform a model.
    static func checkpoint(of inputs: [PipelineState], stage: String) throws -> (PipelineState, Checkpoint) {
        guard let input = inputs.first, let checkpoint = input.checkpoint else {
            throw QZooError(.invalidArgument, "stage '\(stage)' received no checkpoint")
        }
        return (input, checkpoint)
    }
}

/// Calibration statistics as they travel along a pipeline, with their provenance.
public struct PipelineCalibration: Sendable {
    /// Per linear layer, measured on the stage's input model.
    public var statistics: CalibrationSet
    /// The texts and batching, so a sequential pass can measure the model again.
    public var run: CalibrationRun
    /// Where the texts came from (a path or the built-in corpus) and their SHA-256.
    public var source: String
    public var sha256: String

    public init(statistics: CalibrationSet, run: CalibrationRun, source: String, sha256: String) {
        self.statistics = statistics
        self.run = run
        self.source = source
        self.sha256 = sha256
    }

    /// The state's calibration, or an error telling the user which stage is missing.
    static func required(_ state: PipelineState, stage: String, pass: String) throws -> PipelineCalibration {
        guard let calibration = state.calibration else {
            throw QZooError(.invalidArgument, "stage '\(stage)': \(pass) needs calibration statistics; put a 'calibrate' stage before it")
        }
        return calibration
    }
}
