import QZooCore
import QZooQuant

/// The per-tensor lines and totals a bundle manifest records for an export.
enum TensorSummary {
    /// `tensors` (one object per tensor, in checkpoint order) and `totals`.
    static func export(_ checkpoint: Checkpoint, errors: [String: ReconstructionError],
                       calibrated: [String: CalibratedRounding] = [:]) -> [(key: String, value: JSONValue)] {
        var lines: [JSONValue] = []
        var totals = Totals()
        for (name, tensor) in checkpoint.tensors {
            let bits = tensor.dtype.byteSize * 8
            var fields: [(key: String, value: JSONValue)] = [
                ("name", .string(name)), ("shape", .array(tensor.shape.map { .int($0) })), ("scheme", .string("dense")),
                ("dtype", .string(tensor.dtype.rawValue)), ("bits", .int(bits)), ("bits_per_weight", .int(bits)),
                ("stored_bytes", .int(tensor.byteCount)),
            ]
            fields += errorFields(errors[name])
            totals.add(elements: tensor.elementCount, bytes: tensor.byteCount, quantized: false, error: errors[name])
            lines.append(.object(fields))
        }
        for (name, weight) in checkpoint.quantized {
            let elements = weight.rows * weight.columns
            var fields: [(key: String, value: JSONValue)] = [
                ("name", .string(name)), ("shape", .array([.int(weight.rows), .int(weight.columns)])),
                ("scheme", .string(schemeName(weight.scheme))), ("bits", .int(bits(weight.scheme))),
                ("group_size", weight.grid.map { groupSize($0.granularity) } ?? .null),
                ("bits_per_weight", .double(Double(weight.storedByteCount * 8) / Double(max(elements, 1)))),
                ("stored_bytes", .int(weight.storedByteCount)),
                ("transforms", .array(weight.transforms.map { .string($0.kind) })),
            ]
            fields += errorFields(errors[name]) + calibratedFields(calibrated[name])
            totals.add(elements: elements, bytes: weight.storedByteCount, quantized: true, error: errors[name])
            lines.append(.object(fields))
        }
        return [("tensors", .array(lines)), ("totals", totals.json)]
    }

    static func schemeName(_ scheme: QuantizationScheme) -> String {
        switch scheme {
        case .affine(let grid): return grid.symmetric ? "affine-sym" : "affine-asym"
        case .lattice(let codebook): return codebook.rawValue
        }
    }

    static func bits(_ scheme: QuantizationScheme) -> Int {
        switch scheme {
        case .affine(let grid): return grid.bits
        case .lattice(let codebook): return codebook.bitsPerWeight
        }
    }

    static func groupSize(_ granularity: Granularity) -> JSONValue {
        switch granularity {
        case .perTensor: return .string("tensor")
        case .perChannel: return .string("channel")
        case .group(let size): return .int(size)
        }
    }

    static func errorFields(_ error: ReconstructionError?) -> [(key: String, value: JSONValue)] {
        guard let error else { return [] }
        return [("rel_rms_error", .double(error.relativeRMS)), ("max_abs_error", .double(error.maxAbsolute))]
    }

    /// A calibrated method's relative proxy loss `tr(ΔW H ΔWᵀ)/tr(W H Wᵀ)` and the damping λ it
    /// used (`"rtn"` when no damping let the Hessian factor and the weight was rounded to nearest).
    static func calibratedFields(_ rounding: CalibratedRounding?) -> [(key: String, value: JSONValue)] {
        guard let rounding else { return [] }
        return [("rel_proxy_loss", .double(rounding.relativeProxyLoss)),
                ("damping", rounding.damping.map { .double($0) } ?? .string("rtn"))]
    }

    /// Sums over an export: overall and quantized-only bits per weight, and the element-weighted
    /// mean relative RMS error of the tensors whose error is known.
    struct Totals {
        var elements = 0, bytes = 0, quantizedElements = 0, quantizedBytes = 0
        var errorElements = 0
        var weightedError = 0.0

        mutating func add(elements count: Int, bytes stored: Int, quantized: Bool, error: ReconstructionError?) {
            elements += count
            bytes += stored
            if quantized {
                quantizedElements += count
                quantizedBytes += stored
            }
            if let error, error.relativeRMS.isFinite {
                errorElements += count
                weightedError += error.relativeRMS * Double(count)
            }
        }

        var json: JSONValue {
            var fields: [(key: String, value: JSONValue)] = [
                ("parameters", .int(elements)), ("stored_bytes", .int(bytes)),
                ("bits_per_weight", .double(elements == 0 ? 0 : Double(bytes * 8) / Double(elements))),
                ("quantized_parameters", .int(quantizedElements)),
            ]
            if quantizedElements > 0 {
                fields.append(("quantized_bits_per_weight", .double(Double(quantizedBytes * 8) / Double(quantizedElements))))
            }
            if errorElements > 0 { fields.append(("mean_rel_rms_error", .double(weightedError / Double(errorElements)))) }
            return .object(fields)
        }
    }
}
