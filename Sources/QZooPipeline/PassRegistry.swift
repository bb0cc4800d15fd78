/// The passes a pipeline may name. Tests add their own (a slow or failing pass) to a copy.
public struct PassRegistry: Sendable {
    public private(set) var passes: [String: any Pass.Type] = [:]

    public init(_ types: [any Pass.Type]) {
        for type in types { passes[type.name] = type }
    }

    /// Every pass qzoo ships, one line each.
    public static let standard = PassRegistry([
        LoadPass.self,
        CalibratePass.self,
        RTNPass.self,
        GPTQPass.self,
        AWQPass.self,
        SmoothQuantPass.self,
        HadamardPass.self,
        LDLQPass.self,
        ExportPass.self,
        BundlePass.self,
    ])

    public func adding(_ type: any Pass.Type) -> PassRegistry {
        var copy = self
        copy.passes[type.name] = type
        return copy
    }

    public var names: [String] { passes.keys.sorted() }
}
