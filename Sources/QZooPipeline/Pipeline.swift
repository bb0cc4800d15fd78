#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooFormats

/// One validated stage: its pass decoded, its inputs resolved to indices in `Pipeline.stages`.
public struct PlannedStage: Sendable {
    public let id: String
    public let passName: String
    let pass: any Pass
    public let signature: PassSignature
    /// Indices of the stages it needs, in the order written.
    public let needs: [Int]
    /// The decoded parameters, defaults included (part of the cache key).
    public let parameters: JSONValue
    public let targets: [String]
    public let ignore: [String]
    public let location: SpecLocation
}

/// A pipeline file, validated completely: every stage's pass and parameters, every edge's
/// value kind, no cycle, no dangling or duplicate id, and every result reaching an output.
/// `stages` is in a topological order (file order where the graph allows).
public struct Pipeline: Sendable {
    public let file: String
    public let name: String
    public let description: String
    /// The file's exact text, which bundles carry.
    public let text: String
    public let stages: [PlannedStage]

    public static func load(path: String, registry: PassRegistry = .standard) throws -> Pipeline {
        let bytes = try ByteStorage.map(path: path).withBuffer { Array($0) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw QZooError.malformed("the pipeline file is not UTF-8 text", file: path)
        }
        return try parse(text: text, file: path, registry: registry)
    }

    public static func parse(text: String, file: String, registry: PassRegistry = .standard) throws -> Pipeline {
        let spec = try PipelineSpecReader.read(text: text, file: file)
        let index = try stageIndex(spec)
        var decoded: [(pass: any Pass, parameters: JSONValue, needs: [Int])] = []
        for stage in spec.stages {
            let (pass, parameters) = try decodePass(stage, registry: registry, file: file)
            decoded.append((pass, parameters, try resolveNeeds(stage, index: index)))
        }
        let signatures = decoded.map { type(of: $0.pass).signature }
        try checkEdges(spec, needs: decoded.map(\.needs), signatures: signatures)
        let order = try topologicalOrder(spec, needs: decoded.map(\.needs))
        try checkOutputs(spec, needs: decoded.map(\.needs), signatures: signatures)
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let stages = order.map { original in
            let stage = spec.stages[original]
            return PlannedStage(id: stage.id, passName: stage.pass, pass: decoded[original].pass, signature: signatures[original],
                                needs: decoded[original].needs.compactMap { position[$0] }, parameters: decoded[original].parameters,
                                targets: stage.targets, ignore: stage.ignore, location: stage.location)
        }
        return Pipeline(file: file, name: spec.name, description: spec.description, text: text, stages: stages)
    }

