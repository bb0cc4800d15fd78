import Foundation
import QZooCore
import QZooModels

/// What `qzoo eval` prints, as a table or as JSON.
struct EvalReport {
    struct Pairs {
        var count: Int
        var spearman: Double
        var referenceVsGold: Double?
        var candidateVsGold: Double?
    }

    struct LayerLoss {
        var name: String
        var relativeLoss: Double
    }

    let reference: String
    let candidate: String
    let data: String
    var agreement: EmbeddingAgreement?
    var pairs: Pairs?
    var proxyLosses: [LayerLoss] = []

    func table() -> String {
        var lines = ["reference: \(reference)", "candidate: \(candidate)", "data:      \(data)", ""]
        var cells: [[String]] = [["metric", "value"]]
        if let a = agreement {
            cells += [["sentences", String(a.sentences)], ["mean cosine", fixed(a.meanCosine)], ["min cosine", fixed(a.minCosine)],
                      ["pairwise Spearman", fixed(a.pairwiseSpearman)], ["nearest-neighbour agreement", fixed(a.nearestNeighbourAgreement)]]
        }
        if let p = pairs {
            cells += [["pairs", String(p.count)], ["pair-score Spearman", fixed(p.spearman)]]
            if let r = p.referenceVsGold, let c = p.candidateVsGold {
                cells += [["reference vs gold Spearman", fixed(r)], ["candidate vs gold Spearman", fixed(c)]]
            }
        }
        lines += TextTable.render(cells, rightAligned: [1])
        if !proxyLosses.isEmpty {
            lines.append("")
            lines += TextTable.render([["layer", "relative proxy loss"]] + proxyLosses.map { [$0.name, String(format: "%.3e", $0.relativeLoss)] }, rightAligned: [1])
        }
        return lines.joined(separator: "\n")
    }

    func fixed(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.6f", value) }

    func json() -> String {
        var members: [(key: String, value: JSONValue)] = [
            ("reference", .string(reference)), ("candidate", .string(candidate)), ("data", .string(data)),
        ]
        if let a = agreement {
            members += [("sentences", .int(a.sentences)), ("mean_cosine", .double(a.meanCosine)), ("min_cosine", .double(a.minCosine)),
                        ("pairwise_spearman", .double(a.pairwiseSpearman)), ("nearest_neighbour_agreement", .double(a.nearestNeighbourAgreement))]
        }
        if let p = pairs {
            var pair: [(key: String, value: JSONValue)] = [("count", .int(p.count)), ("spearman", .double(p.spearman))]
            if let r = p.referenceVsGold { pair.append(("reference_vs_gold_spearman", .double(r))) }
            if let c = p.candidateVsGold { pair.append(("candidate_vs_gold_spearman", .double(c))) }
            members.append(("pairs", .object(pair)))
        }
        if !proxyLosses.isEmpty {
            members.append(("proxy_loss", .object(proxyLosses.map { (key: $0.name, value: .double($0.relativeLoss)) })))
        }
        return JSONWriter.serialize(.object(members))
    }
}