    static func stageIndex(_ spec: PipelineSpec) throws -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, stage) in spec.stages.enumerated() {
            if let first = index[stage.id] {
                throw stage.location.error("duplicate stage id (first defined at line \(spec.stages[first].location.line))", stage: stage.id)
            }
            index[stage.id] = position
        }
        return index
    }

    static func decodePass(_ stage: StageSpec, registry: PassRegistry, file: String) throws -> (any Pass, JSONValue) {
        guard let type = registry.passes[stage.pass] else {
            throw stage.passLocation.error("unknown pass '\(stage.pass)'; available: \(registry.names.joined(separator: ", "))", stage: stage.id)
        }
        var parameters = PassParameters(entries: stage.with, file: file, stage: stage.id, stageLocation: stage.location)
        let pass = try type.init(parameters: &parameters)
        try parameters.checkAllRead(pass: stage.pass)
        if !type.signature.usesTargets && !(stage.targets.isEmpty && stage.ignore.isEmpty) {
            throw stage.location.error("pass '\(stage.pass)' does not select tensors; remove 'targets'/'ignore'", stage: stage.id)
        }
        return (pass, .object(parameters.canonical))
    }

    static func resolveNeeds(_ stage: StageSpec, index: [String: Int]) throws -> [Int] {
        var seen: Set<String> = []
        return try stage.needs.map { need in
            guard let position = index[need.id] else {
                throw need.location.error("needs '\(need.id)', which no stage defines; stages: \(index.keys.sorted().joined(separator: ", "))", stage: stage.id)
            }
            guard seen.insert(need.id).inserted else { throw need.location.error("needs '\(need.id)' twice", stage: stage.id) }
            return position
        }
    }

    /// Input counts and value kinds: a quantizer takes a checkpoint, a bundle takes files...
    static func checkEdges(_ spec: PipelineSpec, needs: [[Int]], signatures: [PassSignature]) throws {
        for (position, stage) in spec.stages.enumerated() {
            let signature = signatures[position]
            let count = needs[position].count
            guard signature.inputs.contains(count) else {
                let range = signature.inputs
                let expected = range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw stage.location.error("pass '\(stage.pass)' takes \(expected) input stage(s) in 'needs', got \(count)", stage: stage.id)
            }
            for (need, location) in zip(needs[position], stage.needs.map(\.location)) where signatures[need].produces != signature.consumes {
                let producer = spec.stages[need]
                throw location.error("pass '\(stage.pass)' takes a \(signature.consumes?.rawValue ?? "nothing"), but '\(producer.id)' (\(producer.pass)) gives \(signatures[need].produces.rawValue)", stage: stage.id)
            }
        }
    }

    /// Kahn's algorithm, taking the earliest ready stage in file order; stages left over sit on a
    /// cycle, which the error spells out.
    static func topologicalOrder(_ spec: PipelineSpec, needs: [[Int]]) throws -> [Int] {
        var remaining = needs.map(\.count)
        var dependants = [[Int]](repeating: [], count: needs.count)
        for (stage, inputs) in needs.enumerated() { for input in inputs { dependants[input].append(stage) } }
        var order: [Int] = []
        var ready = remaining.indices.filter { remaining[$0] == 0 }
        while let next = ready.min() {
            ready.removeAll { $0 == next }
            order.append(next)
            for dependant in dependants[next] {
                remaining[dependant] -= 1
                if remaining[dependant] == 0 { ready.append(dependant) }
            }
        }
        guard order.count < needs.count else { return order }
        let cycle = findCycle(needs: needs, among: Set(needs.indices).subtracting(order))
        let first = spec.stages[cycle[0]]
        throw first.location.error("cycle in 'needs': " + (cycle + [cycle[0]]).map { spec.stages[$0].id }.joined(separator: " -> "), stage: first.id)
    }

    /// A cycle among `stages` (each of which has an input in the set): follow inputs until one repeats.
    static func findCycle(needs: [[Int]], among stages: Set<Int>) -> [Int] {
        guard var current = stages.min() else { return [] }
        var path: [Int] = []
        while !path.contains(current) {
            path.append(current)
            guard let next = needs[current].first(where: { stages.contains($0) }) else { return path }
            current = next
        }
        let start = path.firstIndex(of: current) ?? 0
        let flow = Array(path[start...].reversed())
        let first = flow.indices.min { flow[$0] < flow[$1] } ?? 0
        return Array(flow[first...] + flow[..<first])
    }

    /// Every stage nothing needs is an output (export or bundle); otherwise its work is lost.
    static func checkOutputs(_ spec: PipelineSpec, needs: [[Int]], signatures: [PassSignature]) throws {
        let needed = Set(needs.flatMap { $0 })
        for (position, stage) in spec.stages.enumerated() where !needed.contains(position) && !signatures[position].isOutput {
            throw stage.location.error("unreachable output: nothing needs this \(signatures[position].produces.rawValue), so its result would be lost; add an export or bundle stage that needs it, or remove it", stage: stage.id)
        }
    }

    /// Stages no other stage needs: what a run delivers to `--out`.
    public var outputStages: [Int] {
        let needed = Set(stages.flatMap(\.needs))
        return stages.indices.filter { !needed.contains($0) }
    }
}
